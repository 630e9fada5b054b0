"""Table tests for address forms that real logs write, found by a hostile review (issue 11).

Each class has its example and neighbours; every case runs on the pure-Python path and the
native one, whole and streamed in small chunks, so the table is also a differential test.
The hypothesis properties in test_scrubber_rel_failclosed.py generate each class too.
"""

from __future__ import annotations

import pytest

from scrubber import AddressPolicy, Settings, Streamer, native_available, scrub_block

PATHS = [True, False] if native_available() else [True]

# (input, expected) with the defaults: IPv4 /24, IPv6 /48.
CASES = [
    # -- URL-encoded colons encoded twice or more: a URL in a URL's query (redirect_uri,
    # return_to), and CloudFront's logs, which encode a referer's or query's '%' again.
    (b"ip=2001%253Adb8%253A85a3%253A%253A7&x", b"ip=2001%253Adb8%253A85a3%253A%253A&x"),
    (b"ip=2001%253adb8%253a85a3%253a%253a7 ", b"ip=2001%253adb8%253a85a3%253a%253a "),
    (b"r=http%253A%252F%252F%255B2001%253Adb8%253A85a3%253A%253A7%255D%253A8080%252F",
     b"r=http%253A%252F%252F%255B2001%253Adb8%253A85a3%253A%253A%255D%253A8080%252F"),
    (b"u=2001%25253Adb8%25253A85a3%25253A%25253A7", b"u=2001%25253Adb8%25253A85a3%25253A%25253A"),
    (b"q=%25253A%25253Affff%25253A192.0.2.77", b"q=%25253A%25253Affff%25253A192.0.2.0"),
    (b"q=192.0.2.77%253A8080", b"q=192.0.2.0%253A8080"),
    (b"q=%253A%253A1", b"q=%253A%253A"),
    # neighbours that are not addresses stay byte for byte
    (b"u=http%253A%252F%252Fexample.com%252F", b"u=http%253A%252F%252Fexample.com%252F"),
    (b"t=10%253A00%253A00", b"t=10%253A00%253A00"),
    (b"z=fe80::1%253", b"z=fe80::%253"),  # a zone "3" after an encoded '%', not a colon
    (b"p=50%25 off 2001:db8::1", b"p=50%25 off 2001:db8::"),
]


@pytest.mark.parametrize("pure", PATHS, ids=lambda p: "pure" if p else "native")
@pytest.mark.parametrize(("line", "expected"), CASES)
def test_real_forms(line: bytes, expected: bytes, pure: bool) -> None:
    out, stats, _ = scrub_block(line + b"\n", Settings(), pure=pure)
    assert out == expected + b"\n"
    assert stats.addresses >= (line != expected)


@pytest.mark.parametrize(("line", "expected"), CASES)
def test_real_forms_streamed(line: bytes, expected: bytes) -> None:
    st = Streamer(Settings())
    data = line + b"\n"
    out = b"".join(st.feed(data[i : i + 3]) for i in range(0, len(data), 3)) + st.finish()
    assert out == expected + b"\n"

"""The C core's scan skips to the token around the next ':', '.', '-' or '%' (16 bytes at
a time) and starts exact scanning at the separator before it.  These tests aim at where
that could go wrong: escapes and '%' right before an address, sixteen-byte boundaries, a
separator-free run that would make a careless restart quadratic.  The pure-Python path
(one regex over the line) is the reference.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scrubber import Settings, native_available, scrub_block

pytestmark = pytest.mark.skipif(not native_available(), reason="needs scrubber._native")

# Pieces whose order decides where tokens start: escapes (whole, cut, before hex digits),
# '%' with and without "3A", word bytes, separators, and address parts.
PIECES = [
    b"a", b"G", b"_", b"0", b"1", b"9", b"f", b"22", b"255", b"2001", b"db8",
    b"\\", b"\\x", b"\\x22", b"\\u", b"\\u003c", b"\\n", b"x", b"u",
    b"%", b"%3A", b"%3a", b"%27", b"3A", b"A",
    b":", b"::", b".", b"-", b"--",
    b" ", b'"', b"/", b"[", b"]", b"\t", b"\xff",
    b"10.0.0.1", b"192.0.2.255", b"2001:db8::7", b"fe80--1", b"host-10-1-2-3",
    b"1.2.3.4.in-addr.arpa",
]
dense = st.lists(st.sampled_from(PIECES), max_size=60).map(b"".join)
# Padding in front moves every piece across the 16-byte blocks of the search.
pad = st.integers(0, 40).map(lambda n: b"w" * n)


@given(head=pad, data=dense, v4=st.sampled_from([0, 8, 24, 31]), v6=st.sampled_from([0, 32, 48, 127]))
def test_native_scan_agrees_with_python(head: bytes, data: bytes, v4: int, v6: int) -> None:
    s = Settings.create(ipv4_prefix=v4, ipv6_prefix=v6)
    line = head + data + b"\n" + data
    assert scrub_block(line, s, pure=False) == scrub_block(line, s, pure=True)


@pytest.mark.parametrize(
    "line",
    [
        b"\\x2210.0.0.1",  # an escape glued to an address
        b"abc\\x22.10.0.0.1 ",
        b"a\\n192.0.2.1",
        b"%2710.0.0.1%27",
        b"q=2001%3Adb8%3A%3A7",
        b"w" * 15 + b"\\x22192.0.2.1",  # the escape across a 16-byte boundary
        b"w" * 13 + b"%3A%3A1",
        b"x" * 31 + b"-10-1-2-3",
        b"Mozilla/5.0 (X11; Linux x86_64) Chrome/119.0.6045.199 " * 3,
    ],
)
def test_native_scan_table(line: bytes) -> None:
    s = Settings()
    assert scrub_block(line, s, pure=False) == scrub_block(line, s, pure=True)


def test_separator_free_run_with_escapes_is_linear() -> None:
    """4 MB of word bytes and backslashes (no separator to restart after), then an
    address: each byte is searched once, not once per token before the '.'."""
    line = b"a\\" * 2_000_000 + b"b.192.0.2.1 10.0.0.1\n"
    t0 = time.perf_counter()
    out = scrub_block(line, Settings(), pure=False)[0]
    assert time.perf_counter() - t0 < 5
    assert out.endswith(b" 10.0.0.0\n")

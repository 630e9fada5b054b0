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


# ---- a pipe's first line: the C grammar decides "starts with a timestamp" (TS_RE is not
# compiled at start-up), and must say what TS_RE says.
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


@st.composite
def stamp(draw: st.DrawFn) -> bytes:
    def field(lo: int, hi: int, edges: list[int]) -> int:  # mostly in range, sometimes just out
        return draw(st.integers(lo, hi) | st.sampled_from(edges))

    y, mo, d = draw(st.integers(0, 9999)), field(1, 12, [0, 13]), field(1, 31, [0, 32])
    h, mi, s = field(0, 23, [24, 25]), field(0, 59, [60, 61]), field(0, 59, [60, 61])
    mon = draw(st.sampled_from(MONTHS) | st.sampled_from(["Foo", "jan"]))
    wkd = draw(st.sampled_from(DAYS) | st.just("Xyz"))
    frac = draw(st.sampled_from(["", ".5", ".123456", ".", ",7"]))
    zone = draw(st.sampled_from(["", "Z", "z", "+01:00", "-0700", "+1", "+01:0"]))
    day_sp = draw(st.sampled_from([f"{d:2d}", f"{d:02d}", f"{d}", f"  {d}", f" {d}"]))
    forms = [
        f"{d:02d}/{mon}/{y:04d}:{h:02d}:{mi:02d}:{s:02d} {zone[:1] or '+'}{h:02d}{mi:02d}",
        f"{wkd} {mon} {day_sp} {h:02d}:{mi:02d}:{s:02d}{frac} {y:04d}",
        f"{y:04d}/{mo:02d}/{d:02d} {h:02d}:{mi:02d}:{s:02d}",
        f"{y:04d}-{mo:02d}-{d:02d}{draw(st.sampled_from(['T', 't', ' ', '_']))}{h:02d}:{mi:02d}:{s:02d}{frac}{zone}",
        f"{mon} {day_sp} {h:02d}:{mi:02d}:{s:02d}",
        f'"ts":{draw(st.sampled_from(["", " ", "  "]))}{draw(st.integers(0, 10**13))}{frac}',
    ]
    text = draw(st.sampled_from(forms)).encode()
    if draw(st.integers(0, 4)) == 0:  # cut short: the grammar must not read past the end
        text = text[: draw(st.integers(0, len(text)))]
    lead = draw(st.sampled_from([b"", b"[", b"<13>", b"<13>1 ", b"<134>[", b"<1234>", b"<>", b"<13>1", b" "]))
    return lead + text + draw(st.sampled_from([b"", b"\n", b" x", b"]", b"\n2024-01-01T00:00:00Z"]))


@given(data=st.one_of(stamp(), st.binary(max_size=40), dense))
def test_native_starts_with_timestamp_is_ts_re(data: bytes) -> None:
    from scrubber import _native  # type: ignore[attr-defined]
    from scrubber.timestamps import starts_with_timestamp

    assert _native.starts_with_timestamp(data) is starts_with_timestamp(data)


# ---- a token cut by the rules above its '%3A' ("1.2.3.4%" + "3A1--1", where "3A1--1" reads
# as a dashed IPv6 address) once recursed without end: a traceback, and the block lost.
CUT_PERCENT = [
    b"1.2.3.4%3A1--1",
    b"1.2.3.4%3a1--1",
    b"q=10.0.0.1%3A2001-db8--7&x",
    b"198.51.100.7%3A3A1--1.example",
    b"fe80--1%3A1.2.3.4.5",
    b"::1%3A3A-10-1-2-3",
    b"1.2.3.4%3A3A1--1%3A5.6.7.8",
    b"1.2.3.4%3A1--1.4.3.2.1.in-addr.arpa",
]


@pytest.mark.parametrize("token", CUT_PERCENT)
def test_a_percent_cut_from_its_3a_ends_and_fails_closed(token: bytes) -> None:
    line = b"GET /?a=" + token + b" HTTP/1.1\n"
    s = Settings()
    out = scrub_block(line, s, pure=True)[0]
    assert out == scrub_block(line, s, pure=False)[0]
    for host in (b"1.2.3.4", b"10.0.0.1", b"198.51.100.7", b"5.6.7.8"):
        assert host not in out


@pytest.mark.parametrize("v4", [0, 8, 24])
def test_a_reverse_name_with_glued_digits_and_no_address_is_left_alone(v4: int) -> None:
    """'310.' + '0.0.1192....in-addr.arpa': digits glued before the labels, and no four
    labels an address: the C core kept it, the Python path padded the glued label
    ('3010'); both keep it now, and so does scrub_token (no address, no change)."""
    from scrubber.addresses import AddressPolicy, scrub_token

    tok = b"host-10-1-2-310.0.0.1192.0.2.2551.2.3.4.in-addr.arpa"
    s = Settings.create(ipv4_prefix=v4, ipv6_prefix=0)
    line = tok + b"\n"
    assert scrub_block(line, s, pure=True)[0] == scrub_block(line, s, pure=False)[0]
    rep, n = scrub_token(b"310.0.0.1192.0.2.2551.2.3.4.in-addr.arpa", AddressPolicy(v4, 0))
    assert n or rep == b"310.0.0.1192.0.2.2551.2.3.4.in-addr.arpa"

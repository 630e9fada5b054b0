"""Property tests: no generated address survives; native == pure on any bytes.

Default (ci) profile: a few seconds.  More: ``pytest --hypothesis-profile=thorough``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scrubber import AddressPolicy, Settings, Streamer, native_available, scrub_block

NATIVE = native_available()
SEPARATORS = b' "\'[](){}<>,;=/\\|&?#%!@$^*+~`\t\x00\x7f\x80\xc3\xa9\xff'
sep = st.sampled_from([bytes([c]) for c in SEPARATORS])
junk = st.binary(max_size=40).map(lambda b: b.replace(b"\n", b" "))
port = st.integers(1, 65535).map(lambda p: str(p).encode())


@st.composite
def v4_text(draw: st.DrawFn) -> tuple[ipaddress.IPv4Address, bytes]:
    a = draw(st.ip_addresses(v=4))
    octets = str(a).split(".")
    form = draw(st.sampled_from(["plain", "zeros", "port", "name"]))
    if form == "name":  # a host name made from it, in either order ("1-2-0-192.rev.example", "ip10-0-0-1")
        nums = octets[::-1] if draw(st.booleans()) else octets
        text = (draw(st.sampled_from([b"", b"ip", b"host-", b"dsl-"])) + "-".join(nums).encode()
                + draw(st.sampled_from([b".rev.example", b"-sta.example.net", b""])))
    elif form == "zeros":
        text = ".".join(o.zfill(3) for o in octets).encode()
    elif form == "port":
        text = str(a).encode() + b":" + draw(port)
    else:
        text = str(a).encode()
    return a, text


@st.composite
def v6_text(draw: st.DrawFn) -> tuple[ipaddress.IPv6Address, bytes]:
    a = draw(st.ip_addresses(v=6))
    if draw(st.booleans()):  # IPv4-mapped
        a = ipaddress.IPv6Address(b"\x00" * 10 + b"\xff\xff" + draw(st.ip_addresses(v=4)).packed)
    form = draw(st.sampled_from(["compressed", "exploded", "upper", "zone", "bracket", "apache", "mapped", "dashed"]))
    c = a.compressed
    if form == "dashed":  # Microsoft's UNC form, zone as "s<zone>"
        text = c.replace(":", "-").encode() + draw(st.sampled_from([b"", b"s4"])) + b".ipv6-literal.net"
    elif form == "mapped" and a.ipv4_mapped is not None:
        text = f"::ffff:{a.ipv4_mapped}".encode()
    elif form == "exploded":
        text = a.exploded.encode()
    elif form == "upper":
        text = c.upper().encode()
    elif form == "zone":
        text = c.encode() + b"%eth0"
    elif form == "bracket":
        text = b"[" + c.encode() + b"]:" + draw(port)
    elif form == "apache":
        text = c.encode() + b":" + draw(port)
    else:
        text = c.encode()
    return a, text


def _host_bits_set(a: ipaddress.IPv4Address | ipaddress.IPv6Address, policy: AddressPolicy) -> bool:
    if isinstance(a, ipaddress.IPv6Address):
        if a.ipv4_mapped is not None:
            return int(a.ipv4_mapped) & ~policy.v4_mask & 0xFFFFFFFF != 0
        return int(a) & ~policy.v6_mask & ((1 << 128) - 1) != 0
    return int(a) & ~policy.v4_mask & 0xFFFFFFFF != 0


_TOKENS = re.compile(rb"[0-9A-Za-z_.:-]+")  # (forms with %3A are checked in test_scrubber_rel_failclosed)


def _leaks(forms: set[bytes], out: bytes) -> list[bytes]:
    """Output tokens that show one of the forms (alone, or with a port or a prefix)."""
    bad = []
    for t in _TOKENS.findall(out):
        for f in forms:
            if b"-" in f:  # a name: the dashed spelling anywhere, not inside a longer number
                if re.search(rb"(?<![0-9A-Fa-f-])" + re.escape(f) + rb"(?![0-9A-Fa-f])", t):
                    bad.append(t)
                continue
            glued_after_colon = t.endswith(b":" + f) and not f.startswith(b":")  # ":::1" is "::" port 1
            if t == f or t.startswith(f + b":") or glued_after_colon or t.startswith(f + b"."):
                bad.append(t)
    return bad


def _forms(a: ipaddress.IPv4Address | ipaddress.IPv6Address) -> set[bytes]:
    """Texts that would show the full address."""
    if isinstance(a, ipaddress.IPv4Address):
        octets = str(a).split(".")
        return {str(a).encode(), "-".join(octets).encode(), "-".join(octets[::-1]).encode()}
    out = {a.compressed.encode(), a.exploded.encode(), a.compressed.upper().encode()}
    if b"::" in a.compressed.encode() or a.compressed.count(":") == 7:
        out.add(a.compressed.replace(":", "-").encode())
    if a.ipv4_mapped is not None:
        out.add(f"::ffff:{a.ipv4_mapped}".encode())
    return out


@given(
    addr=st.one_of(v4_text(), v6_text()),
    before=junk,
    after=junk,
    s1=sep,
    s2=sep,
    v4=st.integers(0, 32),
    v6=st.integers(0, 128),
    pure=st.booleans() if NATIVE else st.just(True),
)
def test_no_address_survives(addr, before, after, s1, s2, v4, v6, pure) -> None:  # type: ignore[no-untyped-def]
    a, text = addr
    policy = AddressPolicy(v4, v6)
    assume(_host_bits_set(a, policy))
    forms = _forms(a)
    line = before + s1 + text + s2 + after + b"\n"
    assume(not _leaks(forms, before + s1) and not _leaks(forms, s2 + after))
    out, stats, _ = scrub_block(line, Settings(policy), pure=pure)
    assert not _leaks(forms, out), (line, out)
    assert stats.addresses >= 1


@given(
    addrs=st.lists(st.one_of(v4_text(), v6_text()), min_size=1, max_size=6),
    seps=st.lists(sep, min_size=7, max_size=7),
)
def test_every_address_in_a_list_is_truncated(addrs, seps) -> None:  # type: ignore[no-untyped-def]
    """X-Forwarded-For style: many addresses in one line, all of them go."""
    line = seps[0] + b"".join(t + seps[i + 1] for i, (_, t) in enumerate(addrs)) + b"\n"
    st_ = Streamer(Settings(AddressPolicy(31, 127)))
    out = st_.feed(line) + st_.finish()
    for a, _ in addrs:
        if _host_bits_set(a, AddressPolicy(31, 127)):
            assert not _leaks(_forms(a), out), (line, out)


TOKEN_RUN = re.compile(rb"(?:[\w.:-]|%(?:25)*3[Aa]|\\+[.:])+")  # "%3A", "%253A", "\\:" are colons, "\\." a dot


# (backslashes right before a token count with it: a rewrite may put an escaped separator
# there, "\\0000:...:0000" -> "\\::", the backslash itself unchanged)
SKELETON_RUN = re.compile(rb"\\*" + TOKEN_RUN.pattern)


def _skeleton(b: bytes) -> bytes:
    # (adjacent runs count as one: "0.0.0.0" + "\\0000:...:0000" are two runs, and become
    # one when the second is written "::", "0.0.0.0\\::" holding an escaped colon)
    return re.sub(rb"T+", b"T", SKELETON_RUN.sub(b"T", b))


fragments = st.one_of(
    junk,
    sep,
    v4_text().map(lambda x: x[1]),
    v6_text().map(lambda x: x[1]),
    st.sampled_from(
        [
            b"[10/Oct/2000:13:55:36 -0700]",
            b"[Wed Oct 11 14:32:52.123456 2000]",
            b"[Wed Oct  1 14:32:52 2000]",
            b"2024/01/02 03:04:05",
            b"2024-06-02T03:04:05.5+01:00",
            b"2024-06-29 03:04:05",
            b"Jun  2 03:04:05",
            b'"ts":1719000000.25',
            b"13:55:36",
            b"::",
            b"1.2.3.4.5.6",
            b"Chrome/119.0.6045.199",
            b"\r",
            b"\n",
            b"\n\n",
            b"\\",
            b"\\x22",
            b"\\x2",
            b"\\u003c",
            b"\\u00",
            b"\\n",
            b"\\b",
            b"%3A",
            b"%253A",
            b"\\.",
            b"\\\\:",
            b"\x1b[1m",
            b"\x1b[0;3",
            b"\\x1B[",
            b"\\u001b[32m",
            b"[49,46,50,46,51,46,52]",
            b"[50,48,48,49,58,100,98,56,58,58,55,",
            b"46,",
            b"%25",
            b"-",
            b"host-10-105-160-179",
            b"7.100.51.198.in-addr.arpa",
            b".ip6.arpa",
            b"1.2.",
            b"{",
            b'"time":"',
            b'"ts":',
            b'"time_local": "',
            b'] "',
            b"<13>1 ",
            b"[",
            b"[10/Oct/2000:13:55:36 -0700] \"",
            b"%27",
            b"ipv6:",
            b":error",
            b".Conn",
        ]
    ),
)
texts = st.lists(fragments, max_size=25).map(b"".join)


@given(data=texts)
def test_bytes_outside_tokens_never_change(data: bytes) -> None:
    st_ = Streamer(Settings())
    out = st_.feed(data) + st_.finish()
    assert _skeleton(out) == _skeleton(data)


@given(data=st.binary(max_size=300).filter(lambda b: not re.search(rb"[0-9A-Fa-f]", b)))
def test_no_hex_digit_no_change(data: bytes) -> None:
    st_ = Streamer(Settings())
    assert st_.feed(data) + st_.finish() == data


@pytest.mark.skipif(not NATIVE, reason="the differential test needs scrubber._native (see test_native_is_built)")
@given(
    data=st.one_of(texts, st.binary(max_size=400)),
    v4=st.integers(0, 32),
    v6=st.integers(0, 128),
    max_age=st.sampled_from([None, "1d", "30d", "1mo", "400d"]),
    zone=st.sampled_from(["UTC", "Europe/Stockholm", "America/New_York"]),
    keep=st.booleans(),
    cont=st.booleans(),
    hashed=st.booleans(),
)
def test_native_and_pure_agree(data, v4, v6, max_age, zone, keep, cont, hashed) -> None:  # type: ignore[no-untyped-def]
    from scrubber.core import State

    s = Settings.create(
        ipv4_prefix=v4,
        ipv6_prefix=v6,
        max_age=max_age,
        now=dt.datetime(2024, 6, 30, 12, tzinfo=dt.timezone.utc),
        timezone=zone,
        hash_key=b"0123456789abcdef" if hashed else None,
    )
    state = State(keep, cont)
    a = scrub_block(data, s, state, pure=True)
    b = scrub_block(data, s, state, pure=False)
    assert a[0] == b[0]
    assert a[1] == b[1]
    assert a[2] == b[2]


@pytest.mark.skipif(not NATIVE, reason="needs scrubber._native")
@settings(max_examples=50)
@given(data=st.binary(min_size=0, max_size=64))
def test_native_survives_any_bytes_in_bulk(data: bytes) -> None:
    """Many copies, no newline at the end, embedded NULs: same output, no crash."""
    blob = data * 200
    assert scrub_block(blob, Settings(), pure=False)[0] == scrub_block(blob, Settings(), pure=True)[0]


@pytest.mark.slow
def test_ten_megabyte_line_without_newline() -> None:
    line = (b"x" * 1000 + b" 192.0.2.1 ") * 10_000 + b"2001:db8::1"
    st_ = Streamer(Settings())
    out = b"".join(st_.feed(line[i : i + 65536]) for i in range(0, len(line), 65536)) + st_.finish()
    assert b"192.0.2.1" not in out and b"2001:db8::1" not in out
    assert out.count(b"192.0.2.0") == 10_000 and out.endswith(b"2001:db8::")
    assert st_.stats.lines_read == 1


def test_two_megabyte_line_is_split_between_tokens_only() -> None:
    """A line longer than the carry limit is processed in pieces, never inside a token."""
    unit = b"abc 192.0.2.1 " + b"y" * 50 + b" 2001:db8:1:2::3 "
    line = unit * (2_100_000 // len(unit)) + b"\n" + b"next 192.0.2.9\n"
    st_ = Streamer(Settings())
    out = b"".join(st_.feed(line[i : i + 300_001]) for i in range(0, len(line), 300_001)) + st_.finish()
    expected = unit.replace(b"192.0.2.1", b"192.0.2.0").replace(b"2001:db8:1:2::3", b"2001:db8:1::")
    assert out == expected * (2_100_000 // len(unit)) + b"\nnext 192.0.2.0\n"
    assert st_.stats.lines_read == 2


def test_giant_token_without_separators_is_linear() -> None:
    """5 MB with no byte that could end a token, fed in 64 KiB chunks: no quadratic rescans."""
    import time

    data = b"a" * 5_000_000 + b" 192.0.2.1\n"
    st_ = Streamer(Settings())
    t0 = time.perf_counter()
    out = b"".join(st_.feed(data[i : i + 65536]) for i in range(0, len(data), 65536)) + st_.finish()
    assert time.perf_counter() - t0 < 10
    assert out == b"a" * 5_000_000 + b" 192.0.2.0\n"


# Tokens made of the pieces the decoders act on ('%', '%3A', '%253A', '\\', '\\.') and
# address pieces: scrub_token must end (it once recursed for ever on "1.2.3.4%" and on
# the '%' left in "1::%3Ax%") and give the same answer on both paths.
decoder_pieces = st.lists(
    st.sampled_from([b"%", b"%3A", b"%3a", b"%25", b"%253A", b"\\", b"\\.", b"\\:", b"1", b"f", b"db8",
                     b"255", b":", b"::", b".", b"-", b"--", b"x"]),
    min_size=1, max_size=30,
).map(b"".join)


@given(tok=decoder_pieces)
def test_scrub_token_ends_on_any_decoder_pieces(tok: bytes) -> None:
    from scrubber.addresses import AddressPolicy, scrub_token

    rep, count = scrub_token(tok, AddressPolicy())
    assert isinstance(rep, bytes) and count >= 0
    line = b"a " + tok + b" b\n"
    pure, native = Streamer(Settings(), pure=True), Streamer(Settings())
    assert pure.feed(line) + pure.finish() == native.feed(line) + native.finish()

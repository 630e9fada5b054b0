"""Fail closed: no generated address survives, and no byte outside an address changes.

Lines are built from known segments: junk (random bytes, invalid UTF-8, NULs, ``\\r``;
address-like runs in it are defused first), and addresses in many spellings inside
many contexts (JSON strings, query strings, XFF lists, URLs, Apache ``[client ...]``,
glued to punctuation).  Each address sits between literal context bytes that are
never part of a token, so its position in the output is known without asking the
library: the output must match ``literal GAP literal GAP ...`` exactly, where each
GAP is made of token bytes only.  Leaks are found by an independent sweep over the
output: every dotted-quad window and every IPv6-looking substring is parsed by
``ipaddress`` (IPv4 numbers with leading zeros allowed) and compared with the input
addresses that have host bits under the prefixes in use.

Counts: the ``ci`` profile (default) runs 200 examples per test and path; run
``pytest tests/test_scrubber_rel_failclosed.py --hypothesis-profile=thorough`` for
20,000.  Set ``SCRUBBER_REL_COUNTS=FILE`` to append the counts (examples, addresses,
leaks) as JSON lines; docs/reliability.md records the last runs.
"""

from __future__ import annotations

import ipaddress
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_scrubber_reliability import record

from scrubber import AddressPolicy, Settings, Streamer, native_available, scrub_block
from scrubber.addresses import token_needs_check

PATHS = [pytest.param(True, id="pure"), pytest.param(False, id="native")]
TOKEN_BYTES = frozenset(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_.:-")
TOKEN_RUN = re.compile(rb"(?:[0-9A-Za-z_.:-]|%(?:25)*3[Aa]|\\+[.:])+")  # "%3A", "%253A", "\\:" are colons, "\\." a dot
# Bytes that are never part of a token: the library may never change them.
SEPARATORS = [bytes([c]) for c in range(256) if c not in TOKEN_BYTES and c != 0x0A]
GAP = rb"(?:[0-9A-Za-z_.:-]|%(?:25)*3[Aa]|\\+[.:]|\[(?:[0-9]{1,3},)*[0-9]{1,3}\])*"  # (a journald byte array is one token; it may shrink)

COUNTS: dict[str, dict[str, int]] = {}


def _count(name: str, **kw: int) -> None:
    c = COUNTS.setdefault(name, {})
    for k, v in kw.items():
        c[k] = c.get(k, 0) + v


# ---------------------------------------------------------------- generation
def _defuse(b: bytes) -> bytes:
    """Junk must not itself look like an address: break runs the scrubber would examine."""
    b = b.replace(b"\n", b" ")
    return TOKEN_RUN.sub(lambda m: m.group().replace(b".", b"/").replace(b":", b"/").replace(b"%", b"/").replace(b"-", b"/").replace(b"\\", b"/") if token_needs_check(m.group()) else m.group(), b)


junk = st.one_of(
    st.binary(max_size=24),
    st.sampled_from([b"\x00", b"\xff\xfe", b"\xc3\x28", b"\xe2\x82", b"\r", b"caf\xc3\xa9", b"\x80abc\x00"]),
    st.text(max_size=12).map(lambda s: s.encode("utf-8", "surrogatepass")),
).map(_defuse)
sep = st.sampled_from(SEPARATORS)
port = st.integers(1, 65535).map(lambda p: str(p).encode())

# Words glued to an address by ':' or '.': any letters, digits and '_', at least one of
# them not a hex digit (else the word and the address are one hex run).
hostile_word = st.one_of(
    st.sampled_from([b"ipv6", b"IPv6", b"remote", b"id", b"source", b"client", b"peer_id", b"error", b"eof", b"Connection"]),
    st.tuples(
        st.text("0123456789abcdefABCDEF_", max_size=4),
        st.sampled_from("ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ_"),
        st.text("0123456789abcdefABCDEF", max_size=4),
    ).map(lambda t: (t[0] + t[1] + t[2]).encode()),
)

v6_addr = st.one_of(
    st.ip_addresses(v=6),
    # Mostly-zero addresses exercise "::" in every position.
    st.lists(st.sampled_from([0, 0, 0, 1, 0xFFFF, 0x1234, 0xDB8, 0x2001]), min_size=8, max_size=8).map(
        lambda g: ipaddress.IPv6Address(sum(x << (16 * (7 - i)) for i, x in enumerate(g)))
    ),
    st.ip_addresses(v=4).map(lambda a: ipaddress.IPv6Address(b"\x00" * 10 + b"\xff\xff" + a.packed)),  # mapped
    # An IPv4 address embedded by a translation prefix: 6to4 (2002:AABB:CCDD::/48, whole at
    # /48), NAT64 (64:ff9b::/96) and Teredo (2001::/32, the client inverted in the low bits).
    st.tuples(st.ip_addresses(v=4), st.integers(0, (1 << 80) - 1)).map(
        lambda t: ipaddress.IPv6Address((0x2002 << 112) | (int(t[0]) << 80) | t[1])
    ),
    st.ip_addresses(v=4).map(lambda a: ipaddress.IPv6Address((0x64FF9B << 96) | int(a))),
    st.tuples(st.ip_addresses(v=4), st.integers(0, (1 << 64) - 1)).map(
        lambda t: ipaddress.IPv6Address((0x20010000 << 96) | (t[1] << 32) | (~int(t[0]) & 0xFFFFFFFF))
    ),
)


@st.composite
def v4_form(draw: st.DrawFn) -> tuple[ipaddress.IPv4Address, bytes, bytes, bytes]:
    """(address, literal before, token text, literal after)."""
    a = draw(st.ip_addresses(v=4))
    octets = str(a).split(".")
    form = draw(st.sampled_from(["plain", "zeros", "somezeros", "port", "glued-letters", "urlenc", "urlesc", "hostname", "in-addr", "name-any-order", "regex"]))
    before = after = b""
    if form == "zeros":
        text = ".".join(o.zfill(3) for o in octets).encode()
    elif form == "somezeros":
        text = ".".join(o.zfill(draw(st.integers(1, 4))) for o in octets).encode()
    elif form == "port":
        text = str(a).encode() + b":" + draw(port)
    elif form == "glued-letters":
        text = draw(st.sampled_from([b"ip", b"x", b"_", b"client"])) + str(a).encode() + draw(st.sampled_from([b"", b"x", b"_z"]))
    elif form == "urlenc":
        before, text, after = b"%", b"20" + str(a).encode(), b"%2C"
    elif form == "hostname":  # HostnameLookups, sshd, cloud names: the address dashed, in order
        text = (
            # (another dashed run of numbers before it, which holds no address; a dashed
            # number, a port, after it)
            draw(st.sampled_from([b"customer-", b"ec2-", b"host-", b"ip-", b"", b"static-", b"a1-", b"call-1-800-555-1234-from-", b"x-1-800-555-1234.host-", b"7-"]))
            + "-".join(o.zfill(draw(st.integers(1, 3))) for o in octets).encode()
            + draw(st.sampled_from([b"-sta.example.net", b".compute-1.amazonaws.com", b"", b".dyn", b"-x", b"-80.example", b"-8080", b"-5"]))
        )
    elif form == "name-any-order":
        # Names whose numbers may be in either order, glued to a word or not, dashed or
        # dotted: "ip10-0-0-1", "1-2-0-192.rev.example", "7.100.51.198.bc.googleusercontent.com"
        dash = draw(st.booleans())
        prefix = draw(st.sampled_from([b"ip", b"IP", b"host", b"ip-", b"ec2-", b"", b"a1-", b"dsl-"] if dash else [b""]))
        suffix = draw(st.sampled_from([b".rev.example", b".sslip.io", b".nip.io", b".ec2.internal", b"-sta.example.net", b"", b"x"] if dash
                                      else [b".bc.googleusercontent.com", b".nip.io", b".sslip.io", b".rev.example"]))
        forward = prefix == b"ec2-" or suffix in (b".sslip.io", b".nip.io", b".ec2.internal")  # documented conventions
        nums = octets if forward or suffix in (b"", b"x") or draw(st.booleans()) else octets[::-1]  # (the sweep reads reversed only before a label)
        text = prefix + ("-" if dash else ".").join(o.zfill(draw(st.integers(1, 3))) for o in nums).encode() + suffix
    elif form == "in-addr":  # reverse name: the numbers in reverse order
        text = a.reverse_pointer.encode() if draw(st.booleans()) else a.reverse_pointer.upper().encode()
    elif form == "regex":  # a regular expression's "^192\\.0\\.2\\.1$" (mod_rewrite trace, ModSecurity), its "\\" escaped again
        before, after = draw(st.sampled_from([(b"^", b"$"), (b"", b""), (b"'", b"'")]))
        text = (b"\\" * draw(st.integers(1, 3)) + b".").join(o.encode() for o in octets)
    elif form == "urlesc":  # any %HH right before it: "q=%278.8.8.8%27", "%408.8.8.8"
        esc = draw(st.sampled_from([b"27", b"28", b"40", b"22", b"3C", b"5B"]) | st.text("0123456789ABCDEFabcdef", min_size=2, max_size=2).map(str.encode))
        before, text, after = b"%", esc + str(a).encode(), b"%" + esc
    else:
        text = str(a).encode()
    return a, before, text, after


def _v6_spellings(a: ipaddress.IPv6Address, draw: st.DrawFn) -> bytes:
    c = a.compressed
    form = draw(st.sampled_from(["compressed", "exploded", "upper", "mixed", "zeros", "dotted", "mapped"]))
    if form == "exploded":
        return a.exploded.encode()
    if form == "upper":
        return c.upper().encode()
    if form == "mixed":
        return "".join(ch.upper() if draw(st.booleans()) else ch for ch in c).encode()
    if form == "zeros":  # compressed, but every group padded to 4 digits
        return ":".join(g.zfill(4) if g else "" for g in c.split(":")).encode()
    if form == "dotted" and int(a) & 0xFFFFFFFF and c.count(":") >= 2:
        head = ipaddress.IPv6Address(int(a) & ~0xFFFFFFFF).exploded.split(":")[:6]
        return (":".join(head) + ":" + str(ipaddress.IPv4Address(int(a) & 0xFFFFFFFF))).encode()
    if form == "mapped" and a.ipv4_mapped is not None:
        return f"::ffff:{a.ipv4_mapped}".encode()
    return c.encode()


@st.composite
def v6_form(draw: st.DrawFn) -> tuple[ipaddress.IPv6Address, bytes, bytes, bytes]:
    a = draw(v6_addr)
    text = _v6_spellings(a, draw)
    wrap = draw(st.sampled_from(["bare", "zone", "bracket", "bracket-port", "apache", "label", "glued-after", "url-encoded", "arpa", "dashed", "escaped", "dot-port"]))
    before = after = b""
    if wrap == "zone":
        after = b"%" + draw(st.sampled_from([b"eth0", b"1", b"en0", b"wlp2s0"]))
    elif wrap == "bracket":
        before, after = b"[", b"]"
    elif wrap == "bracket-port":
        before, after = b"[", b"]:" + draw(port)
    elif wrap == "apache":  # Apache 2.4: [client 2001:db8::1:51234], port glued with ':'
        text = text + b":" + draw(port)
    elif wrap == "dot-port" and b"." not in text and a.ipv4_mapped is None:  # tcpdump, BSD netstat: 2001:db8::7.443
        # (not a mapped address: written back dotted, "::ffff:0:a.1" -> "::ffff:0.0.0.0.1",
        # its port reads as an octet of a quad; the dotted form there is all 'x')
        text = text + b"." + draw(port)
    elif wrap == "label" and not text.startswith(b":"):  # "ipv6:2001:db8::7", "remote:...", "[IPv6:...]": labels ending in hex
        text = draw(hostile_word) + b":" + text
    elif wrap == "dashed" and b"." not in text:
        # Microsoft's UNC form "2001-db8-85a3--7.ipv6-literal.net" (zone as "s<zone>"),
        # other dashed-hex names ("ip6-2001-db8--7.example")
        text = text.replace(b":", b"-")
        if draw(st.booleans()):
            text += draw(st.sampled_from([b"s4", b"S11", b"seth0"]))
        if not text.startswith(b"-") and draw(st.booleans()):
            text = draw(st.sampled_from([b"ip6-", b"host-", b"v6-"])) + text
        few = sum(1 for g in text.split(b"-") if g) < 2  # "--", "--1": only in Microsoft's domain
        text += draw(st.sampled_from([b".ipv6-literal.net", b".IPV6-LITERAL.NET"] + ([] if few else [b".example"])))
    elif wrap == "escaped":  # a Lucene query's "2001\\:db8\\:\\:7", a regular expression's "\\."
        bs = b"\\" * draw(st.integers(1, 2))
        text = text.replace(b":", bs + b":").replace(b".", bs + b".")
    elif wrap == "arpa":  # ip6.arpa: 32 reversed nibbles
        text = a.reverse_pointer.encode()
    elif wrap == "url-encoded":  # "?ip=2001%3Adb8%3A%3A7" in a query string or referer
        # ("%253A": encoded twice, a URL inside a query string, or CloudFront's logs)
        text = text.replace(b":", draw(st.sampled_from([b"%3A", b"%3a", b"%253A", b"%253a", b"%25253A"])))
    elif wrap == "glued-after" and not text.endswith(b"::"):  # "...::7.Connection", "...::7:error"
        text = text + draw(st.sampled_from([b":", b"."])) + draw(hostile_word)
    return a, before, text, after


# (literal before, token glue before, token glue after, literal after); literals end /
# start with a separator so the address token is exactly glue + text + glue.
CONTEXTS = [
    (b"", b"", b"", b""),
    (b'{"remote_addr":"', b"", b"", b'","status":200}'),
    (b'{"request":{"client_ip":"', b"", b"", b'"}}'),
    (b"GET /?ip=", b"", b"", b"&x=1 "),
    (b"http://", b"", b"", b"/p?q=1"),
    (b"X-Forwarded-For: ", b"", b"", b", "),
    (b"for=", b"", b"", b";proto=https"),
    (b"[client ", b"", b"", b"] AH01630"),
    (b"(", b"", b"", b")"),
    (b"<", b"", b"", b">"),
    (b"'", b"", b"", b"';"),
    (b"", b"", b".", b","),
    (b"", b".", b"", b""),
    (b"", b"", b"...", b" "),
    (b"", b":", b"", b""),
    (b"", b"", b":", b""),
    (b"\x00", b"", b"", b"\x00"),
    (b"\xff", b"", b"", b"\xc3"),
    (b"\t", b"", b"", b"\r"),
    # escapes a log writer puts around values: nginx/Apache \xHH, JSON \uHHHH, \n \t \"
    (b"msg\\n", b"", b"", b"\\n"),
    (b"\\x22", b"", b"", b"\\x22"),
    (b'{"m":"\\u003c', b"", b"", b'\\u003e"}'),
    (b"\\\\r", b"", b"", b"\\t"),
    (b"\\\"", b"", b"", b"\\\""),
    (b"\\x5B", b"", b":", b"\\x5D"),
    # a stray '%' or '\\' glued to the address that encodes nothing ("1.2.3.4%", "::7\\")
    (b"", b"", b"", b"% "),
    (b"%", b"", b"", b""),
    (b"", b"", b"", b"\\ "),
    (b"", b"", b"%3A", b"%"),
    # ANSI colours around it (an application's coloured output), raw, as nginx escapes
    # them, and in JSON
    (b"\x1b[1m", b"", b"", b"\x1b[0m"),
    (b"\x1b[0;31m", b"", b"", b"\x1b[m"),
    # ECMA-48's other parameter bytes: 256 colours and truecolor with ':', private '>'
    (b"\x1b[38:5:196m", b"", b"", b"\x1b[39m"),
    (b"\x1b[>4;2m", b"", b"", b"\x1b[4:0m"),
    (b"\\x1B[38:2::255:0:0m", b"", b"", b"\\x1B[m"),
    (b"\\x1B[32m", b"", b"", b"\\x1B[0m"),
    (b'{"log":"\\u001b[1;33m', b"", b"", b'\\u001b[0m"}'),
]
HEX_ESCAPE_END = re.compile(rb"\\[xu]((?<=x)[0-9A-Fa-f]{2}|(?<=u)[0-9A-Fa-f]{4})$")
# an escape with random hex digits or letter before the address
ESCAPE_BEFORE = st.one_of(
    st.text("0123456789abcdefABCDEF", min_size=2, max_size=2).map(lambda h: b"\\x" + h.encode()),
    st.text("0123456789abcdefABCDEF", min_size=4, max_size=4).map(lambda h: b"\\u" + h.encode()),
    st.sampled_from("ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ").map(lambda c: b"\\" + c.encode()),
)


# The contexts whose bytes before the address are a sequence (an ANSI colour, an escape,
# "%HH"), which a restart may cut open.
SEQUENCE_CONTEXTS = [c for c in CONTEXTS if re.search(rb"[\x1b\\%]", c[0])]


@st.composite
def address_segment(draw: st.DrawFn, contexts: list = CONTEXTS) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, list[bytes]]:
    a, before, text, after = draw(st.one_of(v4_form(), v6_form()))
    if draw(st.integers(0, 7)) == 0:
        # journalctl -o json: a message with a control byte or invalid UTF-8 is written as
        # the array of its byte values, "MESSAGE":[70,114,111,109,32,49,46,...]
        msg = draw(st.sampled_from([b"from ", b"\x1b[1m", b"user \xff@", b""])) + before + text + after
        msg += draw(st.sampled_from([b" port 22", b"\x1b[0m", b"", b"\n"]))
        before, text, after = b"", b"[" + b",".join(str(c).encode() for c in msg.ljust(7)) + b"]", b""
    lit_b, glue_b, glue_a, lit_a = draw(st.sampled_from(contexts))
    if draw(st.integers(0, 5)) == 0:
        lit_b, glue_b = lit_b + draw(ESCAPE_BEFORE), b""
    m = HEX_ESCAPE_END.search(lit_b + before)
    if m and not before and re.match(rb"[0-9A-Fa-f.:%-]|\\+[.:]", glue_b + text):
        # fail closed: the escape's digits may be the address's own ("\u2001:db8::7" raw)
        lit_b, glue_b = lit_b[: m.start(1)], m.group(1) + glue_b
    if before or after:  # a bracketed/zoned/url-encoded form brings its own literals
        glue_b = glue_a = b""
    if glue_b == b":" and text.startswith((b":", b"%3", b"%25", b"--", b"\\")):
        # ":" + "::1" reads as "::" port 1 (netstat's ":::80"): a documented ambiguity,
        # see the report in docs/reliability.md.
        glue_b = b""
    if isinstance(a, ipaddress.IPv6Address) and glue_a in (b":", b"...", b"%3A") and PCT_COLON.sub(b":", text).endswith(b"::"):
        glue_a = b""
    return a, [lit_b + before, glue_b + text + glue_a, after + lit_a]


@st.composite
def lines(draw: st.DrawFn) -> tuple[list, list[bytes]]:
    """(addresses, pieces): pieces alternate literal, token, literal, token ... literal."""
    addrs: list = []
    pieces: list[bytes] = [b""]
    nlines = draw(st.integers(1, 3))
    for i in range(nlines):
        for _ in range(draw(st.integers(1, 4))):
            pieces[-1] += draw(junk) + draw(sep)
            a, (lb, tok, la) = draw(address_segment())
            addrs.append(a)
            pieces[-1] += lb
            pieces.append(tok)
            pieces.append(la + draw(sep))
        pieces[-1] += draw(junk)
        if i < nlines - 1 or draw(st.booleans()):  # the last line may lack its newline
            pieces[-1] += draw(st.sampled_from([b"\n", b"\r\n"]))
    return addrs, pieces


# ---------------------------------------------------------------- checking
def secrets(addrs: list, policy: AddressPolicy) -> set[tuple[int, int]]:
    """(version, value) of every input address whose truncation changes it; versions 46-48:
    an IPv4 address embedded in an IPv6 one (6to4, NAT64, Teredo), truncated as IPv4."""
    out: set[tuple[int, int]] = set()
    for a in addrs:
        if isinstance(a, ipaddress.IPv4Address):
            if int(a) & ~policy.v4_mask & 0xFFFFFFFF:
                out.add((4, int(a)))
        elif a.ipv4_mapped is not None:
            if int(a.ipv4_mapped) & ~policy.v4_mask & 0xFFFFFFFF:
                out.update({(4, int(a.ipv4_mapped)), (6, int(a))})
        elif int(a) >> 120 == 0 and re.fullmatch(r"[0-9a-f]{2}(:[0-9a-f]{2}){7}", a.compressed):
            # ::/8 (reserved) written as two-digit groups reads as a MAC-style run, which is
            # left alone (iptables' MAC=, EUI-64): a documented choice, no client has one
            continue
        elif int(a) >> 32 == 0:
            # ::/96 (IPv4-compatible, deprecated by RFC 4291, never a client): its text
            # "::ffff" or "::1:2" is also what every truncated mapped address keeps.
            continue
        else:
            if int(a) & ~policy.v6_mask & ((1 << 128) - 1):
                out.add((6, int(a)))
            e = _embedded_v4(int(a))
            # (Teredo's inverted client: truncated, its host bits read as ones, so one
            # whose host bits are all ones already is not changed by truncation)
            if e is not None and e[1] & ~policy.v4_mask & 0xFFFFFFFF and not (
                e[0] == 48 and e[1] | policy.v4_mask == 0xFFFFFFFF
            ):
                out.add(e)  # found only inside such an IPv6 text, not as dotted IPv4
    return out


def _embedded_v4(v: int) -> tuple[int, int] | None:
    """(kind, IPv4) of the address a 6to4 (kind 46), NAT64 (47) or Teredo (48, inverted)
    address embeds: secrets of their own kind, so that a truncated Teredo address, whose
    client reads 255.255.255.255, is not taken for a plain or 6to4 address."""
    if v >> 112 == 0x2002:
        return 46, (v >> 80) & 0xFFFFFFFF
    if v >> 32 == 0x64FF9B << 64:
        return 47, v & 0xFFFFFFFF
    if v >> 96 == 0x20010000:
        return 48, ~v & 0xFFFFFFFF
    return None


DOTTED = re.compile(rb"[0-9]+(?:\.[0-9]+)+")
NAME_AFTER = re.compile(rb"\.[A-Za-z]")  # a DNS label follows: part of a name
NAME_BEFORE = re.compile(rb"[A-Za-z][.-]?\Z")
HEXRUN = re.compile(rb"[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")


def _v4_windows(out: bytes):  # type: ignore[no-untyped-def]
    for m in DOTTED.finditer(out):
        parts = m.group().split(b".")
        # (only where a DNS label follows: a word before also precedes escapes' digits,
        # "\\x00127.0.0.0", whose glued readings would spell other fields reversed)
        name = NAME_AFTER.match(out, m.end()) is not None
        name = name and not out[max(0, m.start() - 2) : m.start()].lower() == b"ec"  # AWS: forward
        # a first number glued to a word in a run of five or more is the word's ("a1-0-0-0-0")
        word_first = len(parts) >= 5 and m.start() > 0 and chr(out[m.start() - 1]).isalpha()
        for i in range(len(parts) - 3):
            firsts = [parts[i]]
            if i == 0:  # digits glued in front ("%20192.0.2.1", "%200.0.0.1")
                firsts += [parts[0][-k:] for k in (1, 2, 3) if k < len(parts[0])]
            for first in firsts:
                w = [first] + parts[i + 1 : i + 4]
                vals = [int(x) for x in w]
                if all(v <= 255 for v in vals):
                    yield w, (vals[0] << 24) | (vals[1] << 16) | (vals[2] << 8) | vals[3]
                    if name and first is parts[i] and not (word_first and i == 0):  # a name may hold the address in reverse order ("1-2-0-192.rev.example")
                        yield w, (vals[3] << 24) | (vals[2] << 16) | (vals[1] << 8) | vals[0]


PORT_TAIL = re.compile(rb":([0-9]{1,5})[.:]*")


def _v6_candidates(run: bytes):  # type: ignore[no-untyped-def]
    """The readings (start, text) of a run of hex digits, ':' and '.': the whole run,
    without glued leading or trailing punctuation, after any '.', and without a ':PORT'
    tail."""
    n = len(run)
    lead = len(run) - len(run.lstrip(b".:"))
    starts = set(range(lead + 1)) | {k + 1 for k in range(n) if run[k] in (0x2E, 0x3A)}
    # ":::1" reads as "::" port 1 (it is what "[client ::1:1]" becomes), not as "::1".
    starts -= {i for i in range(1, n - 1) if run[i - 1 : i + 2] == b":::"}
    trail = len(run) - len(run.rstrip(b".:"))
    ends = {n - t for t in range(trail + 1)}
    for k in range(n):
        if run[k] == 0x3A and PORT_TAIL.fullmatch(run, k):
            ends.add(k)
        if run[k] in (0x2E, 0x3A):  # a word glued after: "::7:e(rror)", "::7.C(onnection)"
            ends.add(k)
    for i in starts:
        for j in ends:
            if j - i >= 2:
                s = run[i:j]
                if b":" in s:
                    yield i, s


_PARSE_CACHE: dict[bytes, int | None] = {}


def _parse6(s: bytes) -> int | None:
    if s not in _PARSE_CACHE:
        if len(_PARSE_CACHE) > 100_000:
            _PARSE_CACHE.clear()
        try:
            _PARSE_CACHE[s] = int(ipaddress.IPv6Address(s.decode("ascii")))
        except ValueError:
            _PARSE_CACHE[s] = None
    return _PARSE_CACHE[s]


PCT_COLON = re.compile(rb"%(?:25)*3[Aa]")
BS_SEP = re.compile(rb"\\+([.:])")
BYTE_ARRAY = re.compile(rb"\[((?:[0-9]{1,3},)+[0-9]{1,3})\]")


def _array_bytes(m: re.Match[bytes]) -> bytes:
    values = [int(v) for v in m.group(1).split(b",")]
    return b" " + bytes(values) + b" " if max(values) <= 255 else m.group()
ESCAPES = re.compile(rb"\\(?:x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|[A-Za-z])")


def leaks(out: bytes, secret: set[tuple[int, int]], policy: AddressPolicy | None = None) -> list[tuple[tuple[int, int], bytes]]:
    """Every (secret, text) where the text in ``out``, read as it is or with its
    escapes decoded (to a separator), parses back to a secret address."""
    if not secret:
        return []
    readings = {out}
    if b"," in out:  # journald byte arrays, read as the bytes they spell (between separators)
        readings.add(BYTE_ARRAY.sub(_array_bytes, out))
    text = b"".join(readings)
    if b"\\" in text:
        readings |= {ESCAPES.sub(b" ", r) for r in readings}
    if b"%" in text:  # what a URL decoder sees, decoding as often as it takes
        readings |= {PCT_COLON.sub(b":", r) for r in readings}
    if b"\\" in text:  # backslash-escaped dots and colons, as a regular expression reads them
        readings |= {BS_SEP.sub(rb"\1", r) for r in readings}
    if b"-" in text:  # host names: "host-10-105-160-179", "2001-db8--7.ipv6-literal.net"
        # (not in a reverse name's "in-addr": read below in its own order)
        dashed = [ARPA.sub(b" ", r) for r in readings]
        readings |= {r.replace(b"-", b".") for r in dashed} | {r.replace(b"-", b":") for r in dashed}
    # A reverse name is read in its own (reversed) order below, not forward as IPv4
    # windows, which its kept network labels would spell by chance ("...0.0.0.8.b.d.0..."
    # is not the address 0.0.0.8 of another field, nor "0.0.0.192.in-addr.arpa", the
    # name of 192.0.0.0, the address 0.0.0.192).
    found = [leak for r in readings for leak in _leaks_in(ARPA.sub(b" ", r), secret, policy)]
    for m in (m for r in readings for m in ARPA.finditer(r)):  # reverse names, in their own order
        labels = m.group(1)[:-1].split(b".")[::-1]
        if m.group(2).lower() == b"ip6.arpa":
            v = int(b"".join(labels), 16)
            hits = [(6, v)] + ([(4, v & 0xFFFFFFFF)] if v >> 32 == 0xFFFF else [])
            hits += [] if _embedded_v4(v) is None else [_embedded_v4(v)]  # type: ignore[list-item]
        else:
            hits = [(4, val) for w, val in _v4_windows(b".".join(labels))]
        found += [(h, m.group()) for h in hits if h in secret]
    return found


ARPA = re.compile(rb"((?:[0-9]+\.){4,}|(?:[0-9A-Fa-f]\.){32})(in-addr\.arpa|ip6\.arpa)", re.I)
IP6ARPA = re.compile(rb"(?:[0-9A-Fa-f]\.){32}ip6\.arpa", re.I)


def _truncated(v: int, policy: AddressPolicy | None) -> bool:
    """The IPv6 value has no host bits left under the policy (its embedded IPv4 address
    neither: Teredo's client, stored inverted, reads all ones)."""
    if policy is None or v & ~policy.v6_mask & ((1 << 128) - 1):
        return False
    e = _embedded_v4(v)
    if e is None:
        return True
    host = ~policy.v4_mask & 0xFFFFFFFF
    return (e[1] & host) == (host if e[0] == 48 else 0)


def _leaks_in(out: bytes, secret: set[tuple[int, int]], policy: AddressPolicy | None = None) -> list[tuple[tuple[int, int], bytes]]:
    found = []
    for w, v in _v4_windows(out):
        if (4, v) in secret:
            found.append(((4, v), b".".join(w)))
    for m in HEXRUN.finditer(out):
        longest: dict[int, tuple[bytes, int]] = {}
        candidates = []
        for i, s in _v6_candidates(m.group()):
            v = _parse6(s)
            if v is None:
                continue
            candidates.append((i, s))
            if (6, v) in secret:
                found.append(((6, v), s))
            if v >> 32 == 0xFFFF and (4, v & 0xFFFFFFFF) in secret:
                found.append(((4, v & 0xFFFFFFFF), s))
            if i not in longest or len(s) > len(longest[i][0]):
                longest[i] = (s, v)
        for i, s in candidates:
            # An embedded IPv4 address (6to4, NAT64, Teredo) sits at fixed bit positions:
            # a shorter reading of a longer address that is itself fully truncated is that
            # address's output, not a leak ("2001::1" of "2001::1:0:0", a Teredo address
            # truncated, spells a client 255.255.255.254 that the output does not hold).
            e = _embedded_v4(_parse6(s))  # type: ignore[arg-type]
            if e in secret and not (len(longest[i][0]) > len(s) and _truncated(longest[i][1], policy)):
                found.append((e, s))  # type: ignore[arg-type]
    return found


def shape(pieces: list[bytes]) -> re.Pattern[bytes]:
    """Literal pieces exactly, token pieces as a run of token bytes."""
    return re.compile(b"".join(re.escape(p) if i % 2 == 0 else GAP for i, p in enumerate(pieces)), re.S)


def check(addrs: list, pieces: list[bytes], v4: int, v6: int, pure: bool, name: str) -> None:
    policy = AddressPolicy(v4, v6)
    data = b"".join(pieces)
    secret = secrets(addrs, policy)
    # The detector works: the sweep finds every input address in the input itself.
    assert {k for k, _ in leaks(data, secret)} == secret, ("the sweep misses an input address", data)
    out, stats, _ = scrub_block(data, Settings(policy), pure=pure)
    streamer = Streamer(Settings(policy), pure=pure)
    cut = len(data) // 2
    out2 = streamer.feed(data[:cut]) + streamer.feed(data[cut:]) + streamer.finish()
    assert out2 == out
    bad = leaks(out, secret, policy)
    _count(name, examples=1, addresses=len(addrs), secrets=len(secret), leaks=len(bad))
    assert not bad, (data, out, bad)
    assert shape(pieces).fullmatch(out), ("bytes outside addresses changed", data, out)
    assert stats.addresses >= len(addrs), (data, out, stats)


@pytest.mark.parametrize("pure", PATHS)
@given(sample=lines(), v4=st.sampled_from([0, 8, 16, 20, 24, 24, 24, 31]), v6=st.sampled_from([0, 32, 48, 48, 48, 56, 64, 127]))
def test_fail_closed_no_address_survives(sample, v4: int, v6: int, pure: bool) -> None:  # type: ignore[no-untyped-def]
    if not pure and not native_available():
        pytest.skip("scrubber._native is not built")
    addrs, pieces = sample
    check(addrs, pieces, v4, v6, pure, "fail_closed_" + ("pure" if pure else "native"))


@pytest.mark.parametrize("pure", PATHS)
@given(sample=lines())
def test_fail_closed_default_prefixes(sample, pure: bool) -> None:  # type: ignore[no-untyped-def]
    """The defaults (/24, /48) that cron and the Apache pipe use."""
    if not pure and not native_available():
        pytest.skip("scrubber._native is not built")
    addrs, pieces = sample
    check(addrs, pieces, 24, 48, pure, "fail_closed_defaults_" + ("pure" if pure else "native"))


@pytest.mark.parametrize("pure", PATHS)
@given(data=st.binary(max_size=200), v4=st.integers(0, 32), v6=st.integers(0, 128))
def test_any_bytes_no_crash_and_separators_kept(data: bytes, v4: int, v6: int, pure: bool) -> None:
    """Pure random bytes: no exception, and every byte that is not in a token is kept in place."""
    if not pure and not native_available():
        pytest.skip("scrubber._native is not built")
    out, _, _ = scrub_block(data, Settings(AddressPolicy(v4, v6)), pure=pure)
    # (backslashes right before a token count with it: a rewrite may put an escaped
    # separator there, "\\0000:...:0000" -> "\\::", the backslash itself unchanged)
    skeleton = re.compile(rb"\\*" + TOKEN_RUN.pattern)
    assert skeleton.sub(b"T", out) == skeleton.sub(b"T", data)
    _count("random_bytes_" + ("pure" if pure else "native"), examples=1)


@pytest.mark.parametrize("pure", PATHS)
@given(sample=lines(), data=st.data())
def test_restart_cut_fails_closed(sample, data, pure: bool) -> None:  # type: ignore[no-untyped-def]
    """A line cut by a restart: the old process is terminated after reading up to any byte
    (its partial last line flushed with finish(cut=True), as on SIGTERM) and a new one
    reads on from there.  The two outputs, joined, show no address."""
    if not pure and not native_available():
        pytest.skip("scrubber._native is not built")
    addrs, pieces = sample
    blob = b"".join(pieces)
    k = data.draw(st.integers(0, len(blob)), label="cut")
    v4, v6 = data.draw(st.sampled_from([(24, 48), (16, 32), (8, 56), (31, 127)]), label="prefixes")
    settings = Settings(AddressPolicy(v4, v6))
    secret = secrets(addrs, settings.policy)
    old = Streamer(settings, pure=pure, cut_start=True)
    out = old.feed(blob[:k]) + old.finish(cut=True)
    new = Streamer(settings, pure=pure, cut_start=True)
    out += new.feed(blob[k:]) + new.finish()
    bad = leaks(out, secret, settings.policy)
    _count("restart_cut_" + ("pure" if pure else "native"), examples=1, addresses=len(addrs), leaks=len(bad))
    assert not bad, (blob[:k], blob[k:], out, bad)


@pytest.mark.parametrize("pure", PATHS)
@settings(max_examples=5 * settings.default.max_examples)  # one segment each: cheap
@given(segment=address_segment() | address_segment(SEQUENCE_CONTEXTS), data=st.data())
def test_restart_cut_inside_one_address_segment(segment, data, pure: bool) -> None:  # type: ignore[no-untyped-def]
    """The restart cut of the test above, aimed: at any byte of one address and of the
    contexts around it (inside an ANSI sequence, an escape, a "%3A", a byte array, a
    name), so that every cut of every form is tried, not only those a whole line's
    random cut happens to hit."""
    if not pure and not native_available():
        pytest.skip("scrubber._native is not built")
    a, (lit_b, tok, lit_a) = segment
    lead = data.draw(st.sampled_from([b"", b"x ", b"\\x00", b"\\x22", b"\x1b", b"%", b"-", b"."]), label="lead")
    blob = lead + lit_b + tok + lit_a + data.draw(st.sampled_from([b"\n", b" tail\n", b""]), label="end")
    start, end = len(lead) + len(lit_b), len(lead) + len(lit_b) + len(tok)
    # anywhere; in the context just before the address (an ANSI sequence or escape cut
    # open); in the address itself
    k = data.draw(st.integers(0, len(blob)) | st.integers(max(0, start - 8), start) | st.integers(start, end), label="cut")
    v4, v6 = data.draw(st.sampled_from([(24, 48), (16, 32), (8, 56), (31, 127), (0, 0)]), label="prefixes")
    settings = Settings(AddressPolicy(v4, v6))
    secret = secrets([a], settings.policy)
    old = Streamer(settings, pure=pure, cut_start=True)
    out = old.feed(blob[:k]) + old.finish(cut=True)
    new = Streamer(settings, pure=pure, cut_start=True)
    out += new.feed(blob[k:]) + new.finish()
    bad = leaks(out, secret, settings.policy)
    _count("restart_cut_segment_" + ("pure" if pure else "native"), examples=1, leaks=len(bad))
    assert not bad, (blob[:k], blob[k:], out, bad)


@pytest.mark.parametrize("pure", PATHS)
@given(sample=lines(), chunk=st.integers(1, 40), carry=st.integers(1, 40))
def test_long_line_pieces_scrub_as_the_whole(sample, chunk: int, carry: int, pure: bool) -> None:  # type: ignore[no-untyped-def]
    """A line longer than the carry limit is processed in pieces (the streamer's 1 MiB cut,
    here at a few bytes so that every cut position is tried): the output is the whole
    line's, byte for byte, so no address spanning a cut ('-', '%', '\\', ':', '.', an
    escape) can survive it."""
    if not pure and not native_available():
        pytest.skip("scrubber._native is not built")
    _, pieces = sample
    blob = b"".join(pieces)
    whole, stats, _ = scrub_block(blob, Settings(), pure=pure)
    streamer = Streamer(Settings(), pure=pure, max_carry=carry)
    out = b"".join(streamer.feed(blob[i : i + chunk]) for i in range(0, len(blob), chunk)) + streamer.finish()
    _count("long_line_" + ("pure" if pure else "native"), examples=1)
    assert out == whole, (blob, out, whole)
    assert streamer.stats.lines_read == stats.lines_read


def test_zz_record_counts() -> None:
    """Runs last in this module: write the counts (SCRUBBER_REL_COUNTS) and check none leaked."""
    for name, c in sorted(COUNTS.items()):
        record(name, **c)
        assert c.get("leaks", 0) == 0

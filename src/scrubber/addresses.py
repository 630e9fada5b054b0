"""Finding and truncating (or pseudonymising) IP addresses inside log lines.

The unit of work is a *token*: a maximal run of bytes from ``[0-9A-Za-z_.:-]`` (and
URL-encoded colons ``%3A``, also encoded twice or more: ``%253A``, and backslash-escaped
dots and colons ``\\.``, ``\\:``; escapes such as ``\\x22`` before it are separators).
Every other byte (space, quotes, brackets, ``/``, ``,``, ``=``, ``%``,
bytes >= 0x80 ...) separates tokens and is never changed.  A token can only
change if it contains ``::``, at least six ``:``, three ``.`` or three ``-``; the
native matcher (``scrubber._native``) uses exactly that test to decide which
tokens it hands to :func:`scrub_token`, and caches the answer per token, so the
rules below live in one place and the C and Python paths cannot disagree.

Rules inside a token (documented in the README, "What counts as an address"):

IPv6
    Inside the token, take each maximal run of ``[0-9A-Fa-f:.]``.  Strip
    trailing dots, and a single leading or trailing ``:`` that is not part of
    ``::``; call the rest the *core*.  A core that is glued to a letter or
    ``_`` (``std::vector``) is not an address.  A core that contains ``::`` or
    six or more ``:`` is an IPv6 candidate:

    * a valid IPv6 address (any case, leading zeros, embedded IPv4) is
      truncated to ``ipv6_prefix`` bits and written compressed in lower case;
      IPv4-mapped addresses (``::ffff:a.b.c.d``) keep ``::ffff:`` and have the
      IPv4 part truncated to ``ipv4_prefix`` bits;
    * otherwise ``ADDR:PORT`` (Apache 2.4 writes ``[client 2001:db8::1:51234]``)
      where ADDR is a valid IPv6 address and PORT is 1-5 decimal digits: ADDR
      is truncated, ``:PORT`` kept;
    * a text valid both ways (``2001:db8::1:443``: an address, or 2001:db8::1
      port 443) is truncated as one address to 16 bits fewer than
      ``ipv6_prefix`` (at most 64), so that neither reading leaks;
    * otherwise (``2001:db8::1::2``, ``1:2:3:4:5:6:7``) it is
      address-ish but malformed: fail closed, every hex digit becomes ``x``.

IPv4
    In the rest of the token, each maximal dotted-decimal sequence
    ``digits(.digits)+`` with four or more numbers is examined; every window of
    four consecutive numbers that are each <= 255 (leading zeros allowed:
    ``010.001.002.003``) is an address and has its host bits zeroed.  Numbers
    that change are written in plain decimal (after the first number's leading zeros,
    which may be an escape's: ``\\x000.0.0.0`` stays); the others keep their bytes.  So
    ``Chrome/119.0.6045.199`` (6045 > 255) is untouched, ``192.0.2.1:8080``
    becomes ``192.0.2.0:8080`` and ``1.2.3.4.5`` becomes ``1.2.3.0.0`` (fail
    closed: a version number that contains an address loses it).
"""

from __future__ import annotations

import ipaddress
import re
from collections import namedtuple

from .lazy_re import lazy

__all__ = [
    "AddressPolicy",
    "scrub_token",
    "scrub_text_py",
    "token_needs_check",
]

# Which bytes make up a token (must match _native.c's TOKEN table).
# An escape before a token is a separator, as a decoder would read it: "\\x22",
# "\\u003c", "\\n" (a backslash and a letter g-z).  A token may start right after one.
# When a hex digit, '.', ':', '-', '%' or an escaped '.' or ':' ("\\u2002\\:0\\:1\\:\\:")
# follows, the hex digits may be the address's own
# ("\\u2001:db8::7", "\\x010.0.0.1" raw): then only the backslash and the letter are a
# separator, and the glued-digit rules below read the token both ways (fail closed).
_ESCAPE = rb"\\(?:x[0-9A-Fa-f]{2}(?![0-9A-Fa-f.:%-]|\\+[.:])|u[0-9A-Fa-f]{4}(?![0-9A-Fa-f.:%-]|\\+[.:])|[G-Zg-z])"
# A URL-encoded colon ("%3A", "%3a") is a colon inside a token: an IPv6 address in a
# query string or referer is read as a URL decoder sees it, and rewritten encoded.  So is
# one encoded twice or more ("%253A": a URL inside a URL's query, and CloudFront's logs,
# which encode the '%' of a referer or query once more).
# '-' is a token byte too: host names made from addresses ("host-10-105-160-179").
_PCT_COLON = rb"%(?:25)*3[Aa]"
_PCT_COLON_RE = lazy(globals(), "_PCT_COLON_RE", _PCT_COLON)
# A dot or colon after backslashes is one too: a regular expression's "^192\\.0\\.2\\.1$"
# (mod_rewrite's trace log, ModSecurity, fail2ban; "\\\\." once a logger escapes the
# backslash), a Lucene query's "2001\\:db8\\:\\:7" (Elasticsearch slow logs).
_BS_SEP = rb"\\+[.:]"
_BS_SEP_RE = lazy(globals(), "_BS_SEP_RE", rb"\\+([.:])")
_UNIT = rb"(?:[\w.:-]|" + _PCT_COLON + rb"|" + _BS_SEP + rb")"
# journalctl -o json writes a field holding a control byte or invalid UTF-8 (an ANSI colour,
# a user name an attacker chose) as the array of its byte values, "MESSAGE":[70,97,...]: an
# array of seven or more numbers is one token, read as the bytes it spells
# (_scrub_byte_array) and written back as numbers.  Never cut apart (core._LAST_SEPARATOR).
_BYTE_ARRAY = rb"\[(?:[0-9]{1,3},){6,}[0-9]{1,3}\]"
# An ANSI terminal sequence (colours: ESC "[1m", ESC "[0;31m"), raw or escaped as a log
# writer or JSON does ("\\x1b[", "\\u001b["), is a separator: a token starts right after
# its final byte, which would else glue to the address ("\x1b[1m2001:db8:85a3:8d3::7" kept
# 8d3 as the address "db8:85a3:8d3::7" after a word "1m2001").  ECMA-48's parameter bytes
# are 0x30-0x3F (digits and ":;<=>?": "\x1b[38:5:196m", "\x1b[>4;2m"), its final byte
# 0x40-0x7E; ':' only before an 'm' (colours' sub-parameters), so that ESC before a
# bracketed address ("\x1b[::ffff:0:1]") is not read as a sequence ending in its 'f'.
# (Intermediate bytes, which colours never use, are not read: the sequence then stays a
# word and its token is read as one.)  In TOKEN_RE it takes the
# token after it along (group "after"), as a look-behind cannot have its variable width.
_CSI = rb"(?:\x1b|\\x1[bB]|\\u001[bB])\[(?:[0-9;<=>?]*[@-~]|[0-?]*m)"
_BODY = _UNIT + rb"*(?:[.:-]|" + _PCT_COLON + rb"|" + _BS_SEP + rb")" + _UNIT + rb"*"
TOKEN_RE = lazy(
    globals(),
    "TOKEN_RE",
    _BYTE_ARRAY
    + rb"|(?P<csi>" + _CSI + rb")(?P<after>" + _BODY + rb")?"
    + rb"|" + _ESCAPE
    + rb"|(?:(?<![\w.:-])|(?<=\\x[0-9A-Fa-f]{2})|(?<=\\u[0-9A-Fa-f]{4})|(?<=\\[G-Zg-z]))"
    + _BODY
)
# Host names made from addresses: four or more whole dash-separated numbers
# ("customer-187-141-143-180-sta", "ec2-198-51-100-7"), and reverse names, whose
# numbers are in reverse order ("7.100.51.198.in-addr.arpa", ip6.arpa nibbles).
# Numbers glued to a word before them count ("ip10-0-0-1"); in AWS's "ec2-198-51-100-7"
# the 2 is the name's.
_DASHED_RE = lazy(globals(), "_DASHED_RE", rb"(?<![0-9])[0-9]+(?:-[0-9]+){3,}(?![0-9])")
# The order of a dashed name's numbers is known only where the naming is documented
# forward; anywhere else (ISPs write both "1-2-0-192.rev.example" and "192-0-2-1.dyn")
# both readings are truncated, so that no host octet survives under either.
_FORWARD_SUFFIXES = (b".sslip.io", b".nip.io", b".amazonaws.com", b".ec2.internal", b".compute.internal")
# A dotted quad followed by a DNS label is a name too ("7.100.51.198.bc.googleusercontent.com").
_NAME_AFTER_RE = lazy(globals(), "_NAME_AFTER_RE", rb"\.[A-Za-z]")
_FORWARD_DOTTED = (b".sslip.io", b".nip.io")
# Dashed IPv6 (Microsoft's UNC form "2001-db8-85a3--7.ipv6-literal.net", zone as
# "s<zone>": "fe80--1s4"): a run of hex digits and '-' inside one DNS label.
_DASHED6_RE = lazy(globals(), "_DASHED6_RE", rb"[0-9A-Fa-f]*-[0-9A-Fa-f-]*")
_DEC_GROUPS_RE = lazy(globals(), "_DEC_GROUPS_RE", rb"(?<![0-9A-Za-z])[0-9]+(?:-[0-9]+){3,}(?![0-9A-Za-z])")  # whole groups
_ZONE_RE = lazy(globals(), "_ZONE_RE", rb"[sS][0-9A-Za-z]+(?=$|\.)")
_ARPA4_RE = lazy(globals(), "_ARPA4_RE", rb"(?<![0-9])((?:[0-9]+\.){4,})(in-addr\.arpa)", re.IGNORECASE)
_ARPA6_RE = lazy(globals(), "_ARPA6_RE", rb"((?:[0-9A-Fa-f]\.){32})(ip6\.arpa)", re.IGNORECASE)
_HEXRUN_RE = lazy(globals(), "_HEXRUN_RE", rb"[0-9A-Fa-f:.]+")
_DOTTED_RE = lazy(globals(), "_DOTTED_RE", rb"[0-9]+(?:\.[0-9]+)+")
_PORT_RE = lazy(globals(), "_PORT_RE", rb"(.*):([0-9]{1,5})")
_DOT_PORT_RE = lazy(globals(), "_DOT_PORT_RE", rb"(.*)\.([0-9]{1,5})")
_HEX_DIGIT_RE = lazy(globals(), "_HEX_DIGIT_RE", rb"[0-9A-Fa-f]")
_HEX_GROUP_RE = lazy(globals(), "_HEX_GROUP_RE", rb"[0-9A-Fa-f]+")
_WORD_BYTES = frozenset(b"GHIJKLMNOPQRSTUVWXYZghijklmnopqrstuvwxyz_")
_DIGITS = frozenset(b"0123456789")
_ALNUM = frozenset(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


class AddressPolicy(namedtuple("_AddressPolicy", "ipv4_prefix ipv6_prefix hash_key")):
    """How addresses are rewritten: truncation, or keyed pseudonyms (immutable)."""

    __slots__ = ()
    ipv4_prefix: int
    ipv6_prefix: int
    hash_key: bytes | None

    def __new__(cls, ipv4_prefix: int = 24, ipv6_prefix: int = 48, hash_key: bytes | None = None) -> "AddressPolicy":
        if not 0 <= ipv4_prefix <= 32:
            raise ValueError(f"ipv4_prefix must be 0..32, not {ipv4_prefix}")
        if not 0 <= ipv6_prefix <= 128:
            raise ValueError(f"ipv6_prefix must be 0..128, not {ipv6_prefix}")
        return super().__new__(cls, ipv4_prefix, ipv6_prefix, hash_key)

    @property
    def v4_mask(self) -> int:
        return (0xFFFFFFFF << (32 - self.ipv4_prefix)) & 0xFFFFFFFF

    @property
    def v6_mask(self) -> int:
        full = (1 << 128) - 1
        return (full << (128 - self.ipv6_prefix)) & full

    # -- pseudonyms -------------------------------------------------------
    def _digest(self, canonical: str) -> bytes:
        import hashlib
        import hmac

        assert self.hash_key is not None
        return hmac.new(self.hash_key, canonical.encode("ascii"), hashlib.sha256).digest()

    def v4_text(self, value: int) -> bytes:
        """Replacement text for a whole IPv4 address given as an integer."""
        if self.hash_key is not None:
            # 240.0.0.0/4 is reserved ("class E"): never a real client.
            d = int.from_bytes(self._digest(str(ipaddress.IPv4Address(value)))[:4], "big")
            return str(ipaddress.IPv4Address(0xF0000000 | (d & 0x0FFFFFFF))).encode()
        return str(ipaddress.IPv4Address(value & self.v4_mask)).encode()

    def v6_text(self, addr: ipaddress.IPv6Address) -> bytes:
        mapped = addr.ipv4_mapped
        if mapped is not None:
            return b"::ffff:" + self.v4_text(int(mapped))
        if self.hash_key is not None:
            # 2001:db8::/32 is the documentation prefix: never a real client.
            d = int.from_bytes(self._digest(addr.compressed)[:12], "big")
            value = (0x20010DB8 << 96) | d
            return ipaddress.IPv6Address(value).compressed.encode()
        return ipaddress.IPv6Address(self.v6_embedded(int(addr), int(addr) & self.v6_mask)).compressed.encode()

    def v6_embedded(self, original: int, value: int) -> int:
        """``value`` (``original`` truncated as IPv6) with the host bits of an IPv4 address
        that ``original`` embeds zeroed too, so that no IPv6 prefix keeps more of it than
        ``ipv4_prefix``: 6to4 (2002:AABB:CCDD::/48 holds AA.BB.CC.DD, whole at /48), and
        the low 32 bits of NAT64 (64:ff9b::/96) and Teredo (2001::/32, the client's
        address inverted) addresses, kept only above /96."""
        inv = ~self.v4_mask & 0xFFFFFFFF
        if original >> 112 == 0x2002:
            value &= ~(inv << 80)
        if (
            (original >> 32) & 0xFFFF == 0xFFFF
            # "5b::ffff:c000:a" after an escape "\\x5B" reads as ::ffff:192.0.0.10 too:
            # its IPv4 tail is truncated as IPv4 as well (a no-op at /96 and below).
            # NAT64, also with an escape's two hex digits glued in front ("\\x10" + "64:ff9b::2")
            or ((original >> 112) & 0xFF == 0x64 and (original >> 32) & ((1 << 80) - 1) == 0xFF9B << 64)
            or original >> 96 == 0x20010000
        ):
            value &= ~inv
        return value


def _url_decoded(tok: bytes) -> bytes:
    if b"\\" in tok:
        tok = _BS_SEP_RE.sub(rb"\1", tok)
    return _PCT_COLON_RE.sub(b":", tok) if b"%" in tok else tok


_BS_UNIT_RE = lazy(globals(), "_BS_UNIT_RE", rb"\\+[.:]|.", re.S)


def _reescaped(rep: bytes, tok: bytes) -> bytes:
    """``rep`` (the rewrite of ``tok`` without its backslashes) with them put back: what
    ``rep`` shares with the start and the end of the unescaped token keeps its bytes (so
    a label's "ip:" stays as it was), and in the rewritten middle every dot or colon takes
    the token's first escaped form of it."""
    units = _BS_UNIT_RE.findall(tok)  # one per byte of the unescaped token
    plain = b"".join(u[-1:] for u in units)
    n = min(len(plain), len(rep))
    i = 0
    while i < n and plain[i] == rep[i]:
        i += 1
    j = 0
    while j < n - i and plain[-1 - j] == rep[-1 - j]:
        j += 1
    middle = rep[i : len(rep) - j]
    for ch in (b".", b":"):
        form = next((u for u in units if len(u) > 1 and u.endswith(ch)), None)
        if form is not None:
            middle = middle.replace(ch, form)
    return b"".join(units[:i]) + middle + b"".join(units[len(units) - j :])


def token_needs_check(tok: bytes) -> bool:
    """The cheap pre-filter: can :func:`scrub_token` change this token at all?"""
    tok = _url_decoded(tok)
    return (
        b"::" in tok
        or tok.count(b":") >= 6
        or tok.count(b".") >= 3
        or tok.count(b"-") >= 3
        or b"--" in tok  # a dashed IPv6 name ("fe80--1")
    )


def _parse_v6(core: bytes) -> ipaddress.IPv6Address | None:
    try:
        return ipaddress.IPv6Address(core.decode("ascii"))
    except ValueError:
        return None


# Six or more groups of exactly two hex digits and no "::": a MAC-style run (iptables'
# and ufw's MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00, EUI-64 00:11:22:ff:fe:33:44:55),
# not an address: one written so would lie in ::/8, which RFC 4291 reserves (no client
# has one; IPv4-mapped and -compatible addresses need a group 0000 or ffff).
_MAC_RUN_RE = lazy(globals(), "_MAC_RUN_RE", rb"[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5,}")


def _scrub_v6_core(core: bytes, policy: AddressPolicy) -> tuple[bytes, int]:
    if _MAC_RUN_RE.fullmatch(core):
        return core, 0
    addr = _parse_v6(core)
    m = _PORT_RE.fullmatch(core)
    if addr is not None:
        if (
            policy.hash_key is None
            and m is not None
            and m.group(1).count(b":") >= 2
            and _parse_v6(m.group(1)) is not None
        ):
            # Ambiguous: "2001:db8::1:80" is an address, and also 2001:db8::1 port 80.
            # Where both readings truncate to the same text, that text is exact
            # ("[client 2001:db8:4f2e:17::d00d:443]" at /48); else keep 16 bits
            # fewer (at most 64), so that neither reading leaks.
            exact = policy.v6_text(addr)
            if exact == policy.v6_text(_parse_v6(m.group(1))):  # type: ignore[arg-type]
                return exact, 1
            cap = max(0, min(policy.ipv6_prefix - 16, 64))
            full = (1 << 128) - 1
            value = policy.v6_embedded(int(addr), int(addr) & ((full << (128 - cap)) & full))
            return ipaddress.IPv6Address(value).compressed.encode(), 1
        return policy.v6_text(addr), 1
    if m is not None and m.group(1).count(b":") >= 2:
        addr = _parse_v6(m.group(1))
        if addr is not None:
            return policy.v6_text(addr) + b":" + m.group(2), 1
    # A first group of more than four hex digits may be a group glued to an escape
    # before it ("%222001:db8::7", "\\b2001:..."): read its longest valid suffix.  The
    # readings share every other group; below /16 they differ, so fail closed.
    head, colon, rest = core.partition(b":")
    if len(head) > 4 and colon and policy.ipv6_prefix >= 16 and b"." not in head:
        for k in (4, 3, 2, 1):
            cand = head[-k:] + b":" + rest
            if _parse_v6(cand) is not None or (
                (pm := _PORT_RE.fullmatch(cand)) is not None and _parse_v6(pm.group(1)) is not None
            ):
                rep, c = _scrub_v6_core(cand, policy)
                return head[:-k] + rep, c
    # "ADDR.PORT", as tcpdump and BSD netstat write an IPv6 address and its port
    # ("2001:db8::7.443 > ..."): no other reading holds an address, so ADDR is truncated.
    pm = _DOT_PORT_RE.fullmatch(core)
    if pm is not None and b"." not in pm.group(1) and int(pm.group(2)) <= 65535:
        if _parse_v6(pm.group(1)) is not None:  # (its own ":PORT" reading is decided there)
            rep, c = _scrub_v6_core(pm.group(1), policy)
            return rep + b"." + pm.group(2), c
    # Address-ish but malformed: fail closed.
    return _HEX_DIGIT_RE.sub(b"x", core), 1


def _scrub_dotted(
    seq: bytes, policy: AddressPolicy, sep: bytes = b".", glue: bool = True, both_orders: bool = False
) -> tuple[bytes, int]:
    """Truncate every four-number window of ``seq``; ``both_orders``: the numbers may be
    in reverse order too (a host name of unknown convention), so truncate both readings."""
    parts = seq.split(sep)
    n = len(parts)
    values: list[int | None] = []
    for p in parts:
        s = p.lstrip(b"0")
        v = int(s) if s and len(s) <= 3 else 0 if not s else 256
        values.append(v if v <= 255 else None)
    both_orders = both_orders and policy.hash_key is None and policy.ipv4_prefix < 32
    # The first number's leading zeros may be an escape's digits ("\\x00" + "0.0.0.0" is
    # "\\x000.0.0.0"): they are kept in front of its new value, so the escape stays whole.
    lead = parts[0][: len(parts[0]) - len(parts[0].lstrip(b"0") or b"0")]
    if n == 4 and None not in values and not both_orders and (
        policy.hash_key is not None or not any(len(p) > 1 and p[:1] == b"0" for p in parts)
    ):
        v = (values[0] << 24) | (values[1] << 16) | (values[2] << 8) | values[3]  # type: ignore[operator]
        return lead + policy.v4_text(v).replace(b".", sep), 1
    # A first number over 255 may be an octet glued to digits before it, as in a
    # URL-encoded "%20192.0.2.1" or "%278.8.8.8" ("'8.8.8.8'"): use its longest
    # suffix <= 255.  Every reading shares the other three octets; below /8 the
    # readings' first octets differ, so the glued number is zeroed whole.
    glued = b""
    if glue and values[0] is None and len(parts[0]) > 1:
        p0 = parts[0]
        for k in (3, 2, 1):
            tail = p0[-k:]
            if len(tail) == k and int(tail) <= 255:
                glued, parts[0], values[0] = p0[:-k], tail, int(tail)
                break
        if glued and policy.ipv4_prefix < 8 and policy.hash_key is None:
            glued, parts[0], values[0] = b"0" * len(glued), b"0" * len(parts[0]), 0
    # Zero the host bits of every window of four numbers that is an address.
    new = list(values)
    found = 0
    mask = policy.v4_mask
    for i in range(n - 3):
        w = values[i : i + 4]
        if None in w:
            continue
        found += 1
        v = (w[0] << 24) | (w[1] << 16) | (w[2] << 8) | w[3]  # type: ignore[operator]
        t = v & mask
        # In reverse order the window's first number is the address's last.
        rt = ((w[3] << 24) | (w[2] << 16) | (w[1] << 8) | w[0]) & mask if both_orders else 0  # type: ignore[operator]
        for j in range(4):
            tj = (t >> (24 - 8 * j)) & 0xFF
            if both_orders:
                tj = min(tj, (rt >> (8 * j)) & 0xFF)
            cur = new[i + j]
            assert cur is not None
            if tj < cur:
                new[i + j] = tj
    if not found:
        return seq, 0
    out = [parts[k] if new[k] == values[k] else str(new[k]).encode() for k in range(n)]
    if new[0] != values[0] and not glued:
        out[0] = lead + out[0]
    if glued and new[0] != values[0]:
        # Three digits, so that the glued digits and the zeroed number cannot read back
        # as the old one ("2" + "210" must not become "2" + "0": "20").
        out[0] = out[0].zfill(3)
    return glued + sep.join(out), found


def _scrub_v4_in(segment: bytes, policy: AddressPolicy) -> tuple[bytes, int]:
    if segment.count(b".") < 3:
        return segment, 0
    pieces: list[bytes] = []
    count = 0
    pos = 0
    for m in _DOTTED_RE.finditer(segment):
        seq = m.group()
        if seq.count(b".") < 3:
            continue
        # Followed by a DNS label, the quad is part of a name whose order is not known
        # ("7.100.51.198.bc.googleusercontent.com" is reversed, "10.0.0.1.nip.io" not).
        name = _NAME_AFTER_RE.match(segment, m.end()) is not None
        both = name and not segment[m.end() :].lower().endswith(_FORWARD_DOTTED)
        rep, c = _scrub_dotted(seq, policy, both_orders=both)
        if c:
            pieces.append(segment[pos : m.start()])
            pieces.append(rep)
            pos = m.end()
            count += c
    if not count:
        return segment, 0
    pieces.append(segment[pos:])
    return b"".join(pieces), count


def _named_forward(head: bytes, tail: bytes) -> bool:
    """Is a dashed address between ``head`` and ``tail`` in a name documented forward?"""
    h = head.lower()
    if h.endswith(b"ec2-") and (len(h) == 4 or h[-5] not in _ALNUM):  # AWS public names
        return True
    t = tail.lower()
    return t.startswith((b".", b"-")) and t.endswith(_FORWARD_SUFFIXES)


def _dashed6_span(tok: bytes, s: int, e: int) -> tuple[int, int] | None:
    """The span of a dashed IPv6 address in the hex-and-dash run tok[s:e], or None."""
    first = tok.find(b"-", s, e) - s
    if first > 4:
        # Hex digits glued in front may be an escape's ("\\x5B2001-db8--7"): the first
        # group is the last four, as for a colon-separated address.
        s += first - 4
    elif s > 0 and tok[s - 1] in _WORD_BYTES:  # "ip6-2001-db8--7": the label's word is not address
        s += first
    if e < len(tok) and tok[e] in _WORD_BYTES and _ZONE_RE.match(tok, e) is None:
        while e > s and tok[e - 1] != 0x2D:  # glued word after: "...--7-abcx" keeps "abcx"
            e -= 1
    if e - s >= 1 and tok[s] == 0x2D and not (e - s >= 2 and tok[s + 1] == 0x2D):
        s += 1
    if e - s >= 1 and tok[e - 1] == 0x2D and not (e - s >= 2 and tok[e - 2] == 0x2D):
        e -= 1
    core = tok[s:e]
    if b"--" not in core and core.count(b"-") < 7:
        return None
    groups = core.split(b"-")
    if b"--" not in core and len(groups) > 8:
        # More than eight groups ("6-0-a-0-1-0-a0-0-1" when a cut left "ip6"'s digit):
        # any eight in a row may be the address; _scrub_dashed6 truncates every reading.
        if all(0 < len(g) <= 4 and _HEX_GROUP_RE.fullmatch(g) for g in groups) and not all(
            g.isdigit() and int(g) <= 255 for g in groups
        ):
            return s, e
        return None
    if any(len(g) > 4 for g in groups) or _parse_v6(core.replace(b"-", b":")) is None:
        return None
    zone = _ZONE_RE.match(tok, e)
    after = tok[zone.end() if zone is not None else e :]
    if sum(1 for g in groups if g) < 2 and not (
        after.lower().startswith(b".ipv6-literal.net")
        or _NAME_AFTER_RE.match(after) is not None
    ):
        # "--add", "cafe--": an option or a word, unless in a host name, where the label
        # ends with the address (and zone) and a DNS label follows: Microsoft's domain,
        # "ip6-100--.example" (100::), "100--s4.example" (100:: zone 4).
        return None
    if b"--" not in core and all(g.isdigit() and int(g) <= 255 for g in groups):
        return None  # eight decimal numbers: two dashed IPv4 addresses, read as such
    return s, e


def _scrub_dashed6(core: bytes, policy: AddressPolicy) -> bytes:
    """The dashed IPv6 rewrite, with every run of four or more decimal groups it keeps
    ("0000-0001-0000-0000" of 0:1:: at /32) also truncated as a dashed IPv4 name in both
    orders: such a run reads as one, and must not spell an address under that reading."""
    out = _scrub_dashed6_groups(core, policy)
    if policy.hash_key is not None or policy.ipv4_prefix >= 32:
        return out
    return _DEC_GROUPS_RE.sub(lambda m: _scrub_dotted(m.group(), policy, b"-", glue=False, both_orders=True)[0], out)


def _scrub_dashed6_groups(core: bytes, policy: AddressPolicy) -> bytes:
    """Truncate a dashed IPv6 address, written back dashed, in hex groups (never dotted),
    compressed only if it was, padded to four digits if every group was, in its case."""
    groups_in = core.split(b"-")
    if b"--" not in core and len(groups_in) > 8:
        vals = [int(g, 16) for g in groups_in]
        new = list(vals)
        mask = policy.v6_mask
        for i in range(len(vals) - 7):
            v = 0
            for g in vals[i : i + 8]:
                v = (v << 16) | g
            t = policy.v6_embedded(v, v & mask)
            for j in range(8):
                new[i + j] &= (t >> (16 * (7 - j))) & 0xFFFF
        out = b"-".join(g if n == o else f"{n:x}".encode() for g, n, o in zip(groups_in, new, vals))
        return out.upper() if re.search(rb"[A-F]", core) and not re.search(rb"[a-f]", core) else out
    addr = _parse_v6(core.replace(b"-", b":"))
    assert addr is not None
    value = int(ipaddress.IPv6Address(policy.v6_text(addr).decode("ascii")))
    groups = [(value >> (16 * (7 - i))) & 0xFFFF for i in range(8)]
    padded = b"--" not in core and all(len(g) == 4 for g in core.split(b"-"))
    texts = [f"{g:04x}" if padded else f"{g:x}" for g in groups]
    best, run, start = (0, 0), 0, 0
    for i, g in enumerate(groups + [1]):  # the first longest run of zero groups
        if g == 0:
            start, run = (i, 1) if run == 0 else (start, run + 1)
        else:
            best, run = ((start, run) if run > best[1] else best), 0
    if b"--" in core and best[1] >= 2:
        i, n = best
        text = ":".join(texts[:i]) + "::" + ":".join(texts[i + n :])
    else:
        text = ":".join(texts)
    text = text.replace(":", "-")
    out = text.encode("ascii")
    if re.search(rb"[A-F]", core) and not re.search(rb"[a-f]", core):
        out = out.upper()
    return out


def _v6_core_span(tok: bytes, start: int, end: int) -> tuple[int, int] | None:
    """Given a hex run tok[start:end], return the span of its IPv6 candidate core."""
    s, e = start, end
    # A colon after a word is a separator: in "ipv6:2001:db8::7" or "source:..." the
    # run starts inside the label ("6:", "ce:"); the label's hex tail is not address.
    if s > 0 and tok[s - 1] in _WORD_BYTES:
        while s < e and tok[s] != 0x3A:
            s += 1
    # Likewise text glued after ("...::7:error", "...::7.Connection"): the hex head
    # of the word is not address.
    if e < len(tok) and tok[e] in _WORD_BYTES:
        while e > s and tok[e - 1] not in (0x3A, 0x2E):
            e -= 1
    while e > s and tok[e - 1] == 0x2E:  # trailing dots
        e -= 1
    if e - s >= 1 and tok[s] == 0x3A and not (e - s >= 2 and tok[s + 1] == 0x3A):
        s += 1
    if e - s >= 1 and tok[e - 1] == 0x3A and not (e - s >= 2 and tok[e - 2] == 0x3A):
        e -= 1
    if e <= s:
        return None
    core = tok[s:e]
    if b"::" not in core and core.count(b":") < 6:
        return None
    glued = (s > 0 and tok[s - 1] in _WORD_BYTES) or (e < len(tok) and tok[e] in _WORD_BYTES)
    if glued and core == b"::":  # "std::vector": nothing of an address is left
        return None
    return s, e


def _word_may_keep(seq: bytes, policy: AddressPolicy) -> bool:
    """Whether the first number of a dashed run glued to a word ("ec2-198-51-100-7") may be
    left to the word. Only when every reading that counts it as an address keeps it too:
    the first octet of an IPv4 address (kept at /8 and longer) and, for a run of eight, the
    first group of a dashed IPv6 address (kept at /16 and longer: "host-0100-0000-...-0000"
    is 100:: to a reader of IPv6 names). Shorter prefixes truncate the number with the rest."""
    if policy.ipv4_prefix < 8:
        return False
    return seq.count(b"-") != 7 or policy.ipv6_prefix >= 16


def _scrub_byte_array(tok: bytes, policy: AddressPolicy) -> tuple[bytes, int]:
    """"[49,46,50,...]": scrub the bytes the numbers spell, write them back as numbers."""
    values = [int(v) for v in tok[1:-1].split(b",")]
    if max(values) > 255:
        return tok, 0
    out, count = scrub_text_py(bytes(values), TokenCache(policy))
    if not count:
        return tok, 0
    return b"[" + b",".join(str(b).encode() for b in out) + b"]", count


def scrub_token(tok: bytes, policy: AddressPolicy) -> tuple[bytes, int]:
    """Rewrite every address inside one token; return (new token, addresses found)."""
    if tok[:1] == b"[":  # a byte array (_BYTE_ARRAY)
        return _scrub_byte_array(tok, policy)
    if not token_needs_check(tok):
        return tok, 0
    if b"arpa" in tok or b"ARPA" in tok or b"Arpa" in tok:
        for rx, rev in ((_ARPA4_RE, _scrub_arpa4), (_ARPA6_RE, _scrub_arpa6)):
            m = rx.search(tok)
            if m is not None:
                head, hc = scrub_token(tok[: m.start()], policy)
                mid, mc = rev(m.group(1), policy)
                tail, tc = scrub_token(tok[m.end(1) :], policy)
                return head + mid + tail, hc + mc + tc
    if b"--" in tok or tok.count(b"-") >= 7:
        for m in _DASHED6_RE.finditer(tok):
            span = _dashed6_span(tok, m.start(), m.end())
            if span is not None:
                s, e = span
                head, hc = scrub_token(tok[:s], policy)
                tail, tc = scrub_token(tok[e:], policy)
                return head + _scrub_dashed6(tok[s:e], policy) + tail, hc + 1 + tc
    if b"-" in tok and tok.count(b"-") >= 3:
        # Every run, not only the first: one with no address ("1-800-555-1234") may come
        # before one that is ("...-from-192-0-2-33").
        for m in _DASHED_RE.finditer(tok):
            start, seq = m.start(), m.group()
            # A first number glued to a word may be the word's or the address's: both
            # readings count ("host-192-0-2-33-80", "ip10-0-0-1-5"; and a word's letters may
            # be an escape's hex digits, "\\x0A" + "0-0-0-1-80"), but for AWS's documented
            # "ec2-A-B-C-D", whose 2 is the name's.
            if (
                seq[:2] == b"2-"
                and tok[max(0, start - 2) : start].lower() == b"ec"
                and seq.count(b"-") >= 4
                and _word_may_keep(seq, policy)
            ):
                start, seq = start + 2, seq[2:]
            head_t, tail_t = tok[:start], tok[m.end() :]
            both = not _named_forward(head_t, tail_t)
            head, hc = scrub_token(head_t, policy)
            mid, mc = _scrub_dotted(seq, policy, b"-", both_orders=both)  # "\\x2210-1-2-3.dyn": glued digits
            tail, tc = scrub_token(tail_t, policy)
            if mc:
                return head + mid + tail, hc + mc + tc
    if b"\\" in tok:  # backslash-escaped dots and colons: scrub them unescaped
        unescaped = _BS_SEP_RE.sub(rb"\1", tok)
        if unescaped != tok:  # else it would recurse on itself for ever ("1.2.3.4\\")
            rep, c = scrub_token(unescaped, policy)
            return (_reescaped(rep, tok), c) if c else (tok, 0)
    # URL-encoded colons: scrub what a decoder sees, write it encoded.  A part cut from a
    # token above may hold a '%' whose "3A" went with the other part ("1.2.3.4%" of
    # "1.2.3.4%3A1--1"): decoding changes nothing there, and it is read as it stands
    # (recursing on it again never ended).
    decoded = _url_decoded(tok) if b"%" in tok else tok
    if decoded != tok:
        rep, c = scrub_token(decoded, policy)
        if not c:
            return tok, 0
        encs = _PCT_COLON_RE.findall(tok)  # written back in the token's own encoding
        return rep.replace(b":", next((e for e in encs if e.endswith(b"A")), encs[0])), c
    pieces: list[bytes] = []
    count = 0
    pos = 0
    if b"::" in tok or tok.count(b":") >= 6:
        for m in _HEXRUN_RE.finditer(tok):
            span = _v6_core_span(tok, m.start(), m.end())
            if span is None:
                continue
            s, e = span
            rep, c = _scrub_v6_core(tok[s:e], policy)
            seg, c4 = _scrub_v4_in(tok[pos:s], policy)
            pieces.append(seg)
            pieces.append(rep)
            count += c + c4
            pos = e
    seg, c4 = _scrub_v4_in(tok[pos:], policy)
    if not count and not c4:
        return tok, 0
    pieces.append(seg)
    return b"".join(pieces), count + c4


def _scrub_arpa4(labels: bytes, policy: AddressPolicy) -> tuple[bytes, int]:
    """"7.100.51.198." (reverse order): truncate as 198.51.100.7, write reversed."""
    nums = labels[:-1].split(b".")
    glued = b""
    first = nums[0].lstrip(b"0") or b"0"
    if len(first) > 3 or int(first) > 255:  # digits glued in front, as after "\\x22"
        for k in (3, 2, 1):
            if int(nums[0][-k:]) <= 255:
                glued, nums[0] = nums[0][:-k], nums[0][-k:]
                break
    rep, c = _scrub_dotted(b".".join(nums[::-1]), policy, glue=False)
    labels = rep.split(b".")[::-1]
    if glued and c:
        # Three digits, so that the glued digits and the host label cannot read back as
        # the old host ("\\x22" + "220..." must not become "\\x22" + "0...": "220" again).
        labels[0] = labels[0].zfill(3)
    return glued + b".".join(labels) + b".", c


def _scrub_arpa6(nibbles: bytes, policy: AddressPolicy) -> tuple[bytes, int]:
    """32 reversed nibbles: truncate the address they spell, write it the same way."""
    addr = ipaddress.IPv6Address(int(nibbles[::-1].replace(b".", b"").decode(), 16))
    value = int(ipaddress.IPv6Address(policy.v6_text(addr).decode()))
    return b"".join(c.encode() + b"." for c in reversed(f"{value:032x}")), 1


class TokenCache:
    """Bounded memo of token -> (replacement, count) for one policy."""

    LIMIT = 65536

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy
        self.table: dict[bytes, tuple[bytes, int]] = {}

    def __call__(self, tok: bytes) -> tuple[bytes, int]:
        return scrub_token(tok, self.policy)

    def lookup(self, tok: bytes) -> tuple[bytes, int]:
        hit = self.table.get(tok)
        if hit is None:
            if len(self.table) >= self.LIMIT:
                self.table.clear()
            hit = self.table[tok] = scrub_token(tok, self.policy)
        return hit


def scrub_text_py(line: bytes, cache: TokenCache) -> tuple[bytes, int]:
    """Pure-Python: rewrite every address in ``line`` (any bytes, any length)."""
    count = 0

    def repl(m: re.Match[bytes]) -> bytes:
        nonlocal count
        tok = m.group()
        if m.start("csi") >= 0:  # an ANSI sequence, and the token right after it if any
            after = m.group("after")
            if after is None or not token_needs_check(after):
                return tok
            rep, c = cache.lookup(after)
            count += c
            return m.group("csi") + rep
        if tok[0] == 0x5B:  # a byte array: not cached (up to 4 KiB each, and rare)
            rep, c = _scrub_byte_array(tok, cache.policy)
            count += c
            return rep
        # an escape ("\\x22", "\\n"; a token may start with "\\." too), or nothing to do
        if (tok[0] == 0x5C and tok[1] not in b"\\.:") or not token_needs_check(tok):
            return tok
        rep, c = cache.lookup(tok)
        count += c
        return rep if c else tok  # as the C core does: a token with no address stays

    out = TOKEN_RE.sub(repl, line)
    return out, count

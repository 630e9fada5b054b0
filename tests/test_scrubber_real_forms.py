"""Table tests for address forms that real logs write, found by a hostile review (issue 11).

Each class has its example and neighbours; every case runs on the pure-Python path and the
native one, whole and streamed in small chunks, so the table is also a differential test.
The hypothesis properties in test_scrubber_rel_failclosed.py generate each class too.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scrubber import AddressPolicy, Settings, Streamer, native_available, scrub_block

PATHS = [True, False] if native_available() else [True]


def _array(message: bytes) -> bytes:
    """journalctl's spelling of a field that is not printable UTF-8: its byte values."""
    return b"[" + b",".join(str(c).encode() for c in message) + b"]"


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
    # -- 6to4 (RFC 3056): 2002:AABB:CCDD::/48 is the site of the IPv4 address AA.BB.CC.DD,
    # which the /48 keeps whole: its host bits go as IPv4's do.
    (b"from 2002:c000:0221::1 port 22", b"from 2002:c000:200:: port 22"),
    (b"from 2002:C000:0221:1234::1 port 22", b"from 2002:c000:200:: port 22"),
    (b"[2002:c000:221::1]:443", b"[2002:c000:200::]:443"),
    (b"[client 2002:c000:221::1:51234]", b"[client 2002:c000:200:::51234]"),
    (b"2002-c000-221--1.ipv6-literal.net", b"2002-c000-200--.ipv6-literal.net"),
    (b"q=2002%3Ac000%3A221%3A%3A1", b"q=2002%3Ac000%3A200%3A%3A"),
    (b"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.2.2.0.0.0.0.c.2.0.0.2.ip6.arpa",
     b"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.0.0.0.0.c.2.0.0.2.ip6.arpa"),
    # neighbours: other prefixes are truncated as IPv6 only
    (b"2003:c000:221::1", b"2003:c000:221::"),
    (b"2001:db8:221::1", b"2001:db8:221::"),
    # -- backslash-escaped dots and colons: a regular expression in mod_rewrite's trace log
    # (RewriteCond ... pattern='^192\.0\.2\.33$'), ModSecurity and fail2ban messages, the
    # backslash escaped again by the logger or JSON; a Lucene query in a search slow log.
    (b"RewriteCond: input='192.0.2.33' pattern='^192\\.0\\.2\\.33$' => matched",
     b"RewriteCond: input='192.0.2.0' pattern='^192\\.0\\.2\\.0$' => matched"),
    (b'[msg "Pattern match \\"^192\\\\.0\\\\.2\\\\.33$\\" at REMOTE_ADDR."]',
     b'[msg "Pattern match \\"^192\\\\.0\\\\.2\\\\.0$\\" at REMOTE_ADDR."]'),
    (b'{"pattern":"^10\\\\.1\\\\.2\\\\.3$"}', b'{"pattern":"^10\\\\.1\\\\.2\\\\.0$"}'),
    (b"\\.192\\.0\\.2\\.33\\.", b"\\.192\\.0\\.2\\.0\\."),
    (b"allow 192.0.2\\.33;", b"allow 192.0.2\\.0;"),  # mixed: each dot keeps its own form
    (b'"query":"client_ip:2001\\:db8\\:85a3\\:\\:7"', b'"query":"client_ip:2001\\:db8\\:85a3\\:\\:"'),
    (b"ip:2001\\:db8\\:85a3\\:0\\:0\\:0\\:0\\:7", b"ip:2001\\:db8\\:85a3\\:\\:"),
    (b"::ffff\\:192\\.0\\.2\\.33", b"::ffff\\:192\\.0\\.2\\.0"),
    # neighbours that are not addresses stay byte for byte
    (b"^www\\.example\\.co\\.uk$", b"^www\\.example\\.co\\.uk$"),
    (b"\\.(php|phtml)$ 1\\.2\\.3", b"\\.(php|phtml)$ 1\\.2\\.3"),
    (b"C:\\Windows\\System32 10\\:00\\:00", b"C:\\Windows\\System32 10\\:00\\:00"),
    (b"\\x22192.0.2.33\\x22", b"\\x22192.0.2.0\\x22"),
    (b"path\\\\192.0.2.33\\share", b"path\\\\192.0.2.0\\share"),
    # -- journalctl -o json writes a field holding a control byte or invalid UTF-8 (here a
    # user name with the byte 0xff, an ANSI colour) as the array of its byte values.
    (_array(b"Failed password for invalid user \xff from 192.0.2.33 port 22 ssh2"),
     _array(b"Failed password for invalid user \xff from 192.0.2.0 port 22 ssh2")),
    (b'{"MESSAGE":' + _array(b"\x1b[1m2001:db8:85a3:8d3::7\x1b[0m") + b',"_PID":"1"}',
     b'{"MESSAGE":' + _array(b"\x1b[1m2001:db8:85a3::\x1b[0m") + b',"_PID":"1"}'),
    (_array(b"from 192.0.2.33"), _array(b"from 192.0.2.0")),
    # neighbours: arrays of other numbers, or too short to spell an address, stay
    (b"[1,2,3,4,5,6,7,8,9]", b"[1,2,3,4,5,6,7,8,9]"),
    (b"[49,46,50,46,51,46,52,999]", b"[49,46,50,46,51,46,52,999]"),  # not bytes
    (b"[192,0,2,33] [1,2,3]", b"[192,0,2,33] [1,2,3]"),  # (packed octets: not text)
    (b"[49, 46, 50, 46, 51, 46, 52]", b"[49, 46, 50, 46, 51, 46, 52]"),  # not journalctl's spelling
    # -- ANSI colours (an application's coloured output: raw ESC in a file or journald,
    # "\x1B" once nginx or Apache escape it, "\u001b" in JSON): the sequence's final letter
    # is not a word glued to the address, which kept /64 ("db8:85a3:8d3::" after "1m2001").
    (b"\x1b[1m2001:db8:85a3:8d3::7\x1b[0m", b"\x1b[1m2001:db8:85a3::\x1b[0m"),
    (b"\\x1B[0;31m2001:db8:85a3:8d3::7\\x1B[0m", b"\\x1B[0;31m2001:db8:85a3::\\x1B[0m"),
    (b'{"log":"\\u001b[32m2001:db8:85a3:8d3::7\\u001b[0m"}', b'{"log":"\\u001b[32m2001:db8:85a3::\\u001b[0m"}'),
    (b"\x1b[1m192.0.2.33\x1b[0m", b"\x1b[1m192.0.2.0\x1b[0m"),
    (b"\x1b[1m2002:c000:221::\x1b[0m", b"\x1b[1m2002:c000:200::\x1b[0m"),
    # neighbours: the sequences themselves, and words after them, stay
    (b"\x1b[1mINFO\x1b[0m std::vector \x1b[2K\x1b[1G", b"\x1b[1mINFO\x1b[0m std::vector \x1b[2K\x1b[1G"),
    (b"\x1b[1mcafe:2001:db8::\x1b[0m", b"\x1b[1mcafe:2001:db8::\x1b[0m"),
    # -- precision: MAC-style runs of two-digit groups are not addresses (an address so
    # written lies in the reserved ::/8); iptables/ufw's MAC= (14 groups) was all 'x'.
    (b"[UFW BLOCK] IN=eth0 OUT= MAC=00:16:3e:5a:7b:01:52:54:00:12:35:02:08:00 SRC=203.0.113.9 DST=10.0.0.5",
     b"[UFW BLOCK] IN=eth0 OUT= MAC=00:16:3e:5a:7b:01:52:54:00:12:35:02:08:00 SRC=203.0.113.0 DST=10.0.0.0"),
    (b"eui64 00:16:3e:ff:fe:5a:7b:01", b"eui64 00:16:3e:ff:fe:5a:7b:01"),
    (b"guid 00:16:3E:FF:FE:5A:7B", b"guid 00:16:3E:FF:FE:5A:7B"),
    (b"mac 00:16:3e:5a:7b:01", b"mac 00:16:3e:5a:7b:01"),
    # neighbours: any group of another width, or "::", and it is read as before
    (b"x 00:16:3e:ff:fe:5a:7b:1", b"x 0:16:3e::"),
    (b"x 00:16:3e:ff:fe:5a:7b:01:02:3", b"x xx:xx:xx:xx:xx:xx:xx:xx:xx:x"),
    (b"x 0016:3eff:fe5a:7b01:5254:0012:3502:0800", b"x 16:3eff:fe5a::"),
    (b"x 00:16::5a:7b", b"x 0:16::"),
    # -- precision: tcpdump and BSD netstat write an IPv6 address's port after a dot; it was
    # all 'x'. The address is truncated and the port kept, as for ":PORT".
    (b"IP6 2001:db8:85a3::7.443 > 2001:db8:85a3::8.51234: Flags [S]",
     b"IP6 2001:db8:85a3::.443 > 2001:db8:85a3::.51234: Flags [S]"),
    (b"tcp6 0 0 fe80::1234:5678:9abc:def0.5353 *.* LISTEN", b"tcp6 0 0 fe80::.5353 *.* LISTEN"),
    (b"2001:db8:4f2e:17::d00d:443.80", b"2001:db8:4f2e::.80"),  # both readings agree: exact
    # neighbours: a port out of range, or an IPv4 tail, stay fail-closed
    (b"2001:db8::7.99999", b"xxxx:xxx::x.xxxxx"),
    (b"::ffff:192.0.2.33.443", b"::xxxx:xxx.x.x.xx.xxx"),
    (b"IP 192.0.2.33.443 > 198.51.100.7.51234:", b"IP 192.0.2.0.443 > 198.51.100.0.51234:"),
    # -- a dashed address with a dashed number after it (a port) or another dashed run
    # before it: the first number after '-' or '.' is the name's own, not a word's, and
    # every run is read (a second review, 2026-12-04). Five numbers: both windows go.
    (b"host-192-0-2-33-80.example", b"host-0-0-2-0-0.example"),
    (b"ip-198-51-100-77-8080", b"ip-0-51-100-0-8080"),
    (b"x-198-51-100-77-5", b"x-0-0-100-0-0"),
    (b"GET /call-1-800-555-1234-from-192-0-2-33 HTTP/1.1", b"GET /call-1-800-555-1234-from-0-0-2-0 HTTP/1.1"),
    (b"x-1-800-555-1234.host-192-0-2-33.example", b"x-1-800-555-1234.host-0-0-2-0.example"),
    # neighbours: AWS's "ec2-" keeps its 2 (forward by convention); a number glued to
    # another word may be the address's
    (b"ec2-198-51-100-7.compute-1.amazonaws.com", b"ec2-198-51-100-0.compute-1.amazonaws.com"),
    (b"a1-0-0-0-0", b"a0-0-0-0-0"),  # the 1 may be the address's first (reversed: its last)
    # -- ANSI sequences with ECMA-48's other parameter bytes (':', '<', '=', '>')
    (b"\x1b[38:5:196m2001:db8:85a3:8d3::7\x1b[0m", b"\x1b[38:5:196m2001:db8:85a3::\x1b[0m"),
    (b"\x1b[4:3m2001:db8:85a3:8d3::7", b"\x1b[4:3m2001:db8:85a3::"),
    (b"\x1b[>4;2m2001:db8:85a3:8d3::7", b"\x1b[>4;2m2001:db8:85a3::"),
    (b"\\x1B[38:5:196m2001:db8:85a3:8d3::7", b"\\x1B[38:5:196m2001:db8:85a3::"),
    (b"\x1b[38:2::255:0:0m198.51.100.77", b"\x1b[38:2::255:0:0m198.51.100.0"),  # the colour itself untouched
    # neighbours: ESC right before a bracketed address is not a sequence (':' only before 'm')
    (b"x \x1b[::ffff:192.0.2.33] y", b"x \x1b[::ffff:192.0.2.0] y"),
    (b"x \x1b[2001:db8:85a3::7]:443 y", b"x \x1b[2001:db8:85a3::]:443 y"),
]

# (v4 prefix, v6 prefix, input, expected): embedded IPv4 above the IPv6 prefix
PREFIX_CASES = [
    (24, 64, b"2002:c000:221:7::1", b"2002:c000:200:7::"),
    (16, 48, b"2002:c000:221::1", b"2002:c000::"),
    (32, 48, b"2002:c000:221::1", b"2002:c000:221::"),
    (24, 128, b"2002:c000:221::1", b"2002:c000:200::1"),
    # NAT64 (64:ff9b::/96) and Teredo (2001::/32, the client inverted): the low 32 bits,
    # which an IPv6 prefix keeps only above /96
    (24, 128, b"64:ff9b::192.0.2.33", b"64:ff9b::c000:200"),
    (24, 128, b"64:ff9b::c000:221", b"64:ff9b::"),  # "221" may be a port: at most /64
    (24, 128, b"2001:0:4136:e378:8000:63bf:3fff:fdd2", b"2001:0:4136:e378:8000:63bf:3fff:fd00"),
    (24, 128, b"::ffff:192.0.2.33", b"::ffff:192.0.2.0"),
    (24, 128, b"2001:db8::c000:221", b"2001:db8::"),  # port reading
    (24, 128, b"2001:db8::c000:22a", b"2001:db8::c000:22a"),  # not an embedding: kept
    (0, 127, b"\\x1064:ff9b::2", b"\\x1064:ff9b::"),  # an escape's digits glued to NAT64's "64"
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


@pytest.mark.parametrize("pure", PATHS, ids=lambda p: "pure" if p else "native")
@pytest.mark.parametrize(("v4", "v6", "line", "expected"), PREFIX_CASES)
def test_real_forms_prefixes(v4: int, v6: int, line: bytes, expected: bytes, pure: bool) -> None:
    out, _, _ = scrub_block(line + b"\n", Settings(AddressPolicy(v4, v6)), pure=pure)
    assert out == expected + b"\n"


# A line cut by a restart inside one of these forms: (line, where it is cut, text that must
# not be in the two processes' joined output).  Streamer.finish(cut=True) and cut_start=True
# are what scrubber does on SIGTERM and on a pipe's first bytes (test_scrubber_restart_cut.py
# runs the processes).
CUT_CASES = [
    (b"x \x1b[1m2001:db8:85a3:8d3::7\x1b[0m\n", b"x \x1b[", [b"8d3", b"::7"]),
    (b"x \x1b[0;31m2001:db8:85a3:8d3::7\x1b[0m\n", b"x \x1b[0;3", [b"8d3", b"::7"]),
    (b"x \\u001b[1m2001:db8:85a3:8d3::7\\u001b[0m\n", b"x \\u00", [b"8d3", b"::7"]),
    (b"m=" + _array(b"from 192.0.2.33 port 22") + b"\n", b"m=[102,114,111,109,32,49,57,50,46,48", [b"51,51"]),
    (b"m=" + _array(b"from 192.0.2.33 port 22") + b"\n", b"m=[102,114,111,109,32,49,57,50,46,48,46,50,46,51", [b"51,51"]),
    (b"q=2001%253Adb8%253A85a3%253A8d3%253A%253A7\n", b"q=2001%253Adb8%25", [b"8d3%253A%253A7", b"%253A7"]),
    (b"p='^192\\.0\\.2\\.33$'\n", b"p='^192\\.0\\", [b"192", b"2\\.33"]),
    (b"p='^192\\.0\\.2\\.33$'\n", b"p='^192\\.0\\.2\\.", [b"192", b"2\\.33"]),
    # the rest of an ANSI sequence, then a dashed IPv6 name; a sequence with ':' cut inside
    (b"x \x1b[1m0-1-0-1-300-0-1-0s4.ipv6-literal.net\n", b"x \x1b", [b"300"]),
    (b"x \x1b[1m0-1-0-1-300-0-1-0s4.ipv6-literal.net\n", b"x \x1b[", [b"300"]),
    (b"x \x1b[38:5:196m2001:db8:85a3:8d3::7\n", b"x \x1b[38:5", [b"8d3", b"::7"]),
    # the rest of a cut address with its port reads as an address of its own, with other
    # host bits (it kept 8d3, 33 and 8d3 when truncated on its own)
    (b"[client 2001:db8:85a3:8d3::7:443] AH01630\n", b"[client 2001:", [b"8d3", b"85a3"]),
    (b"IP 192.0.2.33.80 > x\n", b"IP 192.", [b"33"]),
    (b"x 2001:db8:85a3:8d3:1:2:3:4:443 y\n", b"x 2001:", [b"8d3", b"85a3"]),
    # an escape cut after its backslash, before an address whose colons are all escaped
    (b"q \\r2002\\:c000\\:1\\:\\:7 x\n", b"q \\", [b"c000", b"1\\:\\:7"]),
]


@pytest.mark.parametrize("pure", PATHS, ids=lambda p: "pure" if p else "native")
@pytest.mark.parametrize(("line", "head", "absent"), CUT_CASES)
def test_cut_by_a_restart(line: bytes, head: bytes, absent: list[bytes], pure: bool) -> None:
    assert line.startswith(head)
    old = Streamer(Settings(), pure=pure, cut_start=True)
    out = old.feed(head) + old.finish(cut=True)
    new = Streamer(Settings(), pure=pure, cut_start=True)
    out += new.feed(line[len(head) :]) + new.finish()
    for text in absent:
        assert text not in out, (out, text)


@pytest.mark.parametrize("pure", PATHS, ids=lambda p: "pure" if p else "native")
@given(
    groups=st.lists(st.integers(0, 255), min_size=6, max_size=16),
    upper=st.booleans(),
    before=st.sampled_from([b"MAC=", b" ", b"mac ", b'"', b"[", b"\t"]),
    after=st.sampled_from([b" SRC=", b"", b'"', b"]", b"\r"]),
)
def test_mac_style_runs_are_kept(groups: list[int], upper: bool, before: bytes, after: bytes, pure: bool) -> None:
    """Precision: a run of two-digit hex groups (iptables' MAC= header, EUI-64) is no address."""
    run = ":".join(f"{g:02X}" if upper else f"{g:02x}" for g in groups).encode()
    line = before + run + after + b"\n"
    out, stats, _ = scrub_block(line, Settings(), pure=pure)
    assert out == line
    assert stats.addresses == 0

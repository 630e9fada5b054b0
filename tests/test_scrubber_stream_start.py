"""A pipe's first line is scrubbed as any other line when it starts as a log line does.

The restart cut (README, "Restarts and cut lines") blanks the digits of a stream's first
bytes when they may be the rest of an address cut by a terminated process.  A first line
in a known log format (a timestamp of a format in scrubber.timestamps, a syslog prefix,
a whole client address, ``[``) is never such a rest: its output and its expiry decision
must be exactly those it gets after another line.  Fragments still fail closed.
"""

from __future__ import annotations

import re

import datetime as dt
import ipaddress
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scrubber import Settings, Streamer, native_available

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
try:
    import loggen
finally:
    sys.path.pop(0)

PATHS = [pytest.param(True, id="pure"), pytest.param(False, id="native")]
NOW = dt.datetime(2024, 6, 30, 12, 0, 0, tzinfo=dt.timezone.utc)
MONTHS = [m.decode() for m in (b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec")]
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

v4 = st.integers(1, 2**32 - 1).map(lambda i: str(ipaddress.IPv4Address(i)))
v6 = st.integers(1, 2**128 - 1).map(lambda i: ipaddress.IPv6Address(i).compressed)
client = st.one_of(v4, v6)
# Some lines inside --max-age 30d, some older: the expiry decision is compared too.
when = st.datetimes(min_value=dt.datetime(2024, 4, 1), max_value=dt.datetime(2024, 6, 30, 11)).map(
    lambda t: t.replace(tzinfo=dt.timezone.utc)
)
word = st.sampled_from(["sshd[812]:", "nginx:", "kernel:", "app", "GET", "Received", "Accepted", "ok"])


@st.composite
def log_line(draw: st.DrawFn) -> bytes:
    t = draw(when)
    ip = draw(client)
    port = draw(st.integers(1, 65535))
    form = draw(st.sampled_from(["loggen", "clf", "aerr", "ngx", "iso", "rfc5424", "syslog", "caddy", "json"]))
    hms = f"{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    if form == "loggen":
        line = loggen.generate_lines(1, seed=draw(st.integers(0, 10_000)), end=t)[0]
    elif form == "clf":
        stamp = f"{t.day:02d}/{MONTHS[t.month - 1]}/{t.year}:{hms} +0000"
        line = f'{ip} - - [{stamp}] "GET / HTTP/1.1" 200 {port}'
    elif form == "aerr":
        line = (f"[{DAYS[t.weekday()]} {MONTHS[t.month - 1]} {t.day:02d} {hms}.{port} {t.year}] "
                f"[core:error] [pid 7] [client {ip}:{port}] AH00126: Invalid URI")
    elif form == "ngx":
        line = f"{t.year}/{t.month:02d}/{t.day:02d} {hms} [error] 7#7: *1 open() failed, client: {ip}"
    elif form == "iso":
        sep = draw(st.sampled_from(["T", " "]))
        frac = draw(st.sampled_from(["", ".123", ",5"]))
        zone = draw(st.sampled_from(["Z", "+00:00", "+0000", ""]))
        line = f"{t.year}-{t.month:02d}-{t.day:02d}{sep}{hms}{frac}{zone} {draw(word)} from {ip} port {port}"
    elif form == "rfc5424":
        line = f"<34>1 {t.year}-{t.month:02d}-{t.day:02d}T{hms}Z host app - - - login from {ip}"
    elif form == "syslog":
        line = f"{MONTHS[t.month - 1]} {t.day:>2} {hms} host {draw(word)} from {ip} port {port}"
    elif form == "caddy":
        line = f'{{"level":"info","ts":{int(t.timestamp())}.5,"request":{{"remote_ip":"{ip}"}}}}'
    else:
        line = f'{{"time":"{t.year}-{t.month:02d}-{t.day:02d}T{hms}Z","remote_addr":"{ip}","status":200}}'
    return line.encode()


def _scrub(data: bytes, pure: bool) -> tuple[bytes, int]:
    settings = Settings.create(max_age="30d", now=NOW)
    s = Streamer(settings, pure=pure, cut_start=True)
    out = s.feed(data) + s.finish()
    return out, s.stats.lines_expired


@pytest.mark.parametrize("pure", PATHS)
@given(line=log_line(), first=log_line())
def test_first_line_scrubs_as_any_line(line: bytes, first: bytes, pure: bool) -> None:
    if not pure and not native_available():
        pytest.skip("scrubber._native is not built")
    alone, expired_alone = _scrub(b"x\n" + line + b"\n", pure)  # (not a stream's first line)
    alone = alone[2:]
    first_out, expired_first = _scrub(first + b"\n", pure)
    both, expired_both = _scrub(first + b"\n" + line + b"\n", pure)
    assert expired_first + expired_alone == expired_both, (first, line)
    assert both.endswith(alone) and both[: len(both) - len(alone)] in (first_out, _blanked_lead(first_out)), (first, line)


def _blanked_lead(out: bytes) -> bytes:
    """A first line that starts with an IPv6 address, which may be the rest of a cut one:
    its leading run's hex digits become 'x' (README: the cost of a restart cut)."""
    m = re.match(rb"[0-9A-Fa-f.:]*:[0-9A-Fa-f.:]*", out)
    return out if m is None else re.sub(rb"[0-9A-Fa-f]", b"x", m.group()) + out[m.end() :]


@pytest.mark.parametrize("pure", PATHS)
@pytest.mark.parametrize(
    "head, want",
    [
        (b"51.100.7 - - x\n", b"xx.xxx.x - - x\n"),  # "198." + "51.100.7"
        (b".7 - -\n", b".x - -\n"),
        (b":7 x\n", b":x x\n"),
        (b"-7.rev.example x\n", b"-x.rev.example x\n"),
        (b"8a2e:370:7334 x\n", b"xxxx:xxx:xxxx x\n"),  # "2001:db8:85a3:" + ...
        (b"u2001:db8::7 x\n", b"uxxxx:xxx::x x\n"),  # "\\" + "u2001:db8::7"
        (b"10:00:00 x\n", b"xx:xx:xx x\n"),  # a bare time is not a known format: may be a rest
    ],
)
def test_fragments_still_fail_closed(head: bytes, want: bytes, pure: bool) -> None:
    if not pure and not native_available():
        pytest.skip("scrubber._native is not built")
    s = Streamer(Settings(), pure=pure, cut_start=True)
    assert s.feed(head) + s.finish() == want

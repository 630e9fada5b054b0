"""Expiry at the boundary, for every timestamp format and several zones."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest

from scrubber import Settings, Streamer, native_available, parse_duration, scrub_block
from hypothesis import given
from hypothesis import strategies as st

from scrubber.timestamps import days_from_civil, make_cutoff

PATHS = [True, False] if native_available() else [True]
UTC = dt.timezone.utc
MON = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
WKD = "Mon Tue Wed Thu Fri Sat Sun".split()
NOW = dt.datetime(2024, 6, 30, 12, 0, 0, tzinfo=UTC)
CUTOFF = NOW - dt.timedelta(days=30)  # 2024-05-31T12:00:00Z; no DST change in between


def clf(offset: str) -> Callable[[dt.datetime, str], str]:
    sign = 1 if offset[0] == "+" else -1
    delta = dt.timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])) * sign

    def f(t: dt.datetime, tz: str) -> str:
        t = t.astimezone(dt.timezone(delta))
        return f'192.0.2.1 - - [{t:%d}/{MON[t.month - 1]}/{t:%Y:%H:%M:%S} {offset}] "GET / HTTP/1.1" 200 1'

    return f


def local(t: dt.datetime, tz: str) -> dt.datetime:
    return t.astimezone(UTC if tz == "UTC" else ZoneInfo(tz))


def apache24(t: dt.datetime, tz: str) -> str:
    t = local(t, tz)
    return f"[{WKD[t.weekday()]} {MON[t.month - 1]} {t:%d %H:%M:%S}.123456 {t:%Y}] [core:error] [client 192.0.2.1:5123] x"


def apache22(t: dt.datetime, tz: str) -> str:
    t = local(t, tz)
    return f"[{WKD[t.weekday()]} {MON[t.month - 1]} {t.day:2d} {t:%H:%M:%S} {t:%Y}] [error] [client 192.0.2.1] x"


def nginx_error(t: dt.datetime, tz: str) -> str:
    t = local(t, tz)
    return f"{t:%Y/%m/%d %H:%M:%S} [error] 12#12: *1 x, client: 192.0.2.1, server: a"


def iso_naive(t: dt.datetime, tz: str) -> str:
    t = local(t, tz)
    return f'{{"time":"{t:%Y-%m-%dT%H:%M:%S}","remote_addr":"192.0.2.1"}}'


def iso(offset: str) -> Callable[[dt.datetime, str], str]:
    def f(t: dt.datetime, tz: str) -> str:
        if offset == "Z":
            return f'{{"time":"{t.astimezone(UTC):%Y-%m-%dT%H:%M:%S}.250Z","ip":"192.0.2.1"}}'
        sign = 1 if offset[0] == "+" else -1
        delta = dt.timedelta(hours=int(offset[1:3]), minutes=int(offset[-2:])) * sign
        return f'{{"time":"{t.astimezone(dt.timezone(delta)):%Y-%m-%dT%H:%M:%S}{offset}","ip":"192.0.2.1"}}'

    return f


def syslog(t: dt.datetime, tz: str) -> str:
    t = local(t, tz)
    return f"<134>{MON[t.month - 1]} {t.day:2d} {t:%H:%M:%S} web1 apache2: 192.0.2.1 - - x"


def syslog5424(t: dt.datetime, tz: str) -> str:
    return f"<165>1 {t.astimezone(UTC):%Y-%m-%dT%H:%M:%S}.003Z web1 nginx 811 - - 192.0.2.1"


def caddy(t: dt.datetime, tz: str) -> str:
    return f'{{"level":"info","ts":{int(t.timestamp())}.0000001,"request":{{"remote_ip":"192.0.2.1"}}}}'


def unix(key: str, digits: int, fraction: str = "") -> Callable[[dt.datetime, str], str]:
    """Unix time in a unit of ``digits`` digits (10: s, 13: ms, 16: us, 19: ns), with the
    unit's last second-fraction filled in (999 ms ...): still the whole second it is in."""

    def make(t: dt.datetime, tz: str) -> str:
        scale = 10 ** (digits - 10)
        value = int(t.timestamp()) * scale + scale - 1
        return f'{{"level":30,"{key}":{value}{fraction},"msg":"from 192.0.2.1"}}'

    return make


def zap_iso(t: dt.datetime, tz: str) -> str:  # zap's ISO8601TimeEncoder: "ts" as text
    return f'{{"level":"info","ts":"{t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")}","msg":"192.0.2.1"}}'


FORMATS = {
    "clf+0000": clf("+0000"),
    "clf-0700": clf("-0700"),
    "clf+0530": clf("+0530"),
    "apache24": apache24,
    "apache22": apache22,
    "nginx_error": nginx_error,
    "iso_naive": iso_naive,
    "iso_Z": iso("Z"),
    "iso+01:00": iso("+01:00"),
    "iso-0330": iso("-0330"),
    "syslog3164": syslog,
    "syslog5424": syslog5424,
    "caddy": caddy,
    "zap_seconds": unix("ts", 10, ".123456"),
    "zap_millis": unix("ts", 13, ".5"),
    "zap_nanos": unix("ts", 19),
    "zap_iso": zap_iso,
    "pino_millis": unix("time", 13),
    "structlog_seconds": unix("timestamp", 10, ".25"),
    "micros": unix("timestamp", 16),
}
ZONES = ["UTC", "Europe/Stockholm", "America/New_York", "Asia/Kolkata"]


@pytest.mark.parametrize("pure", PATHS, ids=lambda p: "pure" if p else "native")
@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_expiry_boundary(fmt: str, zone: str, pure: bool) -> None:
    make = FORMATS[fmt]
    settings = Settings.create(max_age="30d", now=NOW, timezone=zone)
    at_cutoff = make(CUTOFF, zone)
    just_before = make(CUTOFF - dt.timedelta(seconds=1), zone)
    long_ago = make(CUTOFF - dt.timedelta(days=3), zone)
    recent = make(NOW - dt.timedelta(hours=1), zone)
    data = "\n".join([at_cutoff, just_before, recent, long_ago, "  continuation of the old line", recent]) + "\n"
    out, stats, _ = scrub_block(data.encode(), settings, pure=pure)
    kept = out.decode().splitlines()
    assert len(kept) == 3, kept
    assert kept[0] == at_cutoff.replace("192.0.2.1", "192.0.2.0")
    assert all("192.0.2.1" not in k for k in kept)
    assert (stats.lines_read, stats.lines_written, stats.lines_expired) == (6, 3, 3)


@pytest.mark.parametrize("pure", PATHS, ids=lambda p: "pure" if p else "native")
def test_lines_without_timestamp_follow_the_line_before(pure: bool) -> None:
    settings = Settings.create(max_age="1d", now=NOW, timezone="UTC")
    fresh = clf("+0000")(NOW, "UTC")
    old = clf("+0000")(NOW - dt.timedelta(days=2), "UTC")
    data = "\n".join(["leading line, kept", old, "Traceback:", "  stack", fresh, "  more", old, fresh]) + "\n"
    st = Streamer(settings, pure=pure)
    out = b"".join(st.feed(data.encode()[i : i + 5]) for i in range(0, len(data), 5)) + st.finish()
    kept = out.decode().splitlines()
    assert kept[0] == "leading line, kept"
    assert [k.startswith("192.0.2.0") for k in kept[1:]] == [True, False, True]
    assert "Traceback:" not in kept and "  more" in kept


@pytest.mark.parametrize("pure", PATHS, ids=lambda p: "pure" if p else "native")
def test_syslog_without_year_uses_the_year_before_when_in_the_future(pure: bool) -> None:
    now = dt.datetime(2024, 1, 5, 12, 0, tzinfo=UTC)
    settings = Settings.create(max_age="10d", now=now, timezone="UTC")
    lines = b"Dec 30 10:00:00 h x 192.0.2.1\nDec 20 10:00:00 h x 192.0.2.1\nJan  6 11:00:00 h x 192.0.2.1\n"
    out, stats, _ = scrub_block(lines, settings, pure=pure)
    assert out == b"Dec 30 10:00:00 h x 192.0.2.0\nJan  6 11:00:00 h x 192.0.2.0\n"


@pytest.mark.parametrize("pure", PATHS, ids=lambda p: "pure" if p else "native")
@pytest.mark.parametrize(
    "line",
    [
        b"[32/Oct/2000:13:55:36 -0700] x",
        b"[10/Foo/2000:13:55:36 -0700] x",
        b"[10/Oct/2000:24:55:36 -0700] x",
        b"[10/Oct/2000:13:55:36] x",
        b"2024/13/02 03:04:05 x",
        b"2024-01-02 25:04:05 x",
        b"Feb 30x10:00:00 x",
        b"Jan 123 10:00:00 x",
        b'"ts":"1",',
        b"Wed Oct 11 14:32:52.5x 2000",
    ],
)
def test_not_a_timestamp_follows_previous(line: bytes, pure: bool) -> None:
    settings = Settings.create(max_age="1d", now=NOW, timezone="UTC")
    old = b"[01/Jan/2000:00:00:00 +0000] old\n"
    out, stats, _ = scrub_block(old + line + b"\n", settings, pure=pure)
    assert out == b"" and stats.lines_expired == 2


# Numbers under a time key that are not a Unix time: a duration, a count of digits no unit
# has (the first 12 never read as seconds), more digits than a 64-bit counter holds.
NOT_UNIX = [
    b'{"time":45,"msg":"x"}',
    b'{"timestamp":0.123}',
    b'{"time":123456789}',
    b'{"ts":16000000001234}',
    b'{"ts":160000000012345}',
    b'{"timestamp":160000000012}',
    b'{"time":17197000001234567}',
    b'{"ts":12345678901234567890}',
    b'{"ts":' + b"9" * 400 + b"}",
    b'x "time":45 y',
    b'job done "time": 1500000000 ns',  # not a JSON line: "time" is read only in one
    b'{"req":{"args":{"time":1500000000}},"msg":"x"}',  # nested: a client's, maybe
    b'{"ids":[{"time":1500000000}]}',  # in an array: not the record's
    b'{"msg":"x \\"time\\":1500000000"}',  # inside a string (escaped quotes)
]


@pytest.mark.parametrize("pure", PATHS, ids=lambda p: "pure" if p else "native")
@pytest.mark.parametrize("line", NOT_UNIX)
def test_a_number_that_is_no_unix_time_follows_the_line_before(line: bytes, pure: bool) -> None:
    settings = Settings.create(max_age="30d", now=NOW, timezone="UTC")
    for before, kept in ((b'{"ts":1000000000}', False), (b'{"ts":%d}' % int(NOW.timestamp()), True)):
        out, stats, _ = scrub_block(before + b"\n" + line + b"\n", settings, pure=pure)
        assert stats.lines_expired == (0 if kept else 2), (before, line)


@pytest.mark.parametrize("pure", PATHS, ids=lambda p: "pure" if p else "native")
def test_a_millisecond_before_the_cut_off_is_the_second_before(pure: bool) -> None:
    """Whole seconds, as for every form: 1 ms before the cut-off is expired, the cut-off's
    own millisecond and the last of its second kept."""
    settings = Settings.create(max_age="30d", now=NOW, timezone="UTC")
    ms = int(CUTOFF.timestamp()) * 1000
    for value, expired in ((ms - 1, 1), (ms, 0), (ms + 999, 0), (ms - 1000, 1)):
        line = b'{"time":%d,"msg":"x"}\n' % value
        assert scrub_block(line, settings, pure=pure)[1].lines_expired == expired, value


def _unix_oracle(key: str, digits: str, top_level_json: bool) -> int | None:
    """The seconds a Unix time under ``key`` stands for, or None (not a time): written
    from the README's rule, not from the code. "time" and "timestamp" count only at the
    top level of a JSON line (no '{' or '[' before the key)."""
    if key != "ts" and not top_level_json:
        return None
    n = len(digits)
    if n in (13, 16, 19):
        return int(digits) // 10 ** (n - 10)
    if key == "ts" and 1 <= n <= 12 or n == 10:
        return int(digits)
    return None


around_cutoff = st.integers(-3, 3).map(lambda d: int(CUTOFF.timestamp()) + d)


@given(
    key=st.sampled_from(["ts", "time", "timestamp"]),
    digits=st.one_of(
        st.text("0123456789", min_size=1, max_size=25),
        st.tuples(around_cutoff, st.sampled_from([0, 3, 6, 9]), st.integers(0, 10**9 - 1)).map(
            lambda t: str(t[0] * 10 ** t[1] + t[2] % 10 ** t[1])
        ),
    ),
    fraction=st.sampled_from(["", ".5", ".000001", ".", ".x"]),
    space=st.booleans(),
    json_first=st.booleans(),
    # before the key: (text, the key still in the top-level object?)
    nested=st.sampled_from([("", True), ('"req":{"a":1},', True), ('"ids":[1,2],', True),
                            ('"msg":"{x [id]",', True), ('"m":"a\\"{",', True),
                            ('"req":{', False), ('"ids":[{', False), ('"m":"\\"', False)]),
    fresh_before=st.booleans(),
    pure=st.sampled_from(PATHS),
)
def test_unix_time_under_a_key_property(
    key: str, digits: str, fraction: str, space: bool, json_first: bool, nested: tuple[str, bool], fresh_before: bool,
    pure: bool,
) -> None:
    settings = Settings.create(max_age="30d", now=NOW, timezone="UTC")
    value = f'"{key}":{" " if space else ""}{digits}{fraction}'
    line = ("{" + nested[0] + value + ',"msg":"x"}' if json_first else "app " + value + " done").encode()
    before = b'{"ts":%d}\n' % (int(NOW.timestamp()) if fresh_before else 1000000000)
    # ("ts" inside a string, after '"m":"\"', is no key either, but its Unix-time form is
    # read by the search anywhere: the oracle's "ts" rule holds there too)
    secs = _unix_oracle(key, digits, json_first and nested[1])
    follows_expired = not fresh_before
    want = follows_expired if secs is None else secs < int(CUTOFF.timestamp())
    stats = scrub_block(before + line + b"\n", settings, pure=pure)[1]
    assert stats.lines_expired - follows_expired == want, (line, secs)


def test_one_month_is_a_calendar_month_and_durations_parse() -> None:
    c = make_cutoff("1mo", dt.datetime(2024, 3, 31, 12, tzinfo=UTC), "UTC")
    assert dt.datetime.fromtimestamp(c.utc, UTC) == dt.datetime(2024, 2, 29, 12, tzinfo=UTC)
    c = make_cutoff("2w", dt.datetime(2024, 3, 31, 12, tzinfo=UTC), "UTC")
    assert dt.datetime.fromtimestamp(c.utc, UTC) == dt.datetime(2024, 3, 17, 12, tzinfo=UTC)
    assert parse_duration("1mo15d").months == 1
    for bad in ("", "30", "d", "3x", "-1d"):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_naive_cutoff_is_local_wall_clock() -> None:
    c = make_cutoff("30d", NOW, "Europe/Stockholm")
    assert c.utc == int(CUTOFF.timestamp())
    assert c.naive == days_from_civil(2024, 5, 31) * 86400 + 14 * 3600  # 14:00 CEST


def test_days_from_civil_matches_datetime() -> None:
    for d in (dt.date(1970, 1, 1), dt.date(2000, 2, 29), dt.date(1969, 12, 31), dt.date(2400, 12, 31), dt.date(1, 1, 1)):
        assert days_from_civil(d.year, d.month, d.day) == (d - dt.date(1970, 1, 1)).days


# ---- the format's own time field decides, never a field the client writes
FORGED = ["2000-01-01T00:00:00Z", "2999-01-01T00:00:00Z", "2000/01/01 00:00:00", "Jan  1 00:00:00",
          "[01/Jan/2000:00:00:00 +0000]", "[01/Jan/2999:00:00:00 +0000]", '"ts":946684800']
CLIENT_FIELD_LINES = [
    # combined: remote_user (Basic auth, the client's) comes before [time]
    lambda u, t: f'192.0.2.1 - {u} [{t:%d}/{MON[t.month - 1]}/{t:%Y:%H:%M:%S} +0000] "GET / HTTP/1.1" 200 1',
    # vhost_combined
    lambda u, t: f'www.example.com:443 192.0.2.1 - {u} [{t:%d}/{MON[t.month - 1]}/{t:%Y:%H:%M:%S} +0000] "GET /" 200 1',
    # nginx escape=json, user before the time key; Caddy
    lambda u, t: '{"remote_user":"' + u.replace('"', '\\"') + f'","time_local":"{t:%d}/{MON[t.month - 1]}/{t:%Y:%H:%M:%S} +0000"}}',
    lambda u, t: '{"request":{"uri":"/' + u.replace('"', '\\"') + f'"}},"ts":{int(t.timestamp())}.5}}',
    lambda u, t: '{"user":"' + u.replace('"', '\\"') + f'","@timestamp":"{t:%Y-%m-%dT%H:%M:%SZ}"}}',
    # the request line, referer and user agent come after [time] anyway
    lambda u, t: f'192.0.2.1 - - [{t:%d}/{MON[t.month - 1]}/{t:%Y:%H:%M:%S} +0000] "GET /{u} HTTP/1.1" 200 1 "{u}" "{u}"',
    # syslog-wrapped: the record's own time (the syslog header's is the same moment)
    lambda u, t: f'<134>{MON[t.month - 1]} {t.day:2d} {t:%H:%M:%S} web1 apache2: 192.0.2.4 - {u} [{t:%d}/{MON[t.month - 1]}/{t:%Y:%H:%M:%S} +0000] "GET /"',
    # a client's field at the line's start: Apache's "%{X-Forwarded-For}i %l %u %t \"%r\""
    # (the proxy LogFormat), nginx's "$http_x_forwarded_for - $remote_user [$time_local]"
    lambda u, t: f'{u}, 203.0.113.7 - - [{t:%d}/{MON[t.month - 1]}/{t:%Y:%H:%M:%S} +0000] "GET / HTTP/1.1" 200 1',
    lambda u, t: f'{u} - - [{t:%d}/{MON[t.month - 1]}/{t:%Y:%H:%M:%S} +0000] "GET / HTTP/1.1" 200 1 "-" "curl/8"',
]


@pytest.mark.parametrize("pure", PATHS, ids=lambda p: "pure" if p else "native")
@pytest.mark.parametrize("make", range(len(CLIENT_FIELD_LINES)))
@pytest.mark.parametrize("forged", FORGED)
@pytest.mark.parametrize("real_days_ago", [29, 31])
def test_a_client_controlled_field_never_decides_expiry(make: int, forged: str, real_days_ago: int, pure: bool) -> None:
    s = Settings.create(max_age="30d", now=NOW, timezone="UTC")
    real = NOW - dt.timedelta(days=real_days_ago)
    line = CLIENT_FIELD_LINES[make](forged, real).encode() + b"\n"
    _, stats, _ = scrub_block(line, s, pure=pure)
    assert stats.lines_expired == (1 if real_days_ago > 30 else 0), line


@pytest.mark.parametrize("pure", PATHS, ids=lambda p: "pure" if p else "native")
def test_without_a_known_format_the_first_timestamp_counts(pure: bool) -> None:
    s = Settings.create(max_age="30d", now=NOW, timezone="UTC")
    line = b"app: job done at 2000-01-01T00:00:00Z (next 2024-06-30T00:00:00Z)\n"
    assert scrub_block(line, s, pure=pure)[1].lines_expired == 1


# Any text (quotes escaped as the servers do) in the client's fields, any real time.
client_text = st.one_of(
    st.sampled_from(FORGED),
    st.lists(st.sampled_from(FORGED + ["-", " ", "[", "]", '"', "x", "\\", "{", "ts", ":"]), max_size=6).map("".join),
).map(lambda u: u.replace("\\", "\\\\").replace('"', '\\"'))


@given(
    make=st.integers(0, len(CLIENT_FIELD_LINES) - 1),
    forged=client_text,
    seconds_ago=st.integers(0, 90 * 86400),
    pure=st.sampled_from(PATHS),
)
def test_client_text_never_decides_expiry_property(make: int, forged: str, seconds_ago: int, pure: bool) -> None:
    s = Settings.create(max_age="30d", now=NOW, timezone="UTC")
    real = (NOW - dt.timedelta(seconds=seconds_ago)).replace(microsecond=0)
    line = CLIENT_FIELD_LINES[make](forged, real).encode() + b"\n"
    assert scrub_block(line, s, pure=pure)[1].lines_expired == (1 if real < CUTOFF else 0), line



# JSON-ish soup around time keys: brackets, braces, quotes, escapes, numbers, times.
_SOUP = st.lists(
    st.sampled_from(['{', '}', '[', ']', '"', '\\', '\\"', ',', ':', ' ', '"time":', '"ts":', '"timestamp":',
                     '"time_local":', '"@timestamp":', '"msg":', '1719700000', '1000000000', '1719700000123',
                     '1000000000123', '.5', '2024-06-30T00:00:00Z', '2000-01-01T00:00:00Z',
                     '[30/Jun/2024:00:00:00 +0000] "', 'x']),
    max_size=30,
).map(lambda parts: ("{" + "".join(parts)).encode())


@pytest.mark.skipif(not native_available(), reason="scrubber._native is not built")
@given(lines=st.lists(_SOUP, min_size=1, max_size=4), fresh_first=st.booleans())
def test_json_time_keys_native_and_pure_agree(lines: list[bytes], fresh_first: bool) -> None:
    settings = Settings.create(max_age="30d", now=NOW, timezone="UTC")
    first = b'{"ts":%d}\n' % (int(NOW.timestamp()) if fresh_first else 1000000000)
    data = first + b"\n".join(lines) + b"\n"
    assert scrub_block(data, settings, pure=True)[:2] == scrub_block(data, settings, pure=False)[:2], data


@pytest.mark.parametrize("pure", PATHS, ids=lambda p: "pure" if p else "native")
def test_many_time_keys_in_one_line_take_linear_time(pure: bool) -> None:
    """A JSON line of 32,000 time keys none of which holds a time (224 KB): each key's
    depth is found in one pass over the line, not by a pass per key (which took 22 s
    for a quarter of this on the pure path)."""
    import time

    settings = Settings.create(max_age="30d", now=NOW, timezone="UTC")
    line = b"{" + b'"ts":x,"time":y,' * 16_000 + b'"time":1000000000}\n'
    started = time.monotonic()
    stats = scrub_block(line, settings, pure=pure)[1]
    assert time.monotonic() - started < 5, "quadratic in the number of keys"
    assert stats.lines_expired == 1  # the last key, at the top level, decides (2001)

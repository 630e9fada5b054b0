"""Finding the timestamp of a log line, and the retention cut-off.

A line's timestamp is its format's own time field (see ``_format_time``; only
where no format matches, the leftmost match anywhere) in one of these forms (at
one position they are tried in this order; ``_native.c`` implements
the same grammar by hand and the differential tests hold both to it):

=====  =================================================  ============================
kind   form                                               zone
=====  =================================================  ============================
CLF    ``10/Oct/2000:13:55:36 -0700`` (Apache, nginx)     its own offset
AERR   ``Wed Oct 11 14:32:52.123456 2000`` (Apache 2.2/4)  ``--timezone``
NGX    ``2024/01/02 03:04:05`` (nginx error log)          ``--timezone``
ISO    ``2024-01-02T03:04:05.123+01:00`` / ``Z`` / none     its own, else ``--timezone``
SYSL   ``Jan  2 03:04:05`` (RFC 3164, no year)            ``--timezone``; the year is
                                                          now's, or the one before if
                                                          that would be > 1 day ahead
CADDY  ``"ts":1646861401.524`` (Caddy, zap JSON)          Unix time: seconds (1-12
                                                          digits), ms (13), us (16), ns
                                                          (19); other counts: none
UNIX   ``"time":1646861401524`` (pino), ``"timestamp":``   Unix time: seconds (10
       (top level in a JSON line with no other time)      digits), ms (13), us (16), ns
                                                          (19); other counts: none
=====  =================================================  ============================

Fields are range-checked by the grammar (month 01-12, day 01-31, hour 00-23,
minute 00-59, second 00-60); a day past the end of its month rolls over
arithmetically.  Times with no zone are compared with the cut-off expressed as
local wall-clock time in ``--timezone`` (exact except inside the one repeated
hour when clocks go back).  All arithmetic is integer seconds; a line is expired
when its (whole-second) time is strictly before the cut-off.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterator
from typing import NamedTuple
from typing import TYPE_CHECKING

from .lazy_re import lazy

if TYPE_CHECKING:
    from dateutil.relativedelta import relativedelta

__all__ = [
    "Cutoff",
    "parse_duration",
    "duration_parts",
    "make_cutoff",
    "find_timestamp",
    "days_from_civil",
    "line_is_expired_py",
    "starts_with_timestamp",
]

MONTHS = [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"]
_MONTH_NUM = {m: i + 1 for i, m in enumerate(MONTHS)}
_MON = b"(?:" + b"|".join(MONTHS) + b")"
_WKD = b"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_HMS = rb"([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)"
_DD = rb"(0[1-9]|[12][0-9]|3[01])"
_D12 = rb"(3[01]|[12][0-9]|0?[1-9])"
_MM = rb"(0[1-9]|1[0-2])"

TS_RE = lazy(
    globals(),
    "TS_RE",
    # CLF: groups 1-9
    rb"(?P<clf>" + _DD + rb"/(" + _MON + rb")/([0-9]{4}):" + _HMS + rb" ([+-])([0-9]{2})([0-9]{2}))"
    # Apache error log: groups 11-16
    rb"|(?P<aerr>" + _WKD + rb" (" + _MON + rb") {1,2}" + _D12 + rb" " + _HMS
    + rb"(?:\.[0-9]+)? ([0-9]{4}))"
    # nginx error log: groups 18-23
    rb"|(?P<ngx>([0-9]{4})/" + _MM + rb"/" + _DD + rb" " + _HMS + rb")"
    # ISO 8601 / RFC 3339: groups 25-33
    rb"|(?P<iso>([0-9]{4})-" + _MM + rb"-" + _DD + rb"[Tt ]" + _HMS
    + rb"(?:[.,][0-9]+)?(?:([Zz])|([+-])([0-9]{2}):?([0-9]{2}))?)"
    # RFC 3164 syslog: groups 35-39
    rb"|(?P<sysl>(" + _MON + rb") {1,2}" + _D12 + rb" " + _HMS + rb")"
    # Unix time under "ts", its unit told by its digits (see _UNIX_UNITS): Caddy's and
    # zap's seconds (1-12 digits), zap's milli-, micro-, nanoseconds: groups 42-43.  A
    # number with any other count of digits is not a timestamp (never its first 12
    # digits read as seconds).
    rb'|(?P<caddy>"ts": ?([0-9]{1,13}|[0-9]{16}|[0-9]{19})(?:\.[0-9]+)?(?![0-9]))'
)

# Unix time under "time" or "timestamp" in the top-level object (pino's milliseconds,
# structlog's seconds): 10, 13, 16 or 19 digits.  Read only in a JSON line where no other
# time key holds a time (_format_time), never by the search anywhere: such a number may
# also be a duration (Go's time.Duration, in nanoseconds) or a client's nested value.
_UNIX_RE = lazy(
    globals(), "_UNIX_RE", rb'(?P<unix>"time(?:stamp)?": ?([0-9]{10}|[0-9]{13}|[0-9]{16}|[0-9]{19})(?:\.[0-9]+)?(?![0-9]))'
)

# Unix time's unit by its count of digits: seconds up to 12 (9999-12-31 is 253402300799),
# milliseconds 13 (2001-09-09 to 2286-11-20), microseconds 16, nanoseconds 19.
_UNIX_UNITS = {13: 1_000, 16: 1_000_000, 19: 1_000_000_000}

_DURATION_RE = re.compile(
    r"\s*(\d+)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?|w|weeks?|mo|months?|y|years?)(?![a-z])\s*",
    re.IGNORECASE,
)


# 9999 years are 3.2e11 seconds: a number with more digits is out of range in any unit
# (and int() of a 5,000-digit string is an error of its own).
_MAX_DIGITS = 12


def days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant)."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def duration_parts(text: str) -> dict[str, int]:
    """The amounts of a duration by unit (``months``, ``years``, ``weeks``, ``days``,
    ``hours``, ``minutes``, ``seconds``); ValueError as :func:`parse_duration` raises it."""
    pos = 0
    parts: dict[str, int] = {}
    text = text.strip()
    while pos < len(text):
        m = _DURATION_RE.match(text, pos)
        if m is None:
            raise ValueError(f"invalid duration {text!r} (examples: 30d, 2w, 1mo, 12h, 1y)")
        if len(m.group(1)) > _MAX_DIGITS:
            raise ValueError(f"duration {text!r}: {m.group(1)[:20]}... is out of range (at most 9999 years)")
        n = int(m.group(1))
        unit = m.group(2).lower()
        if unit in ("mo", "month", "months"):
            key = "months"
        elif unit.startswith("y"):
            key = "years"
        elif unit.startswith("w"):
            key = "weeks"
        elif unit.startswith("d"):
            key = "days"
        elif unit.startswith("h"):
            key = "hours"
        elif unit.startswith("s"):
            key = "seconds"
        else:
            key = "minutes"
        parts[key] = parts.get(key, 0) + n
        pos = m.end()
    if not parts:
        raise ValueError(f"invalid duration {text!r} (examples: 30d, 2w, 1mo, 12h, 1y)")
    return parts


def parse_duration(text: str) -> "relativedelta":
    """``30d``, ``2w``, ``1mo``, ``12h``, ``1y``, ``90 days``; combinations like ``1mo15d``."""
    from dateutil.relativedelta import relativedelta

    return relativedelta(**duration_parts(text))


def _before(moment: _dt.datetime, parts: dict[str, int]) -> _dt.datetime:
    """``moment`` minus the duration, as relativedelta subtracts it.  Without months or
    years that is plain timedelta arithmetic (relativedelta adds its days, hours, minutes
    and seconds as one timedelta), so dateutil is imported only for calendar units: it
    was a tenth of a pipe's start-up."""
    if "months" in parts or "years" in parts:
        from dateutil.relativedelta import relativedelta

        return moment - relativedelta(**parts)
    return moment - _dt.timedelta(**parts)


class Cutoff(NamedTuple):
    """Everything the line tests need, as plain integers (what _native gets)."""

    utc: int  # Unix seconds: lines with a zone / Unix time older than this are expired
    naive: int  # the same instant as local wall-clock seconds since 1970-01-01 "naive"
    now_naive: int  # now, as local wall-clock seconds (for year-less syslog dates)
    now_year: int  # now's local year


def resolve_timezone(name: str | None) -> _dt.tzinfo:
    if name is None:
        tz = _dt.datetime.now().astimezone().tzinfo
        assert tz is not None
        return tz
    if name.upper() == "UTC":
        return _dt.timezone.utc
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def _naive_seconds(d: _dt.datetime) -> int:
    return days_from_civil(d.year, d.month, d.day) * 86400 + d.hour * 3600 + d.minute * 60 + d.second


def make_cutoff(max_age: str, now: _dt.datetime | None = None, timezone: str | None = None) -> Cutoff:
    """The cut-off for ``--max-age`` at ``now`` (aware; default: the clock), in ``timezone``."""
    tz = resolve_timezone(timezone)
    if now is None:
        now = _dt.datetime.now(_dt.timezone.utc)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=tz)
    now = now.replace(microsecond=0)
    age = duration_parts(max_age)
    try:
        local_now = now.astimezone(tz)
        now.astimezone(_dt.timezone.utc)
    except (OverflowError, ValueError) as exc:
        zones = "UTC" if str(tz) == "UTC" else f"UTC or {tz}"
        raise ValueError(f"now {now.isoformat()} is outside years 1-9999 in {zones}") from exc
    try:
        # Calendar arithmetic (months, years) in local time, like a person would; a
        # compound duration is one relativedelta, so one month-end clamp.
        cut_local = _before(local_now, age)
        cut_utc = int(cut_local.astimezone(_dt.timezone.utc).timestamp())
        cut_local = _dt.datetime.fromtimestamp(cut_utc, _dt.timezone.utc).astimezone(tz)
    except (OverflowError, ValueError) as exc:
        raise ValueError(
            f"{max_age.strip()} before {local_now.isoformat()} falls before year 1: the cut-off must be a date"
            " in years 1-9999"
        ) from exc
    return Cutoff(
        utc=cut_utc,
        naive=_naive_seconds(cut_local),
        now_naive=_naive_seconds(local_now),
        now_year=local_now.year,
    )


# Where a format keeps its own time field (see find_timestamp).
_LEAD_RE = lazy(globals(), "_LEAD_RE", rb"(?:<[0-9]{1,3}>(?:1 )?)?\[?")
_JSON_TIME_KEY_RE = lazy(globals(), "_JSON_TIME_KEY_RE", rb'"(ts|time|time_local|time_iso8601|timestamp|@timestamp)":')
_CLF_FIELD_RE = lazy(globals(), "_CLF_FIELD_RE", rb"\[(?=" + _DD + rb"/" + _MON + rb"/[0-9]{4}:" + _HMS + rb' [+-][0-9]{4}\] ")')


def _depths(line: bytes, starts: list[int]) -> Iterator[int | None]:
    """For each of ``starts`` (keys' opening quotes, ascending, as finditer gives them):
    how deep it lies in brackets and braces (1: directly inside the line's first ``{``),
    or None inside a string (an escaped quote too).  A small JSON lexer, one pass over the
    line however many keys it holds: strings and their escapes skipped; ``_native.c``
    format_ts counts the same way."""
    depth, i, in_string = 0, 0, False
    for pos in starts:
        while i < pos:
            c = line[i]
            if in_string:
                if c == 0x5C:  # a backslash escapes the next byte
                    i += 1
                elif c == 0x22:
                    in_string = False
            elif c == 0x22:
                in_string = True
            elif c in (0x7B, 0x5B):
                depth += 1
            elif c in (0x7D, 0x5D):
                depth -= 1
            i += 1
        yield depth if not in_string and i == pos else None


def _value_at(line: bytes, v: int) -> int:
    """Where a key's value starts (after an optional space and an opening quote)."""
    v += line[v : v + 1] == b" "
    return v + (line[v : v + 1] == b'"')


def starts_with_timestamp(line: bytes) -> bool:
    """Does ``line`` start as a log line does: a timestamp of a known format, after an
    optional syslog ``<PRI>`` (and RFC 5424 ``1 ``) and an optional ``[``?"""
    return TS_RE.match(line, _LEAD_RE.match(line).end()) is not None  # type: ignore[union-attr]


def _format_time(line: bytes) -> re.Match[bytes] | None:
    """The format's own time field, so that a field a client writes (CLF's
    ``remote_user``, a JSON value, a request) never decides expiry:

    1. in a line starting with ``{``, the first time key (``ts``, ``time``,
       ``time_local``, ``time_iso8601``, ``timestamp``, ``@timestamp``) whose value
       is a timestamp (keys cannot be forged inside JSON string values, whose quotes
       are escaped, and a value may end in ``] `` before its closing quote);
    2. common/combined ``[time] "``: the server quotes the request after it and
       escapes quotes in every field a client writes (``remote_user``, the request,
       referer, user agent, an ``X-Forwarded-For`` first field), so a forged
       ``[time]`` is never followed by `` "``; it comes before the line's start because
       a format may start with a client's field (Apache's ``%{X-Forwarded-For}i %l %u
       %t``, nginx's ``$http_x_forwarded_for - ...``), and a line relayed by syslog
       keeps its record's own time;
    3. a timestamp at the line's start, after an optional syslog ``<PRI>`` (and
       RFC 5424 ``1 ``) and an optional ``[`` (syslog, Apache and nginx error logs,
       ISO-prefixed lines);
    4. only where none of these matches, the leftmost timestamp anywhere.
    """
    if line[:1] == b"{":  # a JSON line's time key first: a client's value may end in "] "
        keys = list(_JSON_TIME_KEY_RE.finditer(line))
        for k in keys:  # "ts" as Unix time, the others as text
            m = TS_RE.match(line, k.start() if k.group(1) == b"ts" else _value_at(line, k.end()))
            if m is not None:
                return m
        # Only where none holds one: "ts" as text (zap's ISO 8601), and Unix time under a
        # "time"/"timestamp" key of the top-level object (depth None: inside a string).
        for k, depth in zip(keys, _depths(line, [k.start() for k in keys])):
            if k.group(1) == b"ts" and depth is not None:
                m = TS_RE.match(line, _value_at(line, k.end()))
            elif k.group(1) in (b"time", b"timestamp") and depth == 1:
                m = _UNIX_RE.match(line, k.start())
            else:
                continue
            if m is not None:
                return m
    c = _CLF_FIELD_RE.search(line)
    if c is not None:
        return TS_RE.match(line, c.end())
    m = TS_RE.match(line, _LEAD_RE.match(line).end())  # type: ignore[union-attr]
    return m if m is not None else TS_RE.search(line)


def find_timestamp(line: bytes, cutoff: Cutoff) -> tuple[bool, int] | None:
    """``(zoned, seconds)`` of the line's own timestamp (:func:`_format_time`), or None.

    ``zoned`` True: Unix seconds (compare with ``cutoff.utc``); False: local
    wall-clock seconds (compare with ``cutoff.naive``).
    """
    m = _format_time(line)
    if m is None:
        return None
    g = m.group
    kind = m.lastgroup
    if kind == "clf":
        secs = days_from_civil(int(g(4)), _MONTH_NUM[g(3)], int(g(2))) * 86400
        secs += int(g(5)) * 3600 + int(g(6)) * 60 + int(g(7))
        off = int(g(9)) * 3600 + int(g(10)) * 60
        return True, secs - off if g(8) == b"+" else secs + off
    if kind == "aerr":
        secs = days_from_civil(int(g(17)), _MONTH_NUM[g(12)], int(g(13))) * 86400
        return False, secs + int(g(14)) * 3600 + int(g(15)) * 60 + int(g(16))
    if kind == "ngx":
        secs = days_from_civil(int(g(19)), int(g(20)), int(g(21))) * 86400
        return False, secs + int(g(22)) * 3600 + int(g(23)) * 60 + int(g(24))
    if kind == "iso":
        secs = days_from_civil(int(g(26)), int(g(27)), int(g(28))) * 86400
        secs += int(g(29)) * 3600 + int(g(30)) * 60 + int(g(31))
        if g(32) is not None:
            return True, secs
        if g(33) is not None:
            off = int(g(34)) * 3600 + int(g(35)) * 60
            return True, secs - off if g(33) == b"+" else secs + off
        return False, secs
    if kind == "sysl":
        mon, day = _MONTH_NUM[g(37)], int(g(38))
        sod = int(g(39)) * 3600 + int(g(40)) * 60 + int(g(41))
        secs = days_from_civil(cutoff.now_year, mon, day) * 86400 + sod
        if secs > cutoff.now_naive + 86400:
            secs = days_from_civil(cutoff.now_year - 1, mon, day) * 86400 + sod
        return False, secs
    digits = g(43) if kind == "caddy" else g(2)  # (unix: _UNIX_RE's own groups)
    return True, int(digits) // _UNIX_UNITS.get(len(digits), 1)


def line_is_expired_py(line: bytes, cutoff: Cutoff) -> bool | None:
    """True/False for a line with a timestamp, None for a line without one."""
    ts = find_timestamp(line, cutoff)
    if ts is None:
        return None
    zoned, secs = ts
    return secs < (cutoff.utc if zoned else cutoff.naive)

"""Calendar maths for `check`: reading timestamps, the day they fall on, and
adding a policy's durations with python-dateutil.

Every comparison is made between *days* in one zone (the binding's
``timezone``, UTC by default): a timestamp counts on the calendar day it falls
on in that zone, and a timestamp without a zone is read in that zone.
``anchor + 1 month`` follows dateutil: 31 January + 1 month = 28 (or 29)
February.
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import MAXYEAR, MINYEAR, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.parser import isoparse
from dateutil.relativedelta import relativedelta

from ..language import ast

DEFAULT_ZONE = "UTC"


class BadDate(ValueError):
    """A value that is not an ISO 8601 date or timestamp."""


class OutOfCalendar(BadDate):
    """A date, or a period's end, outside the calendar Python counts in (0001-01-01 to
    9999-12-31): the arithmetic cannot be done (finding PC903)."""


FIRST_DAY, LAST_DAY = date.min.toordinal(), date.max.toordinal()


def get_zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone '{name}' (use an IANA name such as "
                         "Europe/Stockholm, or UTC)") from None


def to_relativedelta(duration: ast.Duration) -> relativedelta:
    return relativedelta(months=duration.months, days=duration.days)


def add_duration(day: date, duration: ast.Duration) -> date:
    """``day + duration`` exactly as dateutil's relativedelta adds it (the day of the month
    clamped to the month's last day: 31 January + 1 month = 28 February), without its
    cost: ``check`` computes it for every distinct anchor day of a finding."""
    months, days = duration.months, duration.days
    if months:  # years and months in one step, one month-end clamp
        carry, month0 = divmod(day.month - 1 + months, 12)
        year, month = day.year + carry, month0 + 1
        if not MINYEAR <= year <= MAXYEAR:
            raise OutOfCalendar(f"{day} + {duration} ends after 9999-12-31, beyond the calendar")
        day = date(year, month, min(day.day, monthrange(year, month)[1]))
    if days:  # then the days and weeks
        try:
            day = day + timedelta(days=days)
        except OverflowError:
            raise OutOfCalendar(f"{day} + {duration} ends after 9999-12-31, beyond the calendar") from None
    return day


ONE_DAY = timedelta(days=1)


def period_text(rule, due: date) -> str:
    """Both days of a period's end (docs/check.md): its last day and the day after,
    in the words of the rule's kind."""
    try:
        after = (due + ONE_DAY).isoformat()
    except OverflowError:
        after = "never (the calendar ends)"
    if rule.comparison != "overdue":
        return f"keep through {due}; may be erased from {after}"
    if rule.kind == "request_deadline":
        return f"answer by {due}; overdue from {after}"
    if rule.kind in ("erasure_request", "withdrawal_erase", "hold_end_erase"):
        return f"erase by {due}; overdue from {after}"
    return f"may be kept through {due}; overdue from {after}"


def parse_instant(value, zone: tzinfo) -> datetime:
    """An aware datetime; a date alone is midnight, a naive timestamp is in ``zone``."""
    if not isinstance(value, str):
        raise BadDate(f"{value!r} is not a date")
    text = value.strip()
    if "\0" in text:  # CPython's fromisoformat stops reading a timestamp at a NUL
        raise BadDate(f"'{value}' is not an ISO 8601 date or timestamp")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = isoparse(text)  # Python 3.10's fromisoformat has no 'Z', no basic format
        except (ValueError, OverflowError):
            raise BadDate(f"'{value}' is not an ISO 8601 date or timestamp") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed


def local_day(value, zone: tzinfo) -> date:
    """The calendar day ``value`` falls on in ``zone``."""
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    instant = parse_instant(value, zone)
    try:
        return instant.astimezone(zone).date()
    except (OverflowError, ValueError):
        raise OutOfCalendar(f"'{value}' falls outside the calendar (0001-01-01 to 9999-12-31) "
                            f"in zone {zone}") from None


def parse_now(text: str | None, zone: tzinfo) -> datetime:
    if text is None:
        return datetime.now(zone)
    try:
        now = parse_instant(text, zone)
    except BadDate:
        raise ValueError(f"--now: '{text}' is not an ISO 8601 date or timestamp "
                         "(e.g. 2026-11-21 or 2026-11-21T12:00:00+01:00)") from None
    return in_calendar(now, zone, text)


def in_calendar(now: datetime, zone: tzinfo, text=None) -> datetime:
    """``now`` if its day in ``zone`` is in the calendar (0001-01-01 to 9999-12-31), else
    a ValueError naming it."""
    try:
        now.astimezone(zone).date()
    except (OverflowError, ValueError):
        raise ValueError(f"--now: '{text or now.isoformat()}' falls outside the calendar "
                         f"(0001-01-01 to 9999-12-31) in zone {zone}") from None
    return now


def financial_year_end(day: date, month: int, mday: int) -> date:
    """The last day of the financial year that ``day`` falls in."""
    end = date(day.year, month, mday)
    if day <= end:
        return end
    if day.year == MAXYEAR:
        raise OutOfCalendar(f"the financial year of {day} ends after 9999-12-31, beyond the calendar")
    return date(day.year + 1, month, mday)


_DATE_PREFIX = re.compile(r"\d{4}-\d{2}-\d{2}")
_TAIL_CACHE_LIMIT = 200_000


_PLAIN_TAIL = re.compile(r"[T ]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(Z|[+-]([01]\d|2[0-3]):[0-5]\d)?", re.ASCII)


def _plain_tail(tail: str) -> bool | None:
    """For a time of day after a valid date, in one of the commonest shapes (``THH:MM:SS``,
    optionally ``Z`` or ``+HH:MM``; ``T`` or a space): whether it carries a zone. Such a
    value always parses (datetime.fromisoformat, Python 3.11+). None for any other tail."""
    m = _PLAIN_TAIL.fullmatch(tail)
    return None if m is None else m.group(2) is not None


class DayReader:
    """Reads the day of a timestamp, fast, for the hot path.

    ``written(s)`` is the ordinal of the date *as written* (its first ten
    characters), after the whole value has been checked to be a timestamp;
    it is within two days of the day in the zone (offsets reach 14 hours each
    way), so a comparison against a threshold further than two days away is
    decided by it, and only values near the threshold need ``exact(s)``.
    Date prefixes and time-of-day tails repeat, so both are cached.
    """

    def __init__(self, zone: tzinfo):
        self.zone = zone
        self.prefixes: dict[str, int] = {}
        self.tails: dict[str, bool] = {"": False}  # time-of-day tail -> carries a zone

    def written(self, s) -> int:
        try:
            day = self.prefixes[s[:10]]
            if s[10:] in self.tails:
                return day
        except (KeyError, TypeError):
            pass
        return self._learn(s)

    def _learn(self, s) -> int:
        if isinstance(s, str):
            day = self.prefixes.get(s[:10])
            if day is not None and len(self.tails) < _TAIL_CACHE_LIMIT:
                zoned = _plain_tail(s[10:])
                if zoned is not None:  # a known date, and a time of the commonest shapes
                    self.tails[s[10:]] = zoned
                    return day
        instant = parse_instant(s, self.zone)  # raises BadDate
        if _DATE_PREFIX.match(s) and s[10:11] in ("", "T", " ", "t"):
            day = date.fromisoformat(s[:10]).toordinal()
            self.prefixes[s[:10]] = day
            if len(self.tails) < _TAIL_CACHE_LIMIT:
                self.tails[s[10:]] = instant.tzinfo is not self.zone
            return day
        return local_day(s, self.zone).toordinal()

    def exact(self, s) -> int:
        """The ordinal of the day ``s`` falls on in the zone."""
        try:
            if not self.tails[s[10:]]:  # no zone written: the written date is the day
                return self.prefixes[s[:10]]
            if s[10:11] in ("T", " ") and len(s) > 10:  # a known zoned shape: read it directly
                return datetime.fromisoformat(s).astimezone(self.zone).toordinal()
        except (KeyError, TypeError, ValueError, OverflowError):
            pass
        return local_day(s, self.zone).toordinal()


def first_day_reaching(f, target: int, low: int, high: int) -> int:
    """The smallest ordinal a in [low, high] with f(a) >= target; f is non-decreasing.
    The bracket stays in the calendar: FIRST_DAY when every day reaches the target,
    LAST_DAY + 1 when none does."""
    low, high = max(FIRST_DAY, low), min(LAST_DAY, high)
    while low > FIRST_DAY and f(low) >= target:  # widen until the bracket holds
        low = max(FIRST_DAY, low - 366)
    if f(low) >= target:
        return low
    while high < LAST_DAY and f(high) < target:
        high = min(LAST_DAY, high + 366)
    if f(high) < target:
        return LAST_DAY + 1
    while high - low > 1:
        mid = (low + high) // 2
        if f(mid) >= target:
            high = mid
        else:
            low = mid
    return high


def days_between(later: date, earlier: date) -> int:
    return (later - earlier).days


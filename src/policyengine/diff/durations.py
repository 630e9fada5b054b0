"""Comparing two retention periods or deadlines: the one place that reads a Duration.

A month or a year is a calendar month or year (as the checks count them), so
"1 month" is 28 to 31 days depending on the start day. A new period is
*longer* when, for some start day, it ends later than the old one would from
that same day; *shorter* when it never ends later and sometimes earlier.
The Gregorian calendar repeats every 400 years, so scanning one 400-year
cycle of start days is exact; the scan only runs when the two periods mix
months and days in a way simple arithmetic cannot settle.
"""

from __future__ import annotations

import calendar
import functools
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from ..language import ast

LONGER, SAME, SHORTER = "longer", "same", "shorter"



@functools.lru_cache(maxsize=1)
def _start_days() -> tuple[date, ...]:
    """Start days that stand for every day of the 400-year Gregorian cycle.

    Adding months keeps the day of the month unless the target month is too
    short, so every day up to the 28th behaves like the 1st: the 1st and the
    29th-31st of each month of one cycle cover all start days, exactly.
    """
    found = []
    for year in range(2000, 2400):
        for month in range(1, 13):
            found += [date(year, month, day) for day in (1, 29, 30, 31)
                      if day <= calendar.monthrange(year, month)[1]]
    return tuple(found)


def duration_parts(d: ast.Duration) -> tuple[int, int]:
    """(calendar months, days): years count as 12 months, weeks as 7 days."""
    months = {"year": 12, "month": 1}.get(d.unit, 0) * d.amount
    days = {"week": 7, "day": 1}.get(d.unit, 0) * d.amount
    return months, days


def _end(start: date, parts: tuple[int, int]) -> date:
    months, days = parts
    return start + relativedelta(months=months) + timedelta(days=days)


@functools.lru_cache(maxsize=256)
def _bounds(parts: tuple[int, int]) -> tuple[int, int]:
    months, days = parts
    if months == 0:
        return days, days
    lengths = {(_end(s, (months, 0)) - s).days for s in _start_days()}
    return min(lengths) + days, max(lengths) + days


def duration_bounds(d: ast.Duration) -> tuple[int, int]:
    """(fewest, most) days the period can last, over every start day."""
    return _bounds(duration_parts(d))


@functools.lru_cache(maxsize=256)
def _compare_parts(old: tuple[int, int], new: tuple[int, int]) -> str:
    if old == new:
        return SAME
    (om, od), (nm, nd) = old, new
    if nm >= om and nd >= od:  # more months and more days end later from every start day
        return LONGER
    if nm <= om and nd <= od:
        return SHORTER
    old_min, old_max = _bounds(old)
    new_min, new_max = _bounds(new)
    if new_max < old_min:
        return SHORTER
    if new_min > old_max:
        return LONGER
    # Overlapping ranges (e.g. 1 month against 30 days): compare from the same start days.
    shorter_somewhere = False
    for start in _start_days():
        diff = (_end(start, new) - _end(start, old)).days
        if diff > 0:
            return LONGER
        shorter_somewhere = shorter_somewhere or diff < 0
    return SHORTER if shorter_somewhere else SAME


def compare_durations(old: ast.Duration | None, new: ast.Duration | None) -> str:
    """LONGER, SAME or SHORTER; None stands for "no limit" (longer than any period)."""
    if old is None or new is None:
        return SAME if old is new else (LONGER if new is None else SHORTER)
    return _compare_parts(duration_parts(old), duration_parts(new))


def describe_bounds(d: ast.Duration) -> str:
    """ "1 month (28-31 days)", for the reason a change is printed with."""
    low, high = duration_bounds(d)
    if duration_parts(d)[0] == 0:
        return str(d)
    return f"{d} ({low}-{high} days)" if low != high else f"{d} ({low} days)"

"""Comparing two retention periods or deadlines: the one place that reads a Duration.

A month or a year is a calendar month or year (as the checks count them), so
"1 month" is 28 to 31 days depending on the start day. A new period is
*longer* when, for some start day, it ends later than the old one would from
that same day; *shorter* when it never ends later and sometimes earlier.
The Gregorian calendar repeats every 400 years, so scanning one 400-year
cycle of start days is exact (tests/test_diff_properties.py checks it against
dateutil's relativedelta from arbitrary start days); the pairwise scan only runs
when the two periods mix months and days in a way simple arithmetic cannot settle.
"""

from __future__ import annotations

import calendar
import functools
from datetime import date

from ..language import ast

LONGER, SAME, SHORTER = "longer", "same", "shorter"
NO_TIME = ast.Duration(0, "day")  # `retain until withdrawn`: a limit that ends at the event itself



_CYCLE_MONTHS = 400 * 12
_CYCLE_DAYS = 146_097  # days in 400 Gregorian years: the calendar repeats after them


@functools.lru_cache(maxsize=1)
def _month_table() -> tuple[tuple[int, ...], tuple[int, ...]]:
    """For each month k of one cycle from January 2000: the ordinal of its 1st, its length."""
    firsts, lengths = [], []
    for k in range(_CYCLE_MONTHS):
        year, month = 2000 + k // 12, k % 12 + 1
        firsts.append(date(year, month, 1).toordinal())
        lengths.append(calendar.monthrange(year, month)[1])
    return tuple(firsts), tuple(lengths)


def _first(k: int) -> int:
    firsts, _ = _month_table()
    return firsts[k % _CYCLE_MONTHS] + (k // _CYCLE_MONTHS) * _CYCLE_DAYS


def _length(k: int) -> int:
    return _month_table()[1][k % _CYCLE_MONTHS]


def _start_days():
    """(month index, day) pairs that stand for every start day of the 400-year cycle.

    Adding months keeps the day of the month unless the target month is too
    short (then it is that month's last day, as dateutil's relativedelta does),
    so every day up to the 28th behaves like the 1st: the 1st and the 29th-31st
    of each month of one cycle cover all start days, exactly.
    """
    for k in range(_CYCLE_MONTHS):
        for day in (1, 29, 30, 31):
            if day <= _length(k):
                yield k, day


def _end(k: int, day: int, parts: tuple[int, int]) -> int:
    """The ordinal of the day a period starting on (month k, day) ends on."""
    months, days = parts
    return _first(k + months) + min(day, _length(k + months)) - 1 + days


def duration_parts(d: ast.Duration) -> tuple[int, int]:
    """(calendar months, days): years count as 12 months, weeks as 7 days."""
    return d.months, d.days  # over every part of a compound duration


@functools.lru_cache(maxsize=256)
def _bounds(parts: tuple[int, int]) -> tuple[int, int]:
    months, days = parts
    if months == 0:
        return days, days
    lengths = {_end(k, day, parts) - (_first(k) + day - 1) for k, day in _start_days()}
    return min(lengths), max(lengths)


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
    for k, day in _start_days():
        diff = _end(k, day, new) - _end(k, day, old)
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

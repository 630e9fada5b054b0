"""Exact lengths of a policy's durations, for lint's comparisons (PE203, PE207).

A duration is ``months`` (years count 12) added with one month-end clamp, then ``days``
(weeks count 7), as ``checking.dates.add_duration`` adds it. How many days that is
depends on the start day; the Gregorian calendar repeats every 400 years, and within a
month every start day up to the 28th gives the same length (no clamp can happen), so the
start days of one 400-year cycle on the 1st, 29th, 30th and 31st of each month cover every
case exactly. Each distinct month count is computed once.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from . import ast

_CYCLE_START = 2000  # any year: the cycle is what matters


@lru_cache(maxsize=None)
def _starts() -> tuple[tuple[int, int, int, int], ...]:
    """(year, month, day, ordinal) of the representative start days of one cycle."""
    out = []
    for year in range(_CYCLE_START, _CYCLE_START + 400):
        for month in range(1, 13):
            last = _last_day(year, month)
            for day in (1, 29, 30, 31):
                if day <= last:
                    out.append((year, month, day, date(year, month, day).toordinal()))
    return tuple(out)


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _last_day(y: int, m: int) -> int:
    # monthrange's weekday is not needed, and it was most of lint's start-up
    if m == 2 and y % 4 == 0 and (y % 100 != 0 or y % 400 == 0):
        return 29
    return _MONTH_DAYS[m - 1]


@lru_cache(maxsize=None)
def _month_lengths(months: int) -> tuple[int, ...]:
    """The length in days of ``months`` months from each representative start day."""
    lengths = []
    toordinal = date.toordinal
    for year, month, day, ordinal in _starts():
        carry, month0 = divmod(month - 1 + months, 12)
        y, m = year + carry, month0 + 1
        if day > 28:
            day = min(day, _last_day(y, m))
        lengths.append(toordinal(date(y, m, day)) - ordinal)
    return tuple(lengths)


@lru_cache(maxsize=None)
def _month_extremes(months: int) -> tuple[int, int]:
    lengths = _month_lengths(months)
    return min(lengths), max(lengths)


def _lengths(d: ast.Duration) -> tuple[int, ...] | int:
    days = d.days  # a property: read once, not once per start day (lint's start-up)
    if not d.months:
        return days
    return tuple(n + days for n in _month_lengths(d.months))


def shortest(d: ast.Duration) -> int:
    """The fewest days ``d`` can be, over every start day."""
    return d.days + _month_extremes(d.months)[0] if d.months else d.days


def longest(d: ast.Duration) -> int:
    return d.days + _month_extremes(d.months)[1] if d.months else d.days


def can_exceed(a: ast.Duration, b: ast.Duration) -> bool:
    """True when, for some start day, ``start + a`` is later than ``start + b``."""
    if a.months == b.months:
        return a.days > b.days
    if not a.days and not b.days:  # whole months: more months always end later
        return a.months > b.months
    la, lb = _lengths(a), _lengths(b)
    if isinstance(la, int):
        la = (la,) * len(lb)
    if isinstance(lb, int):
        lb = (lb,) * len(la)
    return any(x > y for x, y in zip(la, lb))

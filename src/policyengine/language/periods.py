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


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_CYCLE_MONTHS, _CYCLE_DAYS = 400 * 12, 146_097
# date() raises past year 9999; a month count that would go there keeps that behaviour.
_MAX_MONTHS = (9999 - (_CYCLE_START + 399)) * 12


def _last_day(y: int, m: int) -> int:
    # monthrange's weekday is not needed, and it was most of lint's start-up
    if m == 2 and y % 4 == 0 and (y % 100 != 0 or y % 400 == 0):
        return 29
    return _MONTH_DAYS[m - 1]


@lru_cache(maxsize=None)
def _cycle() -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Days from the cycle's first day to the 1st of each of its 4,800 months, and each
    month's length: plain sums instead of a date() per start day (lint's start-up)."""
    firsts, lasts, offset = [], [], 0
    for year in range(_CYCLE_START, _CYCLE_START + 400):
        for month in range(1, 13):
            last = _last_day(year, month)
            firsts.append(offset)
            lasts.append(last)
            offset += last
    assert offset == _CYCLE_DAYS
    return tuple(firsts), tuple(lasts)


@lru_cache(maxsize=None)
def _month_lengths(months: int) -> tuple[int, ...]:
    """The length in days of ``months`` months from each representative start day (the 1st,
    29th, 30th and 31st of every month of the cycle that has that day, in calendar order)."""
    if months > _MAX_MONTHS:
        date(10_000, 1, 1)  # raises ValueError, as adding this many months always did
    firsts, lasts = _cycle()
    lengths = []
    append = lengths.append
    carry, shift = divmod(months, _CYCLE_MONTHS)
    base = carry * _CYCLE_DAYS
    for i in range(_CYCLE_MONTHS):
        j = i + shift
        if j >= _CYCLE_MONTHS:
            j -= _CYCLE_MONTHS
            span = base + _CYCLE_DAYS + firsts[j] - firsts[i]
        else:
            span = base + firsts[j] - firsts[i]
        append(span)  # from the 1st: no clamp
        target_last = lasts[j]
        for day in (29, 30, 31):
            if day > lasts[i]:
                break
            append(span + min(day, target_last) - day)
    return tuple(lengths)


@lru_cache(maxsize=None)
def _month_extremes(months: int) -> tuple[int, int]:
    """``min`` and ``max`` of ``_month_lengths(months)`` without listing them (lint's
    start-up: the list was most of validating a policy). From month i to month j, the 1st
    gives the whole span, the longest; a later start day d loses max(0, d - last(j)), most
    for i's last day: so month i's shortest is span - max(0, last(i) - last(j))."""
    if months > _MAX_MONTHS:
        date(10_000, 1, 1)  # raises ValueError, as _month_lengths does
    firsts, lasts = _cycle()
    carry, shift = divmod(months, _CYCLE_MONTHS)
    base = carry * _CYCLE_DAYS
    ends = firsts[shift:] + tuple(f + _CYCLE_DAYS for f in firsts[:shift])
    spans = [base + e - f for e, f in zip(ends, firsts)]
    end_lasts = lasts[shift:] + lasts[:shift]
    shortest = min(s - (li - lj if li > lj else 0) for s, li, lj in zip(spans, lasts, end_lasts))
    return shortest, max(spans)


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

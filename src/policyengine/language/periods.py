"""Exact lengths of a policy's durations, for lint's comparisons (PE203, PE207).

A duration is ``months`` (years count 12) added with one month-end clamp, then ``days``
(weeks count 7), as ``checking.dates.add_duration`` adds it. How many days that is
depends on the start day; the Gregorian calendar repeats every 400 years, and within a
month every start day up to the 28th gives the same length (no clamp can happen), so the
start days of one 400-year cycle on the 1st, 29th, 30th and 31st of each month cover every
case exactly. Each distinct month count is computed once.
"""

from __future__ import annotations

from calendar import monthrange
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
            last = monthrange(year, month)[1]
            for day in (1, 29, 30, 31):
                if day <= last:
                    out.append((year, month, day, date(year, month, day).toordinal()))
    return tuple(out)


@lru_cache(maxsize=None)
def _month_lengths(months: int) -> tuple[int, ...]:
    """The length in days of ``months`` months from each representative start day."""
    lengths = []
    for year, month, day, ordinal in _starts():
        carry, month0 = divmod(month - 1 + months, 12)
        y, m = year + carry, month0 + 1
        lengths.append(date(y, m, min(day, monthrange(y, m)[1])).toordinal() - ordinal)
    return tuple(lengths)


def _lengths(d: ast.Duration) -> tuple[int, ...] | int:
    if not d.months:
        return d.days
    return tuple(n + d.days for n in _month_lengths(d.months))


def shortest(d: ast.Duration) -> int:
    """The fewest days ``d`` can be, over every start day."""
    n = _lengths(d)
    return n if isinstance(n, int) else min(n)


def longest(d: ast.Duration) -> int:
    n = _lengths(d)
    return n if isinstance(n, int) else max(n)


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

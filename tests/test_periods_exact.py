"""periods: the month lengths lint compares by, computed from sums over the 400-year
cycle, equal those of adding months with date() from every representative start day."""

from __future__ import annotations

import calendar
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyengine.language import periods


def _by_date(months: int) -> tuple[int, ...]:
    """The reference: date() arithmetic from the 1st, 29th, 30th and 31st of each month."""
    out = []
    for year in range(2000, 2400):
        for month in range(1, 13):
            for day in (1, 29, 30, 31):
                try:
                    start = date(year, month, day)
                except ValueError:
                    continue
                carry, month0 = divmod(month - 1 + months, 12)
                y, m = year + carry, month0 + 1
                end = date(y, m, min(day, calendar.monthrange(y, m)[1]))  # the month-end clamp
                out.append(end.toordinal() - start.toordinal())
    return tuple(out)


@pytest.mark.parametrize("months", [1, 2, 11, 12, 13, 24, 59, 4799, 4800, 4801, 12 * 150])
def test_month_lengths_equal_date_arithmetic(months):
    assert periods._month_lengths(months) == _by_date(months)


@settings(max_examples=15, deadline=None)
@given(st.integers(min_value=1, max_value=periods._MAX_MONTHS))
def test_month_lengths_equal_date_arithmetic_any_count(months):
    assert periods._month_lengths(months) == _by_date(months)


@settings(max_examples=40, deadline=None)
@given(st.one_of(st.integers(min_value=0, max_value=130), st.integers(min_value=1, max_value=periods._MAX_MONTHS)))
def test_extremes_are_those_of_the_listed_lengths(months):
    lengths = periods._month_lengths(months)
    assert periods._month_extremes(months) == (min(lengths), max(lengths))


def test_past_year_9999_still_raises():
    with pytest.raises(ValueError):
        periods._month_lengths(periods._MAX_MONTHS + 1)
    with pytest.raises(ValueError):
        _by_date(periods._MAX_MONTHS + 1)
    with pytest.raises(ValueError):
        periods._month_extremes(periods._MAX_MONTHS + 1)

"""Working days for request deadlines that say ``next working day`` (docs/check.md).

A deadline whose last day is not a working day moves to the next working day:

- EU acts (GDPR Art. 12(3) included), Regulation (EEC, Euratom) No 1182/71 Art. 3(4):
  public holidays, Saturdays and Sundays are not working days; the public holidays are
  those of the Member State (or EEA state) concerned: the controller's ``jurisdiction``.
- Sweden, lag (1930:173) om beräkning av lagstadgad tid 2 §: also midsommarafton,
  julafton and nyårsafton.

Public holidays come from the ``holidays`` package (the optional extra
``privacy-promises[holidays]``); the days the Swedish act adds are added here.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from ..language.diagnostics import PolicyError

ONE_DAY = timedelta(days=1)


def require_holidays(where: str) -> None:
    """A clear error when a policy says ``next working day`` and the package is missing."""
    try:
        import holidays  # noqa: F401
    except ImportError:
        raise PolicyError(f"{where}: 'next working day' needs the public holidays of the "
                          "jurisdiction, from the holidays package: pip install "
                          "'privacy-promises[holidays]'") from None


@lru_cache(maxsize=None)
def _days_off(jurisdiction: str, year: int) -> frozenset[date]:
    import holidays

    try:
        days = set(holidays.country_holidays(jurisdiction, years=year))
    except NotImplementedError:  # a jurisdiction the package does not know: weekends only
        days = set()
    if jurisdiction == "SE":  # lag (1930:173) 2 §
        days |= {date(year, 12, 24), date(year, 12, 31)}
        days |= {date(year, 6, d) for d in range(19, 26) if date(year, 6, d).weekday() == 4}
    return frozenset(days)


def is_working_day(day: date, jurisdiction: str) -> bool:
    return day.weekday() < 5 and day not in _days_off(jurisdiction, day.year)


def next_working_day(day: date, jurisdiction: str) -> date:
    """``day`` if it is a working day, else the first working day after it."""
    while not is_working_day(day, jurisdiction):
        if day == date.max:
            return day
        day += ONE_DAY
    return day

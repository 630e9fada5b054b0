"""--max-age: compound durations in one step, and the calendar's ends (issue 9).

A compound duration (``7y6mo``, ``1mo15d``) is one relativedelta subtracted in one
step: years and months first with one month-end clamp, then days, as dateutil's
``relativedelta(years=7, months=6)`` does.  A line is expired when its time is
strictly before the cut-off, so the cut-off's own day is kept: each row is tested
with a line on the day before (dropped), the day (kept) and the day after (kept).
Expected dates are written out by hand, not computed with dateutil.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scrubber import Settings, native_available, scrub_block
from scrubber.timestamps import make_cutoff

PATHS = [True, False] if native_available() else [True]
UTC = dt.timezone.utc

# (now, --max-age, the cut-off date: its 00:00:00 when now is at 00:00:00 UTC)
CUTOFFS = [
    ("2027-08-29", "7y6mo", "2020-02-29"),  # the example, backwards
    ("2027-08-31", "7y6mo", "2020-02-29"),  # one clamp: 31 -> 29 February
    ("2027-08-31", "6mo7y", "2020-02-29"),  # order of the parts does not matter
    ("2028-02-29", "7y6mo", "2020-08-29"),
    ("2021-03-31", "1mo15d", "2021-02-13"),  # months first (clamp to 28), then 15 days
    ("2020-03-31", "1mo15d", "2020-02-14"),  # leap year: clamp to 29
    ("2020-03-31", "1mo1mo", "2020-01-31"),  # 2 months in one step, not 29 Feb then 29 Jan
    ("2020-03-31", "2mo", "2020-01-31"),
    ("2021-02-28", "1y", "2020-02-28"),
    ("2020-02-29", "1y", "2019-02-28"),  # no 29 February: the month's last day
    ("2024-02-29", "4y", "2020-02-29"),
    ("2024-02-29", "1y1d", "2023-02-27"),  # clamp to 28, then one day
    ("2020-03-01", "1mo", "2020-02-01"),
    ("2020-03-01", "1d", "2020-02-29"),
    ("2021-01-01", "1y6mo", "2019-07-01"),
    ("2021-12-31", "1y10mo", "2020-02-29"),
    ("2020-01-01", "2w1d", "2019-12-17"),
]


def _line(day: dt.date) -> bytes:
    return f"192.0.2.1 - - [{day.isoformat()}T00:00:00Z] GET /\n".encode()


@pytest.mark.parametrize("pure", PATHS, ids=lambda p: "pure" if p else "native")
@pytest.mark.parametrize(("now", "age", "cut"), CUTOFFS, ids=[f"{n}-{a}" for n, a, _ in CUTOFFS])
def test_compound_durations_cut_once_day_before_day_and_after(now: str, age: str, cut: str, pure: bool) -> None:
    now_t = dt.datetime.fromisoformat(now).replace(tzinfo=UTC)
    cut_d = dt.date.fromisoformat(cut)
    c = make_cutoff(age, now_t, "UTC")
    assert dt.datetime.fromtimestamp(c.utc, UTC) == dt.datetime.combine(cut_d, dt.time(), UTC)
    s = Settings.create(max_age=age, now=now_t, timezone="UTC")
    before, day, after = (cut_d + dt.timedelta(days=k) for k in (-1, 0, 1))
    out, stats, _ = scrub_block(_line(before) + _line(day) + _line(after), s, pure=pure)
    assert out == (_line(day) + _line(after)).replace(b"192.0.2.1", b"192.0.2.0")
    assert stats.lines_expired == 1


# ---------------------------------------------------------- the calendar's ends
OUT_OF_RANGE = [
    ["--max-age", "99999y"],
    ["--max-age", "100000000000d"],
    ["--max-age", "9" * 5000 + "d"],
    ["--max-age", "10000y", "--now", "9999-12-31T23:59:59Z"],
    ["--now", "0001-01-01T00:00:00Z", "--max-age", "1d"],
    ["--now", "0001-01-01T00:00:00Z", "--max-age", "1s"],
    ["--now", "0001-01-01T00:00:00", "--timezone", "America/New_York", "--max-age", "1h"],
    ["--now", "9999-12-31T23:59:59-12:00", "--max-age", "1d"],  # now itself is past 9999 in UTC
    ["--now", "9999-12-31T23:00:00Z", "--timezone", "Pacific/Kiritimati", "--max-age", "1d"],
]


@pytest.mark.parametrize("args", OUT_OF_RANGE, ids=lambda a: " ".join(x[:20] for x in a))
def test_out_of_range_is_exit_2_with_a_message(args: list[str]) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "scrubber", *args], input=b"x 192.0.2.1\n", capture_output=True, timeout=60
    )
    assert r.returncode == 2, r.stderr
    assert r.stdout == b""
    assert b"Traceback" not in r.stderr
    assert r.stderr.startswith(b"scrubber: error: --max-age"), r.stderr
    assert b"years 1-9999" in r.stderr or b"at most 9999 years" in r.stderr, r.stderr


@pytest.mark.parametrize(
    ("now", "age", "cut"),
    [
        ("9999-12-31T23:59:59+00:00", "1d", "9999-12-30T23:59:59+00:00"),
        ("9999-12-31T23:59:59+00:00", "9998y", "0001-12-31T23:59:59+00:00"),
        ("0001-01-02T00:00:00+00:00", "1d", "0001-01-01T00:00:00+00:00"),
        ("2024-06-30T00:00:00+00:00", "2023y5mo29d", "0001-01-01T00:00:00+00:00"),
    ],
)
def test_cutoffs_at_the_calendars_ends_still_work(now: str, age: str, cut: str) -> None:
    c = make_cutoff(age, dt.datetime.fromisoformat(now), "UTC")
    assert dt.datetime.fromtimestamp(c.utc, UTC) == dt.datetime.fromisoformat(cut)


_UNITS = st.sampled_from(["s", "m", "h", "d", "w", "mo", "y", "days", "months", "years"])
_PARTS = st.tuples(st.integers(0, 10**14), _UNITS).map(lambda p: f"{p[0]}{p[1]}")
_ZONES = st.sampled_from(["UTC", "Europe/Stockholm", "America/New_York", "Pacific/Kiritimati", "Pacific/Pago_Pago"])
_NOWS = st.datetimes(
    min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59), timezones=st.just(UTC)
) | st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59))


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(_PARTS, min_size=1, max_size=4), now=_NOWS, zone=_ZONES)
def test_any_duration_and_now_give_a_cutoff_or_a_value_error(parts: list[str], now: dt.datetime, zone: str) -> None:
    """Hostile sizes at both ends of the calendar: a cut-off no later than now, or ValueError."""
    age = "".join(parts)
    try:
        c = make_cutoff(age, now, zone)
    except ValueError as exc:
        assert "9999" in str(exc)
        return
    aware = now if now.tzinfo is not None else now.replace(tzinfo=UTC if zone == "UTC" else ZoneInfo(zone))
    assert c.utc <= int(aware.timestamp())

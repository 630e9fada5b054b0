"""--max-age without months or years is subtracted as a timedelta (no dateutil import at
start-up): the cut-off must be the one relativedelta gives, for any amounts and moments,
and fail the same way where relativedelta fails (years before 1, amounts out of range)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scrubber.timestamps import _before, duration_parts, make_cutoff, parse_duration

UNITS = ["s", "sec", "seconds", "m", "min", "minutes", "h", "hours", "d", "day", "w", "weeks", "mo", "months", "y", "years"]
amount = st.one_of(st.integers(0, 100), st.integers(0, 10**6), st.integers(0, 10**12 - 1))
durations = st.lists(st.tuples(amount, st.sampled_from(UNITS)), min_size=1, max_size=4).map(
    lambda ps: "".join(f"{n}{u}" for n, u in ps)
)
zones = st.sampled_from([dt.timezone.utc, ZoneInfo("Europe/Stockholm"), ZoneInfo("America/New_York"), dt.timezone(dt.timedelta(hours=-3))])
moments = st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=zones)


def _outcome(f):  # type: ignore[no-untyped-def]
    try:
        return f()
    except (OverflowError, ValueError) as exc:
        return type(exc)


@given(text=durations, moment=moments)
def test_before_is_relativedelta_arithmetic(text: str, moment: dt.datetime) -> None:
    parts = duration_parts(text)
    assert _outcome(lambda: _before(moment, parts)) == _outcome(lambda: moment - parse_duration(text))


@given(text=durations, moment=moments)
def test_cutoff_fails_or_not_as_before(text: str, moment: dt.datetime) -> None:
    got = _outcome(lambda: make_cutoff(text, moment, "Europe/Stockholm"))
    local = moment.replace(microsecond=0).astimezone(ZoneInfo("Europe/Stockholm"))
    want = _outcome(lambda: int((local - parse_duration(text)).astimezone(dt.timezone.utc).timestamp()))
    if isinstance(want, int):
        assert not isinstance(got, type) and got.utc == want
    else:
        assert got is ValueError  # make_cutoff says why, as a ValueError


@pytest.mark.parametrize("text", ["30d", "12h", "2w", "90 days", "1h30m", "10s"])
def test_a_pipe_with_day_durations_does_not_import_dateutil(text: str) -> None:
    code = (
        "import sys, scrubber.cli\n"
        "try:\n    scrubber.cli.main([" + repr("--max-age") + ", " + repr(text) + "])\n"
        "except SystemExit:\n    pass\n"
        "print('dateutil' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], input=b"", capture_output=True, check=True).stdout
    assert out.strip().endswith(b"False")
    # A calendar unit still needs it (and gets it).
    code_mo = code.replace(repr(text), repr("1mo"))
    out = subprocess.run([sys.executable, "-c", code_mo], input=b"", capture_output=True, check=True).stdout
    assert out.strip().endswith(b"True")

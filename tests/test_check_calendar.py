"""Calendar edge cases, zones, and the fast path agreeing with exact arithmetic."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from check_support import compiled_policy, findings
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from policyengine import check
from policyengine.checking.binding import Binding
from policyengine.checking.dates import financial_year_end, get_zone, local_day
from policyengine.checking.evaluate import lower_to_python
from policyengine.checking.reading import check_lines


@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    return compiled_policy(tmp_path_factory.mktemp("policy"))


def due_of(policy, record, now):
    return [(f.code, f.due.isoformat(), f.days) for f in findings(policy, record, now)]


@pytest.mark.parametrize("deleted, now, expected", [
    ("2026-01-31", "2026-02-28", []),  # 31 January + 1 month = 28 February
    ("2026-01-31", "2026-03-01", [("PC103", "2026-02-28", 1)]),
    ("2026-01-28", "2026-03-01", [("PC103", "2026-02-28", 1)]),
    ("2024-01-31", "2024-02-29", []),  # leap year: 29 February
    ("2024-01-31", "2024-03-01", [("PC103", "2024-02-29", 1)]),
    ("2026-03-31", "2026-04-30", []),
    ("2026-03-31", "2026-05-01", [("PC103", "2026-04-30", 1)]),
    ("2026-12-31", "2027-01-31", []),  # across the year
    ("2026-12-31", "2027-02-01", [("PC103", "2027-01-31", 1)]),
])
def test_one_month_from_month_end(policy, deleted, now, expected):
    assert due_of(policy, {"purpose": "backups", "deleted": deleted}, now) == expected


@pytest.mark.parametrize("collected, now, expected", [
    ("2024-02-29", "2026-02-28", []),  # leap day + 2 years = 28 February
    ("2024-02-29", "2026-03-01", [("PC101", "2026-02-28", 1)]),
    ("2022-02-28", "2024-02-29", [("PC101", "2024-02-28", 1)]),
])
def test_leap_day(policy, collected, now, expected):
    record = {"purpose": "marketing", "collected": collected, "consent_given": collected}
    assert due_of(policy, record, now) == expected


@pytest.mark.parametrize("day, end", [
    (date(2019, 6, 30), date(2019, 6, 30)), (date(2019, 7, 1), date(2020, 6, 30)),
    (date(2019, 1, 1), date(2019, 6, 30)), (date(2019, 12, 31), date(2020, 6, 30)),
])
def test_financial_year_end(day, end):
    assert financial_year_end(day, 6, 30) == end


@pytest.mark.parametrize("transaction, now, expected", [
    ("2019-06-30", "2026-06-29", [("PC202", "2026-06-30", 1)]),  # FY 2019 ends 2019-06-30
    ("2019-06-30", "2026-06-30", []),
    ("2019-07-01", "2027-06-29", [("PC202", "2027-06-30", 1)]),  # next financial year
    ("2019-07-01", "2027-06-30", []),
])
def test_legal_hold_counts_from_financial_year_end(policy, transaction, now, expected):
    record = {"purpose": "books", "transaction": transaction, "erasure_requested": now}
    assert due_of(policy, record, now) == expected


@pytest.mark.parametrize("deleted, zone, expected", [
    ("2026-10-20T22:30:00Z", "UTC", [("PC103", "2026-11-20", 1)]),
    ("2026-10-20T22:30:00Z", "Europe/Stockholm", []),  # 00:30 on the 21st in Stockholm
    ("2026-10-20T22:30:00", "Europe/Stockholm", [("PC103", "2026-11-20", 1)]),  # no zone: Stockholm time
    ("2026-10-21T01:00:00+05:00", "UTC", [("PC103", "2026-11-20", 1)]),  # 20:00 on the 20th in UTC
    ("2026-10-20 23:59:59", "UTC", [("PC103", "2026-11-20", 1)]),
])
def test_day_is_taken_in_the_binding_zone(policy, deleted, zone, expected):
    binding = Binding.identity(timezone=zone)
    found = check(policy, [{"id": "b", "purpose": "backups", "deleted": deleted}],
                  now="2026-11-21T12:00:00+00:00", binding=binding)
    got = [(f.code, f.due.isoformat(), f.days) for f in found]
    assert got == expected


def test_now_defaults_to_the_current_time(policy):
    old = (datetime.now(timezone.utc) - timedelta(days=40)).date().isoformat()
    assert [f.code for f in findings(policy, {"purpose": "backups", "deleted": old}, None)] == ["PC103"]


ZONES = ["UTC", "Europe/Stockholm", "America/New_York", "Pacific/Kiritimati", "Pacific/Pago_Pago"]


@settings(max_examples=300, deadline=None)
@given(anchor=st.datetimes(min_value=datetime(2018, 1, 1), max_value=datetime(2027, 12, 31)),
       offset_minutes=st.one_of(st.none(), st.integers(-12 * 60, 14 * 60)),
       today=st.dates(min_value=date(2020, 1, 1), max_value=date(2027, 12, 31)),
       zone=st.sampled_from(ZONES), date_only=st.booleans())
def test_fast_path_agrees_with_exact_arithmetic(policy, anchor, offset_minutes, today, zone, date_only):
    """The precomputed thresholds and the two-day band decide exactly as anchor + D < today."""
    if date_only:
        value = anchor.date().isoformat()
    elif offset_minutes is None:
        value = anchor.isoformat()
    else:
        value = anchor.replace(tzinfo=timezone(timedelta(minutes=offset_minutes))).isoformat()
    binding = Binding.identity(timezone=zone)
    lowered = lower_to_python(policy, binding, datetime.combine(today, datetime.min.time()).isoformat())
    values = tuple({"id": "x", "purpose": "backups", "deleted": value}.get(c) for c in lowered.columns)
    got = [f.code for f in lowered.evaluate("t", 1, values)]
    day = local_day(value, get_zone(zone))
    assert got == (["PC103"] if day + relativedelta(months=1) < today else [])


@settings(max_examples=300, deadline=None)
@given(anchor=st.datetimes(min_value=datetime(2018, 1, 1), max_value=datetime(2027, 12, 31)),
       offset_minutes=st.one_of(st.none(), st.integers(-12 * 60, 14 * 60)),
       today=st.dates(min_value=date(2020, 1, 1), max_value=date(2027, 12, 31)),
       zone=st.sampled_from(ZONES), shape=st.sampled_from(["date", "T", " ", "micro"]),
       purpose=st.sampled_from(["backups", "marketing", "support", "cctv", "books"]),
       asked=st.booleans(), twice=st.booleans())
def test_screen_agrees_with_evaluate(policy, anchor, offset_minutes, today, zone, shape, purpose,
                                     asked, twice):
    """The hot loop's screen never clears a record that `evaluate` would report."""
    import json

    if shape == "date":
        value = anchor.date().isoformat()
    else:
        stamp = anchor if shape == "micro" else anchor.replace(microsecond=0)
        if offset_minutes is not None:
            stamp = stamp.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
        value = stamp.isoformat(sep="T" if shape != " " else " ")
    record = {"id": "x", "purpose": purpose, "deleted": value, "collected": value,
              "contract_end": value, "transaction": value, "consent_given": "2020-01-01",
              "erasure_requested": value if asked else None}
    binding = Binding.identity(timezone=zone)
    lowered = lower_to_python(policy, binding, datetime.combine(today, datetime.min.time()).isoformat())
    values = tuple(record.get(c) for c in lowered.columns)
    expected = lowered.evaluate("t", 1, values) + (lowered.evaluate("t", 2, values) if twice else [])
    out: list = []
    line = json.dumps(record).encode()
    cold = lower_to_python(policy, binding, datetime.combine(today, datetime.min.time()).isoformat())
    n = check_lines(cold, "t", 1, [line, line] if twice else [line], 0, cold.columns, out)
    assert n == (2 if twice else 1)
    assert out == expected

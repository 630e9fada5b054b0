"""Dates at the calendar's ends never crash `check`: a record whose period cannot be
computed is PC903 and the run goes on; a `--now` outside the calendar in the zone is
exit 2 with a message."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from check_support import ROOT, compiled_policy, write_setup
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from policyengine import check
from policyengine.checking.binding import Binding
from policyengine.checking.findings import CODES as FINDINGS
from policyengine.cli import main

BINERO = ["check", str(ROOT / "rules/binero.policy"), "-b", str(ROOT / "examples/binero/binding.yaml"),
          "-r", str(ROOT / "examples/binero/records.csv"), "--summary"]


@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    return compiled_policy(tmp_path_factory.mktemp("policy"))


@pytest.mark.parametrize("now", ["9999-12-31", "0001-01-01", "9999-12-31T23:59:59+01:00", "0001-01-01T00:00:00"])
def test_now_at_the_calendar_ends_runs(now):
    result = CliRunner().invoke(main, BINERO + ["--now", now])
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "records checked against" in result.output


@pytest.mark.parametrize("now", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+02:00"])
def test_now_outside_the_calendar_in_the_zone_is_exit_2(now):
    result = CliRunner().invoke(main, BINERO + ["--now", now])  # the binding's zone: Stockholm
    assert result.exit_code == 2
    assert "falls outside the calendar (0001-01-01 to 9999-12-31)" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("record, code", [
    ({"purpose": "books", "transaction": "9999-12-31", "erasure_requested": "2026-11-01"}, "PC903"),
    ({"purpose": "books", "transaction": "9999-07-01", "erasure_requested": "2026-11-01"}, "PC903"),
    ({"purpose": "cctv", "collected": "9999-12-31", "erasure_requested": "2026-11-01"}, "PC903"),
    ({"purpose": "support", "request_received": "9999-12-31"}, "PC903"),
    ({"purpose": "backups", "deleted": "0001-01-01"}, "PC103"),  # computable: long overdue
    ({"purpose": "backups", "deleted": "9999-12-31"}, None),  # not yet due, beyond the calendar
    ({"purpose": "backups", "deleted": "0001-01-01T00:30:00+02:00"}, "PC903"),  # before 0001-01-01 in UTC
    # after 9999-12-31 in UTC, but written far from the threshold: certainly not due
    ({"purpose": "backups", "deleted": "9999-12-31T23:30:00-02:00"}, None),
])
def test_record_at_the_calendar_ends(policy, record, code):
    got = [f.code for f in check(policy, [dict({"id": "r"}, **record)], now="2026-11-21T12:00:00Z")]
    assert got == ([code] if code else [])


def test_pc903_names_the_rule_and_the_date(policy):
    (f,) = check(policy, [{"id": "b", "purpose": "books", "transaction": "9999-12-31",
                           "erasure_requested": "2026-11-01"}], now="2026-11-21")
    assert "transaction 9999-12-31" in f.message and "beyond the calendar" in f.message
    assert "legal hold 7 years" in f.message


def test_the_run_goes_on_after_a_record_out_of_the_calendar(tmp_path):
    folder, policy_path, _ = write_setup(tmp_path, "")
    columns = sorted(set(Binding.identity().columns.values()))
    rows = [dict.fromkeys(columns, ""), dict.fromkeys(columns, "")]
    rows[0].update(id="a", purpose="backups", deleted="0001-01-01T00:30:00+02:00")
    rows[1].update(id="b", purpose="backups", deleted="2020-01-01")
    records = folder / "r.csv"
    records.write_text("\n".join(",".join(r[c] for c in columns) for r in [dict(zip(columns, columns))] + rows))
    result = CliRunner().invoke(main, ["check", str(policy_path), "-r", str(records),
                                       "--now", "2026-11-21", "--format", "jsonl"])
    assert result.exit_code == 1, result.output
    assert [line.split('"code":"')[1][:5] for line in result.output.splitlines()] == ["PC903", "PC103"]


EXTREME_DAYS = st.one_of(
    st.dates(min_value=date(1, 1, 1), max_value=date(1, 3, 1)),
    st.dates(min_value=date(9999, 6, 1), max_value=date(9999, 12, 31)),
    st.sampled_from([date(1, 1, 1), date(9999, 12, 31), date(9999, 12, 30), date(1, 1, 2)]),
    st.dates())
ZONES = ["UTC", "Europe/Stockholm", "Pacific/Kiritimati", "Pacific/Pago_Pago"]


def _stamp(day: date, minutes: int | None, shape: str) -> str:
    if shape == "date":
        return day.isoformat()
    text = f"{day.isoformat()}T{'00:30:00' if shape == 'early' else '23:30:00'}"
    if minutes is None:
        return text
    sign = "+" if minutes >= 0 else "-"
    return f"{text}{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@settings(max_examples=400, deadline=None)
@given(day=EXTREME_DAYS, today=EXTREME_DAYS, zone=st.sampled_from(ZONES),
       minutes=st.one_of(st.none(), st.integers(-12 * 60, 14 * 60)),
       shape=st.sampled_from(["date", "early", "late"]),
       purpose=st.sampled_from(["backups", "marketing", "support", "cctv", "books", "care"]),
       asked=st.booleans())
def test_extreme_dates_never_crash(policy, day, today, zone, minutes, shape, purpose, asked):
    value = _stamp(day, minutes, shape)
    record = {"id": "x", "purpose": purpose, "deleted": value, "collected": value, "contract_end": value,
              "transaction": value, "last_activity": value, "consent_given": value,
              "consent_withdrawn": value if asked else None, "erasure_requested": value if asked else None,
              "request_received": value, "request_extended": value if asked else None}
    now = datetime(today.year, today.month, today.day, 12, tzinfo=timezone(timedelta(0)))
    try:
        found = list(check(policy, [record], now=now, binding=Binding.identity(timezone=zone)))
    except ValueError as err:  # only `now` itself may be refused, and only off the calendar
        assert "falls outside the calendar" in str(err)
        assert today in (date(1, 1, 1), date(9999, 12, 31))
        return
    for f in found:
        assert f.code in FINDINGS
        assert f.due is None or isinstance(f.due, date)

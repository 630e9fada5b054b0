"""The compiled thresholds agree with the law's calendar arithmetic: for random anchors,
durations (compound ones too), zones and `now`, the lowered policy (its thresholds, the
Python screen, the native screen when built) decides every record as direct
``relativedelta`` arithmetic does: a maximum is overdue when local day + D < today, a
minimum keeps the record while local day + D >= today (docs/check.md)."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime, timedelta, timezone

import pytest
from check_support import compiled_policy
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from policyengine.checking.binding import Binding
from policyengine.checking.dates import get_zone, local_day
from policyengine.checking.evaluate import lower_to_python
from policyengine.checking.reading import check_lines
from policyengine.language import ast


@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    return compiled_policy(tmp_path_factory.mktemp("policy"))


ZONES = ["UTC", "Europe/Stockholm", "America/New_York", "Pacific/Kiritimati", "Pacific/Pago_Pago",
         "Asia/Kolkata"]
PART = st.tuples(st.integers(1, 40), st.sampled_from(["day", "week", "month", "year"]))


@st.composite
def durations(draw):
    parts = draw(st.lists(PART, min_size=1, max_size=3, unique_by=lambda p: p[1]))
    parts.sort(key=lambda p: ast.UNITS.index(p[1]))
    first, *more = parts
    return ast.Duration(first[0], first[1], ast.NO_SPAN, tuple(ast.Duration(a, u) for a, u in more))


def _with_offset(policy, purpose: str, duration: ast.Duration):
    """The test policy with one purpose's rule given another duration."""
    purposes = []
    for p in policy.purposes:
        if p.name == purpose:
            p = dataclasses.replace(p, erase=tuple(dataclasses.replace(r, offset=duration) for r in p.erase),
                                    keep=tuple(dataclasses.replace(r, offset=duration) for r in p.keep))
        purposes.append(p)
    return dataclasses.replace(policy, purposes=tuple(purposes))


def _value(anchor: datetime, minutes: int | None, shape: str) -> str:
    if shape == "date":
        return anchor.date().isoformat()
    stamp = anchor.replace(microsecond=0)
    if minutes is not None:
        stamp = stamp.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    return stamp.isoformat(sep="T" if shape == "T" else " ")


@settings(max_examples=300, deadline=None)
@given(duration=durations(), anchor=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2030, 12, 31)),
       minutes=st.one_of(st.none(), st.integers(-12 * 60, 14 * 60)), shape=st.sampled_from(["date", "T", " "]),
       today=st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)), zone=st.sampled_from(ZONES),
       kind=st.sampled_from(["maximum", "backup", "minimum"]))
def test_thresholds_agree_with_calendar_arithmetic(policy, duration, anchor, minutes, shape, today, zone, kind):
    purpose, field = {"maximum": ("support", "contract_end"), "backup": ("backups", "deleted"),
                      "minimum": ("cctv", "collected")}[kind]
    compiled = _with_offset(policy, purpose, duration)
    value = _value(anchor, minutes, shape)
    record = {"id": "x", "purpose": purpose, field: value}
    if kind == "minimum":
        record["erasure_requested"] = today.isoformat()  # asked today: only the keep rule speaks
    binding = Binding.identity(timezone=zone)
    now = datetime.combine(today, datetime.min.time()).replace(hour=12).isoformat()
    lowered = lower_to_python(compiled, binding, now)
    values = tuple(record.get(c) for c in lowered.columns)

    last = local_day(value, get_zone(zone)) + relativedelta(months=duration.months, days=duration.days)
    got = [(f.code, f.due) for f in lowered.evaluate("t", 1, values)]
    if kind == "minimum":
        assert got == ([("PC201", last)] if last >= today else [])
    else:
        code = "PC101" if kind == "maximum" else "PC103"
        assert got == ([(code, last)] if last < today else [])
    screen = lowered.screens[purpose]
    if screen(values):  # the Python screen clears only what has nothing to report
        assert got == []
    out: list = []  # the hot loop, native screen included when built: the same findings
    check_lines(lowered, "t", 1, [json.dumps(record).encode()], 0, lowered.columns, out)
    assert [(f.code, f.due) for f in out] == got

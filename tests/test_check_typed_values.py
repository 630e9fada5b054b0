"""Typed values from SQL engines give the same findings as their ISO text in a CSV.

SQL sources return ``date``, ``datetime`` (naive and aware), ``Decimal``, ``int``, ``float``
and ``bool``; ``records.sql_values`` turns a row into the text a CSV of it holds, and the
evaluator accepts dates, timestamps and decimals directly. Each row of the table is one
typed value and the text it is written as: put in each column of a record, both must give
identical findings (code, key, location, due, days and message).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from check_support import compiled_policy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyengine.checking.binding import Binding
from policyengine.checking.evaluate import lower_to_python
from policyengine.checking.reading import Stats, check_values
from policyengine.checking.records import sql_text, sql_values

NOW = "2026-11-21T12:00:00+00:00"
FIELDS = ["key", "purpose", "subject", "categories", "recipients", "recipient_country", "collected",
          "last_activity", "contract_end", "transaction", "consent_given", "consent_withdrawn",
          "erasure_requested", "deleted", "request_received", "request_extended", "request_answered"]

STOCKHOLM = ZoneInfo("Europe/Stockholm")
TABLE = [  # (typed value, the ISO text a CSV holds for it)
    (date(2024, 11, 20), "2024-11-20"),
    (date(2024, 11, 21), "2024-11-21"),
    (date(2026, 2, 28), "2026-02-28"),
    (date(1, 1, 1), "0001-01-01"),
    (date(9999, 12, 31), "9999-12-31"),
    (datetime(2024, 11, 20, 23, 30), "2024-11-20T23:30:00"),
    (datetime(2024, 11, 21, 0, 0, 0, 500), "2024-11-21T00:00:00.000500"),
    (datetime(2024, 11, 20, 23, 30, tzinfo=timezone.utc), "2024-11-20T23:30:00+00:00"),
    (datetime(2024, 11, 21, 0, 30, tzinfo=STOCKHOLM), "2024-11-21T00:30:00+01:00"),
    (datetime(2024, 11, 20, 22, 0, tzinfo=timezone(timedelta(hours=-11))), "2024-11-20T22:00:00-11:00"),
    (datetime(2026, 10, 20, 10, 0, tzinfo=timezone(timedelta(hours=14))), "2026-10-20T10:00:00+14:00"),
    (datetime(1, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=2))), "0001-01-01T01:00:00+02:00"),
    (Decimal("1.50"), "1.50"),
    (Decimal("20241120"), "20241120"),
    (7, "7"),
    (0, "0"),
    (-3, "-3"),
    (1.5, "1.5"),
    (0.0, "0.0"),
    (True, "true"),
    (False, "false"),
    (None, None),
]


def test_sql_text_is_the_iso_text():
    for typed, text in TABLE:
        assert sql_text(typed) == text, typed
    assert sql_values(tuple(t for t, _ in TABLE)) == tuple(x for _, x in TABLE)
    row = ("a", None, "b")
    assert sql_values(row) is row  # all text: nothing copied


BASE = {"key": "r1", "purpose": "marketing", "subject": "customer", "collected": "2024-11-25",
        "consent_given": "2024-11-20"}
BASES = [BASE, dict(BASE, request_received="2024-09-01"),
         dict(BASE, erasure_requested="2026-11-01", collected="2026-10-01", transaction="2024-03-01")]
PURPOSES = ["marketing", "cctv", "books", "backups", "care", "support", "nosuch"]


@pytest.fixture(scope="module")
def lowered_policy(tmp_path_factory):
    compiled = compiled_policy(tmp_path_factory.mktemp("typed"))
    return lower_to_python(compiled, Binding({f: f for f in FIELDS}, timezone="Europe/Stockholm"), NOW)


def test_each_typed_value_in_each_column_gives_the_texts_findings(lowered_policy):
    codes = set()
    for purpose, base_record in ((p, b) for p in PURPOSES for b in BASES):
        for field in FIELDS:
            for typed, text in TABLE:
                record = dict(base_record, purpose=purpose)
                columns = lowered_policy.columns
                index = columns.index(field)
                base = tuple(record.get(c) for c in columns)
                as_typed = base[:index] + (typed,) + base[index + 1:]
                as_text = base[:index] + (text,) + base[index + 1:]
                want = list(check_values(lowered_policy, "db#t", iter([(1, as_text)]), Stats()))
                got = list(check_values(lowered_policy, "db#t", iter([(1, sql_values(as_typed))]), Stats()))
                assert got == want, (purpose, field, typed)
                codes.update(f.code for f in got)
                if type(typed) in (date, datetime, Decimal):  # the evaluator takes these as they are
                    assert (lowered_policy.evaluate("db#t", 1, as_typed) or []) == \
                        (lowered_policy.evaluate("db#t", 1, as_text) or []), (purpose, field, typed)
    # the table reaches the findings that render values: dates, keys, names, bad dates
    assert {"PC101", "PC102", "PC103", "PC201", "PC202", "PC301", "PC401", "PC402", "PC403",
            "PC404", "PC601", "PC602", "PC901", "PC903"} <= codes, codes


_typed = st.one_of(
    st.dates(min_value=date(2015, 1, 1), max_value=date(2027, 12, 31)),
    st.datetimes(min_value=datetime(2015, 1, 1), max_value=datetime(2027, 12, 31)),
    st.datetimes(min_value=datetime(2015, 1, 1), max_value=datetime(2027, 12, 31),
                 timezones=st.sampled_from([timezone.utc, STOCKHOLM, timezone(timedelta(hours=-14)),
                                            timezone(timedelta(hours=14, minutes=0))])),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**6, max_value=10**6),
    st.integers(-10**12, 10**12), st.floats(allow_nan=False, allow_infinity=False), st.booleans(), st.none())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(PURPOSES), st.dictionaries(st.sampled_from(FIELDS[2:]), _typed, max_size=6))
def test_random_typed_records_give_the_texts_findings(lowered_policy, purpose, typed):
    columns = lowered_policy.columns
    record = dict(BASE, purpose=purpose, **typed)
    as_typed = tuple(record.get(c) for c in columns)
    as_text = tuple(sql_text(v) for v in as_typed)
    want = list(check_values(lowered_policy, "db#t", iter([(1, as_text)]), Stats()))
    got = list(check_values(lowered_policy, "db#t", iter([(1, sql_values(as_typed))]), Stats()))
    assert got == want

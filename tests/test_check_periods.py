"""Every rule kind at the last day of its period (docs/check.md, Regulation 1182/71
Art. 3): the day before, the day, and the day after, across month ends, leap days and
zones at midnight. A maximum is overdue from the day after; a minimum or a hold keeps the
record through the last day and lets it go from the day after."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from check_support import compiled_policy

from policyengine import check
from policyengine.checking.binding import Binding


@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    return compiled_policy(tmp_path_factory.mktemp("policy"))


CONSENT = {"consent_given": "2000-01-01"}

# (case, zone, record, code, last day of the period). Maxima: the code appears from
# the day after; minima and holds (asked to erase on the day checked): through the day.
MAXIMA = [
    ("max 2 years", "UTC", dict(CONSENT, purpose="marketing", collected="2024-11-21"), "PC101", "2026-11-21"),
    ("max 2 years from a leap day", "UTC", dict(CONSENT, purpose="marketing", collected="2024-02-29"),
     "PC101", "2026-02-28"),
    ("max from 28 Feb of a leap year", "UTC", dict(CONSENT, purpose="marketing", collected="2024-02-28"),
     "PC101", "2026-02-28"),
    ("withdrawal 30 days", "UTC", dict(CONSENT, purpose="marketing", collected="2026-01-01",
                                       consent_withdrawn="2026-01-31"), "PC102", "2026-03-02"),
    ("backup 1 month from 31 Jan", "UTC", {"purpose": "backups", "deleted": "2026-01-31"}, "PC103", "2026-02-28"),
    ("backup 1 month from 31 Jan, leap year", "UTC", {"purpose": "backups", "deleted": "2024-01-31"},
     "PC103", "2024-02-29"),
    ("backup 1 month from 30 Apr", "UTC", {"purpose": "backups", "deleted": "2026-04-30"}, "PC103", "2026-05-30"),
    ("backup, zone: 23:30 UTC is the next day in Stockholm", "Europe/Stockholm",
     {"purpose": "backups", "deleted": "2026-01-30T23:30:00Z"}, "PC103", "2026-02-28"),
    ("backup, zone: 00:30 +02:00 is the day before in UTC", "UTC",
     {"purpose": "backups", "deleted": "2026-03-01T00:30:00+02:00"}, "PC103", "2026-03-28"),
    ("contract end + 1 year", "UTC", {"purpose": "support", "contract_end": "2025-12-31"}, "PC101", "2026-12-31"),
    ("erasure request 1 month", "UTC", {"purpose": "support", "erasure_requested": "2026-01-31"},
     "PC104", "2026-02-28"),
    ("request 1 month", "UTC", {"purpose": "support", "request_received": "2026-10-20"}, "PC601", "2026-11-20"),
    ("request 1 month from 31 Mar", "UTC", {"purpose": "support", "request_received": "2026-03-31"},
     "PC601", "2026-04-30"),
    ("request, extended 2 months", "UTC", {"purpose": "support", "request_received": "2026-08-31",
                                           "request_extended": "2026-09-10"}, "PC601", "2026-11-30"),
    ("request, zone at midnight", "America/New_York",
     {"purpose": "support", "request_received": "2026-03-01T03:00:00Z"}, "PC601", "2026-03-28"),
]
MINIMA = [
    ("min 2 months", "UTC", {"purpose": "cctv", "collected": "2026-09-21"}, "PC201", "2026-11-21"),
    ("min 2 months from 31 Dec", "UTC", {"purpose": "cctv", "collected": "2025-12-31"}, "PC201", "2026-02-28"),
    ("min 2 months from 31 Dec, leap year", "UTC", {"purpose": "cctv", "collected": "2023-12-31"},
     "PC201", "2024-02-29"),
    ("min, zone: 23:00 UTC is the next day in Stockholm", "Europe/Stockholm",
     {"purpose": "cctv", "collected": "2026-09-20T23:00:00Z"}, "PC201", "2026-11-21"),
    ("hold 7 years from the financial year end", "UTC", {"purpose": "books", "transaction": "2019-06-30"},
     "PC202", "2026-06-30"),
    ("hold, next financial year", "UTC", {"purpose": "books", "transaction": "2019-07-01"}, "PC202", "2027-06-30"),
    ("hold from a leap day's year", "UTC", {"purpose": "books", "transaction": "2020-02-29"}, "PC202", "2027-06-30"),
]


def _found(policy, zone, record, now: date):
    binding = Binding.identity(timezone=zone)
    return [(f.code, f.due.isoformat(), f.days)
            for f in check(policy, [dict({"id": "r"}, **record)], now=f"{now.isoformat()}T12:00:00",
                           binding=binding)]


@pytest.mark.parametrize("zone, record, code, last", [c[1:] for c in MAXIMA], ids=[c[0] for c in MAXIMA])
def test_maximum_is_overdue_from_the_day_after(policy, zone, record, code, last):
    day = date.fromisoformat(last)
    assert _found(policy, zone, record, day - timedelta(days=1)) == []
    assert _found(policy, zone, record, day) == []  # the last day: still allowed
    assert _found(policy, zone, record, day + timedelta(days=1)) == [(code, last, 1)]


@pytest.mark.parametrize("zone, record, code, last", [c[1:] for c in MINIMA], ids=[c[0] for c in MINIMA])
def test_minimum_keeps_through_the_last_day(policy, zone, record, code, last):
    day = date.fromisoformat(last)

    def asked(now: date):  # erasure asked on the day checked: only the keep rule can speak
        return _found(policy, zone, dict(record, erasure_requested=now.isoformat()), now)
    assert asked(day - timedelta(days=1)) == [(code, last, 2)]
    assert asked(day) == [(code, last, 1)]  # the last day belongs to the period
    assert asked(day + timedelta(days=1)) == []  # may be erased from the day after


def test_messages_state_both_days(policy):
    (kept,) = check(policy, [{"id": "b", "purpose": "books", "transaction": "2019-06-30",
                              "erasure_requested": "2026-06-30"}], now="2026-06-30T12:00:00")
    assert "keep through 2026-06-30; may be erased from 2026-07-01 (1 day left)" in kept.message
    (late,) = check(policy, [{"id": "q", "purpose": "support", "request_received": "2026-10-20"}],
                    now="2026-11-21T12:00:00")
    assert "answer by 2026-11-20; overdue from 2026-11-21; 1 day overdue" in late.message
    (old,) = check(policy, [dict(CONSENT, id="m", purpose="marketing", collected="2024-11-20")],
                   now="2026-11-21T12:00:00")
    assert "= 2026-11-20: may be kept through 2026-11-20; overdue from 2026-11-21" in old.message


COMPOUND = '''controller "C AB" {
  authority IMY
}
category c "C"
subject s "S"
purpose books "Books" {
  subjects s
  categories c
  basis legal_obligation "law"
  legal hold 7 years 6 months from collected "law"
}
purpose short "Short" {
  subjects s
  categories c
  basis contract
  retain at most 1 month 15 days from collected
}
'''


@pytest.mark.parametrize("purpose, collected, last", [
    ("books", "2020-02-29", "2027-08-29"),  # one step: relativedelta(years=7, months=6)
    ("books", "2019-08-31", "2027-02-28"),  # one month-end clamp, after the months
    ("books", "2023-08-31", "2031-02-28"),
    ("books", "2016-08-31", "2024-02-29"),  # ... into a leap February
    ("short", "2026-01-31", "2026-03-15"),  # 31 Jan + 1 month = 28 Feb, + 15 days
    ("short", "2024-01-31", "2024-03-15"),  # 29 Feb + 15 days
    ("short", "2026-12-17", "2027-02-01"),
])
def test_compound_durations_at_their_last_day(tmp_path, purpose, collected, last):
    from dateutil.relativedelta import relativedelta

    from policyengine import compile_policy
    from policyengine.language.loading import load_policy

    path = tmp_path / "c.policy"
    path.write_text(COMPOUND, encoding="utf-8")
    compiled = compile_policy(load_policy(str(path)))
    start = date.fromisoformat(collected)
    delta = relativedelta(years=7, months=6) if purpose == "books" else relativedelta(months=1, days=15)
    assert start + delta == date.fromisoformat(last)  # the law's arithmetic, stated independently
    day = date.fromisoformat(last)
    record = {"purpose": purpose, "collected": collected}
    if purpose == "books":
        def got(now):
            return _found(compiled, "UTC", dict(record, erasure_requested=now.isoformat()), now)
        assert got(day) == [("PC202", last, 1)]
        assert got(day + timedelta(days=1)) == []
    else:
        assert _found(compiled, "UTC", record, day) == []
        assert _found(compiled, "UTC", record, day + timedelta(days=1)) == [("PC101", last, 1)]


# GDPR Art. 12(3): an extension counts only when the data subject was told of it within one
# month of receipt. (received, told, now, expected (code, due, days), why in the message)
EXTENSIONS = [
    # told on the month's last day: the deadline (2026-02-28) prolonged by 2 months
    ("2026-01-31", "2026-02-28", "2026-04-28", [], None),
    ("2026-01-31", "2026-02-28", "2026-04-29", [("PC601", "2026-04-28", 1)], None),
    ("2026-01-31", "2026-03-01", "2026-03-01", [("PC601", "2026-02-28", 1)], "told on 2026-03-01, after 2026-02-28"),
    ("2026-01-31", "soon", "2026-03-01", [("PC601", "2026-02-28", 1)], "not a date"),
    ("2026-01-31", "2026-01-30", "2026-03-01", [("PC601", "2026-02-28", 1)], "before the request was received"),
    ("2026-01-31", "2026-01-31", "2026-03-01", [], None),  # told on the day of receipt
]


@pytest.mark.parametrize("received, told, now, expected, why", EXTENSIONS)
def test_extension_counts_only_if_told_in_time(policy, received, told, now, expected, why):
    record = {"id": "q", "purpose": "support", "request_received": received, "request_extended": told}
    found = list(check(policy, [record], now=f"{now}T12:00:00"))
    assert [(f.code, f.due.isoformat(), f.days) for f in found] == expected
    if why:
        assert why in found[0].message and "does not count" in found[0].message


@pytest.mark.parametrize("told, expected", [
    ("2026-02-28", []),  # in time: the erasure deadline is 3 months
    ("2026-03-01", [("PC104", "2026-02-28", 1)]),  # too late: 1 month
])
def test_extension_of_an_erasure_request(policy, told, expected):
    record = {"id": "e", "purpose": "support", "erasure_requested": "2026-01-31", "request_extended": told}
    found = list(check(policy, [record], now="2026-03-01T12:00:00"))
    assert [(f.code, f.due.isoformat(), f.days) for f in found] == expected
    if expected:
        assert "the extension does not count" in found[0].message


def test_extension_window_is_a_month_whatever_respond_within_says(tmp_path):
    from policyengine import compile_policy
    from policyengine.language.loading import load_policy

    path = tmp_path / "r.policy"
    path.write_text(COMPOUND + "requests {\n  respond within 30 days\n  extendable by 2 months\n}\n", "utf-8")
    compiled = compile_policy(load_policy(str(path)))
    record = {"id": "q", "purpose": "short", "collected": "2026-01-31", "request_received": "2026-01-31",
              "request_extended": "2026-02-28"}  # day 28 of 30, inside the month
    assert [f.code for f in check(compiled, [record], now="2026-03-03T12:00:00")] == []
    late = dict(record, request_extended="2026-03-01")  # inside 30 days, past the month
    (f,) = check(compiled, [late], now="2026-03-03T12:00:00")
    assert (f.code, f.due.isoformat()) == ("PC601", "2026-03-02")


CLOCKS = '''controller "K AB" {
  authority IMY
  financial year ends 06-30
}
category c "C"
subject s "S"
purpose books "Bokföring" {
  subjects s
  categories c
  basis legal_obligation "Bokföringslagen (1999:1078)"
  legal hold 7 years from calendar_year_end_of_financial_year "Bokföringslagen (1999:1078) 7 kap. 2 §"
}
purpose books_no "Bokføring" {
  subjects s
  categories c
  basis legal_obligation "bokføringsloven § 13"
  legal hold 3 years 6 months from financial_year_end "bokføringsloven § 13 annet ledd"
}
purpose tickets "Support" {
  subjects s
  categories c
  basis contract
  retain at most 14 days from erasure_requested
}
'''


@pytest.fixture(scope="module")
def clocks(tmp_path_factory):
    from policyengine import compile_policy
    from policyengine.language.loading import load_policy

    path = tmp_path_factory.mktemp("clocks") / "k.policy"
    path.write_text(CLOCKS, encoding="utf-8")
    return compile_policy(load_policy(str(path)))


@pytest.mark.parametrize("purpose, transaction, last", [
    # Bokföringslagen 7 kap. 2 §: the financial year 2018-07-01..2019-06-30 ended in 2019,
    # so its records are kept through 2026-12-31, the seventh year after 2019.
    ("books", "2019-03-01", "2026-12-31"),
    ("books", "2019-06-30", "2026-12-31"),
    ("books", "2019-07-01", "2027-12-31"),  # the next financial year ends 2020-06-30
    # bokføringsloven § 13 (2): 3.5 years after the end of the financial year
    ("books_no", "2019-03-01", "2022-12-30"),
    ("books_no", "2019-07-01", "2023-12-30"),
])
def test_bookkeeping_clock_starts(clocks, purpose, transaction, last):
    day = date.fromisoformat(last)

    def asked(now: date):
        record = {"purpose": purpose, "transaction": transaction, "erasure_requested": now.isoformat()}
        return _found(clocks, "UTC", record, now)
    assert asked(day) == [("PC202", last, 1)]
    assert asked(day + timedelta(days=1)) == []


def test_calendar_year_clock_in_the_message(clocks):
    (f,) = check(clocks, [{"id": "b", "purpose": "books", "transaction": "2019-03-01",
                           "erasure_requested": "2026-12-01"}], now="2026-12-01")
    assert "end of calendar year 2019-12-31 (financial year ended 2019-06-30, of transaction 2019-03-01)" \
        in f.message
    assert "keep through 2026-12-31; may be erased from 2027-01-01" in f.message


def test_erasure_request_as_a_clock_start(clocks):
    record = {"id": "t", "purpose": "tickets", "erasure_requested": "2026-11-01"}
    assert _found(clocks, "UTC", record, date(2026, 11, 15)) == []
    assert _found(clocks, "UTC", record, date(2026, 11, 16)) == [("PC101", "2026-11-15", 1)]
    assert _found(clocks, "UTC", {"purpose": "tickets", "erasure_requested": None}, date(2030, 1, 1)) == []


HOLD_END = '''controller "H AB" {
  authority IMY
}
category c "C"
subject s "S"
purpose books "Books" {
  subjects s
  categories c
  basis legal_obligation "Bokföringslagen (1999:1078)"
  legal hold 7 years from calendar_year_end_of_financial_year "Bokföringslagen (1999:1078) 7 kap. 2 §"
  on hold end erase within 30 days
}
requests {
  respond within 1 month
}
'''


@pytest.fixture(scope="module")
def hold_end(tmp_path_factory):
    from policyengine import compile_policy
    from policyengine.language.loading import load_policy

    path = tmp_path_factory.mktemp("hold_end") / "h.policy"
    path.write_text(HOLD_END, encoding="utf-8")
    return compile_policy(load_policy(str(path)))


# transaction 2019-03-01: held through 2026-12-31; erase within 30 days: by 2027-01-30.
@pytest.mark.parametrize("erasure, now, expected", [
    ("2026-06-01", "2026-12-31", [("PC202", "2026-12-31", 1)]),  # asked during the hold: kept
    ("2026-06-01", "2027-01-01", []),  # the hold has ended; not overdue from the request
    ("2026-06-01", "2027-01-30", []),  # the last day of the 30 days
    ("2026-06-01", "2027-01-31", [("PC105", "2027-01-30", 1)]),
    (None, "2027-01-30", []),  # nothing asked: the hold's end starts the period all the same
    (None, "2027-01-31", [("PC105", "2027-01-30", 1)]),
    ("2027-01-15", "2027-02-16", [("PC104", "2027-02-15", 1), ("PC105", "2027-01-30", 17)]),  # asked after the hold
])
def test_on_hold_end_erase_within(hold_end, erasure, now, expected):
    record = {"id": "b", "purpose": "books", "transaction": "2019-03-01", "erasure_requested": erasure}
    got = sorted((f.code, f.due.isoformat(), f.days) for f in check(hold_end, [record], now=f"{now}T12:00:00"))
    assert got == sorted(expected)


def test_on_hold_end_message(hold_end):
    (f,) = check(hold_end, [{"id": "b", "purpose": "books", "transaction": "2019-03-01"}], now="2027-02-01")
    assert "the legal hold's last day 2026-12-31) + 30 days = 2027-01-30: erase by 2027-01-30; " \
           "overdue from 2027-01-31" in f.message


def test_on_hold_end_needs_a_hold():
    from policyengine.language.parser import parse
    from policyengine.language.validate import validate

    text = HOLD_END.replace('  legal hold 7 years from calendar_year_end_of_financial_year '
                            '"Bokföringslagen (1999:1078) 7 kap. 2 §"\n', "")
    assert "PE216" in [d.code for d in validate(parse(text))]


WORKING = '''controller "W AB" {
  authority IMY
  jurisdiction SE
}
category c "C"
subject s "S"
purpose support "Support" {
  subjects s
  categories c
  basis contract
  retain at most 1 year from contract_end
}
requests {
  respond within 1 month
  next working day
}
'''


@pytest.fixture(scope="module")
def working(tmp_path_factory):
    from policyengine import compile_policy
    from policyengine.language.loading import load_policy

    path = tmp_path_factory.mktemp("working") / "w.policy"
    path.write_text(WORKING, encoding="utf-8")
    return compile_policy(load_policy(str(path)))


# lag (1930:173): a deadline on a Saturday, Sunday, public holiday, midsommarafton,
# julafton or nyårsafton ends on the next working day.
@pytest.mark.parametrize("received, last", [
    ("2026-10-21", "2026-11-23"),  # 2026-11-21 is a Saturday -> Monday
    ("2026-11-24", "2026-12-28"),  # julafton, juldagen, annandag jul, a Sunday
    ("2026-05-19", "2026-06-22"),  # midsommarafton 19 June, midsommardagen, a Sunday
    ("2026-11-30", "2026-12-30"),  # a Wednesday: unchanged
    ("2026-10-20", "2026-11-20"),  # a Friday: a working day, unchanged
])
def test_next_working_day_in_sweden(working, received, last):
    day = date.fromisoformat(last)
    record = {"purpose": "support", "request_received": received}
    assert _found(working, "UTC", record, day) == []
    assert _found(working, "UTC", record, day + timedelta(days=1)) == [("PC601", last, 1)]


def test_without_the_statement_calendar_days_count(policy):
    record = {"purpose": "support", "request_received": "2026-10-21"}  # last day: Saturday 2026-11-21
    assert _found(policy, "UTC", record, date(2026, 11, 22)) == [("PC601", "2026-11-21", 1)]


def test_next_working_day_needs_the_holidays_package(working, tmp_path, monkeypatch):
    import sys

    from policyengine import compile_policy
    from policyengine.language.diagnostics import PolicyError
    from policyengine.language.loading import load_policy

    path = tmp_path / "w.policy"
    path.write_text(WORKING, encoding="utf-8")
    monkeypatch.setitem(sys.modules, "holidays", None)  # as if it were not installed
    with pytest.raises(PolicyError, match=r"pip install 'privacy-promises\[holidays\]'"):
        compile_policy(load_policy(str(path)))


@pytest.mark.parametrize("day, working", [
    ("2026-12-31", False), ("2026-12-24", False), ("2026-06-19", False),  # the eves lag (1930:173) adds
    ("2027-06-25", False), ("2026-06-18", True), ("2026-12-30", True),
    ("2026-01-06", False), ("2026-11-21", False), ("2026-11-23", True),
])
def test_swedish_working_days(day, working):
    from policyengine.checking.working_days import is_working_day

    assert is_working_day(date.fromisoformat(day), "SE") is working


def test_moved_deadline_says_so(working):
    (f,) = check(working, [{"id": "q", "purpose": "support", "request_received": "2026-10-21"}],
                 now="2026-11-24T12:00:00")
    assert "answer by 2026-11-23; overdue from 2026-11-24 (2026-11-21 is not a working day in SE: " \
           "moved to the next)" in f.message

"""Every finding at its boundary: the day before, the day, the day after."""

from __future__ import annotations

from datetime import date

import pytest
from check_support import compiled_policy, findings

NOW = "2026-11-21T12:00:00+00:00"  # today 2026-11-21 (UTC, the default zone)


@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    return compiled_policy(tmp_path_factory.mktemp("policy"))


CONSENTED = {"purpose": "marketing", "collected": "2026-01-01", "consent_given": "2026-01-01"}

# (case, record, expected [(code, due, days)])
CASES = [
    # past maximum retention: collected + 2 years
    ("max, day before due", dict(CONSENTED, collected="2024-11-22"), []),
    ("max, due today", dict(CONSENTED, collected="2024-11-21"), []),
    ("max, day after due", dict(CONSENTED, collected="2024-11-20"), [("PC101", "2026-11-20", 1)]),
    ("max, long overdue", dict(CONSENTED, collected="2020-01-01"), [("PC101", "2022-01-01", 1785)]),
    # consent withdrawn: erase within 30 days
    ("withdrawal, day before", dict(CONSENTED, consent_withdrawn="2026-10-23"), []),
    ("withdrawal, the day", dict(CONSENTED, consent_withdrawn="2026-10-22"), []),
    ("withdrawal, day after", dict(CONSENTED, consent_withdrawn="2026-10-21"), [("PC102", "2026-11-20", 1)]),
    # backups: deleted + 1 month
    ("backup, day before", {"purpose": "backups", "deleted": "2026-10-22"}, []),
    ("backup, the day", {"purpose": "backups", "deleted": "2026-10-21"}, []),
    ("backup, day after", {"purpose": "backups", "deleted": "2026-10-20"}, [("PC103", "2026-11-20", 1)]),
    ("backup, still live", {"purpose": "backups", "deleted": None}, []),
    # minimum retention (CCTV at least 2 months) when erasure is asked: kept through due
    ("min, last day tomorrow", {"purpose": "cctv", "collected": "2026-09-22", "erasure_requested": "2026-11-20"},
     [("PC201", "2026-11-22", 2)]),
    ("min, last day today", {"purpose": "cctv", "collected": "2026-09-21", "erasure_requested": "2026-11-20"},
     [("PC201", "2026-11-21", 1)]),
    ("min, last day yesterday", {"purpose": "cctv", "collected": "2026-09-20", "erasure_requested": "2026-11-20"}, []),
    ("min, nothing asked", {"purpose": "cctv", "collected": "2026-11-20"}, []),
    # legal hold: 7 years from the end of the financial year (06-30)
    ("hold, ends next year", {"purpose": "books", "transaction": "2019-07-01", "erasure_requested": "2026-11-01"},
     [("PC202", "2027-06-30", 222)]),
    ("hold, fy boundary", {"purpose": "books", "transaction": "2019-06-30", "erasure_requested": "2026-11-01"}, []),
    ("hold, ended, request overdue", {"purpose": "books", "transaction": "2019-06-30", "erasure_requested": "2026-10-20"},
     [("PC104", "2026-11-20", 1)]),
    ("hold, nothing asked", {"purpose": "books", "transaction": "2020-01-01"}, []),
    # erasure requested: within the request deadline (1 month)
    ("erasure, the day", {"purpose": "support", "erasure_requested": "2026-10-21"}, []),
    ("erasure, day after", {"purpose": "support", "erasure_requested": "2026-10-20"}, [("PC104", "2026-11-20", 1)]),
    # contract end + 1 year
    ("contract, running", {"purpose": "support", "contract_end": None}, []),
    ("contract, day after", {"purpose": "support", "contract_end": "2025-11-20"}, [("PC101", "2026-11-20", 1)]),
    ("contract, the day", {"purpose": "support", "contract_end": "2025-11-21"}, []),
    # consent
    ("no consent", dict(CONSENTED, consent_given=None), [("PC301", None, None)]),
    ("activity after withdrawal", dict(CONSENTED, consent_withdrawn="2026-11-10", last_activity="2026-11-12"),
     [("PC302", "2026-11-12", 2)]),
    ("activity on the day of withdrawal", dict(CONSENTED, consent_withdrawn="2026-11-10", last_activity="2026-11-10"), []),
    # unknown purpose, subject, category; special category; transfers
    ("unknown purpose", {"purpose": "telemarketing"}, [("PC401", None, None)]),
    ("subject of another purpose", dict(CONSENTED, subject="visitor"), [("PC402", None, None)]),
    ("unknown subject", dict(CONSENTED, subject="martian"), [("PC402", None, None)]),
    ("unknown category", dict(CONSENTED, categories="contact;shoe_size"), [("PC403", None, None)]),
    ("special category without condition", dict(CONSENTED, categories="health_data"),
     [("PC403", None, None), ("PC501", None, None)]),
    ("special category with condition", {"purpose": "care", "categories": "health_data", "last_activity": "2026-01-01"}, []),
    ("recipient in the EEA", dict(CONSENTED, recipients="eu_mail"), []),
    ("recipient with SCC", dict(CONSENTED, recipients="us_cloud"), []),
    ("recipient moved outside the EEA", dict(CONSENTED, recipients="us_crm", recipient_country="US"),
     [("PC502", None, None)]),
    ("unknown recipient outside the EEA", dict(CONSENTED, recipients="adnet", recipient_country="CN"),
     [("PC404", None, None), ("PC502", None, None)]),
    # data-subject requests: one calendar month, or three with an extension
    ("request, day before", {"purpose": "support", "request_received": "2026-10-22"}, []),
    ("request, the day", {"purpose": "support", "request_received": "2026-10-21"}, []),
    ("request, day after", {"purpose": "support", "request_received": "2026-10-20"}, [("PC601", "2026-11-20", 1)]),
    ("request, extended, the day", {"purpose": "support", "request_received": "2026-08-21", "request_extended": "2026-09-01"}, []),
    ("request, extended, day after", {"purpose": "support", "request_received": "2026-08-20", "request_extended": "2026-09-01"},
     [("PC601", "2026-11-20", 1)]),
    ("request answered on the day", {"purpose": "support", "request_received": "2026-01-31", "request_answered": "2026-02-28"}, []),
    ("request answered a day late", {"purpose": "support", "request_received": "2026-01-31", "request_answered": "2026-03-01"},
     [("PC602", "2026-02-28", 1)]),
    ("request of an unknown purpose", {"purpose": "x", "request_received": "2026-10-20"},
     [("PC401", None, None), ("PC601", "2026-11-20", 1)]),
    # dates: unreadable is a finding, missing clock start a finding
    ("unreadable date", dict(CONSENTED, collected="21/11/2024"), [("PC901", None, None)]),
    ("not a date at all", dict(CONSENTED, collected=20241121), [("PC901", None, None)]),
    ("impossible date", dict(CONSENTED, collected="2024-02-30"), [("PC901", None, None)]),
    ("missing clock start", dict(CONSENTED, collected=None), [("PC902", None, None)]),
]


@pytest.mark.parametrize("record, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_finding_at_boundary(policy, record, expected):
    got = [(f.code, f.due.isoformat() if f.due else None, f.days) for f in findings(policy, record, NOW)]
    assert sorted(got) == sorted(expected)


def test_finding_carries_rule_and_record(policy):
    (f,) = findings(policy, dict(CONSENTED, collected="2024-11-20"), NOW)
    assert f.record == "r1" and f.location == "<records>:1" and f.purpose == "marketing"
    assert f.clause == "retain at most 2 years from collected"
    assert f.rule.endswith(":25") and f.due == date(2026, 11, 20)
    assert f.to_dict()["action"] == "erase"

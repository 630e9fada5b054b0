"""Records whose key, purpose or subject is not text (JSON lists, objects, numbers) are
findings, never a traceback, in every output format and with either number of jobs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = ["collected_at", "last_activity_at", "consent_given_at", "consent_to", "consent_withdrawn_at",
           "request_received_at", "request_answered_at"]


@pytest.fixture(scope="module")
def odd_records(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("odd") / "odd.jsonl"
    rows = [{"id": "a", "purpose": ["x"]}, {"id": "b", "purpose": 5, "request_received_at": "2026-01-01"},
            {"id": "c", "purpose": {"a": 1}}, {"id": ["k"], "purpose": "crm", "subject": 7}]
    with path.open("w") as out:
        for row in rows:
            out.write(json.dumps({**{c: None for c in COLUMNS}, "collected_at": "2026-01-01", **row}) + "\n")
    return path


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl", "csv", "sarif"])
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_non_text_identity_fields_are_findings(odd_records, fmt, jobs, monkeypatch):
    monkeypatch.setenv("POLICYENGINE_PARALLEL_BYTES", "1")
    monkeypatch.setenv("POLICYENGINE_CHUNK_BYTES", "200")
    done = subprocess.run(
        [sys.executable, "-m", "policyengine", "check", str(ROOT / "rules/balcoo.policy"),
         "-b", str(ROOT / "examples/balcoo/binding.yaml"), "-r", str(odd_records),
         "--now", "2026-11-21", "--format", fmt, "--jobs", jobs],
        capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 1, done.stderr
    assert "PC401" in done.stdout  # ["x"], 5 and {"a":1} are purposes the policy does not know
    assert "PC601" in done.stdout  # the unanswered request of the record whose purpose is 5

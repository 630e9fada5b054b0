"""`policyengine test`: the policy tests beside rules/, expected-vs-actual, coverage,
threshold, formats, and test files that cannot be used (exit 2)."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET

import pytest
from check_support import ROOT
from click.testing import CliRunner

from policyengine.cli import main


def binero_line(clause: str) -> int:
    """The line of rules/binero.policy that holds ``clause`` (the policy grows; its lines move)."""
    lines = (ROOT / "rules" / "binero.policy").read_text("utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if clause in line and not line.lstrip().startswith("#"))


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_the_rules_pass_with_full_coverage():
    result = invoke("test", ROOT / "rules", "--coverage", "--threshold", "100")
    assert result.exit_code == 0, result.output
    assert " 0 failed" in result.output
    assert "coverage: 17/17 clauses exercised (100.0%)" in result.output
    for name in ("binero", "arnpro", "bano", "balcoo", "personvern-seed001"):
        assert f"rules/{name}.tests.yaml:" in result.output


@pytest.fixture
def suite(tmp_path):
    shutil.copy(ROOT / "rules/binero.policy", tmp_path / "binero.policy")
    return tmp_path


REQUEST = ("{id: r1, purpose: customer_account, subject: customer, categories: contact_details, "
           "request_received: 2026-10-20}")


def _write(folder, body, name="binero.tests.yaml"):
    path = folder / name
    path.write_text("timezone: Europe/Stockholm\ntests:\n" + body, "utf-8")
    return path


def test_a_failing_test_shows_expected_and_found(suite):
    path = _write(suite, f"""  - name: wrong due
    now: 2026-11-21T12:00:00+01:00
    records:
      - {REQUEST}
    expect:
      - {{code: PC601, record: r1, due: 2026-11-21}}
""")
    result = invoke("test", path)
    assert result.exit_code == 1
    assert f"{path}:3: FAIL: wrong due" in result.output
    assert "expected, not found: PC601 r1 due 2026-11-21" in result.output
    assert f"found, not expected: PC601 r1 due 2026-11-20 ({suite}/binero.policy:{binero_line('respond within')}:" in result.output
    assert "0 passed, 1 failed" in result.output


def test_the_policy_path_finds_its_tests_and_coverage_threshold(suite):
    _write(suite, f"""  - name: overdue
    now: 2026-11-21T12:00:00+01:00
    records:
      - {REQUEST}
    expect:
      - {{code: PC601, record: r1}}
""")
    result = invoke("test", suite / "binero.policy", "--coverage")
    assert result.exit_code == 0, result.output
    assert "coverage: 1/3 clauses exercised (33.3%)" in result.output
    assert f"not exercised: {suite}/binero.policy:{binero_line('legal hold 7 years')}: legal hold 7 years" in result.output
    assert f"not exercised: {suite}/binero.policy:{binero_line('retain at least 2 months')}: retain at least 2 months from collected (PC201)" \
        in result.output
    assert invoke("test", suite, "--threshold", "33").exit_code == 0
    short = invoke("test", suite, "--threshold", "34")
    assert short.exit_code == 1 and "below the threshold 34%" in short.output


def test_formats(suite):
    _write(suite, f"""  - name: passes
    now: 2026-11-19T12:00:00+01:00
    records: [{REQUEST}]
    expect: []
  - name: "fails %0A::error::forged"
    now: 2026-11-21T12:00:00+01:00
    records: [{REQUEST}]
    expect: []
""")
    as_json = invoke("test", suite, "--format", "json", "--coverage")
    assert as_json.exit_code == 1
    doc = json.loads(as_json.output)
    assert [t["passed"] for t in doc["tests"]] == [True, False]
    assert doc["tests"][1]["unexpected"][0]["code"] == "PC601"
    assert doc["coverage"]["clauses"] == 3 and len(doc["coverage"]["not_exercised"]) == 2
    github = invoke("test", suite, "--format", "github", "--coverage").output.splitlines()
    assert all(line.startswith("::") for line in github)
    assert github[0].startswith(f"::error file={suite}/binero.tests.yaml,line=7,title=policy test failed::")
    assert "%250A%3A%3Aerror" not in github[0] and "fails %250A::error::forged" in github[0]
    assert sum(line.startswith("::warning") for line in github) == 2
    junit = ET.fromstring(invoke("test", suite, "--format", "junit").output)
    assert junit.get("tests") == "2" and junit.get("failures") == "1"


@pytest.mark.parametrize("body, message", [
    ("  - &a {name: x, now: 2026-01-01, records: [], expect: []}\n  - *a\n",
     ":3: not valid YAML: anchors (&name) are not accepted"),
    ("  - {name: x, now: 2026-01-01, records: [], expect: *a}\n", ":3: not valid YAML: aliases (*name) are not accepted"),
    ("  - " + "[" * 40 + "]" * 40 + "\n", ":3: not valid YAML: nested deeper than 32 levels"),
    ("  - {name: x, now: 2026-01-01, records: [], expect: []}\n  - \x1b[31m\n", "not valid YAML: character"),
    ("  - {name: x, now: 2026-01-01, records: [], expect: [], extra: 1}\n", ":3: unknown key 'extra'"),
    ("  - {name: x, records: [], expect: []}\n", "'now' is missing"),
    ("  - {name: x, now: 2026-01-01, records: [], expect: [{code: PC999, record: a}]}\n",
     "unknown finding code 'PC999'"),
    ("  - {name: x, now: 2026-01-01, records: [], expect: [{code: PC101}]}\n", "needs 'code' and 'record'"),
    ("  - {name: x, now: yesterday, records: [], expect: []}\n", "'yesterday' is not an ISO 8601"),
    ("  - {name: x, now: 2026-01-01, records: [1], expect: []}\n", "a list of mappings"),
    ("  - [unclosed\n", "not valid YAML"),
])
def test_unusable_test_files_exit_2(suite, body, message):
    path = _write(suite, body)
    result = invoke("test", path)
    assert result.exit_code == 2, result.output
    assert message in result.output and str(path) in result.output
    assert "Traceback" not in result.output


def test_no_test_files_is_exit_2(tmp_path):
    result = invoke("test", tmp_path)
    assert result.exit_code == 2 and "no *.tests.yaml" in result.output


def test_a_binding_given_inline_maps_columns(suite):
    path = suite / "binero.tests.yaml"
    path.write_text("""binding:
  timezone: Europe/Stockholm
  columns: {key: ref, purpose: purpose, subject: subject, categories: categories, request_received: asked,
            collected: at, transaction: booked, erasure_requested: erase}
tests:
  - name: overdue
    now: 2026-11-21T12:00:00+01:00
    records:
      - {ref: q, purpose: customer_account, subject: customer, categories: contact_details, asked: 2026-10-20}
    expect: [{code: PC601, record: q, due: 2026-11-20}]
""", "utf-8")
    result = invoke("test", path)
    assert result.exit_code == 0, result.output

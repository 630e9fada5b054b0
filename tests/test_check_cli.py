"""The `check`, `explain` and `compile` commands on the shipped examples."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from pathlib import Path

import pytest
from check_support import ROOT, line_of
from click.testing import CliRunner

from policyengine.cli import main

NOW = "2026-11-21T12:00:00+01:00"
BINERO = ROOT / "rules" / "binero.policy"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def binero(*args):
    return invoke("check", BINERO, "-b", ROOT / "examples/binero/binding.yaml",
                  "-r", ROOT / "examples/binero/records.csv", "--now", NOW, *args)


EXAMPLES = {
    "binero": (["examples/binero/records.csv"],
               {"PC104": 2, "PC201": 2, "PC202": 1, "PC401": 1, "PC402": 1, "PC403": 1, "PC501": 1,
                "PC601": 2, "PC602": 1, "PC901": 1, "PC902": 1}),
    "bano": (["examples/bano/records.jsonl"],
             {"PC102": 1, "PC103": 1, "PC301": 1, "PC302": 1, "PC601": 1}),
    "balcoo": (["examples/balcoo/contacts.csv", "examples/balcoo/requests.jsonl"],
               {"PC102": 1, "PC301": 2, "PC302": 1, "PC601": 2, "PC602": 1}),
}


@pytest.mark.parametrize("org", sorted(EXAMPLES))
def test_examples(org):
    sources, counts = EXAMPLES[org]
    args = ["check", ROOT / f"rules/{org}.policy", "-b", ROOT / f"examples/{org}/binding.yaml",
            "--now", NOW, "--format", "json"]
    for s in sources:
        args += ["-r", ROOT / s]
    result = invoke(*args)
    assert result.exit_code == 1, result.output
    assert json.loads(result.output)["run"]["counts"] == counts


def test_examples_from_sqlite(tmp_path):
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import make_sqlite
    finally:
        sys.path.pop(0)
    db = tmp_path / "binero.db"
    make_sqlite.write_table(db, "records", make_sqlite.read_rows(ROOT / "examples/binero/records.csv"))
    from_db = invoke("check", BINERO, "-b", ROOT / "examples/binero/binding.yaml", "-r", f"{db}#records",
                     "--now", NOW, "--format", "json")
    from_csv = binero("--format", "json")
    counts = [json.loads(r.output)["run"]["counts"] for r in (from_db, from_csv)]
    assert counts[0] == counts[1]


def test_text_table_groups_by_finding():
    result = binero()
    assert result.exit_code == 1
    out = result.output
    assert "PC202 keep: under legal hold: must not be erased yet (1)" in out
    assert "book-01  bookkeeping  2026-12-31    41" in out
    assert "keep through 2026-12-31; may be erased from 2027-01-01 (41 days left)" in out
    assert "cctv-02  cctv     2026-11-21     1" in out  # the last day of the minimum: still kept
    assert "answer by 2026-11-20; overdue from 2026-11-21; 1 day overdue" in out
    assert "18 records checked against" in out and ": 14 findings" in out
    assert "2026-11-21 (Europe/Stockholm)" in out


def test_summary_gives_counts_only():
    out = binero("--summary").output
    assert out.splitlines()[0].endswith("14 findings")
    assert "book-01" not in out
    assert "  PC601         2  request: data-subject request not answered by the deadline" in out


def test_csv_and_jsonl_and_sarif():
    rows = list(csv.DictReader(io.StringIO(binero("--format", "csv").output)))
    assert len(rows) == 14 and rows[0]["code"] and "due" in rows[0]
    lines = [json.loads(x) for x in binero("--format", "jsonl").output.splitlines()]
    assert {x["record"] for x in lines if x["code"] == "PC202"} == {"book-01"}
    sarif = json.loads(binero("--format", "sarif").output)
    results = sarif["runs"][0]["results"]
    assert len(results) == 14
    hold = next(r for r in results if r["ruleId"] == "PC202")
    region = hold["locations"][0]["physicalLocation"]["region"]["startLine"]
    assert region == line_of(BINERO, "legal hold 7 years from calendar_year_end_of_financial_year")


def test_every_date_is_absolute():
    for line in binero("--format", "jsonl").output.splitlines():
        due = json.loads(line)["due"]
        assert due is None or (len(due) == 10 and due[4] == "-")


def test_explain_names_the_deciding_clauses():
    result = invoke("explain", BINERO, "-b", ROOT / "examples/binero/binding.yaml",
                    "-r", ROOT / "examples/binero/records.csv", "--now", NOW, "--record", "book-01")
    assert result.exit_code == 1
    out = result.output
    hold = line_of(BINERO, "legal hold 7 years from calendar_year_end_of_financial_year")
    respond = line_of(BINERO, "respond within 1 month")
    purpose = line_of(BINERO, 'purpose bookkeeping "')
    assert f"purpose bookkeeping (rules/binero.policy:{purpose})" in out or \
        f"purpose bookkeeping ({BINERO}:{purpose})" in out
    assert f"binero.policy:{hold}: legal hold 7 years from calendar_year_end_of_financial_year" in out
    assert "transaction 2019-06-30 -> end of calendar year 2019-12-31 + 7 years = 2026-12-31" in out
    assert ("= 2026-12-31: keep through 2026-12-31; may be erased from 2027-01-01; today 2026-11-21: "
            "protected (41 days left, today included)") in out
    assert f"binero.policy:{respond}: respond within 1 month" in out
    assert ("erasure_requested 2026-10-15 + 1 month = 2026-11-15: erase by 2026-11-15; overdue from "
            "2026-11-16; today 2026-11-21: overdue by 6 days") in out
    assert f"PC202 keep: under legal hold: must not be erased yet  [{BINERO}:{hold}]" in out


def test_check_explain_option_and_nothing_due():
    result = binero("--explain", "book-03")
    assert result.exit_code == 0
    hold = line_of(BINERO, "legal hold 7 years from calendar_year_end_of_financial_year")
    assert f"binero.policy:{hold}: legal hold 7 years from calendar_year_end_of_financial_year" in result.output
    assert "today 2026-11-21: protected (41 days left, today included)" in result.output
    assert "findings: none" in result.output
    ran = binero("--explain", "cctv-01").output  # kept through 2026-11-20: may be erased
    assert "= 2026-11-20: keep through 2026-11-20; may be erased from 2026-11-21; today 2026-11-21: the period has run" in ran


def test_explain_unknown_record_is_an_error():
    result = binero("--explain", "nobody")
    assert result.exit_code == 2 and "no record with key 'nobody'" in result.output


def test_compile_shows_the_ir():
    result = invoke("compile", BINERO)
    assert result.exit_code == 0
    ir = json.loads(result.output)
    cctv = next(p for p in ir["purposes"] if p["name"] == "cctv")
    assert cctv["keep"][0] == {
        "kind": "min_retention", "code": "PC201", "anchor": "collected", "offset": "2 months",
        "comparison": "protected", "extension": None, "then": None, "working_days": None, "citation": None,
        "source": f"{BINERO}:{line_of(BINERO, 'retain at least 2 months')}",
        "clause": "retain at least 2 months from collected"}


def test_invalid_policy_is_exit_2(tmp_path):
    bad = tmp_path / "bad.policy"
    bad.write_text('controller "X" {\n', encoding="utf-8")
    result = invoke("check", bad, "-r", tmp_path / "r.csv")
    assert result.exit_code == 2 and "PE001" in result.output


def test_default_binding_beside_the_policy(tmp_path):
    shutil.copy(BINERO, tmp_path / "binero.policy")
    shutil.copy(ROOT / "examples/binero/binding.yaml", tmp_path / "binero.binding.yaml")
    result = invoke("check", tmp_path / "binero.policy", "-r", ROOT / "examples/binero/records.csv",
                    "--now", NOW, "--summary")
    assert result.exit_code == 1 and "14 findings" in result.output


def test_library_api(tmp_path):
    from policyengine import Finding, check, compile_policy, lower_to_python
    from policyengine.checking.binding import Binding
    from policyengine import load_policy

    compiled = compile_policy(load_policy(str(BINERO)))
    record = {"id": "c1", "purpose": "cctv", "collected": "2026-09-22", "erasure_requested": "2026-11-20"}
    (finding,) = check(compiled, [record], now=NOW)
    assert isinstance(finding, Finding) and finding.code == "PC201"
    lowered = lower_to_python(compiled, Binding.identity(), NOW)
    assert lowered.to_dict()["purposes"]["cctv"]["keep"][0]["cut"] == "2026-09-21"
    assert Path(finding.rule.rpartition(":")[0]) == BINERO

"""--fail-level, --no-fail and check --fail-on: one test per row of the table in README.md
("When a run fails") and docs/check.md."""

from __future__ import annotations

import pytest
from check_support import ROOT
from click.testing import CliRunner

from policyengine.cli import exit_code, main

NOW = "2026-11-21T12:00:00+01:00"
WARNINGS_ONLY = ROOT / "tests/golden/lint/pe212_declared_but_never_used.policy"
WITH_ERRORS = ROOT / "tests/golden/lint/pe101_unknown_names.policy"
CLEAN = ROOT / "tests/golden/lint/clean.policy"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize("options, file, code", [
    ((), CLEAN, 0),
    ((), WARNINGS_ONLY, 1),
    ((), WITH_ERRORS, 1),
    (("--fail-level", "warning"), WARNINGS_ONLY, 1),
    (("--fail-level", "error"), WARNINGS_ONLY, 0),
    (("--fail-level", "error"), WITH_ERRORS, 1),
    (("--no-fail",), WITH_ERRORS, 0),
    (("--no-fail", "--fail-level", "error"), WITH_ERRORS, 0),
    (("--no-fail",), ROOT / "no/such.policy", 2),
    (("--fail-level", "fatal"), CLEAN, 2),
])
def test_lint_rows(options, file, code):
    result = invoke("lint", *options, file)
    assert result.exit_code == code, result.output


def _records(tmp_path, rows):
    header = (ROOT / "examples/binero/records.csv").read_text("utf-8").splitlines()[0]
    path = tmp_path / "r.csv"
    path.write_text("\n".join([header, *rows]) + "\n", "utf-8")
    return path


# cctv-03 of the examples: inside its minimum retention on NOW (PC201, a keep finding)
KEEP_ONLY = ["cctv-03,cctv,premises_visitor,cctv_footage,2026-09-22T08:00:00,,2026-11-20,,,,"]
# and a record of a purpose the policy does not have (PC401, an error)
KEEP_AND_ERROR = KEEP_ONLY + ["x-1,nosuch,customer,billing,2026-01-01,,,,,,"]


@pytest.mark.parametrize("options, rows, code", [
    ((), [], 0),
    ((), KEEP_ONLY, 1),
    (("--fail-level", "error"), KEEP_ONLY, 0),
    (("--fail-level", "error"), KEEP_AND_ERROR, 1),
    (("--fail-on", "PC101,PC104"), KEEP_AND_ERROR, 0),
    (("--fail-on", "pc401"), KEEP_AND_ERROR, 1),
    (("--fail-on", "PC201"), KEEP_ONLY, 1),
    (("--fail-on", "PC201", "--fail-level", "error"), KEEP_ONLY, 0),
    (("--no-fail",), KEEP_AND_ERROR, 0),
    (("--no-fail", "--fail-on", "PC401"), KEEP_AND_ERROR, 0),
    (("--fail-on", "PC999"), KEEP_ONLY, 2),
    (("--fail-on", ","), KEEP_ONLY, 2),
])
def test_check_rows(tmp_path, options, rows, code):
    result = invoke("check", ROOT / "rules/binero.policy", "-b", ROOT / "examples/binero/binding.yaml",
                    "-r", _records(tmp_path, rows), "--now", NOW, "--summary", *options)
    assert result.exit_code == code, result.output


def test_check_no_fail_still_fails_on_a_tool_error(tmp_path):
    result = invoke("check", ROOT / "rules/binero.policy", "-r", tmp_path / "missing.csv", "--no-fail")
    assert result.exit_code == 2


@pytest.mark.parametrize("levels, fail_level, no_fail, code", [
    ([], "warning", False, 0), (["info"], "warning", False, 0), (["warning"], "warning", False, 1),
    (["warning"], "error", False, 0), (["error"], "error", False, 1), (["error"], "warning", True, 0),
])
def test_exit_code_table(levels, fail_level, no_fail, code):
    assert exit_code(levels, fail_level, no_fail) == code

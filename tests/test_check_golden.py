"""Golden tests for `check`, `explain` and `compile` on the shipped example organisations.

Each case runs the command from the repository root (so reported paths are relative) at a
fixed --now; the exact standard output is in tests/golden/check/<case>. The files were made
before the check half was split by stage, to show the split changed nothing.

Regenerate with `UPDATE_GOLDEN=1 pytest tests/test_check_golden.py`, then read the diff:
the expected files are assertions, not snapshots of whatever the code printed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from check_support import ROOT
from click.testing import CliRunner

from policyengine.cli import main
from policyengine.version import tool_version

GOLDEN = Path(__file__).parent / "golden" / "check"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
NOW = "2026-11-21T12:00:00+01:00"
SOURCES = {
    "binero": ["examples/binero/records.csv"],
    "bano": ["examples/bano/records.jsonl"],
    "balcoo": ["examples/balcoo/contacts.csv", "examples/balcoo/requests.jsonl"],
}
# SARIF names the tool's version: stored as a placeholder so a release does not break these.
VERSION_FIELD = f'"version": "{tool_version()}"'
VERSION_PLACEHOLDER = '"version": "TOOL-VERSION"'


def _check_args(org: str, fmt: str) -> list[str]:
    args = ["check", f"rules/{org}.policy", "-b", f"examples/{org}/binding.yaml", "--now", NOW,
            "--format", fmt]
    for source in SOURCES[org]:
        args += ["-r", source]
    return args


def _binero_keys() -> list[str]:
    lines = (ROOT / "examples/binero/records.csv").read_text(encoding="utf-8").splitlines()[1:]
    return [line.split(",", 1)[0] for line in lines if line]


CASES = {
    **{f"{org}.{fmt}": [_check_args(org, fmt)] for org in SOURCES for fmt in ("text", "json", "sarif")},
    **{f"compile_{p.stem}.json": [["compile", f"rules/{p.name}"]] for p in sorted((ROOT / "rules").glob("*.policy"))},
    # every record of binero explained, one after the other
    "explain_binero.txt": [["explain", "rules/binero.policy", "-b", "examples/binero/binding.yaml",
                            "-r", "examples/binero/records.csv", "--now", NOW, "--record", key]
                           for key in _binero_keys()],
}


def _run(commands: list[list[str]]) -> str:
    out = []
    for args in commands:
        result = CliRunner().invoke(main, args)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        assert result.stderr == ""
        out.append(result.stdout + (f"exit {result.exit_code}\n" if len(commands) > 1 else ""))
    return "".join(out).replace(VERSION_FIELD, VERSION_PLACEHOLDER)


@pytest.mark.parametrize("case", sorted(CASES))
def test_check_golden(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    got = _run(CASES[case])
    expected_path = GOLDEN / case
    if UPDATE:
        expected_path.write_text(got, encoding="utf-8")
    assert got == expected_path.read_text(encoding="utf-8")


def test_every_golden_file_has_a_case() -> None:
    assert sorted(p.name for p in GOLDEN.iterdir()) == sorted(CASES)

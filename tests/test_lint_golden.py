"""Golden tests for `policyengine lint`: one bad snippet per case, its exact text report.

tests/golden/lint/<case>.policy is linted as `policyengine lint <case>.policy` from
inside tests/golden/lint (so the reported path is the bare file name); the exact
standard output is in <case>.expected. Every code in diagnostics.CODES has a case.

Regenerate with `UPDATE_GOLDEN=1 pytest tests/test_lint_golden.py`, then read the
diff: the expected files are assertions, not snapshots of whatever the code printed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from policyengine.cli import main
from policyengine.language.diagnostics import CODES

GOLDEN = Path(__file__).parent / "golden" / "lint"


def _too_large() -> str:
    # 1 MiB of comments is past MAX_POLICY_CHARS: generated, not stored.
    return ("# a policy file that is far too large\n" + ("#" + "x" * 62 + "\n") * (1 << 14)
            + 'controller "Acme AB" {\n}\n')


# Cases whose input is made by the test rather than stored; their .expected is stored.
GENERATED = {"pe003_file_too_large": _too_large}
CASES = sorted([p.stem for p in GOLDEN.glob("*.policy")] + list(GENERATED))
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

# Cases whose .expected holds the right output but the code does not produce it yet.
# UPDATE_GOLDEN leaves them alone. See the report in the test log of the issue.
KNOWN_WRONG = {
}


@pytest.fixture
def empty_config(tmp_path: Path) -> Path:
    """An explicit config with no overrides, so no .policyengine.yaml up the tree leaks in."""
    path = tmp_path / "policyengine.yaml"
    path.write_text("rules: {}\n", encoding="utf-8")
    return path


# The Art. 13 / Art. 30 completeness warnings (PE230 on) would fire on nearly every
# snippet; each older case shows its own code, so they are off there and on in their own
# cases and in clean.policy.
ART13_CODES = [code for code in CODES if "PE230" <= code <= "PE239"]


def _config_for(case: str, config: Path) -> Path:
    if case.startswith("pe23") or case == "clean":
        return config
    quiet = config.parent / "policyengine-art13-off.yaml"
    quiet.write_text("rules:\n" + "".join(f"  {code}: off\n" for code in ART13_CODES), encoding="utf-8")
    return quiet


def run_lint(case: str, config: Path, monkeypatch: pytest.MonkeyPatch):
    config = _config_for(case, config)
    if case in GENERATED:
        folder = config.parent / "generated"
        folder.mkdir()
        (folder / f"{case}.policy").write_text(GENERATED[case](), encoding="utf-8")
        monkeypatch.chdir(folder)
    else:
        monkeypatch.chdir(GOLDEN)
    return CliRunner().invoke(main, ["lint", "--config", str(config), f"{case}.policy"])


def _params() -> list:
    return [pytest.param(case, id=case, marks=[pytest.mark.xfail(reason=KNOWN_WRONG[case], strict=True)]
                         if case in KNOWN_WRONG and not UPDATE else [])
            for case in CASES]


@pytest.mark.parametrize("case", _params())
def test_lint_golden(case: str, empty_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run_lint(case, empty_config, monkeypatch)
    expected_path = GOLDEN / f"{case}.expected"
    if UPDATE and case not in KNOWN_WRONG:
        expected_path.write_text(result.stdout, encoding="utf-8")
    expected = expected_path.read_text(encoding="utf-8")
    assert result.stdout == expected
    assert result.stderr == ""
    assert result.exit_code == (0 if case == "clean" else 1), result.output


def test_every_case_has_an_expected_file() -> None:
    missing = [c for c in CASES if not (GOLDEN / f"{c}.expected").is_file()]
    orphans = [p.name for p in GOLDEN.glob("*.expected") if p.stem not in CASES]
    assert not missing and not orphans


def _codes_in_expected() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for case in CASES:
        text = (GOLDEN / f"{case}.expected").read_text(encoding="utf-8")
        for code in re.findall(r"^\S+:\d+:\d+: (PE\d{3}): ", text, flags=re.M):
            found.setdefault(code, set()).add(case)
    return found


def test_every_code_has_a_golden_case() -> None:
    covered = _codes_in_expected()
    assert sorted(set(CODES) - set(covered)) == []
    # and each code has a case named after it, so a reader finds it
    for code in CODES:
        assert any(c.startswith(code.lower() + "_") for c in CASES), code


def test_golden_headlines_are_file_line_col_code_level_message() -> None:
    headline = re.compile(r"^(?P<file>[\w.]+\.policy):(?P<line>\d+):(?P<col>\d+): "
                          r"(?P<code>PE\d{3}): (?P<level>error|warning|info): \S")
    for case in CASES:
        lines = (GOLDEN / f"{case}.expected").read_text(encoding="utf-8").splitlines()
        assert re.fullmatch(r"\d+ error\(s\), \d+ warning\(s\) in \d+ file\(s\)", lines[-1])
        for i, line in enumerate(lines[:-1]):
            if line.startswith((" ", "\t")):
                continue  # excerpt, caret or hint
            m = headline.match(line)
            assert m, (case, line)
            assert m["file"] == f"{case}.policy"
            assert m["level"] == CODES[m["code"]][0]
            # an excerpt, when shown, quotes the reported line and puts the caret at the column
            if i + 2 < len(lines) and lines[i + 1].lstrip().startswith(m["line"] + " | "):
                gutter, _, src = lines[i + 1].partition(" | ")
                caret_gutter, _, caret = lines[i + 2].partition("| ")
                assert len(caret_gutter) == len(gutter) + 1
                assert caret.index("^") == int(m["col"]) - 1
                assert set(caret.strip()) == {"^"}


def test_golden_reports_are_sorted_by_location() -> None:
    for case in CASES:
        text = (GOLDEN / f"{case}.expected").read_text(encoding="utf-8")
        keys = [(int(a), int(b), c) for a, b, c in
                re.findall(r"^\S+:(\d+):(\d+): (PE\d{3}): ", text, flags=re.M)]
        assert keys == sorted(keys), case


def test_semantic_errors_are_all_reported_not_only_the_first() -> None:
    text = (GOLDEN / "pe101_unknown_names.expected").read_text(encoding="utf-8")
    # 13 unknown names of 11 kinds in one file: every one is reported
    assert text.count(": PE101: error: unknown ") == 13
    kinds = set(re.findall(r"PE101: error: unknown (.+) '", text))
    assert kinds == {
        "supervisory authority", "country code", "special category (GDPR Art. 9(1))",
        "transfer safeguard", "data subject", "category", "recipient",
        "lawful basis (GDPR Art. 6(1))", "Art. 9(2) condition", "retention clock start", "log kind",
    }
    assert text.count("  hint: did you mean '") == 12
    assert text.endswith("13 error(s), 0 warning(s) in 1 file(s)\n")

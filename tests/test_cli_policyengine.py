"""The `policyengine` command: entry points, lint exit codes, output formats, config, ignores.

Golden text output per code is in test_lint_golden.py; fmt's command line is in test_fmt.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from policyengine.cli import main
from policyengine.language.diagnostics import CODES

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden" / "lint"
SARIF_SCHEMA = Path(__file__).parent / "golden" / "sarif" / "sarif-schema-2.1.0.json"
RULES = sorted((ROOT / "rules").glob("*.policy"))
SCRIPTS = Path(sysconfig.get_path("scripts"))

CLEAN = (GOLDEN / "clean.policy").read_text(encoding="utf-8")
# The Art. 13 completeness warnings (PE230 on) fire on nearly every snippet here; the
# tests of this module are about other codes, so their configs switch them off.
ART13_CODES = [f"PE23{i}" for i in range(7)]
ART13_OFF_FLOW = ", ".join(f"{c}: off" for c in ART13_CODES)
JSON_FIELDS = {"file", "line", "column", "end_line", "end_column", "code", "level", "message", "hint"}


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory with a config (so none is found upward) that only switches
    off the Art. 13 completeness warnings (PE230 on), which the snippets here are not about."""
    (tmp_path / ".policyengine.yaml").write_text(
        "rules:\n" + "".join(f"  {c}: off\n" for c in ART13_CODES), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def lint(*args: str):
    return CliRunner().invoke(main, ["lint", *args])


def put(folder: Path, name: str, text: str) -> str:
    (folder / name).write_text(text, encoding="utf-8")
    return name


def golden(case: str) -> str:
    return (GOLDEN / f"{case}.policy").read_text(encoding="utf-8")


def headlines(output: str) -> list[str]:
    return re.findall(r"^\S+:\d+:\d+: PE\d{3}: \w+: .*$", output, flags=re.M)


# ---- entry points, through real processes -----------------------------------
def run(*argv: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, **kw)


def test_version_through_the_console_script() -> None:
    from importlib.metadata import version

    done = run(str(SCRIPTS / "policyengine"), "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"policyengine, version {version('privacy-promises')}\n"


@pytest.mark.parametrize("argv", [["policyengine", "--help"], ["-m", "policyengine", "--help"],
                                  ["policyengine", "-h"]], ids=["script", "python-m", "short"])
def test_help(argv: list[str]) -> None:
    cmd = [str(SCRIPTS / argv[0]), *argv[1:]] if argv[0] == "policyengine" else [sys.executable, *argv]
    done = run(*cmd)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: ")
    for verb in ("lint", "fmt"):
        assert re.search(rf"^\s+{verb}\s", done.stdout, flags=re.M), done.stdout
    assert done.stderr == ""


def test_lint_help_names_the_exit_codes_and_formats() -> None:
    result = lint("--help")
    assert result.exit_code == 0
    assert "lint-ignore: PE212" in result.stdout
    assert "[default: text]" in result.stdout or "default: text" in result.stdout
    for name in ("json", "sarif", "text"):
        assert name in result.stdout


def test_lint_every_shipped_rules_file_is_clean() -> None:
    assert RULES, "rules/ has no policy files"
    done = run(str(SCRIPTS / "policyengine"), "lint", *[str(p.relative_to(ROOT)) for p in RULES],
               cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == f"0 error(s), 0 warning(s) in {len(RULES)} file(s)\n"


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["frobnicate"])
    assert result.exit_code == 2
    assert "No such command" in result.stderr


# ---- exit codes ----------------------------------------------------------------
def test_exit_0_when_clean(work: Path) -> None:
    result = lint(put(work, "a.policy", CLEAN))
    assert (result.exit_code, result.stdout) == (0, "0 error(s), 0 warning(s) in 1 file(s)\n")


@pytest.mark.parametrize("case", ["pe101_unknown_names", "pe212_declared_but_never_used",
                                  "pe001_unexpected_eof"])
def test_exit_1_on_errors_or_warnings(work: Path, case: str) -> None:
    assert lint(put(work, "a.policy", golden(case))).exit_code == 1


@pytest.mark.parametrize("args, message", [
    (["missing.policy"], "cannot read missing.policy: No such file or directory"),
    (["--format", "xml", "a.policy"], "Invalid value for '--format'"),
    (["--no-such-option", "a.policy"], "No such option"),
    ([], "Missing argument"),
    (["--config", "nowhere.yaml", "a.policy"], "cannot read config nowhere.yaml"),
], ids=["unreadable", "bad-format", "bad-option", "no-files", "missing-config"])
def test_exit_2_when_the_tool_cannot_run(work: Path, args: list[str], message: str) -> None:
    put(work, "a.policy", CLEAN)
    result = lint(*args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.output


def test_one_unreadable_file_fails_the_run_even_among_good_ones(work: Path) -> None:
    put(work, "a.policy", CLEAN)
    result = lint("a.policy", "gone.policy")
    assert result.exit_code == 2
    assert "cannot read gone.policy" in result.stderr


@pytest.mark.parametrize("config, message", [
    ("rules: {PE212: off\n", "not valid YAML"),
    ("rules: {PE999: off}\n", "unknown code 'PE999'"),
    ("rules: {PE212: loud}\n", "PE212: level must be one of error, warning, info, off"),
    ("rules: [PE212]\n", "expected a mapping"),
    ("- PE212\n", "expected a mapping"),
    (b"rules: {PE212: \xff}\n", "not valid YAML"),
], ids=["yaml-syntax", "unknown-code", "unknown-level", "rules-not-mapping", "top-not-mapping",
        "not-utf8"])
def test_exit_2_on_a_bad_config(work: Path, config, message: str) -> None:
    cfg = work / ".policyengine.yaml"
    cfg.write_bytes(config if isinstance(config, bytes) else config.encode())
    put(work, "a.policy", CLEAN)
    for args in (["a.policy"], ["--config", ".policyengine.yaml", "a.policy"]):
        result = lint(*args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.stderr
        assert "Traceback" not in result.output


# ---- reports: sorted, complete ------------------------------------------------------
def test_findings_of_several_files_are_sorted_by_file_then_line(work: Path) -> None:
    put(work, "b.policy", golden("pe212_declared_but_never_used"))
    put(work, "a.policy", golden("pe211_no_subjects_or_categories"))
    put(work, "c.policy", "controller 'x' {}\n")
    result = lint("c.policy", "b.policy", "a.policy")
    found = [(f, int(line), int(col)) for f, line, col in
             (re.match(r"(\S+):(\d+):(\d+):", h).groups() for h in headlines(result.stdout))]
    assert found == sorted(found)
    assert [f for f, _, _ in found] == ["a.policy"] * 2 + ["b.policy"] * 3 + ["c.policy"]
    assert result.stdout.endswith("1 error(s), 5 warning(s) in 3 file(s)\n")


def test_errors_in_one_file_do_not_hide_the_next_file(work: Path) -> None:
    put(work, "a.policy", "controler\n")
    put(work, "b.policy", golden("pe206_no_retention"))
    result = lint("a.policy", "b.policy")
    assert [h.split(": ")[1] for h in headlines(result.stdout)] == ["PE001", "PE206"]


# ---- --format json ---------------------------------------------------------------------
def test_json_output(work: Path) -> None:
    put(work, "a.policy", golden("pe204_transfer_without_safeguard"))
    put(work, "b.policy", golden("pe212_declared_but_never_used"))
    result = lint("--format", "json", "a.policy", "b.policy")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert isinstance(data, list) and len(data) == 5
    assert all(set(d) == JSON_FIELDS for d in data)
    assert data[0] == {
        "file": "a.policy", "line": 14, "column": 3, "end_line": 14, "end_column": 13,
        "code": "PE204", "level": "error",
        "message": "processor 'cloud' is in US, outside the EU/EEA, and no transfer safeguard is stated",
        "hint": "add: transfer scc (or adequacy, dpf, bcr, derogation)",
    }
    assert [d["level"] for d in data] == ["error", "error", "warning", "warning", "warning"]
    assert data[2]["hint"] is None
    keys = [(d["file"], d["line"], d["column"]) for d in data]
    assert keys == sorted(keys)


def test_json_output_when_clean_is_an_empty_list(work: Path) -> None:
    result = lint("--format", "json", put(work, "a.policy", CLEAN))
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])


def test_json_keeps_non_ascii_text(work: Path) -> None:
    result = lint("--format", "json", put(work, "a.policy", golden("pe205_basis_cites_no_law")))
    assert "Bokföringslagen" in result.stdout


# ---- --format sarif --------------------------------------------------------------------
@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def sarif_of(*files: str, config: str | None = None) -> dict:
    args = ["--format", "sarif", *files] + (["--config", config] if config else [])
    result = lint(*args)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def test_sarif_is_valid_sarif_2_1_0(work: Path, sarif_validator) -> None:
    files = [put(work, f"{case}.policy", golden(case)) for case in
             ("pe001_misspelled_keyword", "pe207_impossible_values", "pe212_declared_but_never_used",
              "pe214_no_request_deadline")]
    (work / "bad.policy").write_bytes((GOLDEN / "pe002_invalid_utf8.policy").read_bytes())
    log = sarif_of(*files, "bad.policy")
    errors = sorted(sarif_validator.iter_errors(log), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    assert len(log["runs"][0]["results"]) == 1 + 9 + 3 + 1 + 1


def test_sarif_has_what_github_code_scanning_needs(work: Path) -> None:
    put(work, "a.policy", golden("pe204_transfer_without_safeguard"))
    put(work, "b.policy", golden("pe212_declared_but_never_used"))
    log = sarif_of("a.policy", "b.policy")
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    (run_,) = log["runs"]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "policyengine"
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", driver["version"])
    rule_ids = [r["id"] for r in driver["rules"]]
    assert rule_ids == sorted(CODES)
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] == CODES[rule["id"]][1]
    results = run_["results"]
    assert [r["ruleId"] for r in results] == ["PE204", "PE204", "PE212", "PE212", "PE212"]
    for r in results:
        assert rule_ids[r["ruleIndex"]] == r["ruleId"]
        assert r["message"]["text"]
        (loc,) = r["locations"]
        phys = loc["physicalLocation"]
        assert phys["artifactLocation"]["uri"] in ("a.policy", "b.policy")
        assert phys["region"]["startLine"] >= 1 and phys["region"]["startColumn"] >= 1
    first = results[0]
    assert first["level"] == "error" and results[2]["level"] == "warning"
    assert first["message"]["text"] == ("processor 'cloud' is in US, outside the EU/EEA, and no transfer "
                                        "safeguard is stated (add: transfer scc (or adequacy, dpf, bcr, "
                                        "derogation))")
    assert first["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 14, "startColumn": 3, "endLine": 14, "endColumn": 13}


def test_sarif_when_clean_has_no_results(work: Path, sarif_validator) -> None:
    log = sarif_of(put(work, "a.policy", CLEAN))
    assert log["runs"][0]["results"] == []
    assert not list(sarif_validator.iter_errors(log))


def test_sarif_levels_follow_the_config(work: Path, sarif_validator) -> None:
    put(work, "a.policy", golden("pe212_declared_but_never_used"))
    put(work, "cfg.yaml", "rules: {" + ART13_OFF_FLOW + ", PE212: info}\n")
    log = sarif_of("a.policy", config="cfg.yaml")
    assert {r["level"] for r in log["runs"][0]["results"]} == {"note"}
    assert not list(sarif_validator.iter_errors(log))


# RFC 3986 URI reference characters (unreserved, reserved and '%'): a SARIF uri must be one.
_URI_REFERENCE = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")


def test_sarif_uri_is_a_uri_reference_even_with_spaces(work: Path) -> None:
    put(work, "my policy.policy", golden("pe212_declared_but_never_used"))
    log = sarif_of("my policy.policy")
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert _URI_REFERENCE.fullmatch(uri), uri
    assert uri == "my%20policy.policy"


# ---- config -------------------------------------------------------------------------------------
def test_config_turns_codes_off_and_changes_levels(work: Path) -> None:
    text = golden("pe212_declared_but_never_used").replace(
        "category email", "category pnr is national identifier\ncategory email").replace(
        "categories email", "categories email, pnr")
    put(work, "a.policy", text)
    before = lint("a.policy")
    assert re.findall(r"PE\d{3}: \w+", before.stdout) == ["PE212: warning"] * 3 + ["PE209: warning"]
    put(work, ".policyengine.yaml", "rules: {" + ART13_OFF_FLOW + ", PE212: off, PE209: error}\n")
    after = lint("a.policy")
    assert re.findall(r"PE\d{3}: \w+", after.stdout) == ["PE209: error"]
    assert after.stdout.endswith("1 error(s), 0 warning(s) in 1 file(s)\n")
    assert after.exit_code == 1


def test_config_is_found_in_a_parent_folder_and_yml_works(work: Path, monkeypatch) -> None:
    (work / ".policyengine.yaml").unlink()
    put(work, ".policyengine.yml", "rules:\n  PE212: off\n" + "".join(f"  {c}: off\n" for c in ART13_CODES))
    sub = work / "deep" / "er"
    sub.mkdir(parents=True)
    put(sub, "a.policy", golden("pe212_declared_but_never_used"))
    monkeypatch.chdir(sub)
    result = lint("a.policy")
    assert (result.exit_code, result.stdout) == (0, "0 error(s), 0 warning(s) in 1 file(s)\n")


def test_explicit_config_wins_over_the_discovered_one(work: Path) -> None:
    put(work, ".policyengine.yaml", "rules: {" + ART13_OFF_FLOW + ", PE212: off}\n")
    put(work, "strict.yaml", "rules: {" + ART13_OFF_FLOW + ", PE212: error}\n")
    put(work, "a.policy", golden("pe212_declared_but_never_used"))
    assert lint("a.policy").exit_code == 0
    result = lint("--config", "strict.yaml", "a.policy")
    assert result.stdout.count("PE212: error") == 3


def test_info_level_is_reported_but_does_not_fail(work: Path) -> None:
    put(work, ".policyengine.yaml", "rules: {" + ART13_OFF_FLOW + ", PE212: info}\n")
    result = lint(put(work, "a.policy", golden("pe212_declared_but_never_used")))
    assert result.exit_code == 0
    assert result.stdout.count(": PE212: info: ") == 3


@pytest.mark.parametrize("value", ["off", "OFF", "false", "no", "'off'"])
def test_every_yaml_spelling_of_off_disables(work: Path, value: str) -> None:
    put(work, ".policyengine.yaml", "rules: {" + ART13_OFF_FLOW + f", PE212: {value}}}\n")
    assert lint(put(work, "a.policy", golden("pe212_declared_but_never_used"))).exit_code == 0


def test_empty_config_file_changes_nothing(work: Path) -> None:
    put(work, ".policyengine.yaml", "")
    assert lint(put(work, "a.policy", golden("pe212_declared_but_never_used"))).exit_code == 1


# ---- inline ignores ----------------------------------------------------------------------------
UNUSED = CLEAN + 'category phone "Phone"\ncategory fax\nsubject prospect\n'
L = CLEAN.count("\n") + 1  # line of 'category phone'; fax and prospect follow


def _codes_at(output: str) -> list[tuple[int, str]]:
    return [(int(line), code) for line, code in re.findall(r"^\S+:(\d+):\d+: (PE\d{3}):", output, re.M)]


def test_without_ignores_all_three_are_reported(work: Path) -> None:
    result = lint(put(work, "a.policy", UNUSED))
    assert _codes_at(result.stdout) == [(L, "PE212"), (L + 1, "PE212"), (L + 2, "PE212")]


def test_trailing_ignore_silences_its_own_line_only(work: Path) -> None:
    text = UNUSED.replace('category phone "Phone"', 'category phone "Phone"  # lint-ignore: PE212')
    result = lint(put(work, "a.policy", text))
    assert _codes_at(result.stdout) == [(L + 1, "PE212"), (L + 2, "PE212")]


def test_own_line_ignore_silences_the_next_line_only(work: Path) -> None:
    text = UNUSED.replace("category fax", "# lint-ignore: PE212\ncategory fax")
    result = lint(put(work, "a.policy", text))
    assert _codes_at(result.stdout) == [(L, "PE212"), (L + 3, "PE212")]


def test_ignore_of_another_code_silences_nothing(work: Path) -> None:
    text = UNUSED.replace("category fax", "category fax  # lint-ignore: PE209")
    assert _codes_at(lint(put(work, "a.policy", text)).stdout) == [(L, "PE212"), (L + 1, "PE212"),
                                                                    (L + 1, "PE218"), (L + 2, "PE212")]


def test_ignore_two_lines_above_does_not_reach(work: Path) -> None:
    text = UNUSED.replace("category fax", "# lint-ignore: PE212\n\ncategory fax")
    assert _codes_at(lint(put(work, "a.policy", text)).stdout) == [(L, "PE212"), (L + 1, "PE218"),
                                                                    (L + 3, "PE212"), (L + 4, "PE212")]


def test_ignore_lists_several_codes(work: Path) -> None:
    text = UNUSED.replace("category fax", "category fax  # lint-ignore: PE209, PE212")
    assert _codes_at(lint(put(work, "a.policy", text)).stdout) == [(L, "PE212"), (L + 1, "PE218"),
                                                                    (L + 2, "PE212")]


def test_ignore_inside_a_string_is_not_a_comment(work: Path) -> None:
    text = UNUSED.replace('category phone "Phone"', 'category phone "# lint-ignore: PE212"')
    assert _codes_at(lint(put(work, "a.policy", text)).stdout)[0] == (L, "PE212")


def test_all_ignored_means_exit_0(work: Path) -> None:
    text = golden("pe206_no_retention").replace("purpose support {", "purpose support {  # lint-ignore: PE206")
    result = lint(put(work, "a.policy", text))
    assert (result.exit_code, result.stdout) == (0, "0 error(s), 0 warning(s) in 1 file(s)\n")


# ---- library use -----------------------------------------------------------------------------------
def test_lint_paths_from_python(work: Path) -> None:
    from policyengine import lint_paths
    from policyengine.language.lint import LintConfig

    put(work, "a.policy", golden("pe212_declared_but_never_used"))
    result = lint_paths(["a.policy"], LintConfig({"PE212": "error", **dict.fromkeys(ART13_CODES, "off")}))
    assert result.failed
    assert [(d.code, d.level, d.span.line) for d in result.diagnostics] == [
        ("PE212", "error", 13), ("PE212", "error", 14), ("PE212", "error", 15)]
    assert result.sources == {"a.policy": golden("pe212_declared_but_never_used")}


def test_load_policy_refuses_errors_with_exit_2_and_rendered_diagnostics(work: Path) -> None:
    from policyengine import PolicyInvalid, load_policy

    put(work, "a.policy", golden("pe206_no_retention"))
    with pytest.raises(PolicyInvalid) as caught:
        load_policy("a.policy")
    assert caught.value.exit_code == 2
    assert "a.policy:14:9: PE206: error: purpose 'support' has no retention" in caught.value.format_message()
    put(work, "w.policy", golden("pe212_declared_but_never_used"))
    assert load_policy("w.policy").controller.name == "Acme AB"  # warnings do not stop it


def test_no_traceback_on_any_golden_input(work: Path) -> None:
    for path in sorted(GOLDEN.glob("*.policy")):
        (work / path.name).write_bytes(path.read_bytes())
    result = lint(*sorted(p.name for p in work.glob("*.policy")))
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


if os.name != "posix":  # pragma: no cover
    pytest.skip("POSIX paths assumed", allow_module_level=True)

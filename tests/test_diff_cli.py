"""`policyengine diff` on the command line: exit codes, formats, errors, config, git revisions."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from policyengine.cli import main
from policyengine.language.fmt import format_policy
from policyengine.language.parser import parse

ROOT = Path(__file__).resolve().parents[1]
RULES = sorted((ROOT / "rules").glob("*.policy"))
BASE = (Path(__file__).parent / "diff" / "base.policy").read_text(encoding="utf-8")
LONGER = BASE.replace("retain at most 2 years from contract_end", "retain at most 3 years from contract_end")
RELABELLED = BASE.replace('purpose care "Care"', 'purpose care "Health care"')

GIT_ENV = {
    "GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "test", "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory with an empty config (so none is found upward)."""
    (tmp_path / ".policyengine.yaml").write_text("rules: {}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for key in [k for k in os.environ if k.startswith("GIT_")]:
        monkeypatch.delenv(key)
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    return tmp_path


def put(folder: Path, name: str, text: str) -> str:
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return name


def diff(*args: str):
    return CliRunner().invoke(main, ["diff", *args])


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


# ---- the policies in rules/ against their own formatting ----------------------
@pytest.mark.parametrize("policy", RULES, ids=[p.name for p in RULES])
def test_rules_against_their_fmt_output_is_empty(policy: Path, work: Path) -> None:
    formatted = format_policy(parse(policy.read_text(encoding="utf-8"), str(policy)))
    put(work, "formatted.policy", formatted)
    for fmt in ("text", "json", "github"):
        result = diff(str(policy), "formatted.policy", "--format", fmt)
        assert result.exit_code == 0, result.output
        if fmt == "json":
            assert json.loads(result.output)["changes"] == []
        else:
            assert result.output == ""


# ---- exit codes and formats -----------------------------------------------------
def test_material_change_exits_1_with_both_locations(work: Path) -> None:
    put(work, "old.policy", BASE)
    put(work, "new.policy", "# moved down a line\n" + LONGER)
    result = diff("old.policy", "new.policy")
    assert result.exit_code == 1, result.output
    line = BASE.splitlines().index("  retain at most 2 years from contract_end") + 1
    assert (f"old.policy:{line} -> new.policy:{line + 1}: material: retention_maximum_lengthened: "
            "purpose 'service': maximum 2 years from contract_end is now 3 years") in result.output
    assert "    why material: data may be kept longer than people were told" in result.output
    assert "minor: comments_changed" in result.output
    assert result.output.endswith("1 material, 1 minor change(s)\n")


def test_minor_change_exits_0(work: Path) -> None:
    put(work, "old.policy", BASE)
    put(work, "new.policy", RELABELLED)
    result = diff("old.policy", "new.policy")
    assert result.exit_code == 0, result.output
    assert ": minor: label_changed: purpose 'care': label 'Care' is now 'Health care'" in result.output
    assert "why minor: labels are wording" in result.output


def test_json(work: Path) -> None:
    put(work, "old.policy", BASE)
    put(work, "new.policy", LONGER)
    result = diff("old.policy", "new.policy", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert (data["old"], data["new"], data["material"], data["minor"]) == ("old.policy", "new.policy", 1, 0)
    (change,) = data["changes"]
    assert change["kind"] == "retention_maximum_lengthened" and change["material"] is True
    assert change["old"]["file"] == "old.policy" and change["new"]["file"] == "new.policy"
    assert (change["before"], change["after"], change["purpose"]) == ("2 years", "3 years", "Service")


def test_github(work: Path) -> None:
    put(work, "old.policy", BASE)
    put(work, "new.policy", LONGER.replace('purpose care "Care"', 'purpose care "Health care"'))
    result = diff("old.policy", "new.policy", "--format", "github")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len(lines) == 2
    line = BASE.splitlines().index("  retain at most 2 years from contract_end") + 1
    assert lines[0].startswith(f"::warning file=new.policy,line={line},"
                               "title=policy change%3A material%3A retention_maximum_lengthened::")
    assert lines[1].startswith("::notice file=new.policy,")


def test_github_injection_is_not_a_command(work: Path) -> None:
    """A label holding `%0A::error::`, a CR and an ESC must not forge a workflow command."""
    hostile = 'Care%0A::error file=x,line=1::forged\r::error::also forged\x1b[31m'
    put(work, "old.policy", BASE)
    put(work, "new.policy", BASE.replace('purpose care "Care"', f'purpose care "{hostile}"'))
    put(work, "evil%0A::error::,x:y.policy", BASE)
    for args in (("old.policy", "new.policy"), ("old.policy", "evil%0A::error::,x:y.policy")):
        result = diff(*args, "--format", "github")
        out = result.output
        assert "\r" not in out and "\x1b" not in out
        for line in out.splitlines():
            assert line.startswith(("::notice ", "::warning ")), line
            props, _, message = line[2:].partition("::")
            # GitHub decodes %25 -> %, %0A -> LF: no decoded message may hold a line break
            decoded = message.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")
            assert "\n" not in decoded and "\r" not in decoded
            assert "::" not in props
            for prop in props.split(" ", 1)[1].split(","):
                key, _, value = prop.partition("=")
                assert key in ("file", "line", "title") and ":" not in value, prop
    result = diff("old.policy", "new.policy", "--format", "github")
    assert "Care%250A::error file=x,line=1::forged\\x0d::error::also forged\\x1b[31m" in result.output


def test_text_escapes_control_characters(work: Path) -> None:
    put(work, "old.policy", BASE)
    put(work, "new.policy", BASE.replace('"Care"', '"Ca\x1b]0;pwned\x07re\r\u202e"'))
    result = diff("old.policy", "new.policy")
    assert result.exit_code == 0
    assert "\x1b" not in result.output and "\r" not in result.output and "\u202e" not in result.output
    assert "Ca\\x1b]0;pwned\\x07re\\x0d\\u202e" in result.output


def test_errors_exit_2(work: Path) -> None:
    put(work, "old.policy", BASE)
    put(work, "bad.policy", BASE.replace("basis contract", "basis contract {"))
    (work / "latin1.policy").write_bytes("category x \"\xe5\"".encode("latin-1"))
    result = diff("old.policy", "bad.policy")
    assert result.exit_code == 2
    assert re.search(r"bad\.policy:\d+:\d+: PE001: error: unexpected", result.output), result.output
    result = diff("old.policy", "latin1.policy")
    assert result.exit_code == 2 and "latin1.policy:1:13: PE002" in result.output
    result = diff("old.policy", "missing.policy")
    assert result.exit_code == 2 and "cannot read missing.policy" in result.output
    result = diff("old.policy")
    assert result.exit_code == 2 and "give OLD and NEW" in result.output
    result = diff("old.policy", "old.policy", "--format", "xml")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


# ---- config -------------------------------------------------------------------
def test_config_reclassifies(work: Path) -> None:
    put(work, "old.policy", BASE)
    put(work, "new.policy", RELABELLED)
    put(work, ".policyengine.yaml", "diff:\n  reclassify:\n    label_changed: material\n")
    result = diff("old.policy", "new.policy")
    assert result.exit_code == 1
    assert ": material: label_changed:" in result.output and "reclassified by the config" in result.output
    put(work, "other.yaml", "diff: {reclassify: {retention_maximum_lengthened: minor}}\n")
    put(work, "longer.policy", LONGER)
    result = diff("old.policy", "longer.policy", "--config", "other.yaml")
    assert result.exit_code == 0 and ": minor: retention_maximum_lengthened:" in result.output


@pytest.mark.parametrize("text, message", [
    ("diff: {reclassify: {no_such_kind: minor}}\n", "unknown change kind 'no_such_kind'"),
    ("diff: {reclassify: {label_changed: big}}\n", "must be 'material' or 'minor'"),
    ("diff: [1, 2]\n", "expected 'diff: {reclassify"),
    ("diff: {reclasify: {}}\n", "unknown key(s) reclasify"),
    ("a: &x [1, 2]\ndiff: {reclassify: *x}\n", "bad.yaml:1: not valid YAML: anchors (&name) are not accepted"),
    ("diff: {reclassify: *x}\n", "bad.yaml:1: not valid YAML: aliases (*name) are not accepted"),
    ("diff: " + "[" * 5000 + "]" * 5000 + "\n", "bad.yaml:1: not valid YAML: nested deeper than 32 levels"),
    ("diff: {reclassify: {label_changed: [\n", "not valid YAML"),
])
def test_bad_config_exits_2(work: Path, text: str, message: str) -> None:
    put(work, "old.policy", BASE)
    put(work, "bad.yaml", text)
    result = diff("old.policy", "old.policy", "--config", "bad.yaml")
    assert result.exit_code == 2 and message in result.output, result.output


def test_alias_bomb_is_refused_quickly(work: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(20))
    put(work, "old.policy", BASE)
    put(work, ".policyengine.yaml", bomb)
    result = diff("old.policy", "old.policy")
    assert result.exit_code == 2 and "anchors (&name) are not accepted" in result.output


# ---- notice ---------------------------------------------------------------------
@pytest.mark.parametrize("lang, words", [
    ("en", ["Acme AB: changes to our privacy policy", "Service: we may keep your data longer (2 years → 3 years).",
            "Questions? Contact us: privacy@acme.example."]),
    ("sv", ["Acme AB: ändringar i vår integritetspolicy",
            "Service: vi kan komma att spara dina uppgifter längre (2 år → 3 år).", "Kontakta oss"]),
    ("nb", ["Acme AB: endringer i personvernerklæringen vår",
            "Service: vi kan lagre opplysningene dine lenger (2 år → 3 år).", "Kontakt oss"]),
])
def test_notice(work: Path, lang: str, words: list[str]) -> None:
    put(work, "old.policy", BASE)
    put(work, "new.policy", LONGER.replace('purpose care "Care"', 'purpose care "Health care"'))
    result = diff("old.policy", "new.policy", "--notice", "--lang", lang)
    assert result.exit_code == 1
    for w in words:
        assert w in result.output, result.output
    assert "Health care" not in result.output  # a minor change is not in the notice
    assert len([line for line in result.output.splitlines() if line.startswith("- ")]) == 1


def test_notice_names_the_new_things(work: Path) -> None:
    put(work, "old.policy", BASE)
    new = BASE.replace("transfer scc", "transfer derogation").replace(
        'category ips "IP addresses"', 'category ips "IP addresses"\ncategory genes "DNA-prov" is special genetic')
    put(work, "new.policy", new)
    result = diff("old.policy", "new.policy", "--notice", "--lang", "sv")
    assert ("- Vi kommer att behandla känsliga personuppgifter (en särskild kategori enligt "
            "dataskyddsförordningen): DNA-prov.") in result.output
    assert ("- Överföringar av dina uppgifter utanför EU/EES till Mail service kommer att bygga på ett "
            "undantag för särskilda situationer (artikel 49 i dataskyddsförordningen) i stället för "
            "standardavtalsklausuler.") in result.output


def test_notice_is_empty_without_material_changes(work: Path) -> None:
    put(work, "old.policy", BASE)
    put(work, "new.policy", RELABELLED)
    result = diff("old.policy", "new.policy", "--notice", "--lang", "nb")
    assert (result.exit_code, result.output) == (0, "")


# ---- git revisions, in a real repository --------------------------------------
@pytest.fixture
def repo(work: Path) -> Path:
    folder = work / "repo"
    folder.mkdir()
    git("init", "-q", "-b", "main", cwd=folder)
    put(folder, "policies/acme.policy", BASE)
    git("add", "-A", cwd=folder)
    git("commit", "-q", "-m", "first", cwd=folder)
    put(folder, "policies/acme.policy", LONGER)
    git("commit", "-q", "-am", "keep service data a year longer", cwd=folder)
    return folder


def test_against_previous_commit(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = diff(str(repo / "policies" / "acme.policy"), "--against", "HEAD~1")
    assert result.exit_code == 1, result.output
    assert "HEAD~1:policies/acme.policy:" in result.output
    assert "material: retention_maximum_lengthened" in result.output
    # the same from inside a sub-folder, with a relative path
    monkeypatch.chdir(repo / "policies")
    result = diff("acme.policy", "--against", "HEAD~1", "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.output)["old"] == "HEAD~1:policies/acme.policy"
    # against HEAD: nothing changed since the last commit
    result = diff("acme.policy", "--against", "HEAD")
    assert (result.exit_code, result.output) == (0, "")


def test_against_head_sees_the_work_tree(repo: Path) -> None:
    put(repo, "policies/acme.policy", LONGER.replace("basis contract", 'basis legitimate_interests "service"'))
    result = diff(str(repo / "policies" / "acme.policy"), "--against", "HEAD")
    assert result.exit_code == 1
    assert "basis_changed" in result.output and "retention_maximum_lengthened" not in result.output


def test_against_a_file_new_since_the_revision(repo: Path) -> None:
    put(repo, "policies/other.policy", BASE)
    result = diff(str(repo / "policies" / "other.policy"), "--against", "HEAD", "--format", "json")
    assert result.exit_code == 1
    kinds = {c["kind"] for c in json.loads(result.output)["changes"]}
    assert {"controller_changed", "purpose_added", "category_added"} <= kinds


def test_against_errors(repo: Path, work: Path) -> None:
    policy = str(repo / "policies" / "acme.policy")
    for revision, message in (("no-such-branch", "unknown git revision 'no-such-branch'"),
                              ("HEAD~9", "unknown git revision 'HEAD~9'"),
                              ("--output=/tmp/x", "not a git revision"),
                              ("", "not a git revision")):
        result = diff(policy, "--against", revision)
        assert result.exit_code == 2 and message in result.output, (revision, result.output)
    put(work, "outside/acme.policy", BASE)
    ceiling = {"GIT_CEILING_DIRECTORIES": str(work)}
    result = CliRunner(env=ceiling).invoke(main, ["diff", str(work / "outside" / "acme.policy"), "--against", "HEAD"])
    assert result.exit_code == 2 and "is not in a git repository" in result.output, result.output
    put(repo, "policies/broken.policy", "purpose {")
    git("add", "policies/broken.policy", cwd=repo)
    git("commit", "-q", "-m", "broken", cwd=repo)
    put(repo, "policies/broken.policy", BASE)
    result = diff(str(repo / "policies" / "broken.policy"), "--against", "HEAD")
    assert result.exit_code == 2 and "HEAD:policies/broken.policy:1:9: PE001" in result.output, result.output


def test_several_files_against_a_revision(repo: Path) -> None:
    put(repo, "policies/other.policy", BASE)
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "other", cwd=repo)
    put(repo, "policies/other.policy", RELABELLED)
    put(repo, "policies/acme.policy", BASE)  # back to the first commit's text
    files = [str(repo / "policies" / name) for name in ("acme.policy", "other.policy")]
    result = diff(*files, "--against", "HEAD", "--format", "json")
    assert result.exit_code == 0, result.output  # a shortened maximum and a label: both minor
    reports = json.loads(result.output)
    assert [(r["old"], r["material"], r["minor"]) for r in reports] == [
        ("HEAD:policies/acme.policy", 0, 1), ("HEAD:policies/other.policy", 0, 1)]


def test_real_process_exit_codes(work: Path) -> None:
    import sys

    put(work, "old.policy", BASE)
    put(work, "new.policy", LONGER)
    run = [sys.executable, "-m", "policyengine", "diff"]
    assert subprocess.run([*run, "old.policy", "old.policy"], capture_output=True, timeout=60).returncode == 0
    assert subprocess.run([*run, "old.policy", "new.policy"], capture_output=True, timeout=60).returncode == 1
    done = subprocess.run([*run, "old.policy", "nope.policy"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_lint_start_up_does_not_import_diff() -> None:
    """`policyengine lint` under pre-commit pays only for lint's modules."""
    import sys

    code = ("import sys; from policyengine.cli import main\n"
            "try:\n    main(['lint', sys.argv[1]])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith(('policyengine.diff', 'policyengine.cli_diff',"
            " 'policyengine.checking'))))")
    done = subprocess.run([sys.executable, "-c", code, str(ROOT / "tests" / "diff" / "base.policy")],
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr
    listed = CliRunner().invoke(main, ["--help"])
    assert "diff" in listed.output


def test_against_with_an_odd_file_name(work: Path) -> None:
    """Spaces, a colon and a leading dash in a path reach git as one argument, not an option."""
    folder = work / "odd repo"
    folder.mkdir()
    git("init", "-q", "-b", "main", cwd=folder)
    name = "odd dir/-a:b c.policy"
    put(folder, name, BASE)
    git("add", "-A", cwd=folder)
    git("commit", "-q", "-m", "first", cwd=folder)
    put(folder, name, LONGER)
    result = diff(str(folder / name), "--against", "HEAD")
    assert result.exit_code == 1, result.output
    assert f"HEAD:{name}:" in result.output and "retention_maximum_lengthened" in result.output

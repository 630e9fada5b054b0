"""Hostile and careless input (issue 10): every case gets a clean error or a clean result,
in bounded time, never a traceback. Each test here is one reported case; the fuzzers for
the classes are in test_hostile_fuzz.py."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from check_support import POLICY, write_policy
from policyengine.cli import main

CLEAN = (Path(__file__).parent / "golden" / "lint" / "clean.policy").read_text(encoding="utf-8")
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))


def run(*args: str, cwd: Path, timeout: float = 30, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "policyengine", *args], cwd=cwd, input=stdin,
                          capture_output=True, text=True, timeout=timeout)


def invoke(*args: str, stdin: str | None = None):
    return CliRunner().invoke(main, list(args), input=stdin)


# ---- YAML ---------------------------------------------------------------------
@pytest.mark.parametrize("text, problem", [
    (BOMB, "anchors (&name) are not accepted"),
    ("columns: {key: id}\nother: *a\n", "aliases (*name) are not accepted"),
    ("columns: " + "[" * 5000 + "]" * 5000 + "\n", "nested deeper than"),
    ("columns:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 200)), "nested deeper than"),
], ids=["alias-bomb", "alias", "deep-flow", "deep-block"])
def test_binding_yaml_bombs_are_refused_quickly(tmp_path: Path, text: str, problem: str) -> None:
    write_policy(tmp_path)
    (tmp_path / "b.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "r.csv").write_text("id,purpose,collected\n", encoding="utf-8")
    result = run("check", "test.policy", "--binding", "b.yaml", "--records", "r.csv", cwd=tmp_path, timeout=20)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"b.yaml:" in result.stderr and problem in result.stderr


@pytest.mark.parametrize("text, problem", [
    (BOMB, "anchors (&name) are not accepted"),
    ("rules: {PE212: off}\nx: *a\n", "aliases (*name) are not accepted"),
    ("rules: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n", "nested deeper than"),
], ids=["alias-bomb", "alias", "deep"])
def test_config_yaml_bombs_are_refused_quickly(tmp_path: Path, text: str, problem: str) -> None:
    (tmp_path / ".policyengine.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "a.policy").write_text(CLEAN, encoding="utf-8")
    result = run("lint", "a.policy", cwd=tmp_path, timeout=20)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert ".policyengine.yaml:" in result.stderr and problem in result.stderr


# ---- huge numbers ---------------------------------------------------------------
HUGE = "9" * 5000


@pytest.mark.parametrize("statement", [
    f"retain at most {HUGE} days from collected",
    f"legal hold {HUGE} years from collected \"law\"",
    f"logs access {{ truncate ipv4 /{HUGE} ipv6 /48 }}",
    f"logs access {{ truncate ipv4 /24 ipv6 /{HUGE} }}",
    f"logs access {{ keep at most {HUGE} days }}",
], ids=["retain", "legal-hold", "ipv4", "ipv6", "keep"])
def test_a_huge_number_is_pe207_in_lint_and_a_clean_error_in_fmt(tmp_path: Path, statement: str) -> None:
    text = ('controller "X" {\n  authority IMY\n}\npurpose p {\n  basis contract\n'
            f'  {statement}\n}}\n')
    (tmp_path / "big.policy").write_text(text, encoding="utf-8")
    lint = run("lint", "big.policy", cwd=tmp_path)
    assert lint.returncode == 1 and "Traceback" not in lint.stderr
    assert "big.policy:6:" in lint.stdout and "PE207" in lint.stdout and "5,000 digits" in lint.stdout
    fmt = run("fmt", "big.policy", cwd=tmp_path)
    assert fmt.returncode == 2 and "Traceback" not in fmt.stderr
    assert "PE207" in fmt.stderr and fmt.stdout == ""


def test_leading_zeros_are_not_a_huge_number(tmp_path: Path) -> None:
    text = CLEAN.replace("retain at most 1 year", "retain at most " + "0" * 4000 + "1 year")
    assert text != CLEAN
    (tmp_path / "z.policy").write_text(text, encoding="utf-8")
    assert run("lint", "z.policy", cwd=tmp_path).returncode == 0


# ---- output a record can forge -----------------------------------------------------
SMALL = ('controller "X" {\n  authority IMY\n  address "Gatan 1, 111 11 Stad"\n'
         '  automated decisions none\n  security "encrypted backups"\n}\ncategory c "C"\nsubject s "S"\n'
         'purpose backups "B" {\n  subjects s\n  categories c\n  basis contract\n  provision contractual\n'
         '  retain at most 1 month from collected\n}\n'
         'requests {\n  respond within 1 month\n}\n')
BINDING = "columns: {key: id, purpose: purpose, collected: collected}\n"
FORMULAS = ["=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\tTAB", "\rCR"]


def _csv_records(tmp_path: Path, keys: list[str], purpose: str = "cctv") -> Path:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # so that a cell's bare CR is quoted
    writer.writerow(["id", "purpose", "collected"])
    for key in keys:
        writer.writerow([key, purpose, "2020-01-01"])
    path = tmp_path / "r.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(BINDING, encoding="utf-8")
    write_policy(tmp_path, SMALL)
    return path


@pytest.mark.parametrize("purpose", ["backups", "=cmd|x"], ids=["known-purpose", "formula-purpose"])
def test_check_csv_neutralises_formula_cells(tmp_path: Path, purpose: str) -> None:
    import csv
    import io

    _csv_records(tmp_path, FORMULAS, purpose)
    result = subprocess.run([sys.executable, "-m", "policyengine", "check", "test.policy", "-b", "b.yaml",
                             "-r", "r.csv", "--now", "2026-01-01", "--format", "csv"],
                            cwd=tmp_path, capture_output=True, timeout=30)
    assert result.returncode == 1, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout.decode(), newline="")))
    keys = [row[3] for row in rows[1:]]
    assert sorted(keys) == sorted("'" + k for k in FORMULAS)
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), row
            assert not cell.startswith("-") or cell.lstrip("-").isdigit(), row  # days: a number


def test_check_csv_quotes_a_bare_cr_so_no_row_is_forged(tmp_path: Path) -> None:
    import csv
    import io

    write_policy(tmp_path, SMALL)
    (tmp_path / "b.yaml").write_text(BINDING, encoding="utf-8")
    forged = "a\rPC101,erase,forged,x,y"
    (tmp_path / "r.jsonl").write_text(json.dumps({"id": forged, "purpose": "backups",
                                                  "collected": "2020-01-01"}) + "\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "policyengine", "check", "test.policy", "-b", "b.yaml",
                             "-r", "r.jsonl", "--now", "2026-01-01", "--format", "csv"],
                            cwd=tmp_path, capture_output=True, timeout=30)
    rows = list(csv.reader(io.StringIO(result.stdout.decode(), newline="")))
    assert len(rows) == 2 and rows[1][3] == forged, rows


HOSTILE = ["\x1b]0;pwned\x07", "a\nPC101 erase: forged line", "b\rover", "\x9b31m", "\u202eevil", "\x00nul",
           "\u2028ls", "\x7fdel"]


def assert_no_control(text: str) -> None:
    """Nothing but line breaks from us: no C0/C1 control, no bidi override, no U+2028."""
    from policyengine.escaping import UNSAFE

    for line in text.split("\n"):
        assert not UNSAFE.search(line), repr(line)


def test_check_text_and_explain_escape_record_values(tmp_path: Path) -> None:
    write_policy(tmp_path, SMALL)
    (tmp_path / "b.yaml").write_text(BINDING, encoding="utf-8")
    records = [{"id": key, "purpose": purpose, "collected": "2020-01-01"}
               for key in HOSTILE for purpose in ("backups", key)]
    (tmp_path / "r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    base = ["test.policy", "-b", "b.yaml", "-r", "r.jsonl", "--now", "2026-01-01"]
    for args in (["check", *base], ["check", *base, "--summary"], ["check", *base, "--explain", HOSTILE[0]],
                 ["explain", *base, "--record", HOSTILE[1]], ["explain", *base, "--record", "\x1bnone"]):
        result = subprocess.run([sys.executable, "-m", "policyengine", *args], cwd=tmp_path,
                                capture_output=True, timeout=30)
        out, err = result.stdout.decode(), result.stderr.decode()
        assert result.returncode in (1, 2) and "Traceback" not in err, err
        assert_no_control(out)
        assert_no_control(err)
    text = subprocess.run([sys.executable, "-m", "policyengine", "check", *base], cwd=tmp_path,
                          capture_output=True, timeout=30).stdout.decode()
    assert "\\e]0;pwned\\x07" in text and "a\\nPC101 erase: forged line" in text
    assert not any(line.startswith("PC101 erase: forged") for line in text.splitlines())


def test_lint_and_fmt_escape_policy_text(tmp_path: Path) -> None:
    bad = 'controller "X\x1b]0;t\x07" {\n  authority IM\x1bY\n}\npurpose p "\u202eabc" { basis c\x9bonsent }\n'
    name = "e\x1b[2Jvil.policy"
    (tmp_path / name).write_text(bad, encoding="utf-8")
    for args in (["lint", name], ["fmt", name], ["fmt", "--check", name]):
        result = subprocess.run([sys.executable, "-m", "policyengine", *args], cwd=tmp_path,
                                capture_output=True, timeout=30)
        assert "Traceback" not in result.stderr.decode()
        assert_no_control(result.stderr.decode())
        if args[0] == "lint":
            assert result.returncode == 1
            assert_no_control(result.stdout.decode())
            assert "\\e[2Jvil.policy" in result.stdout.decode()


def test_excerpt_caret_follows_escaped_characters() -> None:
    from policyengine.language.ast import Span
    from policyengine.language.diagnostics import excerpt

    shown = excerpt('a\x1b\x1bb  bad', Span("f", 1, 7, 1, 10))
    line, caret = shown.split("\n")
    assert line.endswith("a\\e\\eb  bad")
    assert caret.index("^") - caret.index("|") - 2 == line.index("bad") - line.index("|") - 2
    assert caret.count("^") == 3


# ---- ignores and configuration ---------------------------------------------------
@pytest.mark.parametrize("statement", [
    "retain at most 1 month from collected\n  logs access {\n    truncate ipv4 /32 ipv6 /128  # lint-ignore: PE207\n  }",
    "retain at most 0 days from collected  # lint-ignore: PE207",
    "retain at most 200 years from collected  # lint-ignore: PE207",
    "retain at most 1 year from bogus  # lint-ignore: PE101",
], ids=["truncate-32-128", "zero-days", "200-years", "unknown-anchor"])
def test_an_ignored_impossible_value_passes_lint_but_cannot_be_used(tmp_path: Path, statement: str) -> None:
    text = SMALL.replace("  retain at most 1 month from collected\n", f"  {statement}\n")
    assert text != SMALL
    (tmp_path / "p.policy").write_text(text, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(BINDING, encoding="utf-8")
    (tmp_path / "r.csv").write_text("id,purpose,collected\n1,backups,2020-01-01\n", encoding="utf-8")
    assert run("lint", "p.policy", cwd=tmp_path).returncode == 0
    checked = run("check", "p.policy", "-b", "b.yaml", "-r", "r.csv", cwd=tmp_path)
    assert checked.returncode == 2 and "Traceback" not in checked.stderr
    assert re.search(r"p.policy:\d+:\d+: PE(207|101)", checked.stderr), checked.stderr
    assert "cannot be used until this is fixed" in checked.stderr
    from policyengine.language.diagnostics import PolicyInvalid
    from policyengine.language.loading import scrubber_settings

    with pytest.raises(PolicyInvalid, match="cannot be used until this is fixed"):
        scrubber_settings(str(tmp_path / "p.policy"), "backups")


def test_scrubber_refuses_a_policy_whose_whole_address_truncation_was_ignored(tmp_path: Path) -> None:
    text = SMALL.replace("  retain at most 1 month from collected\n", "  retain at most 1 month from collected\n"
                         "  logs access {\n    truncate ipv4 /32 ipv6 /128  # lint-ignore: PE207\n  }\n")
    (tmp_path / "p.policy").write_text(text, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "scrubber", "--policy", "p.policy", "--purpose", "backups"],
                            cwd=tmp_path, input="192.0.2.77 - - x\n", capture_output=True, text=True, timeout=30)
    assert result.returncode == 2, result
    assert "192.0.2.77" not in result.stdout and "cannot be used until this is fixed" in result.stderr


@pytest.mark.parametrize("config, message", [
    ("rule:\n  PE212: off\n", "unknown key 'rule'; did you mean 'rules'?"),
    ("rules: {PE212: off}\nlevels: {}\n", "unknown key 'levels' (known: rules)"),
    ("rules: {1: off}\n", "unknown code 1"),
])
def test_config_unknown_keys_are_errors(tmp_path: Path, config: str, message: str) -> None:
    (tmp_path / ".policyengine.yaml").write_text(config, encoding="utf-8")
    (tmp_path / "a.policy").write_text(CLEAN, encoding="utf-8")
    result = run("lint", "a.policy", cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_config_is_found_from_the_linted_files_folder(tmp_path: Path) -> None:
    tree = tmp_path / "repo" / "rules"
    tree.mkdir(parents=True)
    (tmp_path / "repo" / ".policyengine.yaml").write_text("rules: {PE212: off}\n", encoding="utf-8")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / ".policyengine.yaml").write_text("rules: {}\n", encoding="utf-8")
    unused = CLEAN.replace('category email "E-mail address"', 'category email "E-mail address"\ncategory fax "Fax"')
    (tree / "a.policy").write_text(unused, encoding="utf-8")
    (tmp_path / "elsewhere" / "b.policy").write_text(unused, encoding="utf-8")
    result = run("lint", str(tree / "a.policy"), cwd=tmp_path / "elsewhere")
    assert result.returncode == 0, result.stdout
    both = run("lint", str(tree / "a.policy"), "b.policy", cwd=tmp_path / "elsewhere")
    assert both.returncode == 1 and "b.policy:" in both.stdout and "a.policy:" not in both.stdout


# ---- files: unreadable, directories, stdin, symlinks, permissions --------------------
UNUSED = CLEAN.replace('category email "E-mail address"', 'category email "E-mail address"\ncategory fax "Fax"')
FAX = next(i for i, line in enumerate(UNUSED.splitlines(), 1) if "category fax" in line)  # its line


def test_lint_goes_on_past_an_unreadable_file(tmp_path: Path) -> None:
    (tmp_path / ".policyengine.yaml").write_text("rules: {}\n", encoding="utf-8")
    (tmp_path / "b.policy").write_text(UNUSED, encoding="utf-8")
    result = run("lint", "gone.policy", "b.policy", "also-gone.policy", cwd=tmp_path)
    assert result.returncode == 2
    assert "cannot read gone.policy" in result.stderr and "cannot read also-gone.policy" in result.stderr
    assert f"b.policy:{FAX}:" in result.stdout and "PE212" in result.stdout
    assert "in 1 file(s)" in result.stdout


def test_lint_walks_directories_and_reads_stdin(tmp_path: Path) -> None:
    (tmp_path / ".policyengine.yaml").write_text("rules: {}\n", encoding="utf-8")
    (tmp_path / "rules" / "sub").mkdir(parents=True)
    (tmp_path / "rules" / "a.policy").write_text(CLEAN, encoding="utf-8")
    (tmp_path / "rules" / "sub" / "b.policy").write_text(UNUSED, encoding="utf-8")
    (tmp_path / "rules" / "notes.txt").write_text("not a policy {", encoding="utf-8")
    (tmp_path / "rules" / ".hidden.policy").write_text("garbage {", encoding="utf-8")
    (tmp_path / "outside.policy").write_text("garbage {", encoding="utf-8")
    (tmp_path / "rules" / "link.policy").symlink_to(tmp_path / "outside.policy")
    result = run("lint", "rules", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"rules/sub/b.policy:{FAX}:" in result.stdout and "in 2 file(s)" in result.stdout
    assert "PE001" not in result.stdout
    piped = run("lint", "-", cwd=tmp_path, stdin=UNUSED)
    assert piped.returncode == 1 and f"<stdin>:{FAX}:" in piped.stdout
    assert run("lint", "-", cwd=tmp_path, stdin=CLEAN).returncode == 0


def test_fmt_walks_directories_and_refuses_check_with_write(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    messy = CLEAN.replace("  authority IMY\n", "authority   IMY\n")
    (tmp_path / "d" / "a.policy").write_text(messy, encoding="utf-8")
    (tmp_path / "d" / "b.policy").write_text(CLEAN, encoding="utf-8")
    listed = run("fmt", "--check", "d", cwd=tmp_path)
    assert listed.returncode == 1 and listed.stdout == "d/a.policy\n"
    both = run("fmt", "--check", "--write", "d", cwd=tmp_path)
    assert both.returncode == 2 and "give one" in both.stderr
    assert (tmp_path / "d" / "a.policy").read_text(encoding="utf-8") == messy
    assert run("fmt", "-w", "d", cwd=tmp_path).returncode == 0
    assert (tmp_path / "d" / "a.policy").read_text(encoding="utf-8") == CLEAN


def test_fmt_write_on_a_symlink_rewrites_the_target_and_keeps_the_link(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "a.policy"
    target.write_text(CLEAN.replace("  authority IMY\n", "authority   IMY\n"), encoding="utf-8")
    link = tmp_path / "link.policy"
    link.symlink_to(target)
    result = run("fmt", "-w", "link.policy", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and link.resolve() == target
    assert target.read_text(encoding="utf-8") == CLEAN
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["a.policy"]


def test_fmt_write_in_a_folder_the_user_cannot_write() -> None:
    """Run as an unprivileged user (the suite runs as root, who may write anywhere)."""
    import os
    import shutil
    import tempfile

    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root to switch to an unprivileged user with setpriv")
    base = Path(tempfile.mkdtemp(prefix="pe-ro-"))  # under /tmp: pytest's tmp_path is 0700
    try:
        folder = base / "ro"
        folder.mkdir()
        messy = CLEAN.replace("  authority IMY\n", "authority   IMY\n")
        (folder / "a.policy").write_text(messy, encoding="utf-8")
        os.chmod(folder / "a.policy", 0o666)
        os.chmod(folder, 0o555)
        os.chmod(base, 0o755)
        result = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                 sys.executable, "-m", "policyengine", "fmt", "-w", "a.policy"],
                                cwd=folder, capture_output=True, text=True, timeout=30,
                                env={**os.environ, "HOME": "/nonexistent"})
        assert result.returncode == 2, result
        assert "Traceback" not in result.stderr
        assert "cannot write" in result.stderr and "Permission denied" in result.stderr
        assert (folder / "a.policy").read_text(encoding="utf-8") == messy
        assert sorted(p.name for p in folder.iterdir()) == ["a.policy"]
    finally:
        os.chmod(base / "ro", 0o755)
        shutil.rmtree(base)


# ---- careless but honest input -------------------------------------------------------
def test_default_binding_binds_the_columns_the_records_have_and_warns(tmp_path: Path) -> None:
    write_policy(tmp_path)  # the full test policy: rules from collected, deleted, contract_end, consent ...
    (tmp_path / "r.csv").write_text("id,purpose,collected\nb1,backups,2020-01-01\nc1,cctv,2020-01-01\n"
                                    "m1,marketing,2020-01-01\n", encoding="utf-8")
    result = run("check", "test.policy", "-r", "r.csv", "--now", "2026-01-01", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "Warning: r.csv: no binding given" in result.stderr
    assert "'retain at most 1 month from deleted' is not checked: no column 'deleted'" in result.stderr
    assert "purpose 'marketing': consent is not checked: no column 'consent_given'" in result.stderr
    assert "PC101" in result.stdout  # marketing: 2 years from collected, which the records have
    assert "Error" not in result.stderr


def test_an_empty_jsonl_file_is_zero_records(tmp_path: Path) -> None:
    write_policy(tmp_path, SMALL)
    (tmp_path / "b.yaml").write_text(BINDING, encoding="utf-8")
    for content in ("", "\n\n  \n"):
        (tmp_path / "r.jsonl").write_text(content, encoding="utf-8")
        for binding in (["-b", "b.yaml"], []):
            result = run("check", "test.policy", *binding, "-r", "r.jsonl", "--now", "2026-01-01",
                         "--summary", cwd=tmp_path)
            assert result.returncode == 0, result.stderr
            assert result.stdout.startswith("0 records checked")


def test_summary_honours_format_json(tmp_path: Path) -> None:
    _csv_records(tmp_path, ["k1", "k2"], "backups")
    for fmt in ("json", "jsonl"):
        result = run("check", "test.policy", "-b", "b.yaml", "-r", "r.csv", "--now", "2026-01-01",
                     "--summary", "--format", fmt, cwd=tmp_path)
        assert result.returncode == 1
        run_info = json.loads(result.stdout)["run"]
        assert run_info["records"] == 2 and run_info["counts"] == {"PC101": 2}


# ---- the pure-JSON path answers as orjson does ---------------------------------------
JSON_EDGES = ["[" * 1024 + "]" * 1024, "[" * 1025 + "]" * 1025, "[" * 100_000 + "]" * 100_000,
              "1e400", "-1e400", "1.5e-400", "9" * 400, "9" * 5000, "18446744073709551616", "NaN",
              '{"a": "' + "[" * 3000 + '"}', "{\"a\":" * 1025 + "1" + "}" * 1025]


@pytest.mark.parametrize("text", JSON_EDGES, ids=range(len(JSON_EDGES)))
def test_pure_json_reads_as_orjson_does(text: str) -> None:
    import orjson

    from policyengine.checking.records import _json_loads

    def answer(loads, refused):
        try:
            value = loads(text)
        except refused:
            return "refused", None
        return "ok", value if text.count("[") < 300 else "deep"  # deep values: compared by shape only

    assert answer(_json_loads, ValueError) == answer(orjson.loads, orjson.JSONDecodeError)


@pytest.mark.parametrize("value", ["1e400", "[" * 2000 + "]" * 2000, "9" * 5000],
                         ids=["1e400", "deep", "5000-digits"])
def test_check_refuses_the_same_records_with_and_without_orjson(tmp_path: Path, value: str) -> None:
    import os

    write_policy(tmp_path, SMALL)
    (tmp_path / "b.yaml").write_text(BINDING, encoding="utf-8")
    (tmp_path / "r.jsonl").write_text('{"id": "a", "purpose": "backups", "collected": "2020-01-01"}\n'
                                      f'{{"id": "b", "purpose": "backups", "collected": "2020-01-01", "x": {value}}}\n',
                                      encoding="utf-8")
    answers = []
    for pure in ("0", "1"):
        result = subprocess.run([sys.executable, "-m", "policyengine", "check", "test.policy", "-b", "b.yaml",
                                 "-r", "r.jsonl", "--now", "2026-01-01", "--format", "jsonl"], cwd=tmp_path,
                                capture_output=True, text=True, timeout=60,
                                env={**os.environ, "POLICYENGINE_PURE_JSON": pure})
        assert "Traceback" not in result.stderr, result.stderr
        answers.append((result.returncode, result.stdout, result.stderr.split(": not valid JSON")[0]))
    assert answers[0] == answers[1]
    assert answers[0][0] == 2 and "r.jsonl:2" in answers[0][2]


# ---- Ctrl-C ------------------------------------------------------------------------------
def _interrupt(args: list[str], cwd: Path, wait_for: str | None = None, delay: float = 1.5):
    """Start policyengine in its own process group, send SIGINT to the whole group (as a
    terminal's Ctrl-C does) once it is working, and return (exit code, stderr)."""
    import os
    import signal
    import time

    env = {**os.environ, "POLICYENGINE_CHUNK_BYTES": "65536"}
    process = subprocess.Popen([sys.executable, "-m", "policyengine", *args], cwd=cwd, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 30
    if wait_for:  # the workers are running once they exist as children
        while time.monotonic() < deadline and not _children(process.pid):
            time.sleep(0.05)
        assert _children(process.pid), "no worker processes started"
    time.sleep(delay)
    assert process.poll() is None, "finished before it could be interrupted: make the input larger"
    os.killpg(process.pid, signal.SIGINT)
    try:
        _, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the group this test started, workers included
        process.communicate()
        raise AssertionError(f"still running 60 s after Ctrl-C: {args}") from None
    return process.returncode, err.decode()


def _children(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []


@pytest.fixture(scope="module")
def big_records(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("big")
    write_policy(folder, SMALL)
    (folder / "b.yaml").write_text(BINDING, encoding="utf-8")
    line = '{"id": "k%d", "purpose": "backups", "collected": "2020-01-01"}\n'
    with open(folder / "r.jsonl", "w", encoding="utf-8") as out:
        for start in range(0, 600_000, 10_000):
            out.write("".join(line % i for i in range(start, start + 10_000)))
    return folder


@pytest.mark.parametrize("jobs", [["--jobs", "2"], ["--jobs", "1"]], ids=["jobs-2", "one-process"])
def test_ctrl_c_during_check_exits_130_without_traceback(big_records: Path, jobs: list[str]) -> None:
    code, err = _interrupt(["check", "test.policy", "-b", "b.yaml", "-r", "r.jsonl", "--now", "2026-01-01",
                            "--format", "jsonl", *jobs], big_records, wait_for="workers" if jobs[1] == "2" else None,
                           delay=1.0)
    assert code == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert "interrupted" in err


def test_ctrl_c_during_lint_and_fmt_exits_130_without_traceback(tmp_path: Path) -> None:
    head = 'controller "X" {\n  authority IMY\n}\ncategory c "C"\nsubject s "S"\n'
    body = "".join(f"purpose p{i} {{ subjects s categories cc basis consnt "
                   "retain at most 1 year from collected }\n" for i in range(10_000))
    (tmp_path / "many.policy").write_text(head + body, encoding="utf-8")
    (tmp_path / ".policyengine.yaml").write_text("rules: {}\n", encoding="utf-8")
    for args in (["lint", "many.policy"], ["fmt", "many.policy"]):
        code, err = _interrupt(args, tmp_path, delay=1.0)
        assert code == 130, (args, err)
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, err


# ---- found by the fuzzers (test_hostile_fuzz.py) -----------------------------------------
@pytest.mark.parametrize("text, message", [
    ("columns: {key: \x1b}\n", "b.yaml:1: not valid YAML: character '\\x1b' is not allowed"),
    ("columns:\n  key: id\ntimezone: 2026-13-01\n", "timezone"),
    ("sources: key\n", "sources must be a mapping"),
], ids=["control-character", "impossible-timestamp", "sources-not-a-mapping"])
def test_binding_yaml_oddities_are_clean_errors(tmp_path: Path, text: str, message: str) -> None:
    write_policy(tmp_path, SMALL)
    (tmp_path / "b.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "r.csv").write_text("id,purpose,collected\n", encoding="utf-8")
    result = run("check", "test.policy", "-b", "b.yaml", "-r", "r.csv", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert message in result.stderr


@pytest.mark.parametrize("now", ["0001-01-01", "9999-12-31T23:59:59+14:00", "1899-12-31", "9999-12-31"])
def test_now_at_the_ends_of_the_calendar_runs(tmp_path: Path, now: str) -> None:
    """Records and --now at the calendar's ends: findings (PC903 where a period cannot be
    computed), never a traceback."""
    write_policy(tmp_path, SMALL)
    (tmp_path / "b.yaml").write_text(BINDING, encoding="utf-8")
    (tmp_path / "r.csv").write_text("id,purpose,collected\n1,backups,0001-01-01\n2,backups,9999-12-31\n",
                                    encoding="utf-8")
    result = run("check", "test.policy", "-b", "b.yaml", "-r", "r.csv", "--now", now, cwd=tmp_path)
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr, result.stderr


def test_now_past_the_calendar_is_a_clean_error(tmp_path: Path) -> None:
    write_policy(tmp_path, SMALL)
    (tmp_path / "b.yaml").write_text(BINDING, encoding="utf-8")
    (tmp_path / "r.csv").write_text("id,purpose,collected\n1,backups,2026-01-01\n", encoding="utf-8")
    result = run("check", "test.policy", "-b", "b.yaml", "-r", "r.csv", "--now", "9999-12-31T23:59:59-12:00",
                 cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "falls outside the calendar" in result.stderr


def test_every_exit_code_is_in_one_table_in_the_readme_and_docs() -> None:
    from policyengine.language import diagnostics

    root = Path(__file__).resolve().parents[1]

    def table(path: Path) -> list[str]:
        text = path.read_text(encoding="utf-8")
        start = text.index("| code | `lint` | `fmt` |")
        return [line for line in text[start:].split("\n\n")[0].splitlines()]

    readme, docs = table(root / "README.md"), table(root / "docs" / "check.md")
    assert readme == docs
    codes = [line.split("|")[1].strip() for line in readme[2:]]
    constants = sorted(v for k, v in vars(diagnostics).items() if k.startswith("EXIT_"))
    assert sorted(int(c) for c in codes) == constants == [0, 1, 2, 130, 141]

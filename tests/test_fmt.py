"""`policyengine fmt`: golden in/out pairs, idempotence, meaning and comments kept, the CLI.

tests/golden/fmt/<case>.in.policy formats to <case>.out.policy. Regenerate with
`UPDATE_GOLDEN=1 pytest tests/test_fmt.py` and read the diff before keeping it.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyengine import format_policy, parse
from policyengine.cli import main

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden" / "fmt"
CASES = sorted(p.name.removesuffix(".in.policy") for p in GOLDEN.glob("*.in.policy"))
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
RULES = sorted((ROOT / "rules").glob("*.policy"))
LINT_GOLDEN = sorted((Path(__file__).parent / "golden" / "lint").glob("*.policy"))


def fmt_text(text: str, name: str = "<string>") -> str:
    return format_policy(parse(text, name))


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")  # no newline translation


# ---- golden pairs -------------------------------------------------------------
@pytest.mark.parametrize("case", CASES)
def test_fmt_golden(case: str) -> None:
    source = read(GOLDEN / f"{case}.in.policy")
    out_path = GOLDEN / f"{case}.out.policy"
    got = fmt_text(source)
    if UPDATE:
        out_path.write_bytes(got.encode("utf-8"))
    assert got == read(out_path)


def test_golden_outputs_are_canonical_text() -> None:
    for case in CASES:
        out = read(GOLDEN / f"{case}.out.policy")
        if not out:
            continue
        assert out.endswith("\n") and not out.endswith("\n\n"), case
        assert "\r" not in out and "\t" not in out and "\n\n\n" not in out, case
        assert all(line == line.rstrip() for line in out.splitlines()), case


def test_up_to_is_written_at_most() -> None:
    assert fmt_text("purpose p { retain up to 1 year from collected logs access { keep up to 2 days } }") == (
        "purpose p {\n  retain at most 1 year from collected\n  logs access {\n"
        "    keep at most 2 days\n  }\n}\n")


# ---- properties on every known file --------------------------------------------
SAMPLES = ([pytest.param(p, id=f"rules/{p.name}") for p in RULES]
           + [pytest.param(GOLDEN / f"{c}.in.policy", id=f"fmt/{c}.in") for c in CASES]
           + [pytest.param(GOLDEN / f"{c}.out.policy", id=f"fmt/{c}.out") for c in CASES]
           + [pytest.param(p, id=f"lint/{p.name}") for p in LINT_GOLDEN
              if not p.name.startswith(("pe001", "pe002"))])


def comment_texts(text: str) -> list[str]:
    return [c.text for c in parse(text).comments]


@pytest.mark.parametrize("path", SAMPLES)
def test_fmt_is_idempotent_keeps_meaning_and_comments(path: Path) -> None:
    source = read(path)
    policy = parse(source)
    once = format_policy(policy)
    again = parse(once)
    assert again == policy  # spans and comments take no part in equality
    assert format_policy(again) == once
    # every comment survives, as many times as it was written
    assert sorted(comment_texts(once)) == sorted(c.text for c in policy.comments)


def test_rules_files_are_already_formatted() -> None:
    assert RULES
    for path in RULES:
        assert fmt_text(read(path)) == read(path), path.name


def test_spans_do_not_take_part_in_equality() -> None:
    a = parse("subject a\n", "one.policy")
    b = parse("\n\n   subject    a  # moved\n", "one.policy")
    assert a == b
    assert a.declarations[0].span != b.declarations[0].span


# ---- property test on generated policies -----------------------------------------
NAMES = st.sampled_from(["a", "b2", "customer", "Email_1", "x_y", "is", "purpose", "days", "from", "keep"])
SAFE_CHARS = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters='"\\\n\r')
STRING = st.lists(st.one_of(SAFE_CHARS, st.sampled_from(['\\"', "\\\\", "#", "å", " "])), max_size=8).map(
    lambda parts: '"' + "".join(parts) + '"')
LABEL = st.one_of(st.none(), STRING)
UNITS = st.sampled_from(["day", "days", "week", "weeks", "month", "months", "year", "years"])
DURATION = st.lists(st.builds(lambda n, u: f"{n} {u}", st.integers(0, 400), UNITS), min_size=1,
                    max_size=3).map(" ".join)  # compound too: `7 years 6 months`, any order
BOUND = st.sampled_from(["at most", "up to", "at least"])


def opt(label):
    return "" if label is None else " " + label


def _name_list(names):
    return ", ".join(names)


LEAF_PURPOSE = st.one_of(
    st.lists(NAMES, min_size=1, max_size=3).map(lambda n: "subjects " + _name_list(n)),
    st.lists(NAMES, min_size=1, max_size=3).map(lambda n: "categories " + _name_list(n)),
    st.lists(NAMES, min_size=1, max_size=3).map(lambda n: "recipients " + _name_list(n)),
    st.builds(lambda k, c: f"basis {k}{opt(c)}", NAMES, LABEL),
    st.builds(lambda k, s, c: f"basis {k} to {s}{opt(c)}", NAMES, NAMES, LABEL),
    st.builds(lambda d: f"on hold end erase within {d}", DURATION),
    st.builds(lambda k, c: f"special condition {k}{opt(c)}", NAMES, LABEL),
    st.builds(lambda b, d, a: f"retain {b} {d} from {a}", BOUND, DURATION, NAMES),
    st.just("retain until withdrawn"),
    st.builds(lambda d, a, c: f"legal hold {d} from {a}{opt(c)}", DURATION, NAMES, LABEL),
    st.one_of(st.just("on withdrawal erase"), DURATION.map(lambda d: f"on withdrawal erase within {d}")),
    st.builds(lambda k, c: f"provision {k}{opt(c)}", NAMES, LABEL),
)
LOG_STMT = st.one_of(
    st.builds(lambda b, d: f"keep {b}{' ' if b else ''}{d}", st.sampled_from(["", "at most ", "up to "])
              .map(str.strip), DURATION),
    st.builds(lambda a, b: f"truncate ipv4 /{a} ipv6 /{b}", st.integers(0, 40), st.integers(0, 140)),
)


@st.composite
def gaps(draw) -> str:
    """White space between tokens, sometimes with a comment (which ends its line)."""
    parts = draw(st.lists(st.sampled_from([" ", "  ", "\t", "\n", "\n\n", "\n\n\n", "\r\n", "#c",
                                           "# lint-ignore: PE212", "#"]), min_size=1, max_size=3))
    out = ""
    for p in parts:
        out += (" " + p + "\n") if p.startswith("#") else p
    return out


@st.composite
def blocks(draw, header: str, children) -> list[str]:
    return [header, "{", *draw(st.lists(children, max_size=4)), "}"]


@st.composite
def purpose_stmt(draw) -> list[str]:
    if draw(st.integers(0, 5)) == 0:
        kinds = draw(st.lists(NAMES, min_size=1, max_size=2))
        return draw(blocks("logs " + _name_list(kinds), LOG_STMT))
    return [draw(LEAF_PURPOSE)]


@st.composite
def declaration(draw) -> list[str]:
    kind = draw(st.integers(0, 6))
    if kind == 0:
        stmts = st.one_of(STRING.map(lambda s: "contact " + s), STRING.map(
            lambda s: "dpo " + s), NAMES.map(lambda n: "authority " + n), NAMES.map(lambda n: "jurisdiction " + n),
            st.builds(lambda m, d: f"financial year ends {m:02d}-{d:02d}", st.integers(0, 99), st.integers(0, 99)),
            # the Art. 13 statements
            STRING.map(lambda s: "address " + s), STRING.map(lambda s: "dpo contact " + s),
            st.builds(lambda n, c: f"representative {n}{opt(c)}", STRING, LABEL),
            st.just("automated decisions none"), STRING.map(lambda s: "automated decisions " + s),
            STRING.map(lambda s: "security " + s))
        return draw(blocks(f"controller {draw(STRING)}", stmts))
    if kind == 1:
        suffix = draw(st.sampled_from(["", " is national identifier", " is special health", " is special is"]))
        return [f"category {draw(NAMES)}{opt(draw(LABEL))}{suffix}"]
    if kind == 2:
        return [f"subject {draw(NAMES)}{opt(draw(LABEL))}"]
    if kind == 3:
        head = f"{draw(st.sampled_from(['recipient', 'processor']))} {draw(NAMES)}{opt(draw(LABEL))}"
        if draw(st.booleans()):
            return [head]
        stmts = st.one_of(NAMES.map(lambda n: "country " + n),
                          st.builds(lambda n, c: f"transfer {n}{opt(c)}", NAMES, LABEL))
        return draw(blocks(head, stmts))
    if kind == 4:
        items = [draw(purpose_stmt()) for _ in range(draw(st.integers(0, 4)))]
        return [f"purpose {draw(NAMES)}{opt(draw(LABEL))}", "{", *[t for i in items for t in i], "}"]
    stmts = st.one_of(DURATION.map(lambda d: "respond within " + d), DURATION.map(lambda d: "extendable by " + d))
    return draw(blocks("requests", stmts))


_WORD = re.compile(r'"(?:[^"\\\n]|\\.)*"|[^\s"]+')


@st.composite
def policies(draw) -> str:
    """Declarations, each statement cut into words with white space or comments between them."""
    statements = [s for _ in range(draw(st.integers(0, 5))) for s in draw(declaration())]
    text = draw(gaps()) if draw(st.booleans()) else ""
    for statement in statements:
        words = _WORD.findall(statement) if draw(st.integers(0, 3)) == 0 else [statement]
        for word in words:
            text += word + draw(gaps())
    return text


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # examples: the profile (ci: 200)
@given(policies())
def test_fmt_property_idempotent_meaning_and_comments(text: str) -> None:
    policy = parse(text)  # the strategy only writes valid policies
    once = format_policy(policy)
    again = parse(once)
    assert again == policy
    assert format_policy(again) == once
    assert sorted(comment_texts(once)) == sorted(c.text for c in policy.comments)


# ---- the command line --------------------------------------------------------------------
MESSY = "subject   a\n\n\n\ncategory b   # kept\n"
TIDY = "subject a\n\ncategory b  # kept\n"


def fmt_cli(*args: str, input: str | bytes | None = None):
    return CliRunner().invoke(main, ["fmt", *args], input=input)


@pytest.fixture
def messy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "m.policy"
    path.write_text(MESSY, encoding="utf-8")
    path.chmod(0o640)
    return path


def test_cli_stdin_to_stdout() -> None:
    for args in ([], ["-"]):
        result = fmt_cli(*args, input=MESSY)
        assert (result.exit_code, result.stdout, result.stderr) == (0, TIDY, "")


def test_cli_file_to_stdout_leaves_the_file(messy: Path) -> None:
    result = fmt_cli("m.policy")
    assert (result.exit_code, result.stdout) == (0, TIDY)
    assert messy.read_text(encoding="utf-8") == MESSY


def test_cli_check(messy: Path) -> None:
    result = fmt_cli("--check", "m.policy")
    assert (result.exit_code, result.stdout) == (1, "m.policy\n")
    assert messy.read_text(encoding="utf-8") == MESSY
    messy.write_text(TIDY, encoding="utf-8")
    result = fmt_cli("--check", "m.policy")
    assert (result.exit_code, result.stdout) == (0, "")
    assert fmt_cli("--check", input=MESSY).exit_code == 1
    assert fmt_cli("--check", input=TIDY).exit_code == 0


def test_cli_diff(messy: Path) -> None:
    result = fmt_cli("--diff", "m.policy")
    assert result.exit_code == 1
    assert result.stdout == ("--- a/m.policy\n+++ b/m.policy\n@@ -1,5 +1,3 @@\n-subject   a\n+subject a\n"
                             " \n-\n-\n-category b   # kept\n+category b  # kept\n")
    assert messy.read_text(encoding="utf-8") == MESSY
    messy.write_text(TIDY, encoding="utf-8")
    assert (fmt_cli("--diff", "m.policy").exit_code, fmt_cli("--diff", "m.policy").stdout) == (0, "")


def test_cli_list(messy: Path, tmp_path: Path) -> None:
    (tmp_path / "tidy.policy").write_text(TIDY, encoding="utf-8")
    result = fmt_cli("-l", "tidy.policy", "m.policy")
    assert (result.exit_code, result.stdout) == (1, "m.policy\n")
    assert fmt_cli("--list", "tidy.policy").exit_code == 0
    assert messy.read_text(encoding="utf-8") == MESSY


def test_cli_write_rewrites_in_place_and_keeps_the_mode(messy: Path, tmp_path: Path) -> None:
    inode = messy.stat().st_ino
    result = fmt_cli("--write", "m.policy")
    assert (result.exit_code, result.stdout) == (0, "")
    assert messy.read_text(encoding="utf-8") == TIDY
    assert stat.S_IMODE(messy.stat().st_mode) == 0o640
    assert messy.stat().st_ino != inode  # replaced by rename, not truncated and rewritten
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.policy"]  # no temp file left
    mtime = messy.stat().st_mtime_ns
    assert fmt_cli("-w", "m.policy").exit_code == 0
    assert messy.stat().st_mtime_ns == mtime  # already canonical: not touched


def test_cli_write_needs_files() -> None:
    result = fmt_cli("--write", input=MESSY)
    assert result.exit_code == 2
    assert "--write needs FILES" in result.stderr


def test_cli_parse_error_is_exit_2_with_the_diagnostic_on_stderr(messy: Path, tmp_path: Path) -> None:
    (tmp_path / "bad.policy").write_text("subject a\ncontroler \"X\" {}\n", encoding="utf-8")
    result = fmt_cli("--write", "bad.policy", "m.policy")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("policyengine fmt: cannot format:\nbad.policy:2:1: PE001: error: ")
    assert "  hint: did you mean 'controller'?" in result.stderr
    assert (tmp_path / "bad.policy").read_text(encoding="utf-8").startswith("subject a\ncontroler")
    assert messy.read_text(encoding="utf-8") == TIDY  # the good file is still formatted


@pytest.mark.parametrize("args, data, message", [
    (["missing.policy"], None, "policyengine fmt: cannot read missing.policy: No such file or directory"),
    ([], b"subject \xff\n", "policyengine fmt: <stdin>:1:9: PE002: error: byte 0xff is not valid UTF-8"),
    ([], "subject\n", "policyengine fmt: cannot format:\n<stdin>:1:8: PE001: error: unexpected end of file"),
], ids=["unreadable", "bad-utf8-stdin", "syntax-stdin"])
def test_cli_tool_failures(messy: Path, args, data, message: str) -> None:
    result = fmt_cli(*args, input=data)
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert "Traceback" not in result.output


def test_cli_through_a_real_process_on_stdin() -> None:
    exe = Path(sysconfig.get_path("scripts")) / "policyengine"
    done = subprocess.run([str(exe), "fmt"], input=MESSY.encode(), capture_output=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, TIDY.encode(), b"")
    done = subprocess.run([sys.executable, "-m", "policyengine", "fmt", "--check"], input=b"subject\n",
                          capture_output=True, timeout=60)
    assert done.returncode == 2 and b"PE001" in done.stderr


def test_fmt_does_not_change_what_lint_ignores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".policyengine.yaml").write_text("rules: {}\n", encoding="utf-8")
    text = ('controller "Acme AB" {\n  authority IMY\n  address "Gatan 1"\n  automated decisions none\n'
            '  security "encrypted disks"\n}\nrequests {\n  respond within 1 month\n}\n'
            'category phone\n  "Phone"  # lint-ignore: PE212\n')
    (tmp_path / "a.policy").write_text(text, encoding="utf-8")
    (tmp_path / "b.policy").write_text(fmt_text(text), encoding="utf-8")
    before = CliRunner().invoke(main, ["lint", "a.policy"])
    after = CliRunner().invoke(main, ["lint", "b.policy"])
    # an ignore on any line of a statement written over two lines is the statement's
    assert (before.exit_code, after.exit_code) == (0, 0), before.stdout + after.stdout
    assert before.stdout.replace("a.policy", "b.policy") == after.stdout


def test_no_blank_line_after_an_opening_brace_with_a_comment() -> None:
    assert fmt_text("purpose p { # h\n\n  subjects s\n}\n") == "purpose p {  # h\n  subjects s\n}\n"


def test_format_text_is_the_library_call_fmt_makes():
    from policyengine import PolicyError, format_text

    text = 'subject   a  "A"\ncategory c "C"   # note\n'
    assert format_text(text) == format_policy(parse(text))
    assert format_text(format_text(text)) == format_text(text)
    with pytest.raises(PolicyError, match=r"cannot format:\n<string>:1:8: PE001"):
        format_text("subject\n")


def test_compound_duration_is_printed_largest_unit_first():
    from policyengine.language.fmt import format_policy
    from policyengine.language.parser import parse

    text = 'purpose p {\n  retain at most 15 days 1 month from collected\n}\n'
    out = format_policy(parse(text))
    assert "retain at most 1 month 15 days from collected" in out
    assert format_policy(parse(out)) == out and parse(out) == parse(text)

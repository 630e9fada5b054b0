"""Fuzzers for hostile and careless input (issue 10), one per input kind: policy text,
binding YAML, config YAML, CSV and JSON Lines records, command-line options.

Each draws from the classes the issue names (YAML anchors and aliases, deep nesting, huge
numbers, control and bidi characters, spreadsheet formula prefixes, dates at the ends of
the calendar) and checks the same three things: no traceback (only a clean result or a
documented exit code), no example past a time bound, and no control character in any
human-readable output. The CI profile is small (a few hundred examples in all); the
thorough run scales every test up:

    pytest tests/test_hostile_fuzz.py -m slow --hypothesis-profile=thorough
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from check_support import POLICY
from policyengine.checking.binding import FIELDS, BindingError, parse_binding
from policyengine.cli import main
from policyengine.escaping import UNSAFE
from policyengine.language.diagnostics import PolicyError
from policyengine import safe_yaml

pytestmark = pytest.mark.slow  # also run by default, with the small CI counts below

BOUND_SECONDS = 10.0  # no single example may take longer (a hang or a quadratic blow-up)


def examples(ci: int) -> settings:
    """``ci`` examples under the default profile, 100 times as many under `thorough`."""
    thorough = settings().max_examples >= 10_000
    return settings(max_examples=ci * 100 if thorough else ci, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


# ---- the hostile classes -----------------------------------------------------------------
CONTROLS = ["\x1b]0;title\x07", "\x1b[2J", "\r", "\n", "\x00", "\x07", "\x08", "\x7f", "\x85", "\x9b",
            "\u202e", "\u2066", "\u200f", "\u2028", "\t"]
FORMULAS = ["=HYPERLINK(\"x\")", "+cmd|'/C calc'!A0", "-1+1", "@SUM(A1)", "\t=1", "\r=1"]
HUGE = ["9" * 5000, "1" + "0" * 400, "1e400", "-1e400", "0" * 4000 + "7", "18446744073709551616"]
DATES = ["0001-01-01", "9999-12-31", "9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00-12:00",
         "2024-02-29", "2023-02-29", "10000-01-01", "-0001-01-01", "2026-13-01", "2026-00-10",
         "2026-01-01T25:00", "0000-00-00", "20260101", "2026-1-1"]
WORDS = ["controller", "category", "subject", "purpose", "recipient", "processor", "requests", "logs",
         "retain", "at", "most", "least", "up", "to", "from", "collected", "deleted", "basis", "consent",
         "contract", "legal", "hold", "on", "withdrawal", "erase", "within", "truncate", "ipv4", "ipv6",
         "keep", "days", "months", "years", "respond", "extendable", "by", "{", "}", ",", "/", '"',
         "#", "# lint-ignore: PE207", "# lint-ignore PE212", "# lint-ignore: PE999", "12-31", "02-30",
         "\ufeff", "'"]

hostile_text = st.one_of(
    st.sampled_from(CONTROLS + FORMULAS + HUGE + DATES),
    st.lists(st.sampled_from(list("ab=+-@ {}[]:,&*!\"'\\#") + CONTROLS), max_size=12).map("".join),
    st.text(max_size=8),
)


def assert_clean_text(text: str) -> None:
    for line in text.split("\n"):
        assert not UNSAFE.search(line), repr(line)


def assert_no_traceback(result) -> None:
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.output)


def timed(function, *args):
    started = time.monotonic()
    value = function(*args)
    assert time.monotonic() - started < BOUND_SECONDS, "an example ran past the time bound"
    return value


def invoke(args: list[str], stdin: str | None = None):
    return CliRunner().invoke(main, args, input=stdin, catch_exceptions=True)


# ---- policy text -------------------------------------------------------------------------
policy_texts = st.one_of(
    st.lists(st.one_of(st.sampled_from(WORDS), hostile_text), max_size=40).map(" ".join),
    st.tuples(st.sampled_from(POLICY.splitlines()), hostile_text, st.integers(0, 60)).map(
        lambda t: POLICY.replace(t[0], t[0][: t[2]] + t[1] + t[0][t[2]:], 1)),
)


@examples(30)
@given(text=policy_texts)
def test_fuzz_policy_text(tmp_path_factory, text: str) -> None:
    folder = tmp_path_factory.mktemp("policy")
    (folder / ".policyengine.yaml").write_text("rules: {}\n", encoding="utf-8")
    path = folder / "f.policy"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    for args in (["lint", str(path)], ["fmt", str(path)], ["fmt", "--check", str(path)],
                 ["compile", str(path)]):
        result = timed(invoke, args)
        assert_no_traceback(result)
        assert_clean_text(result.stderr)
        if args[0] == "lint":
            assert_clean_text(result.stdout)
    for fmt in ("json", "sarif"):
        json.loads(timed(invoke, ["lint", "--format", fmt, str(path)]).stdout)


# ---- binding YAML and config YAML ----------------------------------------------------------
yaml_scalar = st.one_of(st.sampled_from(FIELDS + ("id", "purpose", "columns", "sources", "rule", "rules")),
                        hostile_text.map(json.dumps))


def _yaml_node(depth: int) -> st.SearchStrategy[str]:
    if depth == 0:
        return yaml_scalar
    inner = _yaml_node(depth - 1)
    return st.one_of(
        yaml_scalar,
        st.lists(st.tuples(yaml_scalar, inner), max_size=4).map(
            lambda kv: "{" + ", ".join(f"{k}: {v}" for k, v in kv) + "}"),
        st.lists(inner, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
        inner.map(lambda v: f"&a {v}"),
        st.just("*a"),
    )


def _alias_bomb(levels: int) -> str:
    """Each level an anchored list of eight aliases of the level below: 8**levels when expanded."""
    lines, below = ["a0: &a0 [x, x, x, x, x, x, x, x]"], "a0"
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*{below}"] * 8) + "]")
        below = f"a{i}"
    return "\n".join(lines) + "\n"


yaml_documents = st.one_of(
    st.lists(st.tuples(st.sampled_from(["timezone", "separator", "columns", "purpose_is", "sources", "rules",
                                        "rule", "x", "tests", "policy", "binding", "diff"]),
                       _yaml_node(3)), max_size=5).map(
        lambda kv: "".join(f"{k}: {v}\n" for k, v in kv)),
    st.integers(1, 8).map(_alias_bomb),
    st.integers(30, 5000).map(lambda n: "columns: " + "[" * n + "]" * n + "\n"),
    hostile_text,
)


@examples(50)
@given(text=yaml_documents)
def test_fuzz_binding_yaml(text: str) -> None:
    try:
        data = timed(safe_yaml.load, text, "b.yaml")
    except safe_yaml.YamlRefused as err:
        assert str(err).startswith("b.yaml")
        return
    try:
        parse_binding(data, "b.yaml")
    except BindingError:
        pass


@examples(20)
@given(text=yaml_documents)
def test_fuzz_config_yaml(tmp_path_factory, text: str) -> None:
    folder = tmp_path_factory.mktemp("config")
    (folder / ".policyengine.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
    (folder / "a.policy").write_text(POLICY, encoding="utf-8")
    result = timed(invoke, ["lint", str(folder / "a.policy")])
    assert_no_traceback(result)
    assert_clean_text(result.stderr)
    assert_clean_text(result.stdout)


# A policy test file and the diff config: every YAML policyengine reads goes through one
# loader (safe_yaml); a command with its own once overflowed the stack on deep nesting.
test_file_documents = st.one_of(
    yaml_documents,
    st.tuples(_yaml_node(3), _yaml_node(2), _yaml_node(2)).map(
        lambda t: f"tests:\n  - name: {t[0]}\n    now: 2026-01-01\n    records: {t[1]}\n    expect: {t[2]}\n"),
    st.integers(30, 5000).map(lambda n: "tests:\n  - " + "{a: " * n + "x" + "}" * n + "\n"),
)


@examples(20)
@given(text=test_file_documents)
def test_fuzz_policy_test_file_yaml(tmp_path_factory, text: str) -> None:
    folder = tmp_path_factory.mktemp("suite")
    (folder / "a.policy").write_text(POLICY, encoding="utf-8")
    (folder / "a.tests.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
    result = timed(invoke, ["test", str(folder / "a.tests.yaml")])
    assert_no_traceback(result)
    assert_clean_text(result.stderr)
    assert_clean_text(result.stdout)


@examples(20)
@given(text=yaml_documents.map(lambda t: t.replace("x: ", "diff: ", 1)))
def test_fuzz_diff_config_yaml(tmp_path_factory, text: str) -> None:
    folder = tmp_path_factory.mktemp("diff")
    (folder / "a.policy").write_text(POLICY, encoding="utf-8")
    (folder / "c.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
    result = timed(invoke, ["diff", str(folder / "a.policy"), str(folder / "a.policy"), "--config", str(folder / "c.yaml")])
    assert_no_traceback(result)
    assert_clean_text(result.stderr)
    assert_clean_text(result.stdout)


# ---- records --------------------------------------------------------------------------------
BINDING = ("columns: {key: id, purpose: purpose, subject: subject, categories: categories, "
           "collected: collected, last_activity: last_activity, contract_end: contract_end, "
           "deleted: deleted, consent_given: consent_given, consent_withdrawn: consent_withdrawn, "
           "erasure_requested: erasure_requested, transaction: collected}\n")
COLUMNS = ["id", "purpose", "subject", "categories", "collected", "last_activity", "contract_end", "deleted",
           "consent_given", "consent_withdrawn", "erasure_requested"]
PURPOSES = ["marketing", "cctv", "books", "backups", "care", "support"]

record_values = st.one_of(st.sampled_from(DATES), st.sampled_from(PURPOSES), hostile_text, st.just(""))
records = st.lists(st.fixed_dictionaries({c: record_values for c in COLUMNS}), max_size=6)


def _setup(folder: Path) -> None:
    (folder / "p.policy").write_text(POLICY, encoding="utf-8")
    (folder / "b.yaml").write_text(BINDING, encoding="utf-8")


def _check_all_formats(folder: Path, source: str) -> None:
    base = ["check", str(folder / "p.policy"), "-b", str(folder / "b.yaml"), "-r", source,
            "--now", "2026-11-21T12:00:00+01:00"]
    for extra in ([], ["--summary"], ["--format", "json"], ["--format", "jsonl"], ["--format", "sarif"],
                  ["--format", "csv"]):
        result = timed(invoke, base + extra)
        assert_no_traceback(result)
        assert_clean_text(result.stderr)
        if not extra or extra == ["--summary"]:
            assert_clean_text(result.stdout)
        elif result.exit_code != 2 and extra[1] in ("json", "sarif"):
            json.loads(result.stdout)
        elif result.exit_code != 2 and extra[1] == "jsonl":
            [json.loads(line) for line in result.stdout.split("\n") if line]  # not splitlines: U+2028
        elif result.exit_code != 2:
            for row in list(csv.reader(io.StringIO(result.stdout, newline="")))[1:]:
                for cell in row:
                    assert not (cell.startswith(("=", "+", "@", "\t", "\r"))
                                or (cell.startswith("-") and not cell.lstrip("-").isdigit())), row
    explained = timed(invoke, base[:1] + ["--explain", "k"] + base[1:])
    assert_no_traceback(explained)
    assert_clean_text(explained.stdout + explained.stderr)


@examples(10)
@given(rows=records)
def test_fuzz_csv_records(tmp_path_factory, rows: list[dict]) -> None:
    folder = tmp_path_factory.mktemp("csv")
    _setup(folder)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row[c] for c in COLUMNS])
    (folder / "r.csv").write_text(buffer.getvalue(), encoding="utf-8", errors="surrogatepass", newline="")
    _check_all_formats(folder, str(folder / "r.csv"))


json_values = st.one_of(record_values, st.sampled_from(HUGE).map(lambda n: ("raw", n)),
                        st.integers(1, 3000).map(lambda n: ("raw", "[" * n + "]" * n)),
                        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False))


def _jsonl_line(row: dict) -> str:
    parts = []
    for key, value in row.items():
        shown = value[1] if isinstance(value, tuple) else json.dumps(value)
        parts.append(f"{json.dumps(key)}: {shown}")
    return "{" + ", ".join(parts) + "}"


@examples(10)
@given(rows=st.lists(st.fixed_dictionaries({c: json_values for c in COLUMNS}), max_size=5),
       extra=st.sampled_from(["", "\n", "\n\n", "[]\n", "not json\n", "{\n"]))
def test_fuzz_jsonl_records(tmp_path_factory, rows: list[dict], extra: str) -> None:
    folder = tmp_path_factory.mktemp("jsonl")
    _setup(folder)
    text = "".join(_jsonl_line(r) + "\n" for r in rows) + extra
    (folder / "r.jsonl").write_text(text, encoding="utf-8", errors="surrogatepass")
    _check_all_formats(folder, str(folder / "r.jsonl"))


# ---- command-line options ---------------------------------------------------------------------
@examples(15)
@given(now=st.one_of(st.sampled_from(DATES), hostile_text), zone=st.one_of(
    st.sampled_from(["UTC", "Europe/Stockholm", "Pacific/Kiritimati", "Etc/GMT+12", "../../etc/passwd",
                     "Nowhere/Zone", ""]), hostile_text),
    record=st.one_of(st.sampled_from(DATES), hostile_text), option=st.sampled_from(
        [[], ["--jobs", "1"], ["--jobs", "0"], ["--jobs", "-1"], ["--format", "xml"], ["--explain", "\x1b"],
         ["--summary", "--format", "json"]]))
def test_fuzz_cli_options(tmp_path_factory, now: str, zone: str, record: str, option: list[str]) -> None:
    folder = tmp_path_factory.mktemp("cli")
    _setup(folder)
    (folder / "r.jsonl").write_text(json.dumps({c: record for c in COLUMNS}) + "\n", encoding="utf-8",
                                    errors="surrogatepass")
    for command in (["check"], ["explain", "--record", record]):
        args = [*command, str(folder / "p.policy"), "-b", str(folder / "b.yaml"), "-r", str(folder / "r.jsonl"),
                "--now", now, "--timezone", zone, *(option if command == ["check"] else [])]
        result = timed(invoke, args)
        assert_no_traceback(result)
        assert_clean_text(result.stderr)
        if "json" not in option:
            assert_clean_text(result.stdout)

"""PostgreSQL as a source, against a real server started by the test (tests/pg_support.py).

The README's example records loaded into PostgreSQL give the CSV path's findings in every
output format (the record's location aside: the CSV's line is the row plus its header);
typed columns (date, timestamp, timestamptz, numeric) give the findings of the same values
written as ISO text; the transaction is read only; the password is never printed.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from policyengine.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
pytest.importorskip("psycopg", reason="the postgres extra (psycopg) is not installed")


def _readme_command() -> list[str]:
    text = README.read_text("utf-8")
    return re.search(r"\.venv/bin/policyengine (check [^\n]*)", text).group(1).split()


def _rows(path: Path) -> list[dict]:
    sys.path.insert(0, str(ROOT / "examples"))
    import make_sqlite

    return make_sqlite.read_rows(path)


def _invoke(args):
    return CliRunner().invoke(main, args, catch_exceptions=False)


def _normalise(output: str, fmt: str, label: str, header: int) -> str:
    """Locations as ``@N`` (the record's 1-based row), whatever the source's label."""
    pattern = re.escape(label) + r":(\d+)"
    return re.sub(pattern, lambda m: f"@{int(m.group(1)) - header}", output)


@pytest.fixture(scope="module")
def readme_table(pg_server):
    from pg_support import load_csv_rows

    command = _readme_command()
    csv_spec = command[command.index("--records") + 1]
    with pg_server.connect() as conn:
        load_csv_rows(conn, "records", _rows(ROOT / csv_spec))
    return command, csv_spec


FORMATS_TESTED = ["text", "json", "jsonl", "sarif", "github", "junit"]


@pytest.mark.parametrize("fmt", FORMATS_TESTED)
def test_readme_example_from_postgres_is_the_csv_output(pg_server, readme_table, monkeypatch, fmt):
    command, csv_spec = readme_table
    monkeypatch.chdir(ROOT)
    spec = pg_server.url + "#records"

    def run(records):
        args = [a if a != csv_spec else records for a in command] + ["--format", fmt]
        result = _invoke(args)
        return type("Run", (), {"exit_code": result.exit_code, "output": result.output})()

    want = run(csv_spec)
    got = run(spec)
    assert want.exit_code == got.exit_code == 1, got.output
    from pg_support import PASSWORD

    assert PASSWORD not in got.output  # nowhere: locations, run information, messages
    assert "@" in _normalise(want.output, fmt, csv_spec, 1)
    # The label of a PostgreSQL source is its URL without the password (user:***).
    shown = pg_server.url_no_password.replace("policyengine@", "policyengine:***@") + "#records"
    if fmt == "sarif":  # the record's line sits among the policy's lines: compare the results
        def results(text, name, header):
            return [(r["ruleId"], _normalise(r["message"]["text"], fmt, name, header).replace(name, "SOURCE"))
                    for r in json.loads(text)["runs"][0]["results"]]
        assert results(got.output, shown, 0) == results(want.output, csv_spec, 1) and results(want.output, csv_spec, 1)
        return
    if fmt == "github":  # the annotation's file=LABEL,line=N (the label escaped): the record's row
        got_label, want_label = shown.replace(":", "%3A"), csv_spec
        got.output = re.sub(re.escape("file=" + got_label) + r",line=(\d+)",
                            lambda m: f"file=SOURCE,line=@{m.group(1)}", got.output)
        want.output = re.sub(re.escape("file=" + want_label) + r",line=(\d+)",
                             lambda m: f"file=SOURCE,line=@{int(m.group(1)) - 1}", want.output)
    norm_got = _normalise(got.output, fmt, shown, 0).replace(shown, "SOURCE")
    norm_want = _normalise(want.output, fmt, csv_spec, 1).replace(csv_spec, "SOURCE")
    assert norm_got == norm_want



def test_engine_python_over_postgres_is_the_same(pg_server, readme_table, monkeypatch):
    command, csv_spec = readme_table
    monkeypatch.chdir(ROOT)
    args = [a if a != csv_spec else pg_server.url + "#records" for a in command] + ["--format", "jsonl"]
    screened = _invoke(args)
    every = _invoke(args + ["--engine", "python"])
    assert screened.exit_code == every.exit_code == 1
    assert screened.output == every.output and screened.output.count("\n") > 5


@pytest.mark.parametrize("fmt", FORMATS_TESTED)
def test_readme_example_from_sqlite_and_postgres_is_one_output(pg_server, readme_table, monkeypatch, tmp_path, fmt):
    """The README's main command over a SQLite and a PostgreSQL copy of its records (the
    screen run inside each): the same output in every format, byte for byte, once each
    source's name is written the same (both number the records by row)."""
    command, csv_spec = readme_table
    sys.path.insert(0, str(ROOT / "examples"))
    import make_sqlite

    db = tmp_path / "records.db"
    make_sqlite.write_table(db, "records", _rows(ROOT / csv_spec))
    monkeypatch.chdir(ROOT)
    shown = pg_server.url_no_password.replace("policyengine@", "policyengine:***@") + "#records"

    def output(spec, label):
        result = _invoke([a if a != csv_spec else spec for a in command] + ["--format", fmt])
        assert result.exit_code == 1, result.output
        text = result.output
        for form in (label, label.replace(":", "%3A"), json.dumps(label)[1:-1]):
            text = text.replace(form, "SOURCE")
        assert label not in text
        return text

    sqlite_out = output(f"{db}#records", f"{db}#records")
    assert sqlite_out.count("SOURCE") > 5 and "PC1" in sqlite_out
    assert output(pg_server.url + "#records", shown) == sqlite_out


def test_query_source_and_typed_columns_match_iso_text(pg_server, tmp_path):
    """date, timestamp, timestamptz and numeric columns: the findings of the same values as text."""
    from pg_support import load_csv_rows

    policy = ROOT / "rules" / "binero.policy"
    command = _readme_command()
    binding = command[command.index("--binding") + 1]
    rows = _rows(ROOT / command[command.index("--records") + 1])
    # Which columns hold dates: those whose every value looks like one.
    dated = [c for c in rows[0] if all(r.get(c) is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", r[c] or "")
                                       for r in rows) and any(r.get(c) for r in rows)]
    assert dated, "the example has date columns"
    types = {c: "DATE" for c in dated}
    with pg_server.connect() as conn:
        load_csv_rows(conn, "typed", rows, types)
        load_csv_rows(conn, "texts", rows)
        conn.execute("CREATE TABLE stamps (purpose TEXT, at TIMESTAMPTZ, plain TIMESTAMP, amount NUMERIC)")
        conn.execute("INSERT INTO stamps VALUES ('x', '2020-02-29 23:30:00+01', '2020-02-29 23:30:00', 12.50)")

    def findings(table, *extra):
        result = _invoke(["check", str(policy), "--binding", str(ROOT / binding), "--records",
                          pg_server.url + "#" + table, "--now", "2026-11-21T12:00:00+01:00",
                          "--format", "jsonl", *extra])
        assert result.exit_code == 1, result.output
        return [{**json.loads(line), "location": json.loads(line)["location"].rpartition(":")[2]}
                for line in result.output.splitlines()]

    want = findings("texts")
    assert len(want) > 5
    assert findings("typed") == want
    assert findings("SELECT * FROM typed") == want
    assert findings("typed", "--engine", "python") == want

    from policyengine.checking.sql.postgres import PostgresSource

    source = PostgresSource(pg_server.url + "#stamps")
    try:
        assert source.kinds == {"purpose": "text", "at": "timestamptz", "plain": "timestamp", "amount": "other"}
        got = list(source.read(["at", "plain", "amount"]))
    finally:
        source.close()
    # Typed values reach the evaluator as the ISO text a CSV of them holds (zone: UTC).
    assert got == [(1, ("2020-02-29T22:30:00+00:00", "2020-02-29T23:30:00", "12.50"))]


def test_transaction_is_read_only(pg_server):
    with pg_server.connect() as conn:
        conn.execute("DROP TABLE IF EXISTS victim")
        conn.execute("CREATE TABLE victim (purpose TEXT)")
        conn.execute("INSERT INTO victim VALUES ('cctv')")
        conn.execute("DROP SEQUENCE IF EXISTS victim_seq")
        conn.execute("CREATE SEQUENCE victim_seq")
    # A query that writes (nextval changes the sequence): refused by the server.
    spec = pg_server.url + "#SELECT purpose, purpose AS id, nextval('victim_seq') AS n FROM victim"
    result = CliRunner().invoke(main, ["check", str(ROOT / "rules" / "binero.policy"), "--records", spec,
                                       "--now", "2026-11-21T12:00:00+01:00"])
    assert result.exit_code == 2, result.output
    assert "read-only transaction" in result.output
    assert "Traceback" not in result.output
    with pg_server.connect() as conn:
        assert conn.execute("SELECT count(*) FROM victim").fetchone()[0] == 1
        assert conn.execute("SELECT is_called FROM victim_seq").fetchone()[0] is False
    from policyengine.checking.sql.postgres import PostgresSource

    source = PostgresSource(pg_server.url + "#victim")
    try:
        assert source.db.read_only is True
        assert source.db.execute("SHOW transaction_read_only").fetchone()[0] == "on"
    finally:
        source.close()


def _run_cli(args):
    """The installed command in a child process: real stdout and stderr, real exit code."""
    import subprocess

    return subprocess.run([str(Path(sys.executable).parent / "policyengine"), *args],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("case", ["wrong password", "unreachable host", "no such table"])
def test_connection_errors_are_clear_and_never_show_the_password(pg_server, case):
    from pg_support import PASSWORD

    if case == "wrong password":
        url = pg_server.url.replace(PASSWORD, "Wr0ng-" + PASSWORD) + "#records"
        expect = "password authentication failed"
    elif case == "unreachable host":
        url = f"postgresql://policyengine:{PASSWORD}@127.0.0.1:9/postgres#records"
        expect = "cannot connect to PostgreSQL"
    else:
        url = pg_server.url + "#no_such_table"
        expect = "no table or view 'no_such_table'"
    result = _run_cli(["check", str(ROOT / "rules" / "binero.policy"), "--records", url,
                       "--now", "2026-11-21T12:00:00+01:00"])
    assert result.returncode == 2, result.stderr
    assert expect in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert PASSWORD not in result.stderr + result.stdout
    assert "policyengine:***@" in result.stderr


def test_redact():
    from policyengine.checking.sql.postgres import redact

    assert redact("postgresql://u:p%40ss@h:5432/db?sslmode=require&password=x") == \
        "postgresql://u:***@h:5432/db?sslmode=require&password=***"
    assert redact("postgresql://u@h/db") == "postgresql://u@h/db"


def test_char_n_padding_and_collations_never_clear_a_row(pg_server, tmp_path):
    """PostgreSQL compares char(n) without its trailing blanks and a nondeterministic ICU
    collation without case; Python compares the padded, cased text: 'marketing   ' and
    'MARKETING' are unknown purposes (PC401) from every path."""
    from pg_support import load_csv_rows  # noqa: F401  (the server fixture's helpers)

    policy = tmp_path / "p.policy"
    policy.write_text('controller "C" {\n  authority IMY\n  jurisdiction SE\n}\ncategory contact "C"\n'
                      'subject customer "C"\npurpose marketing "M" {\n  subjects customer\n'
                      '  categories contact\n  basis legitimate_interests "x"\n'
                      '  retain at most 2 years from collected\n}\n', encoding="utf-8")
    binding = tmp_path / "p.binding.yaml"
    binding.write_text("columns:\n  key: id\n  purpose: purpose\n  collected: collected\n", encoding="utf-8")
    with pg_server.connect() as conn:
        conn.execute("CREATE COLLATION IF NOT EXISTS ci (provider = icu, locale = 'und-u-ks-level2', "
                     "deterministic = false)")
        conn.execute("CREATE TABLE padded (id TEXT, purpose CHAR(12), collected TEXT)")
        conn.execute("INSERT INTO padded VALUES ('a', 'marketing', '2026-11-01')")
        conn.execute("CREATE TABLE cased (id TEXT, purpose TEXT COLLATE ci, collected TEXT)")
        conn.execute("INSERT INTO cased VALUES ('a', 'MARKETING', '2026-11-01')")

    def findings(table, *extra):
        result = _invoke(["check", str(policy), "--binding", str(binding), "--records",
                          pg_server.url + "#" + table, "--now", "2026-11-21", "--format", "jsonl", *extra])
        return result.exit_code, result.output

    for table in ("padded", "cased"):
        want = findings(table, "--engine", "python")
        assert want[0] == 1 and "PC401" in want[1], want
        assert findings(table) == want

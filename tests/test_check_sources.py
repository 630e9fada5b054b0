"""Each source type gives the same findings; bad input is a located error (exit 2)."""

from __future__ import annotations

import csv
import json
import sqlite3

import pytest
from check_support import write_setup
from click.testing import CliRunner

from policyengine.cli import main

NOW = "2026-11-21T12:00:00+00:00"
COLUMNS = ["id", "purpose", "collected_at", "consent_at", "deleted_at", "withdrawn_at", "ended_at", "seen_at"]
ROWS = [
    ["m1", "marketing", "2024-11-20", "2024-11-20", "", "", "", ""],  # PC101, 1 day overdue
    ["m2", "marketing", "2024-11-21T09:00:00Z", "2024-11-21", "", "", "", ""],  # due today
    ["b1", "backups", "2026-01-01", "", "2026-10-20T10:00:00+00:00", "", "", ""],  # PC103
    ["b2", "backups", "2026-01-01", "", "", "", "", ""],
    ["x1", "telemarketing", "2026-01-01", "", "", "", "", ""],  # PC401
]
EXPECTED = {("m1", "PC101"), ("b1", "PC103"), ("x1", "PC401")}
BINDING = """columns:
  key: id
  purpose: purpose
  collected: collected_at
  consent_given: consent_at
  deleted: deleted_at
  consent_withdrawn: withdrawn_at
  contract_end: ended_at
  last_activity: seen_at
"""


@pytest.fixture()
def setup(tmp_path):
    return write_setup(tmp_path, BINDING)


def write_csv(path, rows=ROWS, columns=COLUMNS):
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(columns)
        w.writerows(rows)
    return path


def write_jsonl(path, rows=ROWS):
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps({c: (v or None) for c, v in zip(COLUMNS, row)}) + "\n")
    return path


def write_sqlite(path, rows=ROWS):
    with sqlite3.connect(path) as db:
        db.execute(f"CREATE TABLE records ({', '.join(c + ' TEXT' for c in COLUMNS)})")
        db.executemany(f"INSERT INTO records VALUES ({', '.join('?' for _ in COLUMNS)})",
                       [[v or None for v in row] for row in rows])
    db.close()
    return path


def run(policy, binding, *sources, stdin=None, extra=()):
    args = ["check", str(policy), "-b", str(binding), "--now", NOW, "--format", "jsonl", *extra]
    for s in sources:
        args += ["-r", str(s)]
    return CliRunner().invoke(main, args, input=stdin)


def found(result):
    return {(d["record"], d["code"]) for d in map(json.loads, result.output.splitlines())}


def test_csv(setup):
    tmp, policy, binding = setup
    result = run(policy, binding, write_csv(tmp / "r.csv"))
    assert result.exit_code == 1 and found(result) == EXPECTED


def test_jsonl(setup):
    tmp, policy, binding = setup
    result = run(policy, binding, write_jsonl(tmp / "r.jsonl"))
    assert result.exit_code == 1 and found(result) == EXPECTED


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_stdin(setup, kind):
    tmp, policy, binding = setup
    path = write_csv(tmp / "r.csv") if kind == "csv" else write_jsonl(tmp / "r.jsonl")
    result = run(policy, binding, "-", stdin=path.read_bytes())
    assert result.exit_code == 1, result.output
    assert found(result) == EXPECTED


def test_sqlite_table_and_query(setup):
    tmp, policy, binding = setup
    db = write_sqlite(tmp / "r.db")
    result = run(policy, binding, f"{db}#records")
    assert result.exit_code == 1 and found(result) == EXPECTED
    result = run(policy, binding, f"{db}#SELECT * FROM records WHERE purpose = 'backups'")
    assert result.exit_code == 1 and found(result) == {("b1", "PC103")}


def test_several_sources_and_location(setup):
    tmp, policy, binding = setup
    result = run(policy, binding, write_csv(tmp / "r.csv"), write_jsonl(tmp / "r.jsonl"))
    locations = {d["location"] for d in map(json.loads, result.output.splitlines()) if d["record"] == "m1"}
    assert locations == {f"{tmp / 'r.csv'}:2", f"{tmp / 'r.jsonl'}:1"}


def test_nothing_due_exits_0(setup):
    tmp, policy, binding = setup
    result = run(policy, binding, write_csv(tmp / "r.csv", [ROWS[1], ROWS[3]]))
    assert result.exit_code == 0 and result.output == ""


@pytest.mark.parametrize("make, message", [
    (lambda tmp: write_csv(tmp / "r.csv", columns=["id", "purpose", "collected", *COLUMNS[3:]]),
     "names column 'collected_at' (for collected) that the records do not have"),
    (lambda tmp: write_csv(tmp / "r.csv", rows=[ROWS[0], ["m9", "marketing"]]), "r.csv:3: malformed CSV row"),
    (lambda tmp: (tmp / "r.jsonl").write_text(json.dumps(dict.fromkeys(COLUMNS)) + '\n{"id": \n') and tmp / "r.jsonl",
     "r.jsonl:2: not valid JSON"),
    (lambda tmp: str(write_sqlite(tmp / "r.db")) + "#people", "no table 'people' (tables: records)"),
    (lambda tmp: tmp / "absent.csv", "absent.csv: cannot read"),
    (lambda tmp: tmp / "r.txt", "unknown kind of source"),
])
def test_bad_records_are_located_errors(setup, make, message):
    tmp, policy, binding = setup
    result = run(policy, binding, make(tmp))
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("binding_text, message", [
    ("columns: {key: id, purpose: purpose, colected: collected_at}", "did you mean 'collected'"),
    ("columns: {key: id, purpose: purpose}", "maps no column for 'collected'"),
    ("columns: {key: id, collected: collected_at}", "which column holds the purpose"),
    ("timezone: Mars/Olympus\ncolumns: {key: id, purpose: purpose}", "unknown time zone"),
    ("columns: [key", "not valid YAML"),
    ("purpose_is: markting\ncolumns: {key: id}", "did you mean 'marketing'"),
])
def test_bad_bindings_are_errors(setup, binding_text, message):
    tmp, policy, _ = setup
    bad = tmp / "bad.yaml"
    bad.write_text(binding_text, encoding="utf-8")
    result = run(policy, bad, write_csv(tmp / "r.csv"))
    assert result.exit_code == 2 and message in result.output, result.output


def test_bad_now_is_an_error(setup):
    tmp, policy, binding = setup
    result = CliRunner().invoke(main, ["check", str(policy), "-b", str(binding), "-r",
                                       str(write_csv(tmp / "r.csv")), "--now", "yesterday"])
    assert result.exit_code == 2 and "--now: 'yesterday'" in result.output


def test_source_override_and_flat_memory_reader(setup):
    tmp, policy, _ = setup
    binding = tmp / "b.yaml"
    binding.write_text(BINDING + "sources:\n  only_backups.csv:\n    purpose_is: backups\n", encoding="utf-8")
    rows = [[r[0], "ignored", *r[2:]] for r in ROWS if r[1] == "backups"]
    result = run(policy, binding, write_csv(tmp / "only_backups.csv", rows))
    assert found(result) == {("b1", "PC103")}


def test_reader_streams(tmp_path):
    """The JSON Lines reader pulls one record at a time from the stream."""
    from policyengine.checking.records import JsonLinesSource

    consumed = []

    def lines():
        for i in range(1000):
            consumed.append(i)
            yield b'{"id": "%d"}\n' % i

    source = JsonLinesSource(lines(), "mem", "mem")
    reader = source.read(["id"])
    assert next(reader) == (1, ("0",)) and next(reader) == (2, ("1",))
    assert len(consumed) == 2

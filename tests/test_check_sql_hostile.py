"""Hostile records for the SQL screen: each row of a table is an input the screen once got
wrong (it cleared a row with a finding, or an engine's findings differed from the Python
path's); each must give the Python path's findings, byte for byte, from every engine.
The differential generators in test_check_sql_engines.py reach each class too.
"""

from __future__ import annotations

import json
import sqlite3

import duckdb
import pytest
import sqlglot
from click.testing import CliRunner
from test_check_sql_engines import COLUMNS, FIELDS, NOW, comparable, run, setup  # noqa: F401

from policyengine.checking.records import RecordError
from policyengine.checking.sql.dialects import DIALECTS
from policyengine.cli import main

OLD = {"id": "old", "purpose": "marketing", "subject": "customer", "collected": "2020-01-01",
       "consent_given": "2020-01-01"}  # two years past: a finding, whatever else
FRESH = {"id": "fresh", "purpose": "marketing", "subject": "customer", "collected": "2026-11-01",
         "consent_given": "2026-11-01"}  # nothing to report


def findings(setup, spec, engine):  # noqa: F811
    try:
        return [json.dumps(f, sort_keys=True) for f in run(setup, spec, engine)]
    except RecordError as err:
        return str(err)


def sqlite_table(folder, records, collate="BINARY", name="records"):
    path = folder / "h.db"
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as db:
        db.execute(f'CREATE TABLE "{name}" ({", ".join(chr(34) + c + chr(34) + " COLLATE " + collate for c in COLUMNS)})')
        for r in records:
            db.execute(f'INSERT INTO "{name}" ({", ".join(chr(34) + c + chr(34) for c in r)}) '
                       f'VALUES ({", ".join("?" * len(r))})', list(r.values()))
    db.close()
    return f"{path}#{name}"


# (collation, record): a collation that calls the value equal to the policy's name, or to ''.
COLLATED = [
    ("NOCASE", dict(FRESH, purpose="MARKETING")),
    ("NOCASE", dict(FRESH, subject="Customer")),
    ("RTRIM", dict(FRESH, purpose="marketing  ")),
    ("RTRIM", dict(FRESH, subject="customer ")),
    ("RTRIM", dict(FRESH, erasure_requested=" ")),  # a request asked (Python: truthy text)
    ("RTRIM", dict(FRESH, consent_withdrawn=" ", last_activity="2026-11-10")),
    ("NOCASE", dict(FRESH, purpose="Books", transaction="2010-01-01")),
]


@pytest.mark.parametrize("collate, record", COLLATED)
def test_a_column_collation_never_clears_a_row(setup, collate, record):  # noqa: F811
    spec = sqlite_table(setup[0], [record, FRESH], collate)
    want = findings(setup, spec, "python")
    assert want, "the row has a finding"
    assert findings(setup, spec, None) == want  # the screen in SQLite


@pytest.mark.parametrize("value", ["2026-11-01\x00junk", "2026-11-01\x00", "2026-11-01T10:00:00Z\x00x"])
def test_a_nul_in_a_sqlite_date_is_read_whole(setup, value):  # noqa: F811
    spec = sqlite_table(setup[0], [dict(FRESH, collected=value)])
    want = findings(setup, spec, "python")
    assert "PC901" in want[0] if want else False
    assert findings(setup, spec, None) == want


# (DuckDB type, text DuckDB casts to it): a value outside Python's calendar; the CSV of
# the same text gives PC901, and so must the typed column.
BEYOND = [("DATE", "infinity"), ("DATE", "10000-01-01"), ("DATE", "-infinity"),
          ("TIMESTAMP", "infinity"), ("TIMESTAMP", "10000-01-01T00:00:00"),
          ("TIMESTAMPTZ", "infinity"), ("TIMESTAMPTZ", "10000-01-01T00:00:00+00:00")]


@pytest.mark.parametrize("kind, text", BEYOND)
def test_typed_values_beyond_the_calendar(setup, kind, text):  # noqa: F811
    folder = setup[0]
    record = dict(FRESH, collected=text)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE TABLE t ({', '.join(chr(34) + c + chr(34) + (' ' + kind if c == 'collected' else ' VARCHAR') for c in COLUMNS)})")
    con.execute(f"INSERT INTO t VALUES ({', '.join('?' * len(COLUMNS))})", [record.get(c) for c in COLUMNS])
    con.execute(f"COPY t TO '{folder / 'h.parquet'}' (FORMAT parquet)")
    con.close()
    csv_path = folder / "h.csv"
    csv_path.write_text(",".join(COLUMNS) + "\n" + ",".join(record.get(c) or "" for c in COLUMNS) + "\n",
                        encoding="utf-8")
    want = comparable(run(setup, str(csv_path), "python"), header=1)
    assert [f[1] for f in want if ("code", "PC901") in f[1]], want
    assert comparable(run(setup, str(folder / "h.parquet"))) == want


_LINE = ('{"id": "j", "purpose": "marketing", "subject": "customer", "collected": "2026-11-01", '
         '"consent_given": "2026-11-01", "x": %s}')
# JSON Lines that DuckDB reads otherwise than orjson and Python's line split. The refused
# JSON is a record the screen would clear: Python stops at it with an error, so must DuckDB.
JSON_LINES = [
    ("nested past 1,024", [_LINE % ("[" * 1100 + "]" * 1100)]),
    ("infinite integer", [_LINE % ("9" * 330)]),
    ("trailing comma", [_LINE % "[1,]"]),
    ("CRLF", [json.dumps(FRESH), json.dumps(OLD)]),
    ("lone CR", [json.dumps(FRESH) + "\r" + json.dumps(OLD), json.dumps(OLD)]),
    ("NUL", [json.dumps(OLD) + "\x00", json.dumps(OLD)]),
    ("not UTF-8", [json.dumps(OLD), json.dumps(dict(OLD, x="\udcff"), ensure_ascii=False), json.dumps(OLD)]),
]


@pytest.mark.parametrize("name, lines", JSON_LINES, ids=[n for n, _ in JSON_LINES])
def test_duckdb_json_lines_as_python_reads_them(setup, name, lines):  # noqa: F811
    folder = setup[0]
    first = {c: None for c in COLUMNS} | {"id": "first", "purpose": "marketing"}
    newline = "\r\n" if name == "CRLF" else "\n"
    text = newline.join([json.dumps(first)] + lines) + newline
    path = folder / "h.jsonl"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    want = findings(setup, str(path), "python")
    assert findings(setup, str(path), "duckdb") == want


def test_csv_not_utf8_in_the_header_block_is_an_error_not_a_traceback(setup):  # noqa: F811
    folder = setup[0]
    path = folder / "h.csv"
    path.write_bytes((",".join(COLUMNS) + "\n").encode() + b"\xff," + b"," * (len(COLUMNS) - 2) + b"\n")
    for engine in ("python", "duckdb"):
        with pytest.raises(RecordError, match="not valid UTF-8"):
            run(setup, str(path), engine)


# Column names a DBA's schema may have: quotes of every dialect, spaces, keywords, unicode,
# an attempt to close the identifier (or the comment naming the column) and run a statement.
HOSTILE_COLUMNS = ['pur"pose', "col'lected\nDROP TABLE records; --", "sub`ject", "select", "a b", "k\\", 'x"; DROP TABLE t; --', "än"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_compile_sql_quotes_every_identifier(setup, tmp_path, dialect):  # noqa: F811
    folder, policy = setup[:2]
    names = dict(zip(["purpose", "collected", "subject", "key", "categories", "consent_given", "last_activity",
                      "consent_withdrawn"], HOSTILE_COLUMNS))
    columns = {f: names.get(f, c) for f, c in zip(FIELDS, COLUMNS)}
    binding = tmp_path / "h.binding.yaml"
    binding.write_text("columns:\n" + "".join(f"  {f}: {json.dumps(c)}\n" for f, c in columns.items()),
                       encoding="utf-8")
    result = CliRunner().invoke(main, ["compile", str(policy), "-b", str(binding), "--format", "sql",
                                       "--dialect", dialect, "--now", NOW])
    assert result.exit_code == 0, result.output
    statements = [s for s in sqlglot.parse(result.output, read=dialect) if s is not None]
    assert len(statements) == 1  # nothing smuggled in after the query
    named = {c.name for c in statements[0].find_all(sqlglot.exp.Column)}
    assert set(HOSTILE_COLUMNS) <= named
    if dialect in ("sqlite", "duckdb"):  # run it: one old row selected, a fresh one not
        rows = [{columns[f]: (OLD | {"id": "old"}).get(c) for f, c in zip(FIELDS, COLUMNS)},
                {columns[f]: FRESH.get(c) for f, c in zip(FIELDS, COLUMNS)}]
        cols = list(columns.values())
        quoted = ", ".join('"' + c.replace('"', '""') + '" TEXT' for c in cols)
        con = sqlite3.connect(":memory:") if dialect == "sqlite" else duckdb.connect()
        con.execute(f"CREATE TABLE records ({quoted})")
        for r in rows:
            con.execute(f"INSERT INTO records VALUES ({', '.join('?' * len(cols))})", [r.get(c) for c in cols])
        got = con.execute(result.output).fetchall()
        selected = [e.name for e in statements[0].selects]
        assert [g[selected.index(columns["key"])] for g in got] == ["old"]
        con.close()


@pytest.mark.parametrize("blob", [b"", b"x"])
def test_an_empty_blob_is_no_consent(setup, blob):  # noqa: F811
    """SQL calls x'' NOT NULL; Python calls it empty: no consent (PC301), from SQLite and
    from a Parquet BLOB column alike."""
    folder = setup[0]
    record = dict(FRESH, consent_given=blob)
    spec = sqlite_table(folder, [record])
    want = findings(setup, spec, "python")
    assert ("PC301" in want[0]) == (blob == b"") if want else blob != b""
    assert findings(setup, spec, None) == want
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t ({', '.join(chr(34) + c + chr(34) + (' BLOB' if c == 'consent_given' else ' VARCHAR') for c in COLUMNS)})")
    con.execute(f"INSERT INTO t VALUES ({', '.join('?' * len(COLUMNS))})", [record.get(c) for c in COLUMNS])
    con.execute(f"COPY t TO '{folder / 'b.parquet'}' (FORMAT parquet)")
    con.close()
    parquet = [(f["code"], f["message"]) for f in run(setup, str(folder / "b.parquet"))]
    assert parquet == [(f["code"], f["message"]) for f in map(json.loads, want)]


def test_a_csv_header_naming_a_column_twice(setup):  # noqa: F811
    """Python reads the first column of a name; DuckDB's screen must screen that one."""
    folder = setup[0]
    path = folder / "twice.csv"
    header = COLUMNS + ["purpose", "collected"]
    rows = [dict(FRESH, purpose="nosuch"), dict(FRESH, collected="2020-01-01"), FRESH]
    seconds = [["marketing", "2026-11-01"], ["marketing", "2026-11-01"], ["nosuch", "2020-01-01"]]
    path.write_text("\n".join([",".join(header)] + [",".join([r.get(c) or "" for c in COLUMNS] + s)
                                                    for r, s in zip(rows, seconds)]) + "\n", encoding="utf-8")
    want = findings(setup, str(path), "python")
    assert len(want) == 2
    assert findings(setup, str(path), "duckdb") == want


def test_compile_sql_refuses_a_table_it_cannot_read(setup):  # noqa: F811
    policy, binding = setup[1:3]
    result = CliRunner().invoke(main, ["compile", str(policy), "-b", str(binding), "--format", "sql",
                                       "--now", NOW, "--table", 'x"y'])
    assert result.exit_code == 2 and result.exception is None or isinstance(result.exception, SystemExit)
    assert "cannot read 'x\"y' as a postgres table or query" in result.output


@pytest.mark.parametrize("query", ['SELECT * FROM records WHERE id = "old', "SELECT * FROM records WHERE id REGEXP 'o'"])
def test_a_sqlite_query_sqlglot_cannot_read_is_read_by_python(setup, query):  # noqa: F811
    spec = sqlite_table(setup[0], [OLD, FRESH]).partition("#")[0] + "#" + query
    assert findings(setup, spec, None) == findings(setup, spec, "python")


def test_no_purpose_is_one_message_from_every_source(setup):  # noqa: F811
    """An empty CSV cell, a JSON null, a JSON line without the key, SQLite NULL and SQLite
    '' all mean "no value": one PC401 message, naming the column, from every engine."""
    folder = setup[0]
    records = [dict(FRESH, id="a", purpose=None), dict(FRESH, id="b", purpose="")]
    csv_path = folder / "np.csv"
    csv_path.write_text(",".join(COLUMNS) + "\n" + "".join(",".join(r.get(c) or "" for c in COLUMNS) + "\n"
                                                         for r in records), encoding="utf-8")
    jsonl = folder / "np.jsonl"
    first = {c: None for c in COLUMNS} | dict(FRESH, id="a", purpose=None)
    without_key = {k: v for k, v in FRESH.items() if k != "purpose"} | {"id": "b"}
    jsonl.write_text(json.dumps(first) + "\n" + json.dumps(without_key) + "\n", encoding="utf-8")
    sqlite_spec = sqlite_table(folder, records)
    want = comparable(run(setup, str(csv_path), "python"), header=1)
    messages = {dict(f)["message"] for _, f in want if dict(f)["code"] == "PC401"}
    assert messages == {"no purpose: column 'purpose' has no value (a record must name one of the policy's purposes)"}
    assert [n for n, f in want if dict(f)["code"] == "PC401"] == [1, 2]
    assert comparable(run(setup, str(jsonl), "python")) == want
    assert comparable(run(setup, str(jsonl), "duckdb")) == want
    assert comparable(run(setup, str(csv_path), "duckdb"), header=1) == want
    assert comparable(run(setup, sqlite_spec)) == want
    assert comparable(run(setup, sqlite_spec, "python")) == want

"""The SQL screen is sound and every engine gives the Python path's findings.

Differential: the same generated records (dates at the thresholds' boundaries, in zones,
typed and as text, missing and malformed values, every rule kind, compound durations)
checked from CSV and JSON Lines by the Python path, from SQLite (the screen run in SQLite),
and by DuckDB over CSV, JSON Lines and Parquet (text and typed columns) give the same
findings, in the same order, at the same record numbers. Soundness: no row with a finding
from the evaluator is left out by the screen (run in SQLite and DuckDB).

Examples: the ci profile runs a tenth of its examples (a batch of records each);
``--hypothesis-profile=thorough`` runs many more; POLICYENGINE_SQL_EXAMPLES=N sets N.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import duckdb
import pytest
import sqlglot
from check_support import POLICY
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyengine.checking.binding import load_binding
from policyengine.checking.compile import compile_policy
from policyengine.checking.evaluate import lower_to_python
from policyengine.checking.records import RecordError, sql_text
from policyengine.checking.run import run_check
from policyengine.checking.sql.engines import open_engine_source
from policyengine.checking.sql.dialects import DIALECTS
from policyengine.checking.sql.lower import Screen, screen_sql
from policyengine.cli import main
from policyengine.language.loading import load_policy

NOW = "2026-11-21T12:00:00+01:00"
ZONE = "Europe/Stockholm"
EXTRA = '''purpose archive "Archive" {
  subjects customer
  categories contact
  basis legal_obligation "law"
  legal hold 3 years 6 months from calendar_year_end_of_financial_year "law"
  on hold end erase within 30 days
}
purpose letters "Letters" {
  subjects customer
  categories contact
  recipients eu_mail
  basis consent to newsletter
  retain at most 1 month 15 days from collected
  on withdrawal erase within 30 days
}
'''
TEXT = POLICY.replace("requests {", EXTRA + "requests {")
FIELDS = ["key", "purpose", "subject", "categories", "recipients", "recipient_country", "consent_scope",
          "collected", "last_activity", "contract_end", "transaction", "consent_given", "consent_withdrawn",
          "erasure_requested", "deleted", "request_received", "request_extended", "request_answered"]
DATES = FIELDS[7:]
COLUMNS = [f.replace("key", "id") for f in FIELDS]
BINDING_YAML = f"timezone: {ZONE}\ncolumns:\n" + "".join(f"  {f}: {c}\n" for f, c in zip(FIELDS, COLUMNS))
PURPOSES = ["marketing", "cctv", "books", "backups", "care", "support", "archive", "letters", "nosuch"]
EXAMPLES = int(os.environ.get("POLICYENGINE_SQL_EXAMPLES") or 0) or max(10, settings().max_examples // 10)

# Anchor days near where the policy's periods end today (2026-11-21): each rule's boundary.
_TODAY = date(2026, 11, 21)
_CENTRES = [_TODAY, date(2024, 11, 21), date(2026, 9, 21), date(2026, 10, 21), date(2026, 10, 6),
            date(2016, 11, 21), date(2025, 11, 21), date(2026, 10, 22), date(2019, 6, 30), date(2022, 12, 31),
            date(2020, 2, 29), date(2026, 1, 31)]
_days = st.builds(lambda c, d: c + timedelta(days=d), st.sampled_from(_CENTRES), st.integers(-4, 4))
_zones = st.sampled_from([timezone.utc, ZoneInfo(ZONE), timezone(timedelta(hours=14)),
                          timezone(timedelta(hours=-11)), timezone(timedelta(hours=5, minutes=30))])
_times = st.builds(lambda d, h, m: datetime(d.year, d.month, d.day, h, m), _days, st.integers(0, 23),
                   st.integers(0, 59))
_aware = st.builds(lambda t, z: t.replace(tzinfo=z), _times, _zones)
_malformed = st.sampled_from(["2026-02-30", "21/09/2026", "2026-13-01", "soon", "2026-11-21T25:00:00",
                              " 2026-11-21", "2026-11-21T09:00:00.5", "2026-11-21 09:00", "20261121",
                              "2026-11-21t09:00:00", "0000-01-01", "9999-12-31", "0001-01-01T00:00:00+01:00",
                              "2026-11-21T09:00:00+24:00", "2026-04-31", "2024-02-29", "2026-11-21Z",
                              "2026-11-21\x00junk"])  # SQLite's GLOB and length() stop at the NUL
# A column is text (any of these, written as ISO text) or typed (DuckDB/Parquet types it).
_text_date = st.one_of(st.none(), st.just(""), _days.map(str),
                       _times.map(lambda t: t.isoformat()), _times.map(lambda t: t.isoformat(sep=" ")),
                       _aware.map(lambda t: t.isoformat()),
                       _aware.map(lambda t: t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")),
                       _malformed)


class Beyond(str):
    """A typed value beyond Python's calendar (DuckDB and PostgreSQL hold them): the text a
    CSV of it holds (the ISO text where it has one: a BC year as the astronomical year), and
    its spelling as PostgreSQL (``pg``) and DuckDB (``duck``) read it into a typed column."""

    def __new__(cls, text, pg=None, duck=None):
        self = super().__new__(cls, text)
        self.pg, self.duck = pg or text, duck or pg or text
        return self


def engine_value(value, engine: str):
    """A generated value as ``engine`` is given it (``sql_text`` for the text writers)."""
    if isinstance(value, Beyond):
        return str(value) if engine == "text" else getattr(value, engine)
    return value if engine != "text" or value is None else sql_text(value)


# Each type at the calendar's ends: the day before its first day, the first and the last day
# (typed values Python holds), the day after the last, and the infinities.
_UTC = timezone.utc
_BEYOND = {"date": [Beyond("infinity"), Beyond("-infinity"), Beyond("10000-01-01"),
                    Beyond("0000-12-31", "0001-12-31 BC", "0001-12-31 (BC)"),
                    Beyond("-0043-03-15", "0044-03-15 BC", "0044-03-15 (BC)"), date(1, 1, 1), date(9999, 12, 31)],
           "timestamp": [Beyond("infinity"), Beyond("-infinity"), Beyond("10000-01-01T00:00:00"),
                         Beyond("0000-12-31T23:59:59", "0001-12-31 23:59:59 BC", "0001-12-31 (BC) 23:59:59"),
                         datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59, 999999)],
           "timestamptz": [Beyond("infinity"), Beyond("-infinity"), Beyond("10000-01-01T00:00:00+00:00"),
                           Beyond("0000-12-31T19:00:00+00:00", "0001-01-01 00:00:00+05"),
                           datetime(1, 1, 1, tzinfo=_UTC), datetime(9999, 12, 31, 23, 59, 59, tzinfo=_UTC)]}
_TYPED = {k: st.one_of(s, st.sampled_from(_BEYOND[k])) for k, s in
          {"date": _days, "timestamp": _times, "timestamptz": _aware.map(lambda t: t.astimezone(timezone.utc))}.items()}
# Names a byte-wise comparison tells apart and a collation may not (case, trailing blanks).
_NEAR = ["MARKETING", "marketing ", "Books", "cctv  "]
_names = {"purpose": st.sampled_from(PURPOSES + _NEAR + [None, ""]),  # no purpose: one message from every source
          "subject": st.sampled_from([None, "", "customer", "visitor", "stranger", "Customer", "customer "]),
          "categories": st.sampled_from([None, "", "contact", "health_data", "contact;health_data", "other"]),
          "recipients": st.sampled_from([None, "", "eu_mail", "us_cloud", "us_crm", "eu_mail;us_cloud", "nobody"]),
          "recipient_country": st.sampled_from([None, "", "DE", "US", "se", "CN"]),
          "consent_scope": st.sampled_from([None, "", "newsletter", "other;newsletter", "other"])}


@st.composite
def batches(draw):
    """(column kinds, records): each date column text or one of the typed kinds."""
    kinds = {f: draw(st.sampled_from(["text", "text", "date", "timestamp", "timestamptz"])) for f in DATES}
    # the SQLite table's collation of each column (a screen must compare byte for byte)
    kinds["collate"] = {c: draw(st.sampled_from(["BINARY", "BINARY", "NOCASE", "RTRIM"])) for c in COLUMNS}
    n = draw(st.integers(1, 30))
    records = []
    for i in range(n):
        r = {"key": f"r{i}"}
        for f, strategy in _names.items():
            r[f] = draw(strategy) if f == "purpose" or draw(st.integers(0, 3)) else None
        for f in DATES:
            if draw(st.integers(0, 2)) == 0:
                r[f] = None
            elif kinds[f] == "text":
                r[f] = draw(_text_date)
            else:
                r[f] = draw(_TYPED[kinds[f]])
        records.append(r)
    return kinds, records


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sql")
    policy = folder / "t.policy"
    policy.write_text(TEXT, encoding="utf-8")
    binding = folder / "t.binding.yaml"
    binding.write_text(BINDING_YAML, encoding="utf-8")
    return folder, policy, binding, compile_policy(load_policy(str(policy))), load_binding(str(binding))


def _text(value):
    return "" if value is None else engine_value(value, "text")


def write_all(folder, kinds, records) -> dict[str, str]:
    """The records as CSV, JSON Lines, SQLite and Parquet (text and typed): the specs."""
    for old in folder.glob("r.*"):
        old.unlink()
    rows = [[r[f] for f in FIELDS] for r in records]
    with (folder / "r.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        w.writerows([[_text(v) for v in row] for row in rows])
    with (folder / "r.jsonl").open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps({c: engine_value(v, "text") for c, v in zip(COLUMNS, row)}) + "\n")
    with sqlite3.connect(folder / "r.db") as db:
        collate = kinds.get("collate", {})
        db.execute(f"CREATE TABLE records ({', '.join(chr(34) + c + chr(34) + ' COLLATE ' + collate.get(c, 'BINARY') for c in COLUMNS)})")
        db.executemany(f"INSERT INTO records VALUES ({', '.join('?' * len(COLUMNS))})",
                       [[engine_value(v, "text") for v in row] for row in rows])
    db.close()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    types = {"text": "VARCHAR", "date": "DATE", "timestamp": "TIMESTAMP", "timestamptz": "TIMESTAMPTZ"}
    typed = ", ".join(f'"{c}" {types[kinds.get(f, "text")]}' for f, c in zip(FIELDS, COLUMNS))
    con.execute(f"CREATE TABLE typed ({typed})")
    con.executemany(f"INSERT INTO typed VALUES ({', '.join('?' * len(COLUMNS))})",
                    [[engine_value(v, "duck") for v in row] for row in rows])
    con.execute(f"COPY typed TO '{folder / 'r.parquet'}' (FORMAT parquet)")
    con.execute(f"CREATE TABLE plain AS SELECT * FROM read_csv('{folder / 'r.csv'}', all_varchar = true)")
    con.execute(f"COPY plain TO '{folder / 'rt.parquet'}' (FORMAT parquet)")
    con.close()
    return {"csv": str(folder / "r.csv"), "jsonl": str(folder / "r.jsonl"), "sqlite": f"{folder / 'r.db'}#records",
            "parquet": str(folder / "r.parquet"), "text parquet": str(folder / "rt.parquet")}


class _Sink:
    def __init__(self):
        self.found = []

    def add(self, finding):
        self.found.append(finding.to_dict())


def run(setup, spec, engine=None):
    """The findings of one source read by ``engine``, through the library the CLI calls
    (``run_check``; the policy is compiled once per module, which is what costs)."""
    compiled, binding = setup[3], setup[4]
    sink = _Sink()
    with open_engine_source(spec, engine) as source:
        run_check(compiled, [source], binding, NOW, sink)
    return sink.found


def comparable(findings, header: int = 0):
    """Findings without the file name: the record's number (less a CSV's header line)."""
    out = []
    for f in findings:
        where, _, number = f.pop("location").rpartition(":")
        out.append((int(number) - header, tuple(sorted(f.items()))))
    return out


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(batches())
def test_every_engine_gives_the_python_findings(setup, batch):
    folder = setup[0]
    kinds, records = batch
    specs = write_all(folder, kinds, records)
    want = comparable(run(setup, specs["csv"], "python"), header=1)
    assert comparable(run(setup, specs["jsonl"], "python")) == want
    assert comparable(run(setup, specs["sqlite"])) == want  # the screen in SQLite
    assert comparable(run(setup, specs["sqlite"], "python")) == want
    assert comparable(run(setup, specs["csv"], "duckdb"), header=1) == want
    assert comparable(run(setup, specs["jsonl"], "duckdb")) == want
    assert comparable(run(setup, specs["text parquet"])) == want
    typed = run(setup, specs["parquet"])
    # Typed values render as their ISO text; a text column may spell the same instant
    # differently ('Z' against '+00:00'), so the typed Parquet is compared with the CSV of
    # the same typed values, which is what the CSV above holds.
    assert comparable(typed) == want


def _rows_with_findings(lowered, records) -> set[int]:
    columns = lowered.columns
    fields = {c: f for f, c in lowered.binding.columns.items()}
    out = set()
    for n, r in enumerate(records, 1):
        values = tuple(engine_value(r[fields[c]], "text") for c in columns)
        if lowered.evaluate("x", n, values):
            out.add(n)
    return out


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(batches())
def test_the_screen_keeps_every_row_with_a_finding(setup, batch):
    folder, _, _, compiled, binding = setup
    kinds, records = batch
    specs = write_all(folder, kinds, records)
    lowered = lower_to_python(compiled, binding, NOW)
    must = _rows_with_findings(lowered, records)
    numbered = f"SELECT row_number() OVER () AS n, * FROM records"
    db = sqlite3.connect(specs["sqlite"].partition("#")[0])
    got = {r[0] for r in db.execute(Screen(lowered, "sqlite").query(numbered, ["n"]).sql(dialect="sqlite"))}
    db.close()
    assert must <= got, sorted(must - got)
    con = duckdb.connect()
    kind_of = {c: kinds.get(f, "text") for f, c in zip(FIELDS, COLUMNS)}
    source = f"SELECT file_row_number + 1 AS n, * FROM read_parquet('{specs['parquet']}', file_row_number = true)"
    got = {r[0] for r in con.execute(Screen(lowered, "duckdb", kind_of).query(source, ["n"]).sql(dialect="duckdb")).fetchall()}
    assert must <= got, sorted(must - got)
    # and the screen does its job: most rows without a finding are left out on their own
    con.close()


_json_odd = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.just(0.0), st.just([]),
                      st.lists(st.sampled_from(["contact", "health_data"]), max_size=2), st.just({}),
                      _text_date, st.sampled_from(PURPOSES), st.just("\u00e9t\u00e9"))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.one_of(
    st.dictionaries(st.sampled_from(COLUMNS), _json_odd, max_size=8).map(
        lambda d: json.dumps(dict({"id": "k", "purpose": "marketing"}, **d))),
    st.dictionaries(st.sampled_from(COLUMNS), _json_odd, max_size=8).map(
        lambda d: json.dumps(dict({"id": "k", "purpose": "marketing"}, **d), ensure_ascii=True)),
    st.sampled_from(['', '   ', '{"id": "d", "purpose": "nosuch", "purpose": "marketing"}',
                     '{"id": "e", "purpose": "marketing", "collected": "2020-01-01", "collected": "2026-11-20"}',
                     '{"id": "u", "purpose": "m\\u0061rketing", "collected": "2020-01-01"}',
                     '{"id": "e2", "purpose": "marketing", "collected": "2026-11-20", "consent_given": "2026-11-01", '
                     '"collected": "2020-01-01"}',
                     '{"id": "e3", "purpose": "marketing", "collected": "2026-11-20", "consent_given": "2026-11-01", '
                     '"purpose": "nosuch"}',
                     '{"id": "nan", "purpose": "marketing", "collected": "2026-11-20", "x": NaN}',
                     '{"id": "inf", "purpose": "marketing", "collected": "2026-11-20", "x": -Infinity}',
                     '{"id": "big", "purpose": "marketing", "collected": "2026-11-20", "x": 1e400}',
                     '[1, 2]', '"text"', 'not json', '{"id": "cut", "purpose": "marketing"',
                     '{"id": 7, "purpose": "marketing", "collected": "2026-11-20", "consent_given": 0}',
                     '{"id": "n", "purpose": "marketing", "collected": "2026-11-20", "consent_given": "x", '
                     '"subject": ["customer"]}']),
    # JSON DuckDB's json_valid takes and orjson refuses (nesting past 1,024, a number
    # too large for a double, a trailing comma), and lines DuckDB cuts where Python does
    # not (a carriage return, a NUL) or cannot read (not UTF-8). The refused JSON is a
    # record with nothing to report: one the screen would clear, where Python stops.
    st.sampled_from(["[" * 1100 + "]" * 1100, "9" * 330, "1" + "0" * 400, "[1,]", "{}"]).map(
        lambda x: '{"id": "j", "purpose": "marketing", "subject": "customer", "collected": "2026-11-01", '
                  f'"consent_given": "2026-11-01", "x": {x}}}'),
    st.sampled_from(["\r", "\x00", "\udcff", "\r{}"]).map(
        lambda tail: '{"id": "t", "purpose": "marketing", "subject": "customer", "collected": "2020-01-01", '
                     '"consent_given": "2020-01-01"}' + tail)), min_size=1, max_size=20),
       st.sampled_from(["\n", "\r\n"]))
def test_duckdb_json_lines_match_the_python_path(setup, lines, newline):
    """Odd JSON (numbers, booleans, lists, escapes, repeated keys, blank lines, CRLF, NUL,
    bytes that are not UTF-8): DuckDB's screen defers to orjson's reading, so the output
    is the Python path's, byte for byte, at the same line numbers."""
    folder, policy, binding = setup[:3]
    first = {c: None for c in COLUMNS}
    first.update(id="first", purpose="marketing")
    path = folder / "odd.jsonl"
    text = json.dumps(first) + newline + newline.join(lines) + newline
    path.write_bytes(text.encode("utf-8", "surrogateescape"))  # \udcff: the byte 0xff
    args = ["check", str(policy), "-b", str(binding), "--now", NOW, "--format", "jsonl", "-r", str(path)]
    def output(engine):
        try:
            return [json.dumps(f) for f in run(setup, str(path), engine)]
        except RecordError as err:
            return str(err)
    assert output("duckdb") == output("python")


def test_the_screen_leaves_out_rows_with_nothing_to_report(setup):
    """Not a screen that selects everything: a row inside its retention is left out."""
    compiled, binding = setup[3:]
    lowered = lower_to_python(compiled, binding, NOW)
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE TABLE records ({', '.join(chr(34) + c + chr(34) for c in COLUMNS)})")
    fresh = {"id": "a", "purpose": "marketing", "subject": "customer", "collected": "2026-11-01T10:00:00Z",
             "consent_given": "2026-11-01"}
    db.execute(f"INSERT INTO records ({', '.join(fresh)}) VALUES ({', '.join('?' * len(fresh))})", list(fresh.values()))
    db.execute("INSERT INTO records (id, purpose, subject, collected, consent_given) "
               "VALUES ('b', 'marketing', 'customer', '2026-02-30', '2026-11-01')")
    got = db.execute(Screen(lowered, "sqlite").query("records", ["id"]).sql(dialect="sqlite")).fetchall()
    assert got == [("b",)]  # the malformed date is selected (PC901), the fresh row is not


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_dialect_is_emitted_and_parses_back(setup, dialect):
    compiled, binding = setup[3:]
    kinds = {"collected": "timestamptz", "last_activity": "date", "deleted": "timestamp"}
    sql = screen_sql(compiled, binding, NOW, dialect, "crm.records", kinds)
    parsed = sqlglot.parse_one(sql, read=dialect)
    assert parsed.find(sqlglot.exp.Where) is not None
    assert "2026-" in sql and "marketing" in sql  # thresholds and purposes written in
    again = parsed.sql(dialect=dialect, pretty=True)
    assert sqlglot.parse_one(again, read=dialect) == parsed


def test_compile_format_sql_prints_a_runnable_query(setup):
    folder, policy, binding = setup[:3]
    specs = write_all(folder, {}, [{f: None for f in FIELDS} | {"key": "z", "purpose": "nosuch"}])
    for dialect in DIALECTS:
        result = CliRunner().invoke(main, ["compile", str(policy), "-b", str(binding), "--format", "sql",
                                           "--dialect", dialect, "--now", NOW])
        assert result.exit_code == 0, result.output
        assert result.output.startswith("-- policyengine: the check screen")
        sqlglot.parse_one(result.output, read=dialect)
    result = CliRunner().invoke(main, ["compile", str(policy), "-b", str(binding), "--format", "sql",
                                       "--dialect", "sqlite", "--now", NOW])
    db = sqlite3.connect(specs["sqlite"].partition("#")[0])
    assert [r[0] for r in db.execute(result.output)] == ["z"]
    db.close()
    con = duckdb.connect()
    con.execute(f"CREATE VIEW records AS SELECT * FROM read_parquet('{specs['text parquet']}')")
    duck = CliRunner().invoke(main, ["compile", str(policy), "-b", str(binding), "--format", "sql",
                                     "--dialect", "duckdb", "--now", NOW])
    assert [r[0] for r in con.execute(duck.output).fetchall()] == ["z"]
    con.close()


def findings_and_error(setup, spec, engine=None):
    """The findings of a run, and its error (None when it ran to the end): a run that stops
    at a bad row reports, as every engine must, the findings of the rows before it."""
    compiled, binding = setup[3], setup[4]
    sink = _Sink()
    try:
        with open_engine_source(spec, engine) as source:
            run_check(compiled, [source], binding, NOW, sink)
    except RecordError as err:
        return comparable(sink.found), str(err)
    return comparable(sink.found), None


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(batches(), st.lists(st.tuples(st.integers(0, 29), st.sampled_from(COLUMNS),
                                     st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00\xff", b"\xc3\xa9"])),
                           max_size=3))
def test_sqlite_text_not_utf8_is_the_python_paths_error(setup, batch, broken):
    """Text SQLite holds that is not UTF-8, in any bound column of any row (one the screen
    would clear too): the SQLite screen stops at the same row with the same error as the
    Python path (``FILE.db#TABLE:ROW: column 'c' is not valid UTF-8``), after the same
    findings; valid UTF-8 ('\u00e9' as bytes) is read as text by both."""
    folder = setup[0]
    kinds, records = batch
    path = write_all(folder, kinds, records)["sqlite"].partition("#")[0]
    with sqlite3.connect(path) as db:
        for row, column, tail in broken:
            db.execute(f'UPDATE records SET "{column}" = CAST(CAST(coalesce("{column}", \'\') AS BLOB) || ? AS TEXT) '
                       "WHERE rowid = ?", (tail, row % len(records) + 1))
    db.close()
    want = findings_and_error(setup, f"{path}#records", "python")
    assert findings_and_error(setup, f"{path}#records") == want
    if any(tail not in (b"\xc3\xa9",) for _, _, tail in broken):
        assert want[1] is not None and "is not valid UTF-8" in want[1] and want[1].count(":") == 2, want

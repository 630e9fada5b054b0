"""Running the SQL screen inside an engine: SQLite (``FILE.db#TABLE``) and DuckDB (files).

Each source here has ``screened(lowered)``: the ``(number, values)`` of the rows the screen
(``lower.Screen``) selects, in input order, numbered as the Python path numbers them; the
reader (``reading.check_source_serial``) gives them to the same evaluator, so the findings
are the Python path's. ``count`` is the number of records, known once they are read.

DuckDB reads:
- Parquet: the values as typed (dates, timestamps, numbers), turned into their ISO text
  (``records.sql_values``); the location is ``FILE:ROW`` (1-based row).
- JSON Lines: each line as text (``WITH ORDINALITY``: its line number); the screen reads the
  bound keys with DuckDB's JSON functions and clears a line only when it is one valid JSON
  object with no escapes, no repeated bound key and only strings or nulls in the bound
  columns (the key aside); the selected lines are parsed again with orjson, as the Python
  path parses them, so every value, error and line number is the same.
- CSV: DuckDB screens, Python's csv module reads (values and line numbers as the Python
  path): DuckDB gives the ordinals of the rows to evaluate; when the two readers do not
  agree on the number of rows, or DuckDB cannot read the file, the Python path decides.
Memory is bounded (``SET memory_limit``, POLICYENGINE_DUCKDB_MEMORY, default 1GB; spilling
to a private temporary folder) and every core is used (``SET threads``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import sqlglot
from sqlglot import exp

from ..records import (CsvSource, JsonLinesSource, RecordError, Source, SqliteSource, open_source,
                       register_utf8, sql_values, utf8_test)
from .lower import Screen, SqlError

ROW = "__policyengine_row"
LINE = "__policyengine_line"
ENGINES = ("python", "duckdb", "sqlite", "postgres", "spark")
PARQUET_SUFFIXES = (".parquet", ".parq")


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ---- SQLite ------------------------------------------------------------------------

class SqliteScreened(Source):
    """``FILE.db#TABLE`` (or ``#SELECT ...``) with the screen run inside SQLite."""

    def __init__(self, inner: SqliteSource):
        self.inner = inner
        self.name, self.label, self.columns = inner.name, inner.label, inner.columns
        self.closer = inner.closer
        self.count = 0

    def read(self, wanted):  # `explain` and the Python engine: every row
        return self.inner.read(wanted)

    def screened(self, lowered) -> Iterator[tuple[int, tuple]] | None:
        names = ", ".join(_quoted(c) for c in lowered.columns)
        source = f"SELECT row_number() OVER () AS {ROW}, {names} FROM {self.inner.relation}"
        # A row is cleared only when every bound column is text sqlite3 can decode (or not
        # text): one that is not UTF-8 is selected, and reading it is the Python path's error.
        guard = sqlglot.parse_one(" AND ".join(utf8_test(f"records.{_quoted(c)}") for c in lowered.columns),
                                  read="sqlite")
        try:
            query = Screen(lowered, "sqlite").query(source, [ROW] + lowered.columns, guard).order_by(ROW)
        except SqlError:  # a query sqlglot cannot read (SQLite may): the Python path reads it
            return None
        return self._rows(query, lowered.columns)

    def _rows(self, query, wanted) -> Iterator[tuple[int, tuple]]:
        import sqlite3

        db = self.inner.db
        register_utf8(db)
        number = 0
        try:
            self.count = self.rows_total = db.execute(f"SELECT count(*) FROM {self.inner.relation}").fetchone()[0]
            for row in db.execute(query.sql(dialect="sqlite")):
                number = self.rows_done = row[0]
                yield number, sql_values(row[1:])
            self.rows_done = self.count
        except sqlite3.Error as err:
            raise self.inner.error(err, wanted, number) from None
        finally:
            self.close()


# ---- DuckDB ------------------------------------------------------------------------

def duckdb_connection():
    """An in-memory DuckDB, memory bounded, every core, spilling to a private folder."""
    try:
        import duckdb
    except ImportError:
        raise RecordError("--engine duckdb needs DuckDB: pip install 'privacy-promises[sql]'") from None
    try:
        threads = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        threads = os.cpu_count() or 1
    spill = tempfile.mkdtemp(prefix="policyengine-duckdb-")
    con = duckdb.connect(":memory:", config={
        "threads": threads, "memory_limit": os.environ.get("POLICYENGINE_DUCKDB_MEMORY", "1GB"),
        "temp_directory": spill, "preserve_insertion_order": True,
        "enable_external_access": True})
    con.execute("SET TimeZone = 'UTC'")  # aware timestamps come back in UTC, whatever the machine's zone
    # query_progress() for the progress line while the screen runs; DuckDB prints nothing.
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    return con, spill


class DuckdbSource(Source):
    """A file read by DuckDB: Parquet, JSON Lines or CSV (see the module docstring)."""

    def __init__(self, path: str, kind: str, inner: Source | None = None):
        self.path, self.kind, self.inner = path, kind, inner
        self.label, self.name = path, Path(path).name
        self.count = 0
        self.con, self.spill = duckdb_connection()
        import duckdb

        self._error = duckdb.Error
        self.kinds: dict[str, str] = {}
        if inner is not None:  # JSON Lines and CSV: the Python reader knows the columns
            self.columns, self.empty = inner.columns, inner.empty
            self.closer = inner.closer
            return
        if not Path(path).is_file():
            self.close()
            raise RecordError(f"{path}: cannot read: no such file")
        try:
            described = self.con.execute(f"DESCRIBE SELECT * FROM read_parquet({_sql_string(path)})").fetchall()
        except duckdb.Error as err:
            self.close()
            raise RecordError(f"{path}: not a Parquet file DuckDB can read: {str(err).splitlines()[0]}") from None
        self.columns = [r[0] for r in described]
        self.kinds = {r[0]: _kind(r[1]) for r in described}

    screening = False  # a screen query is running (its share done: query_progress)

    def progress_state(self):
        """While DuckDB runs the screen, the share of it done; then the records fetched
        (the input row of the last one) of all; for CSV, the Python reader's offset."""
        con = self.con
        if self.screening and con is not None:
            try:
                done = con.query_progress()
            except Exception:  # noqa: BLE001 - closed meanwhile: the next sample tells
                return None
            return "screened by DuckDB", max(done, 0.0), 100.0
        return super().progress_state()

    def close(self) -> None:
        if self.inner is not None:
            self.inner.close()
        if getattr(self, "con", None) is not None:
            self.con.close()
            self.con = None
            shutil.rmtree(self.spill, ignore_errors=True)

    def read(self, wanted):  # `explain`: every row, in order
        if self.inner is not None:
            return self.inner.read(wanted)
        return self._rows(self._parquet_relation(), [ROW] + list(wanted), None)

    def _as_text(self, name: str):
        """A typed date or timestamp column as the text Python's ``isoformat`` gives it
        (``records.sql_text``), made by DuckDB: fetching text is much cheaper than
        fetching datetime objects. Timestamps with zone come in UTC (the session's zone)."""
        kind = self.kinds.get(name)
        if kind not in ("date", "timestamp", "timestamptz"):
            return name
        c = f"records.{_quoted(name)}"
        # Beyond the calendar: 'infinity' and '-infinity' as DuckDB writes them (no offset to
        # write), a BC year as ISO 8601's astronomical year with four digits ('-0043-03-15';
        # strftime writes '-43'), as the PostgreSQL source does (postgres.calendar_text).
        if kind == "date":
            first, whole, fraction, zone = "DATE '0001-01-01'", "'%Y-%m-%d'", None, ""
        else:
            first = ("TIMESTAMPTZ '0001-01-01 00:00:00+00'" if kind == "timestamptz"
                     else "TIMESTAMP '0001-01-01 00:00:00'")
            whole, fraction = "'%Y-%m-%dT%H:%M:%S'", "'%Y-%m-%dT%H:%M:%S.%f'"
            zone = " || '+00:00'" if kind == "timestamptz" else ""

        # An instant is written from its microseconds as a plain TIMESTAMP (UTC): strftime and
        # date_trunc of a TIMESTAMPTZ go through ICU's calendar (on the benchmark's 104,790
        # selected rows: the projection 0.53 -> 0.22 s in EXPLAIN ANALYZE, the screen's CPU
        # time 0.37 -> 0.31 s).
        t = f"make_timestamp(epoch_us({c}))" if kind == "timestamptz" else c

        def iso(fmt: str) -> str:
            return f"strftime({t}, {fmt}){zone}"

        def bc(fmt: str) -> str:
            rest = f"substr(strftime({t}, {fmt}), 2)"
            year = f"split_part({rest}, '-', 1)"
            padded = f"'-' || format('{{:0>4}}', {year}) || substr({rest}, length({year}) + 1)"
            return f"(CASE WHEN starts_with(strftime({t}, {fmt}), '-') THEN {padded} ELSE strftime({t}, {fmt}) END){zone}"

        if fraction is None:
            text = (f"CASE WHEN NOT isfinite({c}) THEN CAST({c} AS VARCHAR) "
                    f"WHEN {c} < {first} THEN {bc(whole)} ELSE {iso(whole)} END")
        else:
            exact = f"epoch_us({c}) % 1000000 = 0"  # whole seconds
            text = (f"CASE WHEN NOT isfinite({c}) THEN CAST({c} AS VARCHAR) "
                    f"WHEN {c} < {first} THEN (CASE WHEN {exact} THEN {bc(whole)} ELSE {bc(fraction)} END) "
                    f"WHEN {exact} THEN {iso(whole)} ELSE {iso(fraction)} END")
        return sqlglot.parse_one(f"{text} AS {_quoted(name)}", read="duckdb")

    def _parquet_relation(self) -> str:
        return f"SELECT file_row_number + 1 AS {ROW}, * FROM read_parquet({_sql_string(self.path)}, file_row_number = true)"

    def _rows(self, source: str, select: list[str], screen: Screen | None) -> Iterator[tuple[int, tuple]]:
        relation = f"({source}) AS records"
        # The screen's rows hold only text (dates and timestamps made text by ``_as_text``)
        # unless a bound column is of another type (numbers): only then ``sql_values``.
        text = screen is not None and all(self.kinds.get(c, "text") != "other" for c in screen.lowering.columns)
        if screen is not None:
            sql = screen.query(source, select).sql(dialect="duckdb")
        else:
            sql = f"SELECT {', '.join(_quoted(c) for c in select)} FROM {relation}"
        self.screening = True
        try:  # materialised first (spilling if need be): an error comes before any finding
            self.con.execute(f"CREATE TEMP TABLE screened AS {sql}")
            self.count = self.con.execute(f"SELECT count(*) FROM ({source})").fetchone()[0]
            cursor = self.con.execute(f"SELECT * FROM screened ORDER BY {ROW}")
        except self._error as err:
            raise RecordError(f"{self.label}: DuckDB: {str(err).splitlines()[0]}") from None
        finally:
            self.screening = False
        self.rows_total = self.count
        while True:
            rows = cursor.fetchmany(4096)
            if not rows:
                break
            if text:
                for row in rows:
                    yield row[0], row[1:]
            else:
                for row in rows:
                    yield row[0], sql_values(row[1:])
            self.rows_done = rows[-1][0]
        self.rows_done = self.count
        self.con.execute("DROP TABLE screened")

    def screened(self, lowered) -> Iterator[tuple[int, tuple]] | None:
        """The selected rows, or None when DuckDB cannot split the file into the lines
        Python reads (then ``reading`` checks ``inner`` by the Python path)."""
        if self.kind == "parquet":
            screen = Screen(lowered, "duckdb", self.kinds)
            select = [ROW] + [self._as_text(c) for c in lowered.columns]
            return self._rows(self._parquet_relation(), select, screen)
        if self.kind == "jsonl":
            return self._jsonl(lowered)
        return self._csv(lowered)

    # JSON Lines: DuckDB screens the lines, orjson reads the ones selected.
    def _jsonl(self, lowered) -> Iterator[tuple[int, tuple]] | None:
        if self.empty:
            return iter(())
        if not _splits_as_python(self.path):
            return None
        wanted = lowered.columns
        lines = (f"read_csv({_sql_string(self.path)}, columns = {{'j': 'VARCHAR'}}, header = false, "
                 "delim = '', quote = '', escape = '', auto_detect = false, new_line = '\\n', "
                 "strict_mode = false, max_line_size = 1073741824) WITH ORDINALITY")
        # Cleared only: one valid JSON object that orjson reads as DuckDB does: at most
        # 4 KiB; at most 1,024 brackets (orjson refuses deeper nesting); no backslash
        # escape (a key spelled with \\u); no NaN, Infinity, long exponent or 300-digit
        # number (orjson refuses infinite numbers); no trailing comma (DuckDB allows one);
        # and below, only strings or nulls in the bound columns (the key aside) and no
        # bound key twice (DuckDB reads the first, orjson the last).
        # (CASE: DuckDB does not stop at the first false term of an AND; json_type would
        # fail on a line that is not JSON.)
        clean = ("CASE WHEN length(j) <= 4096 AND NOT contains(j, '\\') "
                 "AND length(j) - length(replace(replace(j, '[', ''), '{', '')) <= 1024 AND json_valid(j) "
                 "AND NOT regexp_matches(j, '[:,\\[]\\s*-?(NaN|Inf|nan|inf)|[0-9][eE][+-]?[0-9][0-9][0-9]"
                 "|[0-9]{300}|,\\s*[\\]}]') "
                 "THEN json_type(j) = 'OBJECT' ELSE FALSE END")
        steps = [f"CREATE TEMP TABLE lines AS SELECT ordinality AS n, j, coalesce({clean}, FALSE) AS clean "
                 f"FROM {lines}"]
        if any('"' in c or "\\" in c for c in wanted):  # a key DuckDB's JSON path cannot spell simply
            screen_sql = f"SELECT n AS {ROW}, j AS {LINE} FROM lines WHERE j IS NOT NULL"
        else:
            paths = _list(["$." + _quoted(c) for c in wanted])
            unique = "TRUE" if self._bound_keys_unique(wanted) else \
                "len(json_keys(j)) = len(list_distinct(json_keys(j)))"
            # Each list is computed once, in its own table: DuckDB recomputes a JSON
            # function for every reference to it in one query (the screen has many).
            steps.append(f"CREATE TEMP TABLE fields AS SELECT n, json_extract_string(j, {paths}) AS s, "
                         f"json_type(j, {paths}) AS t, {unique} AS u FROM lines WHERE clean")
            plain = " AND ".join(f"coalesce(f.t[{i + 1}], 'NULL') IN ('VARCHAR', 'NULL')"
                                 for i, c in enumerate(wanted) if i != lowered.i_key)
            extract = ", ".join(f"f.s[{i + 1}] AS {_quoted(c)}" for i, c in enumerate(wanted))
            source = (f"SELECT l.n AS {ROW}, l.j AS {LINE}, (f.n IS NOT NULL AND f.u AND {plain or 'TRUE'}) AS ok, "
                      f"{extract} FROM lines AS l LEFT JOIN fields AS f ON l.n = f.n")
            guard = sqlglot.parse_one("records.ok", read="duckdb")
            screen_sql = Screen(lowered, "duckdb").query(source, [ROW, LINE], guard).sql(dialect="duckdb")
        steps.append(f"CREATE TEMP TABLE screened AS {screen_sql}")
        self.screening = True
        try:  # materialised first (spilling if need be): an error comes before any finding
            for step in steps:
                self.con.execute(step)
            total, blank = self.con.execute(
                "SELECT count(*), count(*) FILTER (WHERE j IS NULL OR regexp_full_match(j, '[ \\t\\r\\x0b\\x0c]*')) "
                "FROM lines").fetchone()
            self.con.execute("DROP TABLE lines")
            self.con.execute("DROP TABLE IF EXISTS fields")
            cursor = self.con.execute(f"SELECT {ROW}, {LINE} FROM screened ORDER BY {ROW}")
        except self._error:  # e.g. not UTF-8: DuckDB cannot read it as Python does, Python decides
            for table in ("lines", "fields", "screened"):
                self.con.execute(f"DROP TABLE IF EXISTS {table}")
            return None
        finally:
            self.screening = False
        self.rows_total = total  # lines: the row numbers fetched are line numbers
        return self._jsonl_rows(cursor, wanted, total - blank)

    def _jsonl_rows(self, cursor, wanted, count) -> Iterator[tuple[int, tuple]]:
        from ..reading import _read_line

        label = self.label
        while True:
            rows = cursor.fetchmany(4096)
            if not rows:
                break
            for number, line in rows:
                if line is None:
                    continue
                values = _read_line(label, number, line, True, wanted)
                if values is not None:
                    yield number, values
            self.rows_done = rows[-1][0]
        self.rows_done = self.rows_total
        self.con.execute("DROP TABLE screened")
        self.count = count

    def _bound_keys_unique(self, wanted: list[str]) -> bool:
        """True when DuckDB's own JSON reader, which refuses an object with a requested key
        twice, reads the whole file: then no line repeats a bound key, and the per-line test
        (``json_keys``, costly) is not needed. Any error (a repeated key, a line that is
        not an object) keeps the per-line test."""
        columns = "{" + ", ".join(f"{_sql_string(c)}: 'JSON'" for c in wanted) + "}"
        # count(column) for each: count(*) alone would let DuckDB skip reading the keys.
        read = " + ".join(f"count({_quoted(c)})" for c in wanted)
        try:
            self.con.execute(f"SELECT {read} FROM read_json({_sql_string(self.path)}, format = "
                             f"'newline_delimited', records = 'true', columns = {columns})").fetchall()
        except self._error:
            return False
        return True

    # CSV: DuckDB screens, Python's csv module reads.
    def _csv(self, lowered) -> Iterator[tuple[int, tuple]]:
        wanted = lowered.columns
        index: dict[str, int] = {}
        for i, c in enumerate(self.columns):  # a header naming a column twice: the first, as Python reads
            index.setdefault(c, i)
        types = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(self.columns)))
        reader = (f"read_csv({_sql_string(self.path)}, header = false, skip = 1, all_varchar = true, "
                  f"delim = ',', quote = '\"', escape = '\"', auto_detect = false, columns = {{{types}}}, "
                  "strict_mode = true) WITH ORDINALITY")
        select = ", ".join(f"c{index[c]} AS {_quoted(c)}" for c in wanted)
        source = f"SELECT ordinality AS {ROW}, {select} FROM {reader}"
        sql = Screen(lowered, "duckdb").query(source, [ROW]).sql(dialect="duckdb")
        self.screening = True  # then the Python reader's offset in the file tells
        try:
            chosen = {r[0] for r in self.con.execute(sql).fetchall()}
            total = self.con.execute(f"SELECT count(*) FROM {reader}").fetchone()[0]
        except self._error:
            chosen, total = None, None  # DuckDB cannot read it as Python does: Python decides
        finally:
            self.screening = False
        n = 0
        for number, values in self.inner.read(wanted):
            n += 1
            if chosen is None or n in chosen:
                yield number, values
        if total is not None and total != n:
            raise RecordError(f"{self.label}: DuckDB read {total} rows, Python's csv reader {n}: "
                              "check it with --engine python")
        self.count = n


def _splits_as_python(path: str) -> bool:
    """Whether DuckDB's line reader cuts the file where Python's does (at each newline
    and nowhere else): it also cuts at a carriage return (a CRLF line counts twice) and
    stops a line at a NUL. Such a file (found at memchr speed) is read by Python."""
    with open(path, "rb") as f:
        while True:
            block = f.read(1 << 20)
            if not block:
                return True
            if b"\r" in block or b"\0" in block:
                return False


def _list(paths: list[str]) -> str:
    return "[" + ", ".join(_sql_string(p) for p in paths) + "]"


def _kind(duck_type: str) -> str:
    t = duck_type.upper()
    if t == "VARCHAR":
        return "text"
    if t == "DATE":
        return "date"
    if t.startswith("TIMESTAMP WITH TIME ZONE") or t == "TIMESTAMPTZ":
        return "timestamptz"
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    return "other"


def open_engine_source(spec: str, engine: str | None, stdin=None, spark_master: str | None = None) -> Source:
    """A source for ``--engine`` (None: the default for its kind: DuckDB for Parquet,
    SQLite for ``FILE.db#TABLE``, Python for CSV, JSON Lines and stdin)."""
    from .postgres import PostgresRows, PostgresSource, is_postgres

    if is_postgres(spec):  # screened by PostgreSQL (the default), or every row to Python
        if engine not in (None, "postgres", "python"):
            raise RecordError(f"--engine {engine}: a postgresql:// source is screened by PostgreSQL: "
                              "use --engine postgres (the default) or --engine python")
        source = PostgresSource(spec)
        return PostgresRows(source) if engine == "python" else source
    if engine == "postgres":
        raise RecordError(f"{spec}: --engine postgres reads postgresql://USER@HOST/DB#TABLE")
    path, sep, _ = spec.partition("#")
    suffix = Path(path).suffix.lower()
    parquet = spec != "-" and not sep and suffix in PARQUET_SUFFIXES
    default = engine is None
    if default:
        engine = "duckdb" if parquet else "python"
    if engine not in ENGINES:
        raise RecordError(f"--engine {engine}: unknown engine (one of {', '.join(ENGINES)})")
    if engine == "spark":
        from .spark import SparkSource

        if spec == "-" or sep:
            raise RecordError(f"{spec}: --engine spark reads CSV and Parquet files")
        if parquet:
            return SparkSource(path, "parquet", spark_master)
        source = open_source(spec, stdin)
        if isinstance(source, JsonLinesSource) or not isinstance(getattr(source.closer, "name", None), str):
            source.close()
            raise RecordError(f"{spec}: --engine spark reads CSV and Parquet files; JSON Lines: "
                              "--engine duckdb or python")
        return SparkSource(source.closer.name, "csv", spark_master, source)
    if parquet:
        if engine != "duckdb":
            raise RecordError(f"{spec}: Parquet is read by DuckDB: use --engine duckdb (the default for .parquet)")
        return DuckdbSource(path, "parquet")
    source = open_source(spec, stdin)
    if isinstance(source, SqliteSource):
        if engine == "duckdb":
            source.close()
            raise RecordError(f"{spec}: a SQLite table is screened by SQLite, not DuckDB: use --engine sqlite "
                              "(the default) or --engine python")
        return source if engine == "python" and not default else SqliteScreened(source)
    if engine == "sqlite":
        source.close()
        raise RecordError(f"{spec}: --engine sqlite reads FILE.db#TABLE; use --engine python or duckdb for files")
    if engine == "duckdb":
        file = getattr(source.closer, "name", None)
        if spec == "-" or not isinstance(file, str):
            source.close()
            raise RecordError("<stdin>: --engine duckdb reads files (.csv, .jsonl, .parquet), not stdin")
        return DuckdbSource(file, "jsonl" if isinstance(source, JsonLinesSource) else "csv", source)
    return source

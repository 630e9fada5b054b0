"""Record sources for `check`: CSV, JSON Lines, stdin and SQLite, all streamed.

A source knows its columns before it is read (the CSV header, the first JSON
record's keys, the table's columns), so a binding that names a column the
data lacks fails before any record is checked. Reading yields
``(number, values)``: the record's line (CSV, JSONL) or row number (SQLite)
and a tuple of the bound columns' values, in the order asked for. Empty
strings and nulls both mean "no value".

Source syntax: ``PATH.csv``, ``PATH.jsonl`` (or ``.ndjson``, ``.json``),
``-`` for stdin (JSON Lines if the first character is ``{``, else CSV), and
``PATH.db#TABLE`` or ``PATH.db#SELECT ...`` for SQLite (``.db``, ``.sqlite``,
``.sqlite3``).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sqlite3
import sys
from operator import itemgetter
from pathlib import Path
from typing import Iterator

from datetime import date, datetime, time
from decimal import Decimal

from ..language.diagnostics import PolicyError


# ---- typed values (SQL engines) -------------------------------------------------------
# SQL sources (SQLite, DuckDB, PostgreSQL, Spark) return dates, timestamps, numbers and
# booleans, not only text. Each is turned into the text a CSV export of the same value
# holds (ISO 8601 for dates and times), before it is screened or evaluated, so a typed
# value and its ISO text give the same findings, byte for byte.

def sql_text(value):
    """A value from a SQL engine as the text a CSV of it holds: ``date`` -> '2026-11-21',
    ``datetime`` -> '2026-11-21T09:00:00' (an aware one with its offset, '+01:00'),
    ``Decimal``/int/float -> their digits, bool -> 'true'/'false'; None and text unchanged."""
    if value is None or type(value) is str:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date, time)):  # datetime first: it is a date too
        return value.isoformat()
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    return value  # bytes, lists...: left to the evaluator, which reports them as it does today


_PLAIN = (str, type(None))


def sql_values(row: tuple) -> tuple:
    """A SQL row with every typed value as its text (``sql_text``); cheap when all are text."""
    for v in row:
        if type(v) not in _PLAIN:
            return tuple(map(sql_text, row))
    return row


def _json_int(text: str):
    """Integers as orjson reads them: beyond 64 bits they become floats (and one too large
    for a float is refused). No int() of a long digit string: Python refuses 4,300 digits."""
    if len(text) <= 20:
        value = int(text)
        if -(1 << 63) <= value < (1 << 64):
            return value
    return _json_float(text)


def _json_float(text: str) -> float:
    value = float(text)
    if value in (_INF, -_INF):  # orjson: "number is infinity when parsed as double"
        raise ValueError(f"number {text[:20]}{'...' if len(text) > 20 else ''} is infinity when parsed as double")
    return value


_INF = float("inf")


def _json_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")  # orjson refuses NaN and Infinity too


# orjson refuses arrays and objects nested deeper than this; the standard library would
# recurse until RecursionError (about 1,000 with the default limit, less deep in a stack).
JSON_MAX_DEPTH = 1024
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')


def _json_depth(data) -> int:
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    depth = deepest = 0
    for byte in _STRING.sub(b'""', raw):
        if byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def _json_loads(data):
    opened = data.count(b"[" if isinstance(data, (bytes, bytearray)) else "[") + data.count(
        b"{" if isinstance(data, (bytes, bytearray)) else "{")
    if opened <= 256:  # far from any limit: the common case costs two counts
        return json.loads(data, parse_int=_json_int, parse_float=_json_float, parse_constant=_json_constant)
    depth = _json_depth(data)
    if depth > JSON_MAX_DEPTH:
        raise ValueError(f"depth limit exceeded: nested {depth} deep, at most {JSON_MAX_DEPTH}")
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 2 * depth + 2000))  # depth plus the stack we are called from
    try:
        return json.loads(data, parse_int=_json_int, parse_float=_json_float, parse_constant=_json_constant)
    finally:
        sys.setrecursionlimit(limit)


# orjson is a dependency (measured: parsing is most of the cost of a JSON Lines run, orjson
# is ~3x faster); the standard library's json is the fallback, made to read what orjson
# reads the same way. POLICYENGINE_PURE_JSON=1 selects it (tests compare the two).
PURE_JSON = os.environ.get("POLICYENGINE_PURE_JSON", "") not in ("", "0")
try:
    if PURE_JSON:
        raise ImportError("POLICYENGINE_PURE_JSON")
    from orjson import JSONDecodeError as _OrjsonError
    from orjson import loads as loads_json

    JSON_ERRORS: tuple[type[Exception], ...] = (_OrjsonError, ValueError)
except ImportError:
    PURE_JSON = True
    loads_json = _json_loads
    JSON_ERRORS = (ValueError,)

BLOCK = 1 << 20  # bytes read at a time by the batched JSON Lines reader


SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
CSV_FIELD_LIMIT = 10 * 1024 * 1024


class RecordError(PolicyError):
    """Records that cannot be read (exit 2): the message names file and line."""


def column_getter(indices):
    """A function picking ``indices`` out of a row, always returning a tuple."""
    if len(indices) == 1:
        (only,) = indices
        return lambda row: (row[only],)
    return itemgetter(*indices)


class Source:
    """One stream of records. ``columns`` first, then ``read(columns)`` once."""

    name: str  # what the binding's `sources:` matches: a file name or a table
    label: str  # how findings locate a record: label:number
    columns: list[str]

    closer = None  # what to close when done (not stdin)
    empty = False  # True: there are no records (and so no columns) at all
    # A source a SQL engine reads (its file's offset tells nothing): the record it has
    # fetched up to, of how many (0: not counted yet), for the progress line.
    rows_done = 0
    rows_total = 0

    def progress_state(self) -> tuple[str, float, float] | None:
        """``(what, done, total)`` for the progress line (``progress.Progress``), or None
        when the file's offset tells how far the run is. Read from the progress thread."""
        if self.rows_total:
            return "records", min(self.rows_done, self.rows_total), self.rows_total
        return None

    def read(self, wanted: list[str]) -> Iterator[tuple[int, tuple]]:
        raise NotImplementedError

    def close(self) -> None:
        if self.closer is not None:
            self.closer.close()
            self.closer = None

    def __enter__(self) -> "Source":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def missing(self, wanted: list[str]) -> list[str]:
        have = set(self.columns)
        return [c for c in wanted if c not in have]


class CsvSource(Source):
    def __init__(self, stream, label: str, name: str):
        self.label, self.name = label, name
        csv.field_size_limit(CSV_FIELD_LIMIT)
        self.reader = csv.reader(stream)
        try:
            self.columns = next(self.reader)
        except StopIteration:
            raise RecordError(f"{label}:1: empty CSV file: expected a header line") from None
        except csv.Error as err:
            raise RecordError(f"{label}:{self.reader.line_num}: malformed CSV: {err}") from None
        except UnicodeDecodeError:  # the header is read with the first block: its bytes are decoded
            raise RecordError(f"{label}:{self.reader.line_num + 1}: not valid UTF-8") from None
        self.columns = [c.strip() for c in self.columns]
        if self.columns and self.columns[0].startswith("\ufeff"):
            self.columns[0] = self.columns[0][1:]

    def read(self, wanted):
        reader, width = self.reader, len(self.columns)
        pick = column_getter([self.columns.index(c) for c in wanted])
        try:
            for row in reader:
                if len(row) != width:
                    if not row:  # a blank line
                        continue
                    raise RecordError(f"{self.label}:{reader.line_num}: malformed CSV row: "
                                      f"{len(row)} fields, the header has {width}")
                yield reader.line_num, pick(row)
        except csv.Error as err:
            raise RecordError(f"{self.label}:{reader.line_num}: malformed CSV: {err}") from None
        except UnicodeDecodeError:
            raise RecordError(f"{self.label}:{reader.line_num + 1}: not valid UTF-8") from None


class JsonLinesSource(Source):
    """JSON Lines: the first record must carry every bound column (null when empty);
    later records may leave keys out, which reads as null."""

    def __init__(self, stream, label: str, name: str):
        self.label, self.name = label, name
        self.stream = stream
        self.lines = enumerate(stream, 1)
        self.first = None
        self.first_line = None
        for number, line in self.lines:
            if line.strip():
                self.first = (number, self._parse(number, line))
                self.first_line = line
                break
        self.columns = list(self.first[1]) if self.first else []
        self.empty = self.first is None

    def _parse(self, number: int, line) -> dict:
        try:
            record = loads_json(line)
        except JSON_ERRORS as err:
            raise RecordError(f"{self.label}:{number}: not valid JSON: {err}") from None
        if not isinstance(record, dict):
            raise RecordError(f"{self.label}:{number}: a record must be a JSON object")
        return record

    def read(self, wanted):
        if self.first is None:
            return
        pick, loads, errors, label = column_getter(wanted), loads_json, JSON_ERRORS, self.label
        number, record = self.first
        try:
            yield number, pick(record)
        except KeyError:
            yield number, tuple(record.get(c) for c in wanted)
        for number, line in self.lines:  # one flat loop: this is the hot path
            try:
                yield number, pick(loads(line))
            except KeyError:
                yield number, tuple(loads(line).get(c) for c in wanted)
            except TypeError:
                raise RecordError(f"{label}:{number}: a record must be a JSON object") from None
            except errors as err:
                if not line.strip():
                    continue
                raise RecordError(f"{label}:{number}: not valid JSON: {err}") from None

    def batches(self) -> Iterator[tuple[int, list, int]]:
        """The lines from the first record on, in batches: ``(number of the first line,
        lines, restore)``; the first ``restore`` lines of a batch had their newline cut
        off (``json_error`` puts it back, so error messages stay the same)."""
        if self.first is None:
            return
        number = self.first[0]
        yield number, [self.first_line], 0
        number += 1
        read = getattr(self.stream, "read", None)
        if read is None:  # an iterable of lines: taken as they come
            batch: list = []
            for n, line in self.lines:
                batch.append(line)
                if len(batch) >= 4096:
                    yield number, batch, 0
                    number, batch = n + 1, []
            if batch:
                yield number, batch, 0
            return
        carry = None
        while True:
            block = read(BLOCK)
            if not block:
                if carry:
                    yield number, [carry], 0
                return
            lines = (carry + block if carry else block).split(b"\n" if isinstance(block, bytes) else "\n")
            carry = lines.pop()
            if lines:
                yield number, lines, len(lines)
                number += len(lines)


def json_error(line, restore: bool) -> str:
    """The parser's message for an invalid line, as the line-at-a-time reader gives it."""
    if restore:
        line = line + (b"\n" if isinstance(line, bytes) else "\n")
    try:
        loads_json(line)
    except JSON_ERRORS as err:
        return f"not valid JSON: {err}"
    return "not valid JSON"  # pragma: no cover - only called for lines that failed


def line_ranges(path: str | int, chunk: int) -> Iterator[tuple[int, int, int]]:
    """Byte ranges ``[start, end)`` of a file (a name, or a descriptor read from its start
    and left open), about ``chunk`` bytes each, cut after a newline, each with the number
    of lines before it (the file is read through once to count them)."""
    with open(path, "rb", closefd=not isinstance(path, int)) as f:
        size = f.seek(0, 2)
        f.seek(0)
        start = lines = 0
        while start < size:
            data = f.read(chunk)
            if len(data) == chunk and start + chunk < size:
                data += f.readline()
            end = start + len(data)
            yield start, end, lines
            lines += data.count(b"\n") + (not data.endswith(b"\n"))
            start = end


def read_range(path: str | int, start: int, end: int) -> tuple[list[bytes], int]:
    """The lines in ``[start, end)`` of a file (cut at newlines by ``line_ranges``), and how
    many of them had a newline (all, or all but a last line without one). ``path``: a
    name, or a descriptor the parent opened (read with pread: its offset is shared)."""
    if isinstance(path, int):
        parts, at = [], start
        while at < end:
            got = os.pread(path, end - at, at)
            if not got:
                break
            parts.append(got)
            at += len(got)
        data = b"".join(parts)
    else:
        with open(path, "rb") as f:
            f.seek(start)
            data = f.read(end - start)
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
        return lines, len(lines)
    return lines, len(lines) - 1


class SqliteSource(Source):
    def __init__(self, path: str, what: str):
        self.label = f"{path}#{what}"
        if not Path(path).is_file():
            raise RecordError(f"{path}: no such SQLite file")
        self.db = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)
        self.closer = self.db
        try:
            is_query = what.lstrip().lower().startswith(("select", "with"))
            if is_query:
                self.name, self.relation = "query", f"({what})"
            else:
                tables = [r[0] for r in self.db.execute(
                    "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name")]
                if what not in tables:
                    self.close()
                    raise RecordError(f"{path}: no table '{what}' (tables: {', '.join(tables) or 'none'})")
                self.name, self.relation = what, '"' + what.replace('"', '""') + '"'
            cursor = self.db.execute(f"SELECT * FROM {self.relation} LIMIT 0")
            self.columns = [d[0] for d in cursor.description]
        except sqlite3.Error as err:
            self.close()
            raise RecordError(f"{self.label}: {err}") from None

    def read(self, wanted):
        cols = ", ".join(_sqlite_name(c) for c in wanted)
        number = 0
        try:
            cursor = self.db.execute(f"SELECT {cols} FROM {self.relation}")
            for number, row in enumerate(cursor, 1):
                yield number, sql_values(row)
        except sqlite3.Error as err:
            raise self.error(err, wanted, number) from None
        finally:
            self.close()

    def error(self, err: sqlite3.Error, wanted: list[str], after: int) -> RecordError:
        """The RecordError for ``err``, met reading the rows after row ``after``. Text
        that is not UTF-8 (SQLite stores what it is given; sqlite3 cannot make a str of it)
        is, as in a CSV, an error at its row: ``FILE.db#TABLE:ROW: column 'c' is not valid
        UTF-8``, whichever engine read the table (the SQLite screen selects such rows)."""
        if not str(err).startswith("Could not decode"):
            return RecordError(f"{self.label}: {err}")
        register_utf8(self.db)
        cols = ", ".join(_sqlite_name(c) for c in wanted)
        tests = ", ".join(f"NOT {utf8_test(_sqlite_name(c), fast=False)}" for c in wanted)
        try:
            found = self.db.execute(
                f"SELECT n, {tests} FROM (SELECT row_number() OVER () AS n, {cols} FROM {self.relation}) "
                f"WHERE n > ? AND NOT ({' AND '.join(utf8_test(_sqlite_name(c), fast=False) for c in wanted)}) "
                "ORDER BY n LIMIT 1", (after,)).fetchone()
        except sqlite3.Error:  # pragma: no cover - the table read a moment ago
            found = None
        if found is None:  # pragma: no cover - a column the binding does not read
            return RecordError(f"{self.label}: text that is not valid UTF-8 ({err})")
        column = wanted[list(found[1:]).index(1)]
        return RecordError(f"{self.label}:{found[0]}: column '{column}' is not valid UTF-8")


def _sqlite_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


UTF8_FUNCTION = "policyengine_utf8"


def _utf8(blob) -> int:
    if not isinstance(blob, bytes):  # NULL (SQLite may call it before the typeof test)
        return 1
    try:
        blob.decode("utf-8")  # strict, as sqlite3 decodes text (surrogates refused)
    except UnicodeDecodeError:
        return 0
    return 1


def register_utf8(db) -> None:
    """``policyengine_utf8(CAST(x AS BLOB))`` on ``db``: 1 when the bytes are UTF-8."""
    db.create_function(UTF8_FUNCTION, 1, _utf8, deterministic=True)


def utf8_test(column: str, fast: bool = True) -> str:
    """SQLite: TRUE when ``column`` (SQL) is not text, or text sqlite3 can decode. The fast
    part leaves Python out for printable ASCII: as many bytes as characters (no NUL, at
    which length() stops) and no character outside ' '..'~' (SQLite reads any byte >= 0x80
    as a character >= 0x80, valid or not)."""
    # CASE, not OR: SQLite computes both sides of an OR that is a value (not a WHERE's
    # jump), and the Python function is the cost to avoid.
    check = f"{UTF8_FUNCTION}(CAST({column} AS BLOB)) = 1"
    ascii_only = f"length(CAST({column} AS BLOB)) = length({column}) AND {column} NOT GLOB '*[^ -~]*'"
    return (f"(CASE WHEN typeof({column}) <> 'text' THEN TRUE "
            f"{'WHEN ' + ascii_only + ' THEN TRUE ' if fast else ''}ELSE {check} END)")


def open_source(spec: str, stdin=None) -> Source:
    """A source from its command-line spelling (see the module docstring)."""
    if spec == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        raw = stream.read(1)
        while raw in (b" ", b"\n", b"\r", b"\t"):
            raw = stream.read(1)
        rest = io.BufferedReader(_Prepend(raw, stream)) if raw else io.BytesIO(b"")
        if raw == b"{":
            return JsonLinesSource(rest, "<stdin>", "<stdin>")
        return CsvSource(io.TextIOWrapper(rest, encoding="utf-8-sig", newline=""), "<stdin>", "<stdin>")
    path, sep, what = spec.partition("#")
    if sep or path.lower().endswith(SQLITE_SUFFIXES):
        if not what:
            raise RecordError(f"{spec}: name the table or query: {path}#TABLE or '{path}#SELECT ...'")
        return SqliteSource(path, what)
    suffix = Path(path).suffix.lower()
    if suffix in (".parquet", ".parq"):
        raise RecordError(f"{spec}: Parquet is read by DuckDB: --engine duckdb, with "
                          "pip install 'privacy-promises[sql]'")
    if suffix not in (".csv", ".jsonl", ".ndjson", ".json"):
        raise RecordError(f"{spec}: unknown kind of source: use .csv, .jsonl, '-' (stdin) or "
                          "FILE.db#TABLE")
    try:
        stream = (open(path, encoding="utf-8-sig", newline="") if suffix == ".csv"
                  else open(path, "rb", buffering=1 << 20))
    except OSError as err:
        raise RecordError(f"{path}: cannot read: {err.strerror or err}") from None
    try:
        source = (CsvSource if suffix == ".csv" else JsonLinesSource)(stream, path, Path(path).name)
    except BaseException:
        stream.close()
        raise
    source.closer = stream
    return source


class _Prepend(io.RawIOBase):
    """A raw stream that first gives back the bytes already peeked."""

    def __init__(self, head: bytes, rest):
        self.head, self.rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.head:
            n = min(len(buffer), len(self.head))
            buffer[:n], self.head = self.head[:n], self.head[n:]
            return n
        data = self.rest.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

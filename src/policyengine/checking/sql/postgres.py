"""PostgreSQL as a source: ``postgresql://user@host/db#TABLE`` or ``...#SELECT ...``.

Read through psycopg 3 (the ``postgres`` extra) in one read-only, repeatable-read
transaction (``BEGIN READ ONLY``: the server refuses any write, whatever the query says;
the count and the rows see the same snapshot), with a server-side (named) cursor fetching
``FETCH`` rows at a time, so memory stays flat whatever the table's size. The screen
(``lower.Screen``, dialect postgres) runs inside PostgreSQL over typed columns where the
table has them (date, timestamp, timestamptz; numbers and the rest as ``other``); the rows
it selects go to the same evaluator as every source, their typed values as the ISO text the
CSV path would read (``records.sql_values``; the session zone is UTC, so an aware value
comes back with ``+00:00``). Records are numbered in the relation's order
(``row_number() OVER ()``), as ``--engine python`` numbers them.

Values psycopg cannot make Python objects of (``infinity`` and ``-infinity`` dates and
timestamps, years past 9999, BC dates, ``24:00:00`` times, intervals past timedelta's range)
arrive as their text (``calendar_text``: the ISO form where the value has one), and the
evaluator reports them as it reports the same text in a CSV (PC901 for a date), never an
error for the run (``_register_fallbacks``).

The password is never printed: the label (locations, errors) is the URL without it
(``redact``), and any error text has it replaced.
"""

from __future__ import annotations

import re
from typing import Iterator
from urllib.parse import unquote, urlsplit, urlunsplit

from ..records import RecordError, Source, sql_values
from .lower import DATE, OTHER, TEXT, TIMESTAMP, TIMESTAMPTZ, Screen

SCHEMES = ("postgresql://", "postgres://")
ROW = "__policyengine_row"
FETCH = 5000  # rows per round trip of the server-side cursor
CONNECT_TIMEOUT = 10  # seconds: an unreachable host is an error, not a hang

# PostgreSQL type OIDs (pg_type) -> screen kinds; anything else is OTHER. Not char(n)
# (bpchar, 1042): PostgreSQL compares it without its trailing blanks, whatever the collation
# ('marketing   ' = 'marketing'), and Python with them (PC401): only NULL is understood.
_KINDS = {25: TEXT, 1043: TEXT, 19: TEXT, 1082: DATE, 1114: TIMESTAMP, 1184: TIMESTAMPTZ}


# Types whose psycopg loader refuses values PostgreSQL holds: date, time, timestamp,
# timestamptz, interval, timetz.
_FALLBACK_OIDS = (1082, 1083, 1114, 1184, 1186, 1266)
_DATETIME_TEXT = re.compile(r"(\d{4,})-(\d\d)-(\d\d)(?: (\d\d:\d\d:\d\d)(\.\d{1,6})?([+-]\d\d(?::\d\d){0,2})?)?( BC)?")


def calendar_text(text: str) -> str:
    """A date or timestamp PostgreSQL writes (DateStyle ISO) beyond Python's calendar, as
    the ISO text the typed path gives in-calendar values: 'T' between date and time, six
    fraction digits, a ``+HH:MM`` offset, a BC year as ISO 8601's astronomical year
    ('0044-03-15 BC' -> '-0043-03-15'); 'infinity', '-infinity' and anything else unchanged."""
    m = _DATETIME_TEXT.fullmatch(text)
    if m is None:
        return text
    year, month, day, clock, fraction, offset, bc = m.groups()
    out = (f"-{int(year) - 1:04d}" if bc and int(year) > 1 else "0000" if bc else year) + f"-{month}-{day}"
    if clock:
        out += "T" + clock + (fraction.ljust(7, "0") if fraction else "")
        if offset:
            out += offset if len(offset) > 3 else offset + ":00"
    return out


def _register_fallbacks(db) -> None:
    """On this connection, each loader of ``_FALLBACK_OIDS`` wrapped: a value it refuses
    (psycopg's DataError) comes back as its text (``calendar_text``), not an error."""
    from psycopg import DataError
    from psycopg.adapt import Loader
    from psycopg.pq import Format

    for oid in _FALLBACK_OIDS:
        base = db.adapters.get_loader(oid, Format.TEXT)
        if base is None:  # pragma: no cover - psycopg loads all of them
            continue

        class Fallback(Loader):
            inner = base

            def __init__(self, oid, context=None):
                super().__init__(oid, context)
                self.load_inner = self.inner(oid, context).load

            def load(self, data):
                try:
                    return self.load_inner(data)
                except DataError:
                    return calendar_text(bytes(data).decode("utf-8", "replace"))

        db.adapters.register_loader(oid, Fallback)


def is_postgres(spec: str) -> bool:
    return spec.lower().startswith(SCHEMES)


def redact(url: str) -> str:
    """``url`` without its password (``user:***@host``); a ``password=`` query parameter too."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user, sep, _ = userinfo.partition(":")
        netloc = f"{user}{':***' if sep else ''}@{host}"
    query = "&".join("password=***" if q.lower().startswith("password=") else q
                     for q in parts.query.split("&")) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _secrets(url: str) -> list[str]:
    parts = urlsplit(url)
    found = []
    if parts.password:
        found += [parts.password, unquote(parts.password)]
    for q in parts.query.split("&"):
        if q.lower().startswith("password="):
            value = q.partition("=")[2]
            found += [value, unquote(value)]
    return sorted({s for s in found if s}, key=len, reverse=True)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class PostgresSource(Source):
    """A PostgreSQL table or query (see the module docstring)."""

    def __init__(self, spec: str):
        url, sep, what = spec.partition("#")
        self.url, self.secrets = url, _secrets(url)
        self.label = f"{redact(url)}#{what}"
        if not what.strip():
            raise RecordError(f"{redact(url)}: name the table or query: URL#TABLE or 'URL#SELECT ...'")
        try:
            import psycopg
        except ImportError:
            raise RecordError("postgresql:// records need psycopg: pip install 'privacy-promises[postgres]'") from None
        self._error = psycopg.Error
        self.count = 0
        try:
            self.db = psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT, autocommit=False)
        except psycopg.Error as err:
            raise RecordError(f"{redact(url)}: cannot connect to PostgreSQL: {self._clean(err)}") from None
        except Exception as err:  # noqa: BLE001 - a malformed URL: psycopg's own message
            raise RecordError(f"{redact(url)}: not a PostgreSQL URL psycopg can read: {self._clean(err)}") from None
        self.closer = self.db
        _register_fallbacks(self.db)
        self.db.read_only = True  # every transaction begins READ ONLY: nothing can be written
        self.db.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ  # count and rows: one snapshot
        try:
            self.db.execute("SET TimeZone = 'UTC'")  # aware values come back in UTC, whatever the server's zone
            self.db.execute("SET DateStyle = 'ISO, YMD'")  # the text a value psycopg refuses comes in
            if what.lstrip().lower().startswith(("select", "with")):
                self.name, self.relation = "query", f"({what})"
            else:
                if self.db.execute("SELECT to_regclass(%s)", (what,)).fetchone()[0] is None:
                    raise RecordError(f"{self.label}: no table or view '{what}'")
                self.name, self.relation = what, what
            cursor = self.db.execute(f"SELECT * FROM {self.relation} AS r LIMIT 0")
            self.columns = [d.name for d in cursor.description]
            self.kinds = {d.name: _KINDS.get(d.type_code, OTHER) for d in cursor.description}
        except psycopg.Error as err:
            self.close()
            raise RecordError(f"{self.label}: {self._clean(err)}") from None
        except RecordError:
            self.close()
            raise

    def _clean(self, err: BaseException) -> str:
        text = " ".join(str(err).split())
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def close(self) -> None:
        db = getattr(self, "db", None)
        if db is not None:
            self.db = self.closer = None
            try:
                db.rollback()  # read only: there is nothing to keep
            except self._error:
                pass  # a broken connection: closing it is all that is left
            finally:
                db.close()

    def _numbered(self, names: list[str]) -> str:
        cols = ", ".join(_quoted(c) for c in names)
        return f"SELECT row_number() OVER () AS {ROW}, {cols} FROM {self.relation} AS r"

    def _rows(self, sql: str) -> Iterator[tuple[int, tuple]]:
        try:
            self.count = self.rows_total = self.db.execute(f"SELECT count(*) FROM {self.relation} AS r").fetchone()[0]
            with self.db.cursor(name="policyengine_records") as cursor:
                cursor.itersize = FETCH
                cursor.execute(sql)
                for row in cursor:
                    self.rows_done = row[0]
                    yield row[0], sql_values(row[1:])
            self.rows_done = self.count
        except self._error as err:
            raise RecordError(f"{self.label}: {self._clean(err)}") from None
        finally:
            self.close()

    def read(self, wanted):  # `explain` and --engine python: every row, in order
        return self._rows(self._numbered(list(wanted)))

    def query(self, lowered) -> str:
        """The screen over this relation, as PostgreSQL runs it."""
        source = self._numbered(list(self.columns))
        screen = Screen(lowered, "postgres", self.kinds)
        return screen.query(source, [ROW] + list(lowered.columns)).sql(dialect="postgres")

    def screened(self, lowered) -> Iterator[tuple[int, tuple]]:
        return self._rows(self.query(lowered))


class PostgresRows(Source):
    """``--engine python`` over PostgreSQL: every row to the Python screen (the reference)."""

    def __init__(self, inner: PostgresSource):
        self.inner = inner
        self.name, self.label, self.columns, self.closer = inner.name, inner.label, inner.columns, inner.closer

    def progress_state(self):
        return self.inner.progress_state()

    def read(self, wanted):
        return self.inner.read(wanted)

    def close(self) -> None:
        self.inner.close()

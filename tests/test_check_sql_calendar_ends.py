"""Typed values at the calendar's ends, in every engine: the day before Python's first day
(1 BC), the first day, the last day (9999-12-31), the day after (10000-01-01), and the
infinities; for SQLite, numbers at the ends of its types. Each, in a typed column, gives
exactly the findings of a CSV holding its text (PC901 for a date Python cannot read), never
an error for the run: PostgreSQL (a real server), DuckDB (Parquet) and SQLite.
"""

from __future__ import annotations

import sqlite3

import duckdb
import pytest
from test_check_sql_engines import COLUMNS, comparable, run, setup  # noqa: F401

# (type, PostgreSQL's input, DuckDB's input, the text a CSV of the value holds)
ENDS = [
    ("DATE", "0001-12-31 BC", "0001-12-31 (BC)", "0000-12-31"),
    ("DATE", "0001-01-01", "0001-01-01", "0001-01-01"),
    ("DATE", "0001-01-02", "0001-01-02", "0001-01-02"),
    ("DATE", "9999-12-30", "9999-12-30", "9999-12-30"),
    ("DATE", "9999-12-31", "9999-12-31", "9999-12-31"),
    ("DATE", "10000-01-01", "10000-01-01", "10000-01-01"),
    ("DATE", "infinity", "infinity", "infinity"),
    ("DATE", "-infinity", "-infinity", "-infinity"),
    ("DATE", "0044-03-15 BC", "0044-03-15 (BC)", "-0043-03-15"),
    ("TIMESTAMP", "0001-12-31 23:59:59.5 BC", "0001-12-31 (BC) 23:59:59.5", "0000-12-31T23:59:59.500000"),
    ("TIMESTAMP", "0001-01-01 00:00:00", "0001-01-01 00:00:00", "0001-01-01T00:00:00"),
    ("TIMESTAMP", "9999-12-31 23:59:59.999999", "9999-12-31 23:59:59.999999", "9999-12-31T23:59:59.999999"),
    ("TIMESTAMP", "10000-01-01 00:00:00", "10000-01-01 00:00:00", "10000-01-01T00:00:00"),
    ("TIMESTAMP", "infinity", "infinity", "infinity"),
    ("TIMESTAMP", "-infinity", "-infinity", "-infinity"),
    ("TIMESTAMPTZ", "0001-01-01 00:00:00+05", "0001-01-01 00:00:00+05", "0000-12-31T19:00:00+00:00"),
    ("TIMESTAMPTZ", "0001-01-01 00:00:00+00", "0001-01-01 00:00:00+00", "0001-01-01T00:00:00+00:00"),
    ("TIMESTAMPTZ", "9999-12-31 23:59:59+00", "9999-12-31 23:59:59+00", "9999-12-31T23:59:59+00:00"),
    ("TIMESTAMPTZ", "9999-12-31 23:59:59-01", "9999-12-31 23:59:59-01", "10000-01-01T00:59:59+00:00"),
    ("TIMESTAMPTZ", "infinity", "infinity", "infinity"),
    ("TIMESTAMPTZ", "-infinity", "-infinity", "-infinity"),
]
IDS = [f"{t}-{pg}" for t, pg, _, _ in ENDS]
FRESH = {"id": "fresh", "purpose": "marketing", "subject": "customer", "collected": "2026-11-01",
         "consent_given": "2026-11-01"}  # nothing to report, but for the value under test
# Each value in a column the screen tests as a required date (collected), as an event that
# may not have happened (consent_withdrawn, with a last activity: the withdrawal rule), and
# under a purpose that does not read it (cctv: a date it need not understand).
PLACES = [("collected", {}), ("consent_withdrawn", {"last_activity": "2026-11-10"}),
          ("consent_given", {"purpose": "cctv", "subject": "visitor"})]


def _csv(folder, records: list[dict]) -> str:
    path = folder / "ends.csv"
    path.write_text(",".join(COLUMNS) + "\n" + "".join(",".join(r.get(c) or "" for c in COLUMNS) + "\n"
                                                       for r in records), encoding="utf-8")
    return str(path)


def _want(setup, records: list[dict]):  # noqa: F811
    return comparable(run(setup, _csv(setup[0], records), "python"), header=1)


def _records(value) -> list[dict]:
    """The value in each place (PLACES), one record each."""
    return [FRESH | extra | {column: value} for column, extra in PLACES]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _beyond(text: str) -> bool:
    return not ("0001" <= text[:4] <= "9999" and text[4] == "-")


TYPED = {c for c, _ in PLACES} | {"last_activity"}


@pytest.mark.parametrize("kind, pg, duck, text", ENDS, ids=IDS)
def test_postgres_typed_values_at_the_calendar_ends(setup, pg_server, kind, pg, duck, text):  # noqa: F811
    with pg_server.connect() as conn:
        conn.execute("DROP TABLE IF EXISTS ends")
        conn.execute("CREATE TABLE ends (" + ", ".join(
            f"{_q(c)} {kind if c in TYPED else 'TEXT'}" for c in COLUMNS) + ")")
        for record in _records(pg):
            conn.execute(f"INSERT INTO ends ({', '.join(_q(c) for c in record)}) "
                         f"VALUES ({', '.join(['%s'] * len(record))})", list(record.values()))
    want = _want(setup, _records(text))
    assert comparable(run(setup, pg_server.url + "#ends")) == want
    assert comparable(run(setup, pg_server.url + "#ends", "python")) == want
    codes = [dict(f)["code"] for n, f in want if n == 1]  # the value as a required date (collected)
    assert ("PC901" in codes) == _beyond(text), codes  # beyond Python's calendar: unreadable, as from a CSV


@pytest.mark.parametrize("kind, pg, duck, text", ENDS, ids=IDS)
def test_duckdb_typed_values_at_the_calendar_ends(setup, kind, pg, duck, text):  # noqa: F811
    folder = setup[0]
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TABLE t (" + ", ".join(f"{_q(c)} {kind if c in TYPED else 'VARCHAR'}" for c in COLUMNS) + ")")
    con.executemany(f"INSERT INTO t VALUES ({', '.join('?' * len(COLUMNS))})",
                    [[r.get(c) for c in COLUMNS] for r in _records(duck)])
    con.execute(f"COPY t TO '{folder / 'ends.parquet'}' (FORMAT parquet)")
    con.close()
    assert comparable(run(setup, str(folder / "ends.parquet"))) == _want(setup, _records(text))


# SQLite's own ends: integers at 64 bits, reals past them and infinite, a number where a
# date or a name belongs; the CSV of the same value holds the text Python writes for it.
SQLITE_ENDS = [(2 ** 63 - 1, str(2 ** 63 - 1)), (-2 ** 63, str(-2 ** 63)), (1e308 * 10, "inf"),
               (-1e308 * 10, "-inf"), (2.0 ** 64, str(2.0 ** 64)), (20261121, "20261121"), (0, "0"), (1.5, "1.5")]


@pytest.mark.parametrize("value, text", SQLITE_ENDS, ids=[t for _, t in SQLITE_ENDS])
def test_sqlite_numbers_at_their_ends(setup, value, text):  # noqa: F811
    folder = setup[0]
    columns = ["collected", "consent_withdrawn", "purpose", "subject", "consent_given"]
    record = FRESH | {"last_activity": "2026-11-10"}
    path = folder / "ends.db"
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as db:
        db.execute(f"CREATE TABLE records ({', '.join(_q(c) for c in COLUMNS)})")
        for column in columns:  # the number in each place, one record each
            row = record | {column: value}
            db.execute(f"INSERT INTO records ({', '.join(_q(c) for c in row)}) VALUES ({', '.join('?' * len(row))})",
                       list(row.values()))
    db.close()
    want = _want(setup, [record | {column: text} for column in columns])
    assert {3, 4} <= {n for n, _ in want}  # a number is no purpose and no subject (PC401, PC402)
    assert comparable(run(setup, f"{path}#records")) == want
    assert comparable(run(setup, f"{path}#records", "python")) == want

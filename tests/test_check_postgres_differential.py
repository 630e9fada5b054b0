"""PostgreSQL in the differential test (tests/test_check_sql_engines.py's generator): the
same generated records (boundary dates, zones, typed and text values, missing and
malformed values, every rule kind) loaded into a real PostgreSQL, as text and with typed
columns (DATE, TIMESTAMP, TIMESTAMPTZ), give exactly the Python path's findings over the
CSV of the same values. Few examples (each loads two tables): the thorough profile runs more.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

pytest.importorskip("psycopg", reason="the postgres extra (psycopg) is not installed")

from test_check_sql_engines import (COLUMNS, FIELDS, batches, comparable, engine_value, run,  # noqa: E402
                                    setup, write_all)

__all__ = ["setup"]  # the module-scoped fixture, shared
EXAMPLES = max(5, settings().max_examples // 20)
TYPES = {"text": "TEXT", "date": "DATE", "timestamp": "TIMESTAMP", "timestamptz": "TIMESTAMPTZ"}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(batches())
def test_postgres_gives_the_python_findings(setup, pg_server, batch):  # noqa: F811
    folder = setup[0]
    kinds, records = batch
    # PostgreSQL text cannot hold a NUL: left out here. Typed values beyond Python's
    # calendar (infinity, BC, year 10000) are in: the source reads them as their text.
    records = [{f: (None if isinstance(v, str) and "\x00" in v else v) for f, v in r.items()} for r in records]
    specs = write_all(folder, kinds, records)
    want = comparable(run(setup, specs["csv"], "python"), header=1)
    rows = [[r[f] for f in FIELDS] for r in records]
    with pg_server.connect() as conn:
        for table, typed in (("plain", False), ("typed", True)):
            defs = ", ".join(f"{_q(c)} {TYPES[kinds.get(f, 'text')] if typed else 'TEXT'}"
                             for f, c in zip(FIELDS, COLUMNS))
            conn.execute(f"DROP TABLE IF EXISTS {table}")
            conn.execute(f"CREATE TABLE {table} ({defs})")
            values = [[engine_value(v, "pg" if typed else "text") for v in row] for row in rows]
            with conn.cursor() as cur:
                cur.executemany(f"INSERT INTO {table} VALUES ({', '.join(['%s'] * len(COLUMNS))})", values)
    assert comparable(run(setup, pg_server.url + "#plain")) == want
    assert comparable(run(setup, pg_server.url + "#plain", "python")) == want
    assert comparable(run(setup, pg_server.url + "#typed")) == want

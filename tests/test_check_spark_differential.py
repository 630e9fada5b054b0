"""Spark in the differential test (tests/test_check_sql_engines.py's generator): the same
generated records (boundary dates, zones, typed and text values, missing and malformed
values, every rule kind, compound durations) read by ``--engine spark`` from the CSV (Spark
screens, Python's csv module reads), from Parquet with text columns and from Parquet with
typed columns (DATE, TIMESTAMP, TIMESTAMPTZ, written by DuckDB) give exactly the Python
path's findings over the CSV of the same values, in the same order, at the same numbers.

Under the ``spark`` marker (pyspark is the ``spark`` extra, not in ``test``); skipped,
saying why, without pyspark or Java. One local session for the module (``local[*]``,
started by the first example and shared by ``getOrCreate``). Few examples: each batch is
three Spark reads of about six queries each (0.1-0.5 s a query once the JVM is warm,
against milliseconds in SQLite; ~3-4 s a batch on a shared 2-core machine), so the ci
profile runs 8 batches (~30 s); POLICYENGINE_SPARK_EXAMPLES=N sets N and
``--hypothesis-profile=thorough`` runs 200. docs/check.md ("Spark") has the costs.
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings

from test_check_sql_engines import _BEYOND, FIELDS, batches, comparable, run, setup, write_all  # noqa: F401

pytestmark = pytest.mark.spark
pytest.importorskip("pyspark", reason="the spark extra (pyspark) is not installed")
if shutil.which("java") is None:
    pytest.skip("no Java runtime (java) for Spark: apt-get install openjdk-17-jre-headless",
                allow_module_level=True)

EXAMPLES = int(os.environ.get("POLICYENGINE_SPARK_EXAMPLES") or 0) or max(8, settings().max_examples // 100)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(batches())
def test_spark_gives_the_python_findings(setup, batch):  # noqa: F811
    folder = setup[0]
    kinds, records = batch
    specs = write_all(folder, kinds, records)
    want = comparable(run(setup, specs["csv"], "python"), header=1)
    assert comparable(run(setup, specs["csv"], "spark"), header=1) == want
    assert comparable(run(setup, specs["text parquet"], "spark")) == want
    # The typed Parquet: each typed value is rendered as the ISO text the CSV holds.
    assert comparable(run(setup, specs["parquet"], "spark")) == want


def test_typed_values_at_the_calendars_ends_and_fractions(setup):  # noqa: F811
    """Every typed value at or past the calendar's ends (DuckDB's infinities, year 10000,
    BC years, the first and last days), and instants with a fraction of a second (before
    1970 too), in a DATE, TIMESTAMP and TIMESTAMPTZ anchor column: Spark gives the Python
    path's findings over their CSV text (PC901 where Python cannot read it), rather than
    stopping at an overflow."""
    folder = setup[0]
    kinds = {"collected": "date", "last_activity": "timestamp", "deleted": "timestamptz"}
    records = []
    for kind, field, purpose in (("date", "collected", "marketing"), ("timestamp", "last_activity", "care"),
                                 ("timestamptz", "deleted", "backups")):
        fractions = [] if kind == "date" else [datetime(1969, 12, 31, 23, 59, 59, 500000), datetime(2024, 11, 24, 0, 0, 0, 123),
                                               datetime(2016, 11, 23, 23, 59, 59, 999999)]
        if kind == "timestamptz":
            fractions = [f.replace(tzinfo=timezone.utc) for f in fractions]
        for i, value in enumerate(_BEYOND[kind] + fractions):
            record = {f: None for f in FIELDS} | {"key": f"{kind}{i}", "purpose": purpose}
            record[field] = value
            records.append(record)
    specs = write_all(folder, kinds, records)
    want = comparable(run(setup, specs["csv"], "python"), header=1)
    assert sum(1 for _, f in want if dict(f)["code"] == "PC901") >= 10, want
    assert comparable(run(setup, specs["parquet"], "spark")) == want

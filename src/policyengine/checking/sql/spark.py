"""Spark as the engine: ``check --engine spark`` (the ``spark`` extra: pyspark, and a Java
runtime), a local session by default (``local[*]``), ``--spark-master URL`` for a cluster.

The same screen (``lower.Screen``, dialect spark) runs in Spark SQL; records are numbered in
the file's order (``row_number()`` over ``monotonically_increasing_id()``, which grows with
the partition and the row within it, so it follows the file). The session's zone is UTC.

- CSV: Spark screens (every column read as text), Python's csv module reads: Spark gives
  the ordinals of the rows to evaluate (``toLocalIterator``), the Python reader gives their
  values and line numbers, so every value and location is the Python path's; when the two
  readers do not agree on the number of rows, the run stops (exit 2) and says so.
- Parquet: the values as typed, the screen over typed dates and timestamps, the selected
  rows streamed back with ``toLocalIterator``; dates and timestamps rendered by Spark as
  the ISO text ``records.sql_text`` gives (``+00:00`` for instants), numbers as digits.
- JSON Lines: not read by Spark (Spark's JSON reader and orjson disagree on repeated keys
  and escapes, and it drops blank lines, which moves line numbers): use DuckDB or Python.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

from ..records import RecordError, Source, sql_values
from .lower import DATE, OTHER, TEXT, TIMESTAMP, TIMESTAMPTZ, Screen

ROW = "__policyengine_row"
MID = "__policyengine_mid"
DEFAULT_MASTER = "local[*]"
_INT32_MAX, _INT64_MAX = 2**31 - 1, 2**63 - 1  # DuckDB's infinite DATE and TIMESTAMP in Parquet


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def session(master: str | None):
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise RecordError("--engine spark needs pyspark and a Java runtime: "
                          "pip install 'privacy-promises[spark]'") from None
    master = master or DEFAULT_MASTER
    builder = (SparkSession.builder.master(master).appName("policyengine check")
               .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false").config("spark.sql.ansi.enabled", "false"))
    if master.startswith("local"):
        # A local session listens on loopback only (no port on the machine's network), and
        # the JVM does not warn about the host name before our log level applies.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
    try:
        spark = builder.getOrCreate()
    except Exception as err:  # noqa: BLE001 - no Java, a master that does not answer
        raise RecordError(f"--engine spark: cannot start a Spark session ({master}): "
                          f"{' '.join(str(err).split())[:300]}") from None
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _kind(data_type) -> str:
    name = type(data_type).__name__
    return {"StringType": TEXT, "DateType": DATE, "TimestampType": TIMESTAMPTZ,
            "TimestampNTZType": TIMESTAMP}.get(name, OTHER)


class SparkSource(Source):
    """A CSV or Parquet file screened by Spark (see the module docstring)."""

    def __init__(self, path: str, kind: str, master: str | None, inner: Source | None = None):
        self.path, self.kind, self.inner = path, kind, inner
        self.label, self.name = path, Path(path).name
        self.count = 0
        if inner is not None:
            self.columns, self.empty, self.closer = inner.columns, inner.empty, inner.closer
        elif not Path(path).is_file():
            raise RecordError(f"{path}: cannot read: no such file")
        self.spark = session(master)
        from pyspark.errors import PySparkException
        from py4j.protocol import Py4JJavaError

        self._errors = (PySparkException, Py4JJavaError)
        try:
            if kind == "parquet":
                frame = self.spark.read.parquet(str(Path(path).resolve()))
                self.columns = list(frame.columns)
                self.kinds = {f.name: _kind(f.dataType) for f in frame.schema.fields}
            else:
                from pyspark.sql.types import StringType, StructField, StructType

                schema = StructType([StructField(c, StringType()) for c in self.columns])
                frame = self.spark.read.csv(str(Path(path).resolve()), schema=schema, header=True,
                                            multiLine=True, escape='"', quote='"', mode="PERMISSIVE",
                                            encoding="UTF-8")
                self.kinds = {}
        except self._errors as err:
            self.close()
            raise RecordError(f"{path}: Spark cannot read it: {' '.join(str(err).split())[:300]}") from None
        from pyspark.sql.functions import monotonically_increasing_id

        self.view = "policyengine_records"
        frame.withColumn(MID, monotonically_increasing_id()).createOrReplaceTempView(self.view)

    def close(self) -> None:
        if self.inner is not None:
            self.inner.close()
        # The session is left to the process (getOrCreate shares it); it stops at exit.

    def _source(self, names: list[str]) -> str:
        cols = ", ".join(_quoted(c) for c in names)
        return f"SELECT row_number() OVER (ORDER BY {MID}) AS {ROW}, {cols} FROM {self.view}"

    def _as_text(self, name: str) -> str:
        """A typed date or timestamp column as the text ``records.sql_text`` gives it, made
        by Spark. Values beyond Python's calendar come as the text DuckDB's engine gives the
        same Parquet (``engines.DuckdbSource._as_text``): DuckDB's infinities (the largest
        day or microsecond count and its negation) as 'infinity' and '-infinity' (Spark's
        ``date_format`` overflows on them), other years past 9999 without Spark's '+',
        years before 1 as ISO 8601's astronomical year ('-0043-03-15'). ``CAST AS STRING``
        writes every finite value (``date_format`` does not), its fraction trimmed: the six
        digits come from the microseconds."""
        kind, c = self.kinds.get(name), f"records.{_quoted(name)}"
        if kind == DATE:
            days = f"datediff({c}, DATE '1970-01-01')"  # not unix_date: sqlglot writes it with micros
            return (f"CASE WHEN {days} = {_INT32_MAX} THEN 'infinity' WHEN {days} = -{_INT32_MAX} "
                    f"THEN '-infinity' ELSE regexp_replace(CAST({c} AS STRING), '^[+]', '') END "
                    f"AS {_quoted(name)}")
        if kind in (TIMESTAMP, TIMESTAMPTZ):
            zone = ", '+00:00'" if kind == TIMESTAMPTZ else ""
            micros = f"unix_micros(CAST({c} AS TIMESTAMP))"  # a TIMESTAMP_NTZ read in UTC: as written
            whole = (f"regexp_replace(substring_index(CAST({c} AS STRING), '.', 1), "
                     f"'^[+]?(-?[0-9]+-[0-9]+-[0-9]+) ', '$1T')")
            fraction = (f"CASE WHEN pmod({micros}, 1000000) = 0 THEN '' "
                        f"ELSE concat('.', lpad(CAST(pmod({micros}, 1000000) AS STRING), 6, '0')) END")
            return (f"CASE WHEN {c} IS NULL THEN NULL WHEN {micros} = {_INT64_MAX} THEN 'infinity' "
                    f"WHEN {micros} = -{_INT64_MAX} THEN '-infinity' "
                    f"ELSE concat({whole}, {fraction}{zone}) END AS {_quoted(name)}")
        return f"records.{_quoted(name)}"

    def _query(self, lowered) -> str:
        import sqlglot

        screen = Screen(lowered, "spark", self.kinds)
        select = [ROW] + ([sqlglot.parse_one(self._as_text(c), read="spark") for c in lowered.columns]
                          if self.kind == "parquet" else [])
        return screen.query(self._source(list(self.columns)), select).sql(dialect="spark")

    def read(self, wanted):  # `explain`: every row, in order
        if self.inner is not None:
            return self.inner.read(wanted)
        names = ", ".join(self._as_text(c) for c in wanted)
        return self._rows(f"SELECT {ROW}, {names} FROM ({self._source(list(self.columns))}) AS records "
                          f"ORDER BY {ROW}")

    def _rows(self, sql: str) -> Iterator[tuple[int, tuple]]:
        try:
            self.count = self.spark.sql(f"SELECT count(*) FROM {self.view}").collect()[0][0]
            for row in self.spark.sql(sql).toLocalIterator():
                yield row[0], sql_values(tuple(row[1:]))
        except self._errors as err:
            raise RecordError(f"{self.label}: Spark: {' '.join(str(err).split())[:300]}") from None

    def screened(self, lowered) -> Iterator[tuple[int, tuple]]:
        query = self._query(lowered)
        if self.kind == "parquet":
            yield from self._rows(query + f" ORDER BY {ROW}")
            return
        if self.empty:
            return
        try:
            chosen = {row[0] for row in self.spark.sql(query).toLocalIterator()}
            total = self.spark.sql(f"SELECT count(*) FROM {self.view}").collect()[0][0]
        except self._errors as err:
            raise RecordError(f"{self.label}: Spark: {' '.join(str(err).split())[:300]}") from None
        n = 0
        for number, values in self.inner.read(lowered.columns):
            n += 1
            if n in chosen:
                yield number, values
        if total != n:
            raise RecordError(f"{self.label}: Spark read {total} rows, Python's csv reader {n}: "
                              "check it with --engine python")
        self.count = n

"""Spark as the engine (``--engine spark``), in a real local Spark session.

Under the ``spark`` marker; skipped, saying why, only where pyspark or a Java runtime is
absent (pyspark is the ``spark`` extra, not the ``test`` extra: see docs/check.md).

The README's main example read by Spark (CSV) gives the Python path's output byte for byte
in every format; the same records as typed Parquet (dates, timestamps with zone, numbers)
give DuckDB's output over that Parquet byte for byte; JSON Lines and stdin are refused with
a clear message (exit 2).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from policyengine.cli import main

pytestmark = pytest.mark.spark
pytest.importorskip("pyspark", reason="the spark extra (pyspark) is not installed")
if shutil.which("java") is None:
    pytest.skip("no Java runtime (java) for Spark: apt-get install openjdk-17-jre-headless",
                allow_module_level=True)

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ["text", "json", "jsonl", "sarif", "github", "junit"]


def _readme_command() -> list[str]:
    text = (ROOT / "README.md").read_text("utf-8")
    return re.search(r"\.venv/bin/policyengine (check [^\n]*)", text).group(1).split()


def _invoke(args):
    return CliRunner().invoke(main, args, catch_exceptions=False)


@pytest.fixture(scope="module")
def readme(tmp_path_factory):
    """The README's command, its CSV, and the same records as typed Parquet (DuckDB writes it)."""
    duckdb = pytest.importorskip("duckdb")
    command = _readme_command()
    csv_spec = command[command.index("--records") + 1]
    parquet = tmp_path_factory.mktemp("spark") / "records.parquet"
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{ROOT / csv_spec}', all_varchar = true, header = true)")
    dated = [c for (c,) in con.execute("SELECT column_name FROM (DESCRIBE t)").fetchall() if c.endswith("_at")]
    assert dated, "the README's records have date columns"
    # Typed columns: a value that is a plain date becomes DATE, one with a time TIMESTAMPTZ.
    casts = []
    for c in dated:
        has_time = con.execute(f"SELECT bool_or(strpos(\"{c}\", 'T') > 0) FROM t").fetchone()[0]
        casts.append(f"TRY_CAST(\"{c}\" AS {'TIMESTAMPTZ' if has_time else 'DATE'}) AS \"{c}\"")
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"COPY (SELECT * REPLACE ({', '.join(casts)}) FROM t) TO '{parquet}' (FORMAT parquet)")
    kinds = {name: kind for name, kind, *_ in con.execute(f"DESCRIBE SELECT * FROM '{parquet}'").fetchall()}
    con.close()
    assert any(k == "DATE" for k in kinds.values()) or any("TIME" in k for k in kinds.values()), kinds
    return command, csv_spec, str(parquet)


def _with(command, csv_spec, records, *extra):
    return [a if a != csv_spec else records for a in command] + list(extra)


@pytest.mark.parametrize("fmt", FORMATS)
def test_readme_example_read_by_spark_is_the_python_output(readme, monkeypatch, fmt):
    command, csv_spec, _ = readme
    monkeypatch.chdir(ROOT)
    want = _invoke(_with(command, csv_spec, csv_spec, "--format", fmt))
    got = _invoke(_with(command, csv_spec, csv_spec, "--format", fmt, "--engine", "spark"))
    assert want.exit_code == got.exit_code == 1
    assert got.output == want.output and "PC1" in got.output


def test_typed_parquet_read_by_spark_is_duckdbs_output(readme, monkeypatch):
    command, csv_spec, parquet = readme
    monkeypatch.chdir(ROOT)
    want = _invoke(_with(command, csv_spec, parquet, "--format", "jsonl", "--engine", "duckdb"))
    got = _invoke(_with(command, csv_spec, parquet, "--format", "jsonl", "--engine", "spark"))
    assert want.exit_code == got.exit_code == 1
    assert got.output == want.output and got.output.count("\n") > 5


def test_spark_master_option_is_used(readme, monkeypatch):
    command, csv_spec, _ = readme
    monkeypatch.chdir(ROOT)
    got = _invoke(_with(command, csv_spec, csv_spec, "--format", "jsonl", "--engine", "spark",
                        "--spark-master", "local[1]"))
    want = _invoke(_with(command, csv_spec, csv_spec, "--format", "jsonl"))
    assert got.exit_code == 1 and got.output == want.output


@pytest.mark.parametrize("records, says", [
    ("examples/binero/records.jsonl", "--engine spark reads CSV and Parquet files"),
    ("-", "--engine spark reads CSV and Parquet files"),
])
def test_spark_refuses_what_it_does_not_read(readme, monkeypatch, tmp_path, records, says):
    command, csv_spec, _ = readme
    monkeypatch.chdir(ROOT)
    if records != "-" and not Path(records).exists():
        records = str(tmp_path / "r.jsonl")
        Path(records).write_text('{"id": "1"}\n')
    result = CliRunner().invoke(main, _with(command, csv_spec, records, "--engine", "spark"), input="")
    assert result.exit_code == 2
    assert says in result.output and "Traceback" not in result.output


def test_spark_master_without_spark_is_an_error(readme, monkeypatch):
    command, csv_spec, _ = readme
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, _with(command, csv_spec, csv_spec, "--spark-master", "local[1]"))
    assert result.exit_code == 2 and "--spark-master is for --engine spark" in result.output

"""Smoke runs of benchmarks/check_duckdb.py and check_vs_jq.py with few records (CI can
afford them): the runs complete, DuckDB's findings are the Python path's, and both print
the same table of medians (tool, median s, records/s, ratio, peak RSS)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADER = re.compile(r"^\| tool +\| median s \| +records/s \| +ratio \| +peak RSS \|$", re.M)
# a row: name, seconds, records/s, a ratio (or - without jq), MiB summed and ru_maxrss
ROW = r"^\| {name} +\| +\d+\.\d\d \| +[\d,]+ \| +(\d+\.\d\dx|-) \| +\d+\.\d MiB \(ru_maxrss \d+\.\d\) \|$"


def _run(*args: str) -> str:
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    result = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _ratio(out: str, name: str) -> str:
    found = re.search(ROW.format(name=re.escape(name)), out, re.M)
    assert found, (name, out)
    return found.group(1)


def test_check_duckdb_smoke():
    out = _run(str(HERE / "check_duckdb.py"), "3000")
    assert "DuckDB's findings are the Python path's" in out
    assert len(HEADER.findall(out)) == 1
    ratios = {name: _ratio(out, name) for name in ("duckdb parquet", "duckdb jsonl", "python jsonl", "jq (one filter)")
              if shutil.which("jq") or not name.startswith("jq")}
    if shutil.which("jq"):
        assert ratios["jq (one filter)"] == "1.00x" and "-" not in ratios.values()
    assert re.search(r"against the Python path \(its time / the tool's\): duckdb parquet \d+\.\d\dx, "
                     r"duckdb jsonl \d+\.\d\dx$", out, re.M)


def test_check_vs_jq_prints_the_same_table():
    out = _run(str(HERE / "check_vs_jq.py"), "3000", "--repeat", "1")
    assert len(HEADER.findall(out)) == 1
    check = _ratio(out, "policyengine check")
    if shutil.which("jq"):
        assert _ratio(out, "jq (one filter)") == "1.00x" and check != "-"
    else:
        assert check == "-"


def test_check_duckdb_profile_smoke():
    """The stage profile runs, its stages add up to its total, and its findings are check's
    (the script exits 1 otherwise)."""
    out = _run(str(HERE / "check_duckdb_profile.py"), "3000", "--cprofile", "3")
    stages = dict(re.findall(r"^\| (\S[^|]*?) +\| +(\d+\.\d{3}) \|", out, re.M))
    assert {"imports", "DuckDB: the screen", "render JSON Lines", "total"} <= set(stages), out
    assert abs(sum(float(v) for k, v in stages.items() if k != "total") - float(stages["total"])) < 0.01
    assert re.search(r"^3,000 records, [\d,]+ selected by the screen .*, [\d,]+ findings", out, re.M)
    assert "cProfile of the evaluator stage" in out

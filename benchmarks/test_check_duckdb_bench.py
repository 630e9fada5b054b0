"""Smoke run of benchmarks/check_duckdb.py with few records (CI can afford it): the four
runs complete, DuckDB's findings are the Python path's, and the ratios are printed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_check_duckdb_smoke():
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    result = subprocess.run([sys.executable, str(HERE / "check_duckdb.py"), "3000"], capture_output=True,
                            text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "DuckDB's findings are the Python path's" in out
    assert "duckdb parquet" in out and "duckdb jsonl" in out and "x the Python path" in out
    if shutil.which("jq"):
        assert "x jq" in out

"""pytest-benchmark: scrubber throughput.

    pytest benchmarks/test_scrubber_bench.py -m benchmark --benchmark-enable
    SCRUBBER_BENCH_LINES=200000 pytest benchmarks/test_scrubber_bench.py -m benchmark --benchmark-enable

The log is the one benchmarks/scrubber_vs_anonip.py uses (same generator and seed);
SCRUBBER_BENCH_LINES (default 20000) sets its size so CI can run a quick smoke
version.  For the side-by-side figures against anonip and sed, run that script.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from loggen import generate_lines
from scrubber import Settings, Streamer, native_available, scrub_block

N = int(os.environ.get("SCRUBBER_BENCH_LINES", "20000"))
NOW = dt.datetime(2024, 7, 1, tzinfo=dt.timezone.utc)

pytestmark = pytest.mark.benchmark


@pytest.fixture(scope="module")
def log_bytes() -> bytes:
    return ("\n".join(generate_lines(N, seed=42)) + "\n").encode()


def _stream(data: bytes, settings: Settings, pure: bool | None) -> int:
    st = Streamer(settings, pure=pure)
    total = 0
    for i in range(0, len(data), 1 << 20):
        total += len(st.feed(data[i : i + (1 << 20)]))
    total += len(st.finish())
    return total


@pytest.mark.skipif(not native_available(), reason="scrubber._native not built")
def test_bench_native_with_expiry(benchmark, log_bytes: bytes) -> None:  # type: ignore[no-untyped-def]
    settings = Settings.create(max_age="30d", now=NOW, timezone="UTC")
    out = benchmark(_stream, log_bytes, settings, False)
    assert 0 < out < len(log_bytes)


@pytest.mark.skipif(not native_available(), reason="scrubber._native not built")
def test_bench_native_no_expiry(benchmark, log_bytes: bytes) -> None:  # type: ignore[no-untyped-def]
    out = benchmark(_stream, log_bytes, Settings(), False)
    assert out > 0.9 * len(log_bytes)


def test_bench_pure_python(benchmark, log_bytes: bytes) -> None:  # type: ignore[no-untyped-def]
    small = log_bytes[: len(log_bytes) // 10]
    small = small[: small.rfind(b"\n") + 1]
    settings = Settings.create(max_age="30d", now=NOW, timezone="UTC")
    out, stats, _ = benchmark(scrub_block, small, settings, pure=True)
    assert stats.lines_read == small.count(b"\n")


def test_bench_cli_end_to_end(benchmark, log_bytes: bytes, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "access.log"
    src.write_bytes(log_bytes)
    cmd = [sys.executable, "-m", "scrubber", "--max-age", "30d", "--now", "2024-07-01T00:00:00Z", "--timezone", "UTC"]

    def run() -> int:
        with open(src, "rb") as fin:
            return len(subprocess.run(cmd, stdin=fin, capture_output=True, check=True).stdout)

    out = benchmark(run)
    assert 0 < out < len(log_bytes)

"""pytest-benchmark: `check` over N JSON Lines records against a 20-purpose policy.

    pytest benchmarks -m benchmark --benchmark-enable          # N from CHECK_BENCH_RECORDS
    CHECK_BENCH_RECORDS=1000000 pytest benchmarks/test_check_bench.py -m benchmark --benchmark-enable

Small by default (a CI smoke run); benchmarks/check_vs_jq.py compares with jq. The
``jobs2`` case splits the file over two worker processes (small pieces when the file is
small, so the smoke run exercises the split); it prints the peak RSS of this process and
of its largest worker.
"""

from __future__ import annotations

import os
import resource
import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_data import NOW, write_policy, write_records  # noqa: E402

from policyengine.checking.binding import load_binding  # noqa: E402
from policyengine import load_policy  # noqa: E402
from policyengine.checking.compile import compile_policy  # noqa: E402
from policyengine.checking.reading import Stats  # noqa: E402
from policyengine.checking.run import check_source  # noqa: E402
from policyengine.checking.records import open_source  # noqa: E402

N = int(os.environ.get("CHECK_BENCH_RECORDS", "20000"))


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("check-bench")
    policy, binding = write_policy(folder)
    records = folder / "records.jsonl"
    write_records(records, N)
    return compile_policy(load_policy(str(policy))), load_binding(str(binding)), records


def run_check(compiled, binding, records, jobs=1) -> Counter:
    counts: Counter = Counter()
    stats = Stats()
    with open_source(str(records)) as source:
        for finding in check_source(compiled, source, binding, NOW, stats, jobs=jobs):
            counts[finding.code] += 1
    assert stats.records == N
    return counts


@pytest.mark.benchmark
@pytest.mark.parametrize("jobs", [1, 2], ids=["jobs1", "jobs2"])
def test_check_jsonl(benchmark, data, jobs, monkeypatch):
    size = data[2].stat().st_size
    if jobs > 1 and size < 64 << 20:
        monkeypatch.setenv("POLICYENGINE_CHUNK_BYTES", str(max(64 << 10, size // 16)))
    counts = benchmark.pedantic(run_check, args=(*data, jobs), rounds=3, iterations=1)
    assert 0 < sum(counts.values()) < N
    if benchmark.stats:
        mean = benchmark.stats.stats.mean
        me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"\n{N:,} records, --jobs {jobs}: {mean:.2f} s, {N / mean:,.0f} records/s; peak RSS "
              f"{me:.0f} MiB here, {workers:.0f} MiB the largest child process")

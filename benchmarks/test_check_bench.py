"""pytest-benchmark: `check` over N JSON Lines records against a 20-purpose policy.

    pytest benchmarks -m benchmark --benchmark-enable          # N from CHECK_BENCH_RECORDS
    CHECK_BENCH_RECORDS=1000000 pytest benchmarks/test_check_bench.py -m benchmark --benchmark-enable

Small by default (a CI smoke run); benchmarks/check_vs_jq.py compares with jq.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_data import NOW, write_policy, write_records  # noqa: E402

from policyengine.binding import load_binding  # noqa: E402
from policyengine import load_policy  # noqa: E402
from policyengine.compile import compile_policy  # noqa: E402
from policyengine.evaluate import Stats, check_source  # noqa: E402
from policyengine.records import open_source  # noqa: E402

N = int(os.environ.get("CHECK_BENCH_RECORDS", "20000"))


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("check-bench")
    policy, binding = write_policy(folder)
    records = folder / "records.jsonl"
    write_records(records, N)
    return compile_policy(load_policy(str(policy))), load_binding(str(binding)), records


def run_check(compiled, binding, records) -> Counter:
    counts: Counter = Counter()
    stats = Stats()
    with open_source(str(records)) as source:
        for finding in check_source(compiled, source, binding, NOW, stats):
            counts[finding.code] += 1
    assert stats.records == N
    return counts


@pytest.mark.benchmark
def test_check_jsonl(benchmark, data):
    counts = benchmark.pedantic(run_check, args=data, rounds=3, iterations=1)
    assert 0 < sum(counts.values()) < N
    if benchmark.stats:
        mean = benchmark.stats.stats.mean
        print(f"\n{N:,} records in {mean:.2f} s: {N / mean:,.0f} records/s")

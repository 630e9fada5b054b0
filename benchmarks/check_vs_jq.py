"""Side by side, in one run: `policyengine check` (every rule of a 20-purpose policy)
against jq doing a single retention filter, over the same JSON Lines file.

    python benchmarks/check_vs_jq.py [N]     # N records, default 1,000,000

Both run as whole processes writing their output to a file; prints records/s,
the ratio (jq time / check time) and each process's peak RSS.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_data import JQ_FILTER, NOW, write_policy, write_records  # noqa: E402


def run(argv: list[str], out: Path) -> tuple[float, int, int]:
    """(seconds, exit status, peak RSS in KiB) of one process."""
    with out.open("wb") as sink:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=sink)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, proc.returncode, usage.ru_maxrss


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    policyengine = shutil.which("policyengine") or str(Path(sys.executable).parent / "policyengine")
    with tempfile.TemporaryDirectory(prefix="check-bench-") as tmp:
        folder = Path(tmp)
        policy, binding = write_policy(folder)
        records = folder / "records.jsonl"
        start = time.perf_counter()
        write_records(records, n)
        print(f"{n:,} records, {records.stat().st_size / 1e6:.0f} MB, made in "
              f"{time.perf_counter() - start:.1f} s")
        check_s, code, check_rss = run([policyengine, "check", str(policy), "-b", str(binding),
                                        "-r", str(records), "--now", NOW, "--format", "jsonl"],
                                       folder / "check.out")
        if code not in (0, 1):
            print(f"policyengine check failed with exit {code}", file=sys.stderr)
            return 2
        findings = sum(1 for _ in (folder / "check.out").open("rb"))
        print(f"check: {check_s:6.2f} s  {n / check_s:>10,.0f} records/s  peak RSS {check_rss / 1024:6.1f} MiB"
              f"  ({findings:,} findings)")
        if shutil.which("jq") is None:
            print("jq: not installed; no ratio")
            return 0
        jq_s, code, jq_rss = run(["jq", "-c", JQ_FILTER, str(records)], folder / "jq.out")
        print(f"jq:    {jq_s:6.2f} s  {n / jq_s:>10,.0f} records/s  peak RSS {jq_rss / 1024:6.1f} MiB")
        print(f"ratio: check is {jq_s / check_s:.2f}x jq's speed (goal > 1, aim 3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Side by side, in one run: `policyengine check` (every rule of a 20-purpose policy)
against jq doing a single retention filter, over the same JSON Lines file.

    python benchmarks/check_vs_jq.py [N] [--repeat R] [--jobs J]   # N records, default 1,000,000

Both run as whole processes writing their output to a file, alternately, R times (default
3). Prints, per run and as a table of medians (tool, median s, records/s, ratio, peak RSS;
check_duckdb.py prints the same table): seconds, records/s, the ratio (jq time / check time)
and peak memory: the peak of the summed RSS of the process and its children (workers of
`check --jobs`), sampled every 10 ms from /proc, and the largest single process's
peak RSS (ru_maxrss). The machine may be shared: compare the two in the same run only.
POLICYENGINE_PURE_SCREEN=1 in the environment measures `check` without its native screen.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_data import JQ_FILTER, NOW, write_policy, write_records  # noqa: E402
from peak_rss import status_kib  # noqa: E402


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo.extend(int(c) for c in f.read().split())
        except (OSError, ValueError):
            pass
    return pids


def _cmdline(pid) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


class TreeSampler(threading.Thread):
    """Peak of the summed RSS (KiB) of a process and its descendants."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0, threading.Event()

    def run(self) -> None:
        ours = _cmdline("self")
        while not self.done.is_set():
            if _cmdline(self.pid) != ours:  # not the fork of this script before its exec
                self.peak = max(self.peak, sum(status_kib(p, b"VmRSS:") for p in _tree(self.pid)))
            self.done.wait(0.01)


def run(argv: list[str], out: Path) -> tuple[float, int, int, int]:
    """(seconds, exit status, peak summed RSS of the tree in KiB, largest process's ru_maxrss)."""
    with out.open("wb") as sink:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=sink)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        sampler.done.set()
        sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, proc.returncode, sampler.peak or usage.ru_maxrss, usage.ru_maxrss



def table(n: int, rows: list[tuple[str, float, float | None, int, int]]) -> None:
    """The medians, a row a tool: (name, median seconds, ratio or None, peak summed RSS and
    largest process's ru_maxrss in KiB). Printed by check_duckdb.py too, the same shape."""
    print(f"\n| {'tool':20} | {'median s':>8} | {'records/s':>11} | {'ratio':>6} | {'peak RSS':>30} |")
    print(f"|{'-' * 22}|{'-' * 10}|{'-' * 13}|{'-' * 8}|{'-' * 32}|")
    for name, seconds, ratio, tree, largest in rows:
        rss = f"{tree / 1024:.1f} MiB (ru_maxrss {largest / 1024:.1f})"
        shown = f"{ratio:.2f}x" if ratio is not None else "-"
        print(f"| {name:20} | {seconds:8.2f} | {n / seconds:11,.0f} | {shown:>6} | {rss:>30} |")
    print("ratio: jq's time / the tool's. peak RSS: summed over the tool's processes, sampled every 10 ms;\n"
          "ru_maxrss: its largest process's, from wait4 (which also counts this script's fork before the exec)")

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", default="0", help="check --jobs (default 0: one per CPU for big files)")
    args = parser.parse_args()
    n = args.n
    policyengine = shutil.which("policyengine") or str(Path(sys.executable).parent / "policyengine")
    have_jq = shutil.which("jq") is not None
    with tempfile.TemporaryDirectory(prefix="check-bench-") as tmp:
        folder = Path(tmp)
        policy, binding = write_policy(folder)
        records = folder / "records.jsonl"
        start = time.perf_counter()
        write_records(records, n)
        print(f"{n:,} records, {records.stat().st_size / 1e6:.0f} MB, made in "
              f"{time.perf_counter() - start:.1f} s; {os.cpu_count()} CPUs, load average "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; screen: "
              f"{'Python only' if os.environ.get('POLICYENGINE_PURE_SCREEN', '') not in ('', '0') else 'native if built'}")
        check_argv = [policyengine, "check", str(policy), "-b", str(binding), "-r", str(records),
                      "--now", NOW, "--format", "jsonl", "--jobs", args.jobs]
        checks, jqs, ratios = [], [], []
        memory = {"check": (0, 0), "jq": (0, 0)}
        for i in range(args.repeat):
            check_s, code, check_tree, check_max = run(check_argv, folder / "check.out")
            if code not in (0, 1):
                print(f"policyengine check failed with exit {code}", file=sys.stderr)
                return 2
            checks.append(check_s)
            memory["check"] = (max(check_tree, memory["check"][0]), max(check_max, memory["check"][1]))
            findings = sum(1 for _ in (folder / "check.out").open("rb"))
            line = (f"run {i + 1}: check {check_s:6.2f} s {n / check_s:>10,.0f} rec/s  "
                    f"RSS {check_tree / 1024:6.1f} MiB (largest process {check_max / 1024:5.1f})")
            if have_jq:
                jq_s, _, jq_tree, jq_max = run(["jq", "-c", JQ_FILTER, str(records)], folder / "jq.out")
                jqs.append(jq_s)
                ratios.append(jq_s / check_s)
                memory["jq"] = (max(jq_tree, memory["jq"][0]), max(jq_max, memory["jq"][1]))
                line += (f" | jq {jq_s:6.2f} s {n / jq_s:>10,.0f} rec/s  RSS {jq_tree / 1024:5.1f} MiB"
                         f" | ratio {jq_s / check_s:.2f}x")
            print(line + f"  ({findings:,} findings)", flush=True)
        rows = [("policyengine check", statistics.median(checks), statistics.median(ratios) if have_jq else None,
                 *memory["check"])]
        if have_jq:
            rows.append(("jq (one filter)", statistics.median(jqs), 1.0, *memory["jq"]))
        table(n, rows)
        if have_jq:
            print(f"check's ratio is the median of the runs' (range {min(ratios):.2f}-{max(ratios):.2f}; "
                  f"goal > 1, aim 3)")
        else:
            print("jq not installed: no ratio")
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

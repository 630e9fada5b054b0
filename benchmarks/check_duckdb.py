"""Side by side, in one run: `policyengine check --engine duckdb` over JSON Lines and over the
same rows as Parquet, against jq's single retention filter and the Python path.

    python benchmarks/check_duckdb.py [N] [--repeat R]   # N records, default 1,000,000

The data and policy are check_vs_jq.py's (20 purposes, about one record in ten with
something due). The Parquet file holds the same rows with typed columns (timestamps with
zone, dates), written by DuckDB before the timing starts. Each run is a whole process
writing `--format jsonl` to a file; R rounds (default 1) of the four in turn. Prints
check_vs_jq.py's table of medians (tool, median s, records/s, ratio against jq: jq time /
its time, peak RSS: summed over its processes sampled every 10 ms, and the largest
process's ru_maxrss from wait4), then each DuckDB run's ratio against the Python path, and
checks that all three checks found the same findings.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_data import JQ_FILTER, NOW, write_policy, write_records  # noqa: E402
from check_vs_jq import run, table  # noqa: E402

TYPED = {"collected_at": "TIMESTAMPTZ", "last_activity": "DATE", "contract_end": "DATE",
         "consent_given": "TIMESTAMPTZ", "consent_withdrawn": "DATE", "deleted_at": "TIMESTAMPTZ",
         "erasure_requested": "DATE"}


def write_parquet(jsonl: Path, parquet: Path) -> None:
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    columns = {"id": "VARCHAR", "purpose": "VARCHAR", "subject": "VARCHAR", **TYPED}
    spec = "{" + ", ".join(f"'{c}': '{t}'" for c, t in columns.items()) + "}"
    con.execute(f"COPY (SELECT * FROM read_json('{jsonl}', format = 'newline_delimited', columns = {spec})) "
                f"TO '{parquet}' (FORMAT parquet, ROW_GROUP_SIZE 122880)")
    con.close()


def findings(path: Path) -> list[tuple]:
    """(code, record, due) of each finding: the same whatever the source's file name."""
    out = []
    with path.open("rb") as f:
        for line in f:
            d = json.loads(line)
            out.append((d["code"], d["record"], d["due"], d["days"]))
    return out


def main() -> int:
    if sys.argv[1:2] == ["--write-parquet"]:
        write_parquet(Path(sys.argv[2]), Path(sys.argv[3]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    n = args.n
    policyengine = shutil.which("policyengine") or str(Path(sys.executable).parent / "policyengine")
    have_jq = shutil.which("jq") is not None
    with tempfile.TemporaryDirectory(prefix="check-duckdb-") as tmp:
        folder = Path(tmp)
        policy, binding = write_policy(folder)
        jsonl, parquet = folder / "records.jsonl", folder / "records.parquet"
        start = time.perf_counter()
        write_records(jsonl, n)
        # In a child process: DuckDB loaded here would swell this process, and with it the
        # ru_maxrss of every child forked from it before its exec.
        subprocess.run([sys.executable, __file__, "--write-parquet", str(jsonl), str(parquet)], check=True)
        print(f"{n:,} records: JSON Lines {jsonl.stat().st_size / 1e6:.0f} MB, Parquet "
              f"{parquet.stat().st_size / 1e6:.0f} MB, made in {time.perf_counter() - start:.1f} s; "
              f"{os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        check = [policyengine, "check", str(policy), "-b", str(binding), "--now", NOW, "--format", "jsonl"]
        runs = {"duckdb parquet": check + ["-r", str(parquet)],
                "duckdb jsonl": check + ["-r", str(jsonl), "--engine", "duckdb"],
                "python jsonl": check + ["-r", str(jsonl)]}
        if have_jq:
            runs["jq (one filter)"] = ["jq", "-c", JQ_FILTER, str(jsonl)]
        times: dict[str, list[float]] = {k: [] for k in runs}
        memory: dict[str, tuple[int, int]] = {}
        outputs = {}
        for _ in range(args.repeat):
            for name, argv in runs.items():
                out = folder / (name.replace(" ", "_").replace("(", "").replace(")", "") + ".out")
                seconds, code, tree, largest = run(argv, out)
                if code not in (0, 1) or (name.startswith("jq") and code != 0):
                    print(f"{name} failed with exit {code}", file=sys.stderr)
                    return 2
                times[name].append(seconds)
                memory[name] = (max(tree, memory.get(name, (0, 0))[0]), max(largest, memory.get(name, (0, 0))[1]))
                outputs[name] = out
        same = {findings(outputs[k]) == findings(outputs["python jsonl"]) for k in runs if k.startswith("duckdb")}
        count = sum(1 for _ in outputs["python jsonl"].open("rb"))
        median = {k: statistics.median(v) for k, v in times.items()}
        jq = median.get("jq (one filter)")
        table(n, [(name, seconds, jq / seconds if jq else None, *memory[name]) for name, seconds in median.items()])
        print("against the Python path (its time / the tool's): " + ", ".join(
            f"{name} {median['python jsonl'] / seconds:.2f}x" for name, seconds in median.items()
            if name.startswith("duckdb")))
        print(f"{count:,} findings; DuckDB's findings {'are' if same == {True} else 'ARE NOT'} the Python path's"
              + ("" if have_jq else "; jq not installed: no jq ratio") + " (aim: DuckDB over Parquet >= 10x jq)")
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        return 0 if same == {True} else 1


if __name__ == "__main__":
    sys.exit(main())

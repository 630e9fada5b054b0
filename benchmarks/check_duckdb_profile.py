"""Where the time of `check` over Parquet (DuckDB) goes: the stages timed one after another
in one process, on check_duckdb.py's data (20 purposes, about one record in ten due).

    python benchmarks/check_duckdb_profile.py [N] [--cprofile K]   # N records, default 1,000,000

The stages are the engine's (``engines.DuckdbSource``), run apart so each has its own
time: imports; loading and compiling the policy; opening the file, binding and building
the screen's SQL (sqlglot); DuckDB running the screen into a temporary table (every
core); counting the records; fetching the selected rows as Python tuples; ``sql_values``
(only where a bound column is neither text nor a date: here all are);
the exact evaluator over each selected row; rendering the findings as JSON Lines (into
memory). Then the same findings are checked against the library's own run (``run_check``)
so the stages cannot drift from what `check` does. ``--cprofile K`` also prints the top K
functions of a cProfile of the evaluator stage (by own time).
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

T0 = time.perf_counter()
HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--cprofile", type=int, default=0, metavar="K")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from check_data import NOW, write_policy, write_records

    with tempfile.TemporaryDirectory(prefix="check-profile-") as tmp:
        folder = Path(tmp)
        policy_path, binding_path = write_policy(folder)
        jsonl, parquet = folder / "records.jsonl", folder / "records.parquet"
        write_records(jsonl, args.n)
        subprocess.run([sys.executable, str(HERE / "check_duckdb.py"), "--write-parquet", str(jsonl), str(parquet)],
                       check=True)
        # In a child: the imports are timed from a fresh interpreter.
        env = dict(os.environ, PROFILE_STAGES="1")
        out = subprocess.run([sys.executable, __file__, str(policy_path), str(binding_path), str(parquet), NOW,
                              str(args.cprofile)], env=env, capture_output=True, text=True)
        if out.returncode:
            print(out.stdout + out.stderr, file=sys.stderr)
            return out.returncode
        print(f"{args.n:,} records, Parquet {parquet.stat().st_size / 1e6:.0f} MB; {os.cpu_count()} CPUs, "
              f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(out.stdout, end="")
    return 0


def stages(policy_path: str, binding_path: str, parquet: str, now: str, top: int) -> int:
    marks = [("start", T0)]

    def mark(name):
        marks.append((name, time.perf_counter()))

    from policyengine.checking.binding import load_binding
    from policyengine.checking.compile import compile_policy
    from policyengine.checking.records import sql_values
    from policyengine.checking.report import JsonLinesReporter
    from policyengine.checking.run import bind_source, run_check
    from policyengine.checking.sql.engines import ROW, open_engine_source
    from policyengine.checking.sql.lower import Screen
    from policyengine.language.loading import load_policy
    mark("imports")
    compiled = compile_policy(load_policy(policy_path))
    binding = load_binding(binding_path)
    mark("policy: load, compile")
    source = open_engine_source(parquet, None)
    lowered = bind_source(compiled, source, binding, now)
    select = [ROW] + [source._as_text(c) for c in lowered.columns]
    relation = source._parquet_relation()
    sql = Screen(lowered, "duckdb", source.kinds).query(relation, select).sql(dialect="duckdb")
    mark("open, bind, screen SQL")
    con = source.con
    con.execute(f"CREATE TEMP TABLE screened AS {sql}")
    mark("DuckDB: the screen")
    total = con.execute(f"SELECT count(*) FROM ({relation})").fetchone()[0]
    mark("DuckDB: count")
    cursor = con.execute(f"SELECT * FROM screened ORDER BY {ROW}")
    rows = []
    while True:
        got = cursor.fetchmany(4096)
        if not got:
            break
        rows.extend(got)
    mark(f"fetch {len(rows):,} rows")
    if any(source.kinds.get(c, "text") == "other" for c in lowered.columns):  # as the engine does
        rows = [(r[0], sql_values(r[1:])) for r in rows]
        mark("sql_values")
    else:
        rows = [(r[0], r[1:]) for r in rows]
        mark("values (all text)")
    evaluate, found = lowered.evaluate, []
    profile = None
    if top:
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
    for number, values in rows:
        out = evaluate(source.label, number, values)
        if out:
            found.extend(out)
    if profile is not None:
        profile.disable()
    mark(f"evaluate ({len(found):,} findings)")
    buffer = io.StringIO()
    reporter = JsonLinesReporter(buffer, None)
    for finding in found:
        reporter.add(finding)
    mark("render JSON Lines")
    source.close()

    whole = marks[-1][1] - T0
    print(f"| stage{' ' * 27}|      s | share |")
    print(f"|{'-' * 32}|--------|-------|")
    for (_, before), (name, at) in zip(marks, marks[1:]):
        print(f"| {name:<30} | {at - before:6.3f} | {100 * (at - before) / whole:4.0f}% |")
    print(f"| {'total':<30} | {whole:6.3f} |  100% |")
    print(f"{total:,} records, {len(rows):,} selected by the screen ({100 * len(rows) / max(total, 1):.1f}%), "
          f"{len(found):,} findings ({100 * len(found) / max(len(rows), 1):.1f}% of the selected rows have one)")

    class Sink:
        def __init__(self):
            self.n = 0

        def add(self, finding):
            self.n += 1

    sink = Sink()
    with open_engine_source(parquet, None) as again:
        run_check(compiled, [again], binding, now, sink)
    if sink.n != len(found):
        print(f"THE STAGES FOUND {len(found)} findings, check {sink.n}", file=sys.stderr)
        return 1
    if profile is not None:
        import pstats

        print(f"\ncProfile of the evaluator stage (its own overhead included), top {top} by own time:")
        pstats.Stats(profile, stream=sys.stdout).sort_stats("tottime").print_stats(top)
    return 0


if __name__ == "__main__":
    if os.environ.get("PROFILE_STAGES"):
        sys.exit(stages(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])))
    sys.exit(main())

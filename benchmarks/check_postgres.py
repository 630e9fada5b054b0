"""`check` over PostgreSQL with the screen pushed into the server, against the Python row path.

    python benchmarks/check_postgres.py [N ...] [--peer-max M]   # default N: 10,000,000
    python benchmarks/check_postgres.py --smoke                  # 20,000 rows

Starts a private PostgreSQL (tests/pg_support.py: initdb + pg_ctl, a Unix socket only),
fills a table of N binero-shaped records with ``generate_series`` (purpose cctv, typed
TIMESTAMP and DATE columns: one row in 1,000 has an erasure asked long ago, overdue; the
rest have nothing due), then times ``policyengine check ... --records postgresql://...#records`` in a
child process (rows/s, peak memory of the child: ru_maxrss), and the same with
``--engine python`` (every row fetched and screened in Python) up to ``--peer-max`` rows,
printing the ratio. The screen's plan is printed with ``EXPLAIN (ANALYZE, BUFFERS)``.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
POLICY = ROOT / "rules" / "binero.policy"
BINDING = ROOT / "examples" / "binero" / "binding.yaml"
NOW = "2026-11-21T12:00:00+01:00"

FILL = """
CREATE TABLE records AS
SELECT 'cctv-' || i AS id, 'cctv'::text AS purpose, 'premises_visitor'::text AS subject,
       NULL::text AS categories,
       timestamp '2026-11-20 08:00:00' - (i % 30) * interval '1 hour' AS collected_at,
       NULL::date AS booked_on,
       CASE WHEN i % 1000 = 0 THEN date '2025-01-01' END AS erasure_requested_at, NULL::date AS request_received_at,
       NULL::date AS request_extended_at, NULL::date AS request_answered_at, NULL::text AS note
FROM generate_series(1, {n}) AS i
"""


def run_check(url: str, *extra: str) -> tuple[float, int, int]:
    """Seconds, findings (lines of jsonl) and the child's peak RSS in KiB."""
    exe = Path(sys.executable).parent / "policyengine"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    result = subprocess.run([str(exe), "check", str(POLICY), "--binding", str(BINDING), "--records",
                             url + "#records", "--now", NOW, "--format", "jsonl", *extra],
                            capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode not in (0, 1):
        raise SystemExit(f"check failed ({result.returncode}): {result.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, result.stdout.count("\n"), max(peak, before)


def explain(server, n: int) -> None:
    from policyengine.checking.binding import load_binding
    from policyengine.checking.compile import compile_policy
    from policyengine.checking.evaluate import lower_to_python
    from policyengine.checking.sql.postgres import PostgresSource
    from policyengine.language.loading import load_policy

    binding = load_binding(str(BINDING))
    lowered = lower_to_python(compile_policy(load_policy(str(POLICY))), binding, NOW)
    source = PostgresSource(server.url + "#records")
    try:
        sql = source.query(lowered)
        plan = source.db.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql).fetchall()
    finally:
        source.close()
    print(f"EXPLAIN (ANALYZE, BUFFERS) of the screen, {n:,} rows:")
    for (line,) in plan:
        print("   ", line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int)
    parser.add_argument("--peer-max", type=int, default=1_000_000,
                        help="largest N also run with --engine python (default 1,000,000)")
    parser.add_argument("--smoke", action="store_true", help="20,000 rows")
    args = parser.parse_args()
    sizes = [20_000] if args.smoke else (args.sizes or [10_000_000])
    from pg_support import PgServer

    server = PgServer()
    try:
        for n in sizes:
            with server.connect() as conn:
                start = time.perf_counter()
                conn.execute("DROP TABLE IF EXISTS records")
                conn.execute(FILL.format(n=int(n)))
                conn.execute("ANALYZE records")
                print(f"{n:,} rows generated in PostgreSQL in {time.perf_counter() - start:.1f} s")
            seconds, found, peak = run_check(server.url)
            print(f"  check, screen in PostgreSQL: {seconds:.2f} s, {n / seconds:,.0f} rows/s, "
                  f"{found:,} findings, peak RSS {peak / 1024:.0f} MiB")
            if n <= args.peer_max:
                py_seconds, py_found, py_peak = run_check(server.url, "--engine", "python")
                print(f"  check --engine python (every row to Python): {py_seconds:.2f} s, "
                      f"{n / py_seconds:,.0f} rows/s, {py_found:,} findings, peak RSS {py_peak / 1024:.0f} MiB")
                print(f"  ratio: screen pushed down is {py_seconds / seconds:.1f}x the Python path")
                if py_found != found:
                    raise SystemExit("the two paths disagree on the number of findings")
            explain(server, n)
    finally:
        server.stop()


if __name__ == "__main__":
    main()

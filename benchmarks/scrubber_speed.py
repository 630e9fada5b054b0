#!/usr/bin/env python3
"""Issue 17's figures, side by side in one run, as whole processes, ratios printed.

    python benchmarks/scrubber_speed.py [--repeat 3]     # the issue's sizes (a few minutes)
    python benchmarks/scrubber_speed.py --smoke          # small sizes, one round (CI)

* scrubber (every address, expiry on: --max-age 30d) vs Debian's ``ipv6loganon``
  (ipv6calc, rewrites the first field only; installed with apt-get when missing and
  root) on the 2M-line log, and vs ``cat`` on it; each reads stdin, writes a file;
* scrubber vs anonip 1.1.0 (its own venv, benchmarks/.venv-anonip) on 200k lines;
* --jobs: 4 files in one run, --jobs 2 vs --jobs 1;
* a 1 GB pipe: peak RSS of the scrubber process;
* start-up: ``scrubber --version`` and ``policyengine lint FILE`` vs ``python3 -c pass``.
Best of --repeat for timings (median for start-up); the load average is printed
before and after, since these are wall-clock times on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from loggen import write_log  # noqa: E402
from peak_rss import pipe_peak  # noqa: E402
from scrubber_vs_anonip import best, byte_compile, ensure_anonip, scrubber_cmd  # noqa: E402

NOW = "2024-07-01T00:00:00Z"
EXPIRY = ["--max-age", "30d", "--now", NOW, "--timezone", "UTC"]
IPV6LOGANON = ["--anonymize-method", "zeroize", "--mask-ipv4", "24", "--mask-ipv6", "48", "--mask-autoadjust", "no"]
POLICY = HERE.parent / "rules" / "binero.policy"


def load() -> str:
    a, b, c = os.getloadavg()
    return f"load average {a:.2f} {b:.2f} {c:.2f} on {os.cpu_count()} cores"


def ensure_ipv6loganon() -> str | None:
    exe = shutil.which("ipv6loganon")
    if exe is None and os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing ipv6calc with apt-get ...", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", "-qq", "ipv6calc"], stdout=subprocess.DEVNULL, check=False)
        exe = shutil.which("ipv6loganon")
    return exe


def timed(cmd: list[str], repeat: int, stdin: Path | None = None, stdout: Path | None = None) -> float:
    """Best wall seconds of ``cmd`` (stdin from a file or none, stdout to a file)."""
    times = []
    for _ in range(repeat):
        with open(stdin or os.devnull, "rb") as fin, open(stdout or os.devnull, "wb") as fout:
            t0 = time.perf_counter()
            p = subprocess.run(cmd, stdin=fin, stdout=fout, stderr=subprocess.PIPE, check=False)
            times.append(time.perf_counter() - t0)
        if p.returncode != 0:
            raise SystemExit(f"{cmd[0]} failed ({p.returncode}): {p.stderr.decode(errors='replace')[-500:]}")
    return min(times)


def cpu_of(cmd: list[str], stdout: Path) -> float:
    """CPU seconds (user + system) of one run of ``cmd`` and its worker processes."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    timed(cmd, 1, None, stdout)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def startup(cmd: list[str], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def pipe_rss(mb: int, sample: Path) -> tuple[float, float]:
    """Seconds and peak RSS (MiB) of scrubber reading ``mb`` MB from a pipe."""
    secs, _, _, rss = pipe_peak(scrubber_cmd() + EXPIRY, sample.read_bytes(), mb)
    return secs, rss / 1024


def row(name: str, value: str, ratio: str, aim: str) -> None:
    print(f"| {name:52} | {value:>12} | {ratio:>9} | {aim:>8} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=2_000_000, help="the log for ipv6loganon and cat")
    ap.add_argument("--anonip-lines", type=int, default=200_000)
    ap.add_argument("--file-lines", type=int, default=500_000, help="lines in each of the 4 files for --jobs")
    ap.add_argument("--pipe-mb", type=int, default=1024)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--startup-rounds", type=int, default=15)
    ap.add_argument("--smoke", action="store_true", help="small sizes, one round: a check that it all runs")
    args = ap.parse_args()
    if args.smoke:
        args.lines, args.anonip_lines, args.file_lines, args.pipe_mb = 200_000, 20_000, 50_000, 64
        args.repeat, args.startup_rounds = 1, 5

    scrub = scrubber_cmd()
    byte_compile(HERE.parent / "src")  # as installed (see scrubber_vs_anonip.byte_compile)
    v6 = ensure_ipv6loganon()
    anonip = ensure_anonip()
    print(f"before: {load()}; python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="scrubber-speed-") as tmp:
        t = Path(tmp)
        big, small, out = t / "big.log", t / "small.log", t / "out.log"
        write_log(str(big), args.lines, seed=42)
        write_log(str(small), args.anonip_lines, seed=42)
        files = []
        for i in range(4):
            files.append(t / f"part{i}.log")
            write_log(str(files[-1]), args.file_lines, seed=100 + i)
        print(
            f"logs: {args.lines:,} lines ({big.stat().st_size / 1e6:.0f} MB), {args.anonip_lines:,} lines, "
            f"4 x {args.file_lines:,} lines; best of {args.repeat}\n"
        )
        print(f"| {'what':52} | {'figure':>12} | {'ratio':>9} | {'aim':>8} |")
        print(f"|{'-' * 54}|{'-' * 14}|{'-' * 11}|{'-' * 10}|")

        s_big = timed(scrub + EXPIRY, args.repeat, big, out)
        row(f"scrubber --max-age 30d, {args.lines:,} lines", f"{s_big:.3f} s", "", "")
        if v6:
            v6_big = timed([v6, *IPV6LOGANON], args.repeat, big, out)
            row("ipv6loganon (zeroize /24 /48, first field only)", f"{v6_big:.3f} s", f"{v6_big / s_big:.2f}x", ">= 3x")
        else:
            row("ipv6loganon", "not installed", "-", ">= 3x")
        cat_big = timed(["cat"], args.repeat, big, out)
        row("cat (scrubber's time / cat's)", f"{cat_big:.3f} s", f"{s_big / cat_big:.1f}x", "")

        s_small, s_rss = best(scrub + EXPIRY, small, out, args.repeat)
        a_small, a_rss = best([str(anonip)], small, out, 1)
        row(f"scrubber --max-age 30d, {args.anonip_lines:,} lines", f"{s_small:.3f} s", "", "")
        row("anonip 1.1.0 (defaults)", f"{a_small:.3f} s", f"{a_small / s_small:.1f}x", ">= 30x")

        names = [str(f) for f in files]
        j1 = timed(scrub + EXPIRY + ["--jobs", "1", *names], args.repeat, None, out)
        j2 = timed(scrub + EXPIRY + ["--jobs", "2", *names], args.repeat, None, t / "out2.log")
        same = (t / "out2.log").read_bytes() == out.read_bytes()
        c1 = cpu_of(scrub + EXPIRY + ["--jobs", "1", *names], out)
        c2 = cpu_of(scrub + EXPIRY + ["--jobs", "2", *names], t / "out2.log")
        row("4 files, --jobs 1", f"{j1:.3f} s", "", "")
        row(f"4 files, --jobs 2 (same bytes: {'yes' if same else 'NO'})", f"{j2:.3f} s", f"{j1 / j2:.2f}x", ">= 1.8x")
        row("  CPU seconds, all processes: --jobs 1 / --jobs 2", f"{c1:.2f}/{c2:.2f}", f"{c2 / c1:.2f}x", "")

        secs, rss = pipe_rss(args.pipe_mb, small)
        row(f"{args.pipe_mb} MB through a pipe: peak RSS ({secs:.1f} s)", f"{rss:.1f} MiB", "", "< 30 MiB")

        rounds = args.startup_rounds
        base = startup([sys.executable, "-c", "pass"], rounds)
        ver = startup(scrub + ["--version"], rounds)
        pe = Path(sys.executable).parent / "policyengine"
        lint_cmd = [str(pe)] if pe.exists() else [sys.executable, "-m", "policyengine"]
        lint = startup(lint_cmd + ["lint", str(POLICY)], rounds)
        row("python3 -c pass (median)", f"{base * 1000:.0f} ms", "", "")
        row("scrubber --version", f"{ver * 1000:.0f} ms", f"{ver / base:.1f}x", "<= 4x")
        row("policyengine lint rules/binero.policy", f"{lint * 1000:.0f} ms", f"{lint / base:.1f}x", "<= 6x")
    print(f"\nafter: {load()}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Side by side, in one run: scrubber vs anonip 1.1.0 vs GNU sed, as whole processes.

    python benchmarks/scrubber_vs_anonip.py [--lines 200000] [--repeat 3] [--large-mb 1024]

* creates benchmarks/.venv-anonip with ``pip install anonip==1.1.0`` if missing;
* generates the same log of N combined lines (fixed seed; 20% IPv6, Zipf-skewed
  clients, 15% with an X-Forwarded-For list; 60 days, so --max-age 30d drops half);
* runs, best of --repeat, each reading the file on stdin and writing to a file:
  anonip (default options), ``sed -E 's/([0-9]+\\.[0-9]+\\.[0-9]+)\\.[0-9]+/\\1.0/'``,
  scrubber with expiry active (--max-age 30d --now ...), and scrubber without it;
* prints lines/s, the ratios and each process's peak RSS (os.wait4);
* --large-mb N pipes N MB of log through scrubber and reports its peak RSS.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from loggen import write_log  # noqa: E402

ANONIP_VENV = HERE / ".venv-anonip"
SED_EXPR = r"s/([0-9]+\.[0-9]+\.[0-9]+)\.[0-9]+/\1.0/"
NOW = "2024-07-01T00:00:00Z"


def ensure_anonip() -> Path:
    exe = ANONIP_VENV / "bin" / "anonip"
    if not exe.exists():
        print(f"creating {ANONIP_VENV} with anonip==1.1.0 ...", file=sys.stderr)
        venv.create(ANONIP_VENV, with_pip=True)
        subprocess.run([str(ANONIP_VENV / "bin" / "pip"), "install", "--quiet", "anonip==1.1.0"], check=True)
    return exe


def scrubber_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "scrubber"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "scrubber"]


def _vm_hwm_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def wait_peak(p: subprocess.Popen) -> tuple[int, int]:  # type: ignore[type-arg]
    """Exit status and peak RSS (KiB) of the program itself.

    ru_maxrss from wait4 also counts the parent's memory at the time of the
    fork/exec, so on Linux poll /proc/PID/status VmHWM (the high-water mark of
    the program's own address space) until it exits.
    """
    peak = 0
    while True:
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, _vm_hwm_kib(p.pid))
        time.sleep(0.002)
    p.returncode = os.waitstatus_to_exitcode(status)
    return status, (peak or usage.ru_maxrss)


def run_once(cmd: list[str], src: Path, dst: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one process reading src on stdin."""
    with open(src, "rb") as fin, open(dst, "wb") as fout, tempfile.TemporaryFile() as ferr:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdin=fin, stdout=fout, stderr=ferr)
        _, rss = wait_peak(p)
        elapsed = time.perf_counter() - t0
        ferr.seek(0)
        err = ferr.read()
    if p.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed ({p.returncode}): {err.decode(errors='replace')[-500:]}")
    return elapsed, rss


def best(cmd: list[str], src: Path, dst: Path, repeat: int) -> tuple[float, int]:
    runs = [run_once(cmd, src, dst) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


def large(mb: int, sample: Path) -> None:
    data = sample.read_bytes()
    total = 0
    target = mb * 1024 * 1024
    cmd = scrubber_cmd() + ["--max-age", "30d", "--now", NOW, "--timezone", "UTC"]
    hwm = 0
    t0 = time.perf_counter()
    with open(os.devnull, "wb") as null:
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=null)
        assert p.stdin is not None
        while total < target:
            p.stdin.write(data)
            total += len(data)
            hwm = max(hwm, _vm_hwm_kib(p.pid))
        p.stdin.close()
        status, rss = wait_peak(p)
    elapsed = time.perf_counter() - t0
    lines = data.count(b"\n") * (total // len(data))
    print(
        f"large input: {total / 1e9:.2f} GB, {lines:,} lines in {elapsed:.1f} s "
        f"({lines / elapsed:,.0f} lines/s), scrubber peak RSS {max(rss, hwm) / 1024:.1f} MiB, "
        f"exit {os.waitstatus_to_exitcode(status)}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--large-mb", type=int, default=0, help="also pipe this many MB through scrubber")
    args = ap.parse_args()

    anonip = ensure_anonip()
    sed = shutil.which("sed")
    with tempfile.TemporaryDirectory(prefix="scrubber-bench-") as tmp:
        src = Path(tmp) / "access.log"
        write_log(str(src), args.lines, seed=42)
        size = src.stat().st_size
        print(f"log: {args.lines:,} combined lines, {size / 1e6:.1f} MB, python {sys.version.split()[0]}")
        rows = []
        commands = [
            ("anonip 1.1.0 (defaults)", [str(anonip)], 1),
            ("sed -E (IPv4 only, no expiry)", [sed, "-E", SED_EXPR] if sed else None, args.repeat),
            (
                "scrubber --max-age 30d",
                scrubber_cmd() + ["--max-age", "30d", "--now", NOW, "--timezone", "UTC"],
                args.repeat,
            ),
            ("scrubber (no expiry)", scrubber_cmd(), args.repeat),
            ("scrubber, pure Python", scrubber_cmd() + ["--max-age", "30d", "--now", NOW], 1),
        ]
        for name, cmd, rep in commands:
            if cmd is None:
                print(f"{name}: not installed")
                continue
            env_pure = name.endswith("pure Python")
            if env_pure:
                os.environ["SCRUBBER_PURE"] = "1"
            try:
                secs, rss = best(cmd, src, Path(tmp) / "out.log", rep)
            finally:
                os.environ.pop("SCRUBBER_PURE", None)
            rows.append((name, secs, args.lines / secs, rss))
        base = {r[0]: r[2] for r in rows}
        anon = base.get("anonip 1.1.0 (defaults)")
        sed_rate = base.get("sed -E (IPv4 only, no expiry)")
        print(f"\n| {'program':32} | {'seconds':>8} | {'lines/s':>11} | {'x anonip':>8} | {'x sed':>6} | {'peak RSS':>9} |")
        print(f"|{'-' * 34}|{'-' * 10}|{'-' * 13}|{'-' * 10}|{'-' * 8}|{'-' * 11}|")
        for name, secs, rate, rss in rows:
            xa = f"{rate / anon:.1f}" if anon else "-"
            xs = f"{rate / sed_rate:.2f}" if sed_rate else "-"
            print(f"| {name:32} | {secs:8.3f} | {rate:11,.0f} | {xa:>8} | {xs:>6} | {rss / 1024:6.1f} MiB |")
        scrub = base.get("scrubber --max-age 30d")
        if scrub and anon:
            print(f"\nratio scrubber (expiry on) / anonip: {scrub / anon:.1f}x (target >= 10x, aim 20x)")
        if scrub and sed_rate:
            print(f"ratio scrubber (expiry on) / sed:    {scrub / sed_rate:.2f}x (aim > 1)")
        if args.large_mb:
            large(args.large_mb, src)


if __name__ == "__main__":
    main()

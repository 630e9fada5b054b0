#!/usr/bin/env python3
"""Side by side, in one run: scrubber vs anonip 1.1.0 vs GNU sed, as whole processes.

    python benchmarks/scrubber_vs_anonip.py [--lines 200000] [--repeat 3] [--large-mb 1024]
                                            [--baseline-ref main]

* creates benchmarks/.venv-anonip with ``pip install anonip==1.1.0`` if missing;
* generates the same log of N combined lines (fixed seed; 20% IPv6, Zipf-skewed
  clients, 15% with an X-Forwarded-For list; 60 days, so --max-age 30d drops half);
* runs, best of --repeat, each reading the file on stdin and writing to a file:
  anonip (default options), ``sed -E 's/([0-9]+\\.[0-9]+\\.[0-9]+)\\.[0-9]+/\\1.0/'``,
  scrubber with expiry active (--max-age 30d --now ...), and scrubber without it;
* prints lines/s, the ratios and each process's peak RSS (os.wait4);
* --large-mb N pipes N MB of log through scrubber and reports its peak RSS;
* --baseline-ref REF also runs the scrubber of git ref REF (``git archive`` into a temp dir,
  its own C extension built there), interleaved with this tree's in the same run, and prints
  both ratios to anonip: a change can be checked not to cost speed against the previous main.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from loggen import write_log  # noqa: E402
from peak_rss import pipe_peak, wait_peak  # noqa: E402

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


def build_ref(ref: str, into: Path) -> Path:
    """The tree of git ref `ref` unpacked under `into`, with its C extension built in place;
    returns its src directory (for PYTHONPATH).  The repository itself is not touched."""
    repo = HERE.parent
    into.mkdir()
    archive = subprocess.run(["git", "-C", str(repo), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    # Compiled directly, with the flags setup.py gives it: the ref's pyproject.toml may need
    # a newer setuptools than this interpreter's, and only this one module is timed.
    pkg = into / "src" / "scrubber"
    so = pkg / ("_native" + (sysconfig.get_config_var("EXT_SUFFIX") or ".so"))
    cc = os.environ.get("CC", "cc")
    subprocess.run(
        [cc, "-O2", "-shared", "-fPIC", "-I", sysconfig.get_paths()["include"],
         str(pkg / "_native.c"), "-o", str(so)],
        check=True,
    )
    return into / "src"


def run_once(cmd: list[str], src: Path, dst: Path, env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one process reading src on stdin."""
    with open(src, "rb") as fin, open(dst, "wb") as fout, tempfile.TemporaryFile() as ferr:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdin=fin, stdout=fout, stderr=ferr, env=env)
        _, rss = wait_peak(p)
        elapsed = time.perf_counter() - t0
        ferr.seek(0)
        err = ferr.read()
    if p.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed ({p.returncode}): {err.decode(errors='replace')[-500:]}")
    return elapsed, rss


def best(cmd: list[str], src: Path, dst: Path, repeat: int, env: dict[str, str] | None = None) -> tuple[float, int]:
    runs = [run_once(cmd, src, dst, env) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


def with_path(src_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(src_dir)
    return env


def large(mb: int, sample: Path) -> None:
    data = sample.read_bytes()
    cmd = scrubber_cmd() + ["--max-age", "30d", "--now", NOW, "--timezone", "UTC"]
    elapsed, total, status, rss = pipe_peak(cmd, data, mb)
    lines = data.count(b"\n") * (total // len(data))
    print(
        f"large input: {total / 1e9:.2f} GB, {lines:,} lines in {elapsed:.1f} s "
        f"({lines / elapsed:,.0f} lines/s), scrubber peak RSS {rss / 1024:.1f} MiB, "
        f"exit {os.waitstatus_to_exitcode(status)}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--large-mb", type=int, default=0, help="also pipe this many MB through scrubber")
    ap.add_argument("--baseline-ref", help="also run the scrubber of this git ref (e.g. main), same run")
    args = ap.parse_args()

    anonip = ensure_anonip()
    sed = shutil.which("sed")
    with tempfile.TemporaryDirectory(prefix="scrubber-bench-") as tmp:
        src = Path(tmp) / "access.log"
        write_log(str(src), args.lines, seed=42)
        size = src.stat().st_size
        print(f"log: {args.lines:,} combined lines, {size / 1e6:.1f} MB, python {sys.version.split()[0]}")
        rows = []
        # This tree and the baseline run the same way (python -m, PYTHONPATH), so that only
        # the code differs; the entry-point rows above are kept for the README's figures.
        here_env = with_path(HERE.parent / "src")
        base_env = with_path(build_ref(args.baseline_ref, Path(tmp) / "baseline")) if args.baseline_ref else None
        mod = [sys.executable, "-m", "scrubber", "--max-age", "30d", "--now", NOW, "--timezone", "UTC"]
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
        if base_env is not None:
            # Interleaved (this tree, baseline, this tree, ...) so that load drifting during
            # the run falls on both alike; best of each.
            # CPU seconds (user+sys, from the reaped children) are printed too: on a loaded
            # machine they move less than wall time.
            here_runs, base_runs, cpu = [], [], {"here": [], "base": []}
            for _ in range(args.repeat):
                for key, runs, env, out in (("here", here_runs, here_env, "out.log"), ("base", base_runs, base_env, "out-base.log")):
                    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                    runs.append(run_once(mod, src, Path(tmp) / out, env))
                    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                    cpu[key].append(c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime)
            if (Path(tmp) / "out.log").read_bytes() != (Path(tmp) / "out-base.log").read_bytes():
                print("note: this tree's output differs from the baseline's on this log")
            for name, runs in ((f"this tree (python -m)", here_runs), (f"{args.baseline_ref} (python -m)", base_runs)):
                secs = min(r[0] for r in runs)
                rows.append((name, secs, args.lines / secs, max(r[1] for r in runs)))
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
        if base_env is not None and anon:
            here_rate = base["this tree (python -m)"]
            base_rate = base[f"{args.baseline_ref} (python -m)"]
            print(f"ratio this tree / anonip:         {here_rate / anon:.1f}x (expiry on, python -m)")
            print(f"ratio {args.baseline_ref} / anonip: {base_rate / anon:.1f}x (same run)")
            print(f"this tree / {args.baseline_ref}: {here_rate / base_rate:.3f}")
            print(f"CPU s, best of {args.repeat}: this tree {min(cpu['here']):.3f}, {args.baseline_ref} {min(cpu['base']):.3f}")
        if args.large_mb:
            large(args.large_mb, src)


if __name__ == "__main__":
    main()

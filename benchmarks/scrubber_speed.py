#!/usr/bin/env python3
"""Issue 17's figures, side by side in one run, as whole processes, ratios printed.

    python benchmarks/scrubber_speed.py [--repeat 3]     # the issue's sizes (a few minutes)
    python benchmarks/scrubber_speed.py --smoke          # small sizes, one round (CI)
    python benchmarks/scrubber_speed.py --startup-only   # the start-up rows alone (a minute)

* scrubber (every address, expiry on: --max-age 30d) vs Debian's ``ipv6loganon``
  (ipv6calc, rewrites the first field only; installed with apt-get when missing and
  root) on the 2M-line log, and vs ``cat`` on it; each reads stdin, writes a file;
* scrubber vs anonip 1.1.0 (its own venv, benchmarks/.venv-anonip) on 200k lines;
* --jobs: 4 files in one run, --jobs 2 vs --jobs 1, interleaved round by round (medians
  of --jobs-rounds, with the CPU seconds of all processes and the load average), and in
  the same rounds the machine's ceiling: two --jobs 1 processes at once on two files
  each, and a loop of pure Python once and twice at once (what two cores give at all);
* a 1 GB pipe: peak RSS of the scrubber process;
* start-up: ``scrubber --version`` and ``policyengine lint FILE`` vs ``python3 -c pass``,
  both for a wheel of this checkout installed (not editable) into a venv made for the run,
  which is what ``pip install`` gives a user (pip compiles the byte code), and for the
  checkout itself (where PYTHONDONTWRITEBYTECODE=1, as on the project's machine, makes
  every start compile the sources again).
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
ROOT = HERE.parent
POLICY = ROOT / "rules" / "binero.policy"


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


def startup(cmds: list[list[str]], rounds: int) -> list[tuple[float, float]]:
    """Median wall and CPU seconds of each command, run in turn within each round (the
    machine's speed drifts from minute to minute; a short process's wall time swells with
    the load far more than its CPU time does)."""
    import resource

    runs: list[list[tuple[float, float]]] = [[] for _ in cmds]
    for _ in range(rounds):
        for cmd, got in zip(cmds, runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            wall = time.perf_counter() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            got.append((wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime))
    return [(statistics.median(w for w, _ in r), statistics.median(c for _, c in r)) for r in runs]


def pipe_rss(mb: int, sample: Path) -> tuple[float, float]:
    """Seconds and peak RSS (MiB) of scrubber reading ``mb`` MB from a pipe."""
    secs, _, _, rss = pipe_peak(scrubber_cmd() + EXPIRY, sample.read_bytes(), mb)
    return secs, rss / 1024


def interleaved(cmds: dict[str, list[list[str]]], rounds: int, out: Path) -> dict[str, tuple[float, float]]:
    """Median wall and CPU seconds (user + system, the workers included) of each entry, run
    in turn within each round, so that a change in the machine's load falls on all.  An
    entry is one command or several started together (each writing its own file), timed
    until the last ends."""
    import resource

    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in cmds}
    for _ in range(rounds):
        for name, group in cmds.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            outs = [open(out.with_suffix(f".{name}" + (f"-{i}" if i else "")), "wb") for i in range(len(group))]
            try:
                t0 = time.perf_counter()
                procs = [subprocess.Popen(cmd, stdout=f, stderr=subprocess.PIPE) for cmd, f in zip(group, outs)]
                errs = [p.communicate()[1] for p in procs]
                wall = time.perf_counter() - t0
            finally:
                for f in outs:
                    f.close()
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            for cmd, p, err in zip(group, procs, errs):
                if p.returncode != 0:
                    raise SystemExit(f"{cmd[0]} failed ({p.returncode}): {err.decode(errors='replace')[-500:]}")
            runs[name].append((wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime))
    return {n: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r)) for n, r in runs.items()}


# A loop of pure Python, no I/O: what two processes at once get from this machine's cores
# when nothing else (memory, the page cache, one output written in order) is shared.
_SPIN = ["-c", "x = 0\nfor i in range(4_000_000): x += i"]


def install_wheel(tmp: Path) -> Path:
    """A wheel of this checkout, installed (not editable) into a venv made now: what a user's
    ``pip install`` gives, byte code compiled by pip. Returns the venv's bin directory."""
    wheels, venv = tmp / "wheels", tmp / "venv"
    pip = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]

    def run(cmd: list[str]) -> None:
        done = subprocess.run(cmd, capture_output=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr.decode(errors='replace')[-2000:]}")

    run([*pip, "wheel", "--no-deps", "-w", str(wheels), str(ROOT)])
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    (wheel,) = wheels.glob("*.whl")
    run([*pip, "--python", str(venv / "bin" / "python"), "install", str(wheel)])  # pip >= 22.3
    site = next((venv / "lib").glob("python*/site-packages"))
    if not any((site / "policyengine" / "__pycache__").glob("cli.*.pyc")):
        raise SystemExit(f"pip did not compile the byte code in {site}")
    return venv / "bin"


def startup_rows(label: str, bin_dir: Path | None, rounds: int) -> None:
    """``scrubber --version`` and ``policyengine lint`` against ``python -c pass`` of the same
    interpreter (a venv's own, for the installed copy)."""
    python = str(bin_dir / "python") if bin_dir else sys.executable
    scrub = [str(bin_dir / "scrubber")] if bin_dir else scrubber_cmd()
    pe = bin_dir / "policyengine" if bin_dir else Path(sys.executable).parent / "policyengine"
    lint_cmd = [str(pe)] if pe.exists() else [python, "-m", "policyengine"]
    base, ver, lint = startup([[python, "-c", "pass"], scrub + ["--version"], lint_cmd + ["lint", str(POLICY)]], rounds)

    def ms(t: tuple[float, float]) -> str:
        return f"{t[0] * 1000:.0f} ms ({t[1] * 1000:.0f})"

    def ratio(t: tuple[float, float]) -> str:
        return f"{t[0] / base[0]:.1f}x ({t[1] / base[1]:.1f}x)"

    row(f"{label}: python -c pass, median wall (CPU)", ms(base), "", "")
    row(f"{label}: scrubber --version", ms(ver), ratio(ver), "<= 4x")
    row(f"{label}: policyengine lint rules/binero.policy", ms(lint), ratio(lint), "<= 6x")


def row(name: str, value: str, ratio: str, aim: str) -> None:
    print(f"| {name:52} | {value:>14} | {ratio:>13} | {aim:>8} |")


def startup_only(args: argparse.Namespace) -> None:
    """The start-up rows alone (``--startup-only``): a minute, not the whole run."""
    byte_compile(HERE.parent / "src")
    with tempfile.TemporaryDirectory(prefix="scrubber-speed-") as tmp:
        installed = None if args.no_install else install_wheel(Path(tmp))
        print(f"before: {load()}; python {sys.version.split()[0]}; median of {args.startup_rounds}")
        print(f"| {'what':52} | {'figure':>14} | {'ratio':>13} | {'aim':>8} |")
        print(f"|{'-' * 54}|{'-' * 16}|{'-' * 15}|{'-' * 10}|")
        if installed:
            startup_rows("installed", installed, args.startup_rounds)
        startup_rows("checkout", None, args.startup_rounds)
    print(f"after: {load()}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=2_000_000, help="the log for ipv6loganon and cat")
    ap.add_argument("--anonip-lines", type=int, default=200_000)
    ap.add_argument("--file-lines", type=int, default=500_000, help="lines in each of the 4 files for --jobs")
    ap.add_argument("--pipe-mb", type=int, default=1024)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--jobs-rounds", type=int, default=7, help="rounds of --jobs 1 and --jobs 2, in turn")
    ap.add_argument("--startup-rounds", type=int, default=15)
    ap.add_argument("--no-install", action="store_true", help="skip the installed wheel (start-up of the checkout only)")
    ap.add_argument("--smoke", action="store_true", help="small sizes, one round: a check that it all runs")
    ap.add_argument("--startup-only", action="store_true",
                    help="only the start-up rows (installed wheel unless --no-install, and the checkout)")
    args = ap.parse_args()
    if args.smoke:
        args.lines, args.anonip_lines, args.file_lines, args.pipe_mb = 200_000, 20_000, 50_000, 64
        args.repeat, args.startup_rounds, args.jobs_rounds = 1, 5, 2

    if args.startup_only:
        startup_only(args)
        return
    scrub = scrubber_cmd()
    byte_compile(HERE.parent / "src")  # as installed (see scrubber_vs_anonip.byte_compile)
    v6 = ensure_ipv6loganon()
    anonip = ensure_anonip()
    with tempfile.TemporaryDirectory(prefix="scrubber-speed-") as tmp:
        t = Path(tmp)
        installed = None
        if not args.no_install:
            print("building a wheel of this checkout and installing it into a new venv ...", file=sys.stderr)
            installed = install_wheel(t)
        print(f"before: {load()}; python {sys.version.split()[0]}")
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
        print(f"| {'what':52} | {'figure':>14} | {'ratio':>13} | {'aim':>8} |")
        print(f"|{'-' * 54}|{'-' * 16}|{'-' * 15}|{'-' * 10}|")

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
        jscrub = [str(installed / "scrubber")] if installed else scrub
        where = "installed" if installed else "checkout"
        load_before = os.getloadavg()[0]
        # The ceiling: two independent --jobs 1 processes, two files each, started together.
        # Their output is two files, not one written in order; no --jobs can beat it.
        got = interleaved(
            {
                "j1": [jscrub + EXPIRY + ["--jobs", "1", *names]],
                "j2": [jscrub + EXPIRY + ["--jobs", "2", *names]],
                "two": [jscrub + EXPIRY + ["--jobs", "1", *names[:2]], jscrub + EXPIRY + ["--jobs", "1", *names[2:]]],
                "spin1": [[sys.executable, *_SPIN]],
                "spin2": [[sys.executable, *_SPIN], [sys.executable, *_SPIN]],
            },
            args.jobs_rounds,
            out,
        )
        (j1, c1), (j2, c2), (two, c_two) = got["j1"], got["j2"], got["two"]
        same = out.with_suffix(".j1").read_bytes() == out.with_suffix(".j2").read_bytes()
        rounds = f"median of {args.jobs_rounds}"
        row(f"4 files, --jobs 1 ({where}, {rounds})", f"{j1:.3f} s", "", "")
        row(f"4 files, --jobs 2 (same bytes: {'yes' if same else 'NO'})", f"{j2:.3f} s", f"{j1 / j2:.2f}x", ">= 1.8x")
        row("  CPU seconds, all processes: --jobs 1 / --jobs 2", f"{c1:.2f}/{c2:.2f}", f"{c2 / c1:.2f}x", "")
        row("  ceiling: 2 processes at once, 2 files each", f"{two:.3f} s", f"{j1 / two:.2f}x", "")
        row("  --jobs 2 against it (its time / --jobs 2's)", "", f"{two / j2:.2f}x", "")
        row("  CPU seconds: --jobs 1 / those 2 processes", f"{c1:.2f}/{c_two:.2f}", f"{c_two / c1:.2f}x", "")
        s1, s2 = got["spin1"][0], got["spin2"][0]
        row("  Python loop: 1 process / 2 at once (2x the work)", f"{s1:.3f}/{s2:.3f} s", f"{2 * s1 / s2:.2f}x", "")
        row("  load average (1 min) before/after those rounds", f"{load_before:.2f}/{os.getloadavg()[0]:.2f}", "", "")

        secs, rss = pipe_rss(args.pipe_mb, small)
        row(f"{args.pipe_mb} MB through a pipe: peak RSS ({secs:.1f} s)", f"{rss:.1f} MiB", "", "< 30 MiB")

        if installed:
            startup_rows("installed", installed, args.startup_rounds)
        startup_rows("checkout", None, args.startup_rounds)
    print(
        ("\nStart-up, " if installed else "\nStart-up (--no-install: no installed figures; there would be) ")
        + "installed: a wheel of this checkout in a venv made for this run (pip compiled the byte code),\n"
        "against that venv's own `python -c pass`: what a user of `pip install` gets. checkout: the editable\n"
        f"install being measured{' (PYTHONDONTWRITEBYTECODE is set: every start compiles the sources)' if os.environ.get('PYTHONDONTWRITEBYTECODE') else ''},\n"
        "against its venv's `python -c pass`, which the editable install's import hook slows too.\n"
        "In brackets: the same from CPU seconds, which the machine's load swells far less."
    )
    print(f"\nafter: {load()}")


if __name__ == "__main__":
    main()

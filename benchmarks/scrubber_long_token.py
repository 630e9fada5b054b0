#!/usr/bin/env python3
"""One separator-free token of N MB: scrubber reading it from a pipe vs from a file.

    python benchmarks/scrubber_long_token.py [--mb 64] [--repeat 3]

A pipe hands scrubber at most 64 KiB per read, a file 1 MiB, so a carry that is
re-joined on every read costs (N / 64 KiB) copies of up to N bytes through a pipe:
64 MB took 29.6 s through a pipe and 2.7 s from a file (issue 10).  Both should
now be linear and close to each other.  Runs the native and the pure-Python path,
best of --repeat, as whole processes, and prints the seconds and pipe/file ratios.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def scrubber_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "scrubber"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "scrubber"]


def expected_output(mb: int) -> bytes:
    return b"192.0.2.0" + b"a" * (mb << 20) + b" 2001:db8::\n"


def make_input(mb: int) -> bytes:
    return b"192.0.2.1" + b"a" * (mb << 20) + b" 2001:db8::7\n"


def run_file(path: Path, out: Path, env: dict[str, str]) -> float:
    with open(path, "rb") as inp, open(out, "wb") as outf:
        t0 = time.perf_counter()
        subprocess.run(scrubber_cmd(), stdin=inp, stdout=outf, env=env, check=True)
        return time.perf_counter() - t0


def run_pipe(data: bytes, out: Path, env: dict[str, str]) -> float:
    with open(out, "wb") as outf:
        t0 = time.perf_counter()
        proc = subprocess.Popen(scrubber_cmd(), stdin=subprocess.PIPE, stdout=outf, env=env)
        assert proc.stdin is not None

        def feed() -> None:
            assert proc.stdin is not None
            for i in range(0, len(data), 1 << 16):
                proc.stdin.write(data[i : i + (1 << 16)])
            proc.stdin.close()

        writer = threading.Thread(target=feed)
        writer.start()
        proc.wait()
        writer.join()
        if proc.returncode:
            raise SystemExit(f"scrubber exited {proc.returncode}")
        return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    data = make_input(args.mb)
    want = expected_output(args.mb)
    with tempfile.TemporaryDirectory() as d:
        src, out = Path(d) / "in.log", Path(d) / "out.log"
        src.write_bytes(data)
        print(f"one token of {args.mb} MB, best of {args.repeat}")
        print(f"{'path':8} {'file s':>8} {'pipe s':>8} {'pipe/file':>10}")
        for name, extra in (("native", {}), ("pure", {"SCRUBBER_PURE": "1"})):
            env = {**os.environ, **extra}
            t_file = min(run_file(src, out, env) for _ in range(args.repeat))
            assert out.read_bytes() == want, "file: wrong output"
            t_pipe = min(run_pipe(data, out, env) for _ in range(args.repeat))
            assert out.read_bytes() == want, "pipe: wrong output"
            print(f"{name:8} {t_file:8.2f} {t_pipe:8.2f} {t_pipe / t_file:10.2f}")


if __name__ == "__main__":
    main()

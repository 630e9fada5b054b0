"""The logs and settings the --jobs worker-death tests share: generated access logs
(benchmarks/loggen.py, fixed seeds) and what one process writes for them."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from scrubber import Settings, Streamer
from scrubber.files import _pump

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

NOW = dt.datetime(2024, 7, 1, tzinfo=dt.timezone.utc)
SETTINGS = Settings.create(max_age="30d", now=NOW, timezone="UTC")
OPTS = ["--max-age", "30d", "--now", "2024-07-01T00:00:00Z", "--timezone", "UTC"]


def log(n: int, seed: int) -> bytes:
    from loggen import generate_lines

    lines = generate_lines(n, seed=seed, end=dt.datetime(2024, 6, 30, tzinfo=dt.timezone.utc))
    return ("\n".join(lines) + "\n").encode()


LOG = log(20_000, 1)  # about 4.3 MB
NEXT = log(8_000, 2)  # about 1.7 MB: below one 2 MiB range, so the parent scrubs it alone


def one_process(data: bytes) -> bytes:
    """What --jobs 1 writes for ``data`` under SETTINGS."""
    out: list[bytes] = []
    _pump([data], Streamer(SETTINGS), lambda b: out.append(bytes(b)))
    return b"".join(out)

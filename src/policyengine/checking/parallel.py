"""Several processes over one JSON Lines file: byte ranges cut at newlines, one worker each.

Each worker lowers the IR itself (plain, picklable data) and checks its ranges with
``reading.check_lines``; the findings go back in input order, rendered in the worker by
the ``render`` function the caller passes (plain tuples by default), so rendering stays
with the reporter and the output is the single process's, byte for byte.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections import deque
from datetime import datetime
from typing import Callable, Iterator

from .binding import Binding
from .compile import CompiledPolicy
from .evaluate import LoweredPolicy, lower_to_python
from .findings import Finding, as_tuples
from .reading import LineError, Stats, check_lines
from .records import RecordError, line_ranges, read_range

CHUNK_BYTES = 8 << 20  # the largest piece of a file a worker reads at a time
MIN_CHUNK_BYTES = 1 << 20
_WORKER: LoweredPolicy | None = None


def chunk_bytes(size: int, jobs: int) -> int:
    """How large the pieces of a ``size``-byte file are: at least eight per worker, 1-8 MB
    (POLICYENGINE_CHUNK_BYTES overrides, for tests)."""
    forced = os.environ.get("POLICYENGINE_CHUNK_BYTES")
    if forced:
        return max(1, int(forced))
    return max(MIN_CHUNK_BYTES, min(CHUNK_BYTES, size // (jobs * 8) + 1))


def _start_worker(compiled: CompiledPolicy, binding: Binding, now: datetime) -> None:
    global _WORKER
    # Ctrl-C reaches the whole process group: the parent stops the run (exit 130) and
    # terminates the pool; a worker that raised KeyboardInterrupt would print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER = lower_to_python(compiled, binding, now)



def _check_chunk(path: str, label: str, start: int, end: int, base: int, render: Callable) -> tuple:
    """In a worker: check the lines in ``[start, end)`` (line ``base + 1`` on), and return
    (findings rendered by ``render``, their counts, records, error message)."""
    lowered = _WORKER
    lines, restore = read_range(path, start, end)
    out: list[Finding] = []
    error = None
    records = 0
    try:
        records = check_lines(lowered, label, base + 1, lines, restore, lowered.columns, out)
    except LineError as err:
        error = str(err)
    counts: dict[str, int] = {}
    for f in out:
        counts[f.code] = counts.get(f.code, 0) + 1
    return render(out), counts, records, error


def _context():
    import multiprocessing  # only when splitting a file: start-up matters for small runs

    method = os.environ.get("POLICYENGINE_MP_CONTEXT") or (
        "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    return multiprocessing.get_context(method)


def check_file_parallel(lowered: LoweredPolicy, path: str, label: str, jobs: int, stats: Stats,
                        render: Callable[[list[Finding]], object] = as_tuples) -> Iterator[tuple]:
    """Check a JSON Lines file in ``jobs`` worker processes: byte ranges cut at newlines
    (``records.line_ranges``), each worker lowering the IR (plain, picklable data) itself.
    Yields, in input order, ``(payload, counts)`` per range: the findings rendered in the
    worker by ``render`` (a picklable function; the CLI passes the reporter's, whose
    ``add_chunk`` takes them), so the output is the single process's, byte for byte. At most two ranges per
    worker are in flight, so memory stays flat. A bad line raises its RecordError after
    the findings before it, as in one process."""
    size = os.path.getsize(path)
    ranges = line_ranges(path, chunk_bytes(size, jobs))
    window: deque = deque()
    # Workers are forked with SIGINT ignored (a Ctrl-C before their initializer runs too).
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        pool = _context().Pool(jobs, _start_worker, (lowered.compiled, lowered.binding, lowered.now))
    finally:
        signal.signal(signal.SIGINT, previous)
    # Ctrl-C in the parent only sets a flag, seen between waits: a KeyboardInterrupt raised
    # inside the pool's own queues and locks could leave them held, and terminate() hang.
    import multiprocessing

    interrupted: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda *_: interrupted.append(1))

    def result_of(pending):
        while True:
            if interrupted:
                raise KeyboardInterrupt
            try:
                return pending.get(timeout=0.2)
            except multiprocessing.TimeoutError:
                continue

    with contextlib.ExitStack() as stack:
        stack.callback(signal.signal, signal.SIGINT, previous)
        stack.enter_context(pool)
        def submit() -> None:
            for start, end, base in ranges:
                window.append(pool.apply_async(_check_chunk, (path, label, start, end, base, render)))
                return

        for _ in range(2 * jobs):
            submit()
        while window:
            payload, counts, records, error = result_of(window.popleft())
            submit()
            stats.records += records
            yield payload, counts
            if error is not None:
                raise RecordError(error)
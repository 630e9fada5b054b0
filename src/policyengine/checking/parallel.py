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
    # ends the workers; a worker that raised KeyboardInterrupt would print a traceback.
    # The worker is forked with SIGINT blocked (see ``_no_interrupt``): one sent before this
    # line stays pending, and is discarded by SIG_IGN rather than delivered.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _WORKER = lower_to_python(compiled, binding, now)


def _serve(conn, compiled: CompiledPolicy, binding: Binding, now: datetime, inherited: tuple = ()) -> None:
    """A worker's loop: one range at a time, answered in the order given.

    ``inherited``: the parent's ends of the pipes (its own and those of workers forked
    before it), which a forked worker holds too: closed first, or a parent that is killed
    never looks gone (no EOF, no EPIPE) and the worker outlives it, blocked for good."""
    for fd in inherited:
        try:
            os.close(fd)
        except OSError:
            pass
    _start_worker(compiled, binding, now)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):  # the parent is gone: so is the work
            return
        if task is None:
            return
        try:
            answer = ("ok", _check_chunk(*task))
        except Exception as exc:  # noqa: BLE001 - handed to the parent, which raises it
            answer = ("error", exc)
        conn.send(answer)


@contextlib.contextmanager
def _no_interrupt():
    """SIGINT held back (blocked, not ignored: one that arrives meanwhile is delivered when
    the block ends, never lost) while workers are forked or ended."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _check_chunk(path: str | int, label: str, start: int, end: int, base: int, render: Callable) -> tuple:
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


def _how_it_ended(proc) -> str:
    """What became of a worker whose pipe broke: reaped here (given half a second to
    finish dying), else killed (it stopped answering)."""
    proc.join(0.5)
    code = proc.exitcode
    if code is None:
        proc.kill()
        return "stopped answering (killed)"
    if code < 0:
        try:
            name = f" ({signal.Signals(-code).name})"
        except ValueError:
            name = ""
        return f"was killed by signal {-code}{name}"
    return f"exited with status {code}"


def _lost(label: str, proc) -> RecordError:
    """A worker killed (the OOM killer, a kill -9) or dead of a bug: the check cannot be
    finished; the findings before its range were reported (exit 2, not 1: not findings)."""
    return RecordError(f"{label}: worker process {proc.pid} {_how_it_ended(proc)} during the check: "
                       "the findings before its part of the file were reported, none after")


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
    # Opened once: the parent reads the ranges' cuts from it, and forked workers read
    # their ranges from the same open file (pread), never the name again (spawned ones,
    # which inherit no descriptor, open the name).
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        size = os.fstat(fd).st_size
        ranges = line_ranges(fd, chunk_bytes(size, jobs))
    except BaseException:
        os.close(fd)
        raise
    # Own processes and pipes, not multiprocessing.Pool: Pool.terminate() after a Ctrl-C
    # could hang for good (a worker killed mid-result, or holding the queue locks its
    # threads and terminate() wait for). Here nothing is shared but one pipe per worker,
    # a Ctrl-C raises KeyboardInterrupt wherever the parent is, and ending the run is
    # killing the workers and reaping them.
    ctx = _context()
    procs: list = []
    conns: list = []
    window: deque = deque()  # (worker index) per range in flight, in input order
    turn = 0
    failed = True
    try:
        with _no_interrupt():
            forked = ctx.get_start_method() == "fork"  # (spawn: a new process inherits no pipe)
            source = fd if forked else path
            for _ in range(jobs):
                parent, child = ctx.Pipe()
                inherited = tuple(c.fileno() for c in [*conns, parent]) if forked else ()
                proc = ctx.Process(target=_serve, daemon=True,
                                   args=(child, lowered.compiled, lowered.binding, lowered.now, inherited))
                conns.append(parent)
                proc.start()
                procs.append(proc)
                child.close()

        def submit() -> None:
            nonlocal turn
            for start, end, base in ranges:
                try:
                    conns[turn].send((source, label, start, end, base, render))
                except OSError:  # EPIPE: the worker is gone
                    raise _lost(label, procs[turn]) from None
                window.append(turn)
                turn = (turn + 1) % jobs
                return

        for _ in range(2 * jobs):
            submit()
        while window:
            worker = window.popleft()
            try:
                status, answer = conns[worker].recv()
            except (EOFError, OSError):  # ECONNRESET: killed with an answer half sent
                raise _lost(label, procs[worker]) from None
            if status != "ok":
                raise answer
            payload, counts, records, error = answer
            submit()
            stats.records += records
            yield payload, counts
            if error is not None:
                raise RecordError(error)
        failed = False
    finally:
        ranges.close()  # the file it reads, now, not when collected (an error, a caller that stopped)
        with _no_interrupt():  # a Ctrl-C now waits until the workers are reaped
            for conn, proc in zip(conns, procs):
                try:
                    if failed:  # interrupted, an error, or the caller stopped reading
                        proc.kill()
                    else:
                        conn.send(None)
                except OSError:
                    pass
            for proc in procs:
                proc.join()
            for conn in conns:
                conn.close()
            os.close(fd)

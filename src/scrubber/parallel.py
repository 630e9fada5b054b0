"""``--jobs N``: one input's lines scrubbed in worker processes, written in order.

The reader (the parent: it opens every file the safe way, see ``paths`` and
``files``) cuts what it reads into ranges of about ``RANGE_SIZE`` bytes at line
ends; a worker scrubs a range with the same pure core as ``--jobs 1``; the
parent writes the results in input order.  So the bytes and the counts are
those of one process.

What a worker cannot know is the expiry decision of the line before its range:
lines without a timestamp (continuation lines, stack traces) follow it.  So it
scrubs the range's first lines both ways, as if the line before was kept and as
if it was dropped, until a line with a timestamp makes the two agree, and then
the rest once (``scrub_range``).  The parent picks the variant that the previous
range's last decision selects.
"""

from __future__ import annotations

import os
import signal
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from .core import BLOCK_SIZE, MAX_CARRY, Settings, State, Stats, Streamer

__all__ = ["RANGE_SIZE", "Part", "RangeResult", "Workers", "default_jobs", "scrub_range"]

RANGE_SIZE = 2 << 20  # big enough that handing it to a worker costs little next to scrubbing
HEAD_LINES = 64  # undecided after this many lines: scrub the rest of the range both ways
SLOTS_PER_JOB = 4  # ranges in flight per worker: room for one that comes back late


class Part(NamedTuple):
    out: bytes
    stats: Stats
    keep: bool  # the decision in force after the part's last line


class RangeResult(NamedTuple):
    """``heads[k]``: the first lines as if the line before was kept (k=1) or not (0);
    ``tail``: the rest, the same either way (None: the heads cover the whole range)."""

    heads: tuple[Part, Part]
    tail: Part | None


def _stream(data: bytes, settings: Settings, keep: bool, pure: bool | None) -> Part:
    streamer = Streamer(settings, pure=pure)
    streamer._state = State(keep, False)
    out = streamer.feed(data) + streamer.finish() if data else b""
    return Part(out, streamer.stats, streamer._state.keep)


def scrub_range(data: bytes, settings: Settings, pure: bool | None = None) -> RangeResult:
    """Scrub whole lines (the last may lack its newline only at the end of the input)."""
    if settings.cutoff is None:  # no expiry: nothing depends on the line before
        empty = Part(b"", Stats(), True)
        return RangeResult((empty, empty), _stream(data, settings, True, pure))
    outs: list[list[bytes]] = [[], []]
    stats = [Stats(), Stats()]
    keeps = [False, True]
    pos = 0
    for _ in range(HEAD_LINES):
        if pos >= len(data):
            break
        end = data.find(b"\n", pos) + 1 or len(data)
        line = data[pos:end]
        pos = end
        for k in (0, 1):
            part = _stream(line, settings, keeps[k], pure)
            outs[k].append(part.out)
            stats[k].add(part.stats)
            keeps[k] = part.keep
        if keeps[0] == keeps[1]:  # a timestamp decided: the rest is the same both ways
            heads = tuple(Part(b"".join(outs[k]), stats[k], keeps[k]) for k in (0, 1))
            return RangeResult(heads, _stream(data[pos:], settings, keeps[0], pure))  # type: ignore[arg-type]
    rest = data[pos:]
    parts = []
    for k in (0, 1):
        part = _stream(rest, settings, keeps[k], pure)
        stats[k].add(part.stats)
        parts.append(Part(b"".join(outs[k]) + part.out, stats[k], part.keep))
    return RangeResult((parts[0], parts[1]), None)


# Ranges and their scrubbed tails travel through memory shared with the workers
# (mapped before they are forked): pickling megabytes through a pipe both ways
# cost the parent more than scrubbing them (--jobs 2 was 3x slower than --jobs 1).
_SHM: Any = None
_SLOT = 0  # bytes per slot: input first, output after it
_IN = 0  # input capacity of a slot


def keep_heap() -> None:
    """Ask glibc to keep freed megabyte blocks instead of returning them to the kernel:
    every range allocates a few, and mapping them anew cost page faults each time."""
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.mallopt(-1, 256 << 20)  # M_TRIM_THRESHOLD
        libc.mallopt(-3, 64 << 20)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):  # not glibc: nothing to tune
        pass


_STOP = {signal.SIGINT, signal.SIGTERM}


def _worker_init(shm: Any, slot: int, cap: int) -> None:
    global _SHM, _SLOT, _IN
    _SHM, _SLOT, _IN = shm, slot, cap
    keep_heap()
    # The parent handles Ctrl-C and SIGTERM (sent to the whole group) and kills the
    # workers itself once it has written what they scrubbed. Forked with both blocked
    # (``pump``): one sent before this line is discarded here, not raised in the child.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP)


def _work(slot: int, data: bytes | int, settings: Settings, pure: bool | None) -> tuple[Any, ...]:
    """In a worker: scrub the range (in slot ``slot`` when ``data`` is its length)."""
    if isinstance(data, int):
        base = slot * _SLOT
        data = _SHM[base : base + data]
    result = scrub_range(data, settings, pure)  # type: ignore[arg-type]
    tail = result.tail
    if tail is not None and len(tail.out) <= _SLOT - _IN:
        base = slot * _SLOT + _IN
        _SHM[base : base + len(tail.out)] = tail.out
        return result.heads, len(tail.out), tail.stats, tail.keep
    return result.heads, tail


def _serve(conn: Any, shm: Any, slot: int, cap: int, parent_ends: list[Any]) -> None:
    """A worker's loop: one task at a time, answered in the order given."""
    _worker_init(shm, slot, cap)
    for end in parent_ends:  # inherited: held here, the parent's death would not end the recv
        end.close()
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):  # the parent is gone (killed): so is the work
            return
        if task is None:
            return
        try:
            answer: Any = ("ok", _work(*task))
        except Exception as exc:  # noqa: BLE001 - handed to the parent, which raises it
            answer = ("error", exc)
        conn.send(answer)


def default_jobs(paths: tuple[str, ...]) -> int:
    """The number of cores when several files (or a directory, a glob) are given, else 1."""
    several = len(paths) > 1 or any(os.path.isdir(p) or any(c in p for c in "*?[") for p in paths)
    if not several:
        return 1
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class Workers:
    """A pool of ``jobs`` processes, started when a file first needs it; ``pump`` is
    what ``files.scrub_file_to``/``scrub_file_in_place`` take to use it."""

    def __init__(self, jobs: int, pure: bool | None = None, range_size: int = RANGE_SIZE) -> None:
        self.jobs = jobs
        self.pure = pure
        self.range_size = range_size
        self._procs: list[Any] = []
        self._conns: list[Any] = []
        self._next = 0
        self._shm: Any = None
        self._slot = 0
        self._in = 0

    def __enter__(self) -> "Workers":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(terminate=exc[0] is not None)

    def close(self, terminate: bool = False) -> None:
        """End the workers (again after a signal cut a first call short: killing and
        joining an ended one does nothing)."""
        for conn, proc in zip(self._conns, self._procs):
            try:
                if terminate:
                    proc.kill()  # they ignore SIGTERM: only the parent ends them
                else:
                    conn.send(None)
            except OSError:
                pass
        for conn, proc in zip(self._conns, self._procs):
            proc.join()
            conn.close()
        self._procs, self._conns = [], []
        if self._shm is not None:
            self._shm.close()
            self._shm = None

    def _start(self) -> None:
        # Own processes and pipes, no multiprocessing.Pool: its feeder and result
        # threads fought the reading thread for the GIL, and a range waited for its
        # turn up to a switch interval each way (--jobs 2 was slower than --jobs 1).
        import mmap
        import multiprocessing  # here: a pipe run does not pay for it

        keep_heap()  # the reader allocates a megabyte a read too
        self._in = self.range_size + 2 * BLOCK_SIZE  # a range is cut after at most one more read
        self._slot = self._in + self._in + BLOCK_SIZE
        self._shm = mmap.mmap(-1, self._slot * SLOTS_PER_JOB * self.jobs)
        ctx = multiprocessing.get_context("fork")
        for _ in range(self.jobs):
            parent, child = ctx.Pipe()
            ends = [*self._conns, parent]
            proc = ctx.Process(target=_serve, args=(child, self._shm, self._slot, self._in, ends), daemon=True)
            self._conns.append(parent)
            proc.start()
            child.close()
            self._procs.append(proc)

    def pump(self, chunks: Iterable[bytes], streamer: Streamer, write: Callable[[bytes], Any]) -> None:
        """Like ``files._pump``: feed every chunk, write the scrubbed bytes, in order.

        SIGINT and SIGTERM are blocked but while a chunk is being read, so the handler's
        exception lands only there: never inside a worker's fork, a pipe message, or
        between taking a result and writing it (which left a gap in the output); what
        was handed out is then written, and the whole lines read after it, as --jobs 1.
        """
        source = iter(chunks)

        def read() -> Any:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP)
            try:
                return next(source, None)
            finally:
                signal.pthread_sigmask(signal.SIG_BLOCK, _STOP)

        mask = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP)
        try:
            self._pump(iter(read, None), streamer, write)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a signal held back is raised here

    def _pump(self, chunks: Iterable[bytes], streamer: Streamer, write: Callable[[bytes], Any]) -> None:
        """``pump``'s work, with the signals blocked.

        Chunks are copied straight into a slot of the shared memory (a bytearray in
        between cost the reader a third of its time in memmove); a range is handed
        over once a slot holds ``range_size`` bytes, cut after its last newline, and
        the bytes after the cut begin the next slot.
        """
        settings, pure, stats = streamer.settings, self.pure, streamer.stats
        size = self.range_size
        pending: deque[tuple[int, int]] = deque()
        free: list[int] = []
        keep = True

        def emit(result: RangeResult) -> None:
            nonlocal keep
            head = result.heads[keep]
            parts = (head,) if result.tail is None else (head, result.tail)
            for part in parts:
                if part.out:
                    write(part.out)
                stats.add(part.stats)
            keep = parts[-1].keep

        def collect() -> None:
            nonlocal keep
            slot, worker = pending.popleft()
            status, got = self._conns[worker].recv()
            free.append(slot)
            if status != "ok":
                raise got
            if len(got) == 2:
                emit(RangeResult(*got))
                return
            heads, n, tail_stats, tail_keep = got
            head = heads[keep]
            if head.out:
                write(head.out)
            stats.add(head.stats)
            if n:
                base = slot * self._slot + self._in
                write(memoryview(self._shm)[base : base + n])
            stats.add(tail_stats)
            keep = tail_keep

        def drain() -> None:
            while pending:
                collect()

        def take() -> int:
            while not free:
                collect()
            return free.pop()

        def inline(slot: int, n: int) -> None:
            """Scrub the slot's first n bytes here, after everything handed out."""
            drain()
            if n:
                base = slot * self._slot
                emit(scrub_range(self._shm[base : base + n], settings, pure))

        # Gather the first range here: an input smaller than that never starts a worker.
        it = iter(chunks)
        first = bytearray()
        try:
            for chunk in it:
                first += chunk
                if len(first) >= size:
                    break
            else:
                if first:
                    emit(scrub_range(bytes(first), settings, pure))
                return
        except BaseException as exc:  # as below: the whole lines read are written
            if not isinstance(exc, BrokenPipeError):
                cut = first.rfind(b"\n") + 1
                if cut:
                    emit(scrub_range(bytes(first[:cut]), settings, pure))
            raise
        if not self._procs:
            self._start()
        free.extend(range(SLOTS_PER_JOB * self.jobs))
        slot = take()
        shm, cap = self._shm, self._in
        giant: bytes | None = None
        pos = 0
        try:
            pending_chunk: bytes | bytearray | None = first
            while True:
                chunk = pending_chunk if pending_chunk is not None else next(it, None)
                pending_chunk = None
                if chunk is None:
                    break
                base = slot * self._slot
                if pos + len(chunk) > cap:  # cannot fit: cut now, or one giant line
                    cut = shm.rfind(b"\n", base, base + pos) + 1 - base if pos else 0
                    if cut <= 0:
                        giant = shm[base : base + pos] + bytes(chunk)
                        break
                    slot, pos = self._hand_over(slot, cut, pos, take, pending, settings, pure)
                    pending_chunk = chunk
                    continue
                shm[base + pos : base + pos + len(chunk)] = chunk
                pos += len(chunk)
                if pos >= size:
                    cut = shm.rfind(b"\n", base, base + pos) + 1 - base
                    if cut > 0:
                        slot, pos = self._hand_over(slot, cut, pos, take, pending, settings, pure)
        except BaseException as exc:
            # Like --jobs 1 on a read error or a signal: what was read in whole lines is written.
            if not isinstance(exc, BrokenPipeError):
                base = slot * self._slot
                cut = shm.rfind(b"\n", base, base + pos) + 1 - base if pos else 0
                inline(slot, max(cut, 0))
            raise
        if giant is None:
            inline(slot, pos)
            return
        # One giant line: the rest in this process, as --jobs 1 would (it splits between tokens).
        drain()
        rest = Streamer(settings, pure=pure, stats=stats)
        rest._state = State(keep, False)
        for data in (giant, *it):
            out = rest.feed(data)
            if out:
                write(out)
        out = rest.finish()
        if out:
            write(out)

    def _hand_over(self, slot, cut, pos, take, pending, settings, pure):  # type: ignore[no-untyped-def]
        """Send the slot's first ``cut`` bytes to the next worker; the rest starts a new slot."""
        worker = self._next
        self._next = (worker + 1) % self.jobs
        self._conns[worker].send((slot, cut, settings, pure))
        pending.append((slot, worker))
        new = take()
        left = pos - cut
        if left:
            src, dst = slot * self._slot + cut, new * self._slot
            self._shm[dst : dst + left] = self._shm[src : src + left]
        return new, left

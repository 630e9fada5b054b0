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

import gc
import itertools
import os
import re
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

from .core import BLOCK_SIZE, Settings, State, Stats, Streamer, native_available, scrub_block

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


_NL = re.compile(b"\n")


def _whole(data: Any, settings: Settings, keep: bool, pure: bool | None) -> Part:
    """Scrub ``data`` (bytes or a view of the shared memory) as a stream that starts at a
    line start, after a line that was kept (``keep``) or dropped."""
    if not data:
        return Part(b"", Stats(), keep)
    if data[-1] == 10:  # whole lines: what the streamer would do with them, minus its copies
        native = not pure and (pure is not None or native_available())
        out, stats, state = scrub_block(data if native else bytes(data), settings, State(keep, False), pure=pure)
        return Part(out, stats, state.keep)
    streamer = Streamer(settings, pure=pure)  # the input's last line, without its newline
    streamer._state = State(keep, False)
    out = streamer.feed(bytes(data)) + streamer.finish()
    return Part(out, streamer.stats, streamer._state.keep)


def scrub_range(data: Any, settings: Settings, pure: bool | None = None) -> RangeResult:
    """Scrub whole lines (the last may lack its newline only at the end of the input);
    ``data``: bytes or any buffer (a worker's view of its slot, read in place)."""
    view = memoryview(data)
    if settings.cutoff is None:  # no expiry: nothing depends on the line before
        empty = Part(b"", Stats(), True)
        return RangeResult((empty, empty), _whole(view, settings, True, pure))
    outs: list[list[bytes]] = [[], []]
    stats = [Stats(), Stats()]
    keeps = [False, True]
    pos = 0
    for _ in range(HEAD_LINES):
        if pos >= len(view):
            break
        m = _NL.search(view, pos)
        end = m.end() if m is not None else len(view)
        line = view[pos:end]
        pos = end
        for k in (0, 1):
            part = _whole(line, settings, keeps[k], pure)
            outs[k].append(part.out)
            stats[k].add(part.stats)
            keeps[k] = part.keep
        if keeps[0] == keeps[1]:  # a timestamp decided: the rest is the same both ways
            heads = tuple(Part(b"".join(outs[k]), stats[k], keeps[k]) for k in (0, 1))
            return RangeResult(heads, _whole(view[pos:], settings, keeps[0], pure))  # type: ignore[arg-type]
    rest = view[pos:]
    parts = []
    for k in (0, 1):
        part = _whole(rest, settings, keeps[k], pure)
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


_TOLD: list[Any] = [None]  # in a worker: the settings the parent last sent


def _work(slot: int, n: int, told: Settings | None, pure: bool | None) -> tuple[Any, ...]:
    """In a worker: scrub the first ``n`` bytes of slot ``slot``, read where they lie.

    ``told``: new settings, or None for the last ones (pickling them for every range
    cost the parent more than the rest of a hand-over)."""
    if told is not None:
        _TOLD[0] = told
    base = slot * _SLOT
    with memoryview(_SHM) as shm, shm[base : base + n] as data:
        result = scrub_range(data, _TOLD[0], pure)
    tail = result.tail
    if tail is not None and len(tail.out) <= _SLOT - _IN:
        base += _IN
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


class _Source:
    """What ``pump`` reads, ``readinto`` the shared memory: straight from the file when the
    input can (``files.Chunks``: no copy in between, which cost the reader as much as the
    read itself), else the chunks copied in.  SIGINT and SIGTERM are unblocked only while
    waiting on the input (see ``Workers.pump``)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._readinto = getattr(chunks, "readinto", None)
        self._it = iter(chunks)
        self._left = memoryview(b"")

    def _wait(self, read: Callable[..., Any], arg: Any) -> Any:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP)
        try:
            return read(arg)
        finally:
            signal.pthread_sigmask(signal.SIG_BLOCK, _STOP)

    def readinto(self, view: memoryview) -> int:
        """Bytes put at the start of ``view``; 0 at the end of the input."""
        if self._readinto is not None:
            return self._wait(self._readinto, view) or 0
        while not self._left:
            chunk = self._wait(_next_or_none, self._it)
            if chunk is None:
                return 0
            self._left = memoryview(chunk)
        n = min(len(view), len(self._left))
        view[:n] = self._left[:n]
        self._left = self._left[n:]
        return n

    def rest(self) -> Iterator[bytes]:
        """The input not read yet, in chunks."""
        if self._left:
            yield bytes(self._left)
            self._left = memoryview(b"")
        while (chunk := self._wait(_next_or_none, self._it)) is not None:
            yield chunk


def _next_or_none(it: Iterator[bytes]) -> bytes | None:
    return next(it, None)


class Workers:
    """A pool of ``jobs`` processes, started when a file first needs it; ``pump`` is
    what ``files.scrub_file_to``/``scrub_file_in_place`` take to use it."""

    def __init__(self, jobs: int, pure: bool | None = None, range_size: int = RANGE_SIZE) -> None:
        self.jobs = jobs
        self.pure = pure
        self.range_size = range_size
        self._procs: list[Any] = []
        self._conns: list[Any] = []
        self._told: list[Any] = []  # the settings each worker was last sent
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
        self._procs, self._conns, self._told = [], [], []
        if self._shm is not None:
            try:
                self._shm.close()
            except BufferError:  # a view still held (a traceback's frame): unmapped when freed
                pass
            self._shm = None

    def _map(self) -> None:
        """The shared memory, mapped before any worker is forked (they inherit it);
        its pages are touched only as ranges fill them."""
        import mmap

        keep_heap()  # the reader allocates a megabyte a read too
        size = max(self.range_size, 1)
        self._in = size + 2 * BLOCK_SIZE  # a range is cut after at most one more read
        self._slot = self._in + self._in + BLOCK_SIZE
        self._shm = mmap.mmap(-1, self._slot * SLOTS_PER_JOB * self.jobs)

    def _start(self) -> None:
        # Own processes and pipes, no multiprocessing.Pool: its feeder and result
        # threads fought the reading thread for the GIL, and a range waited for its
        # turn up to a switch interval each way (--jobs 2 was slower than --jobs 1).
        import multiprocessing  # here: a pipe run does not pay for it

        ctx = multiprocessing.get_context("fork")
        # What the workers inherit stays out of their collections: a collection visiting the
        # parent's objects wrote to every page it shares with them (copied, faulted in both).
        gc.freeze()
        try:
            for _ in range(self.jobs):
                parent, child = ctx.Pipe()
                ends = [*self._conns, parent]
                proc = ctx.Process(target=_serve, args=(child, self._shm, self._slot, self._in, ends), daemon=True)
                self._conns.append(parent)
                self._told.append(None)
                proc.start()
                child.close()
                self._procs.append(proc)
        finally:
            gc.unfreeze()  # here only: the parent collects as before (a library caller's cycles too)

    def pump(self, chunks: Iterable[bytes], streamer: Streamer, write: Callable[[bytes], Any]) -> None:
        """Like ``files._pump``: feed every chunk, write the scrubbed bytes, in order.
        ``chunks`` with a ``readinto`` (``files.Chunks``) is read straight into the
        memory the workers share.

        SIGINT and SIGTERM are blocked but while the input is being read, so the handler's
        exception lands only there: never inside a worker's fork, a pipe message, or
        between taking a result and writing it (which left a gap in the output); what
        was handed out is then written, and the whole lines read after it, as --jobs 1.
        """
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP)
        try:
            self._pump(_Source(chunks), streamer, write)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a signal held back is raised here

    def _pump(self, source: _Source, streamer: Streamer, write: Callable[[bytes], Any]) -> None:
        """``pump``'s work, with the signals blocked.

        The input is read into a slot of the shared memory until it holds ``range_size``
        bytes; the slot is handed over cut after its last newline, and the bytes after
        the cut begin the next slot.  An input smaller than one range, and the last
        bytes of any, are scrubbed here (while the workers finish theirs): a small file
        never starts a worker.
        """
        settings, pure, stats = streamer.settings, self.pure, streamer.stats
        if self._shm is None:
            self._map()
        size = min(max(self.range_size, 1), self._in - 2 * BLOCK_SIZE)  # as mapped (range_size changed later)
        pending: deque[tuple[int, int]] = deque()
        free = list(range(SLOTS_PER_JOB * self.jobs - 1, -1, -1))
        keep = True

        def write_part(part: Part) -> None:
            nonlocal keep
            if part.out:
                write(part.out)
            stats.add(part.stats)
            keep = part.keep

        def emit(result: RangeResult) -> None:
            head = result.heads[keep]
            write_part(head)
            if result.tail is not None:
                write_part(result.tail)

        def collect() -> None:
            nonlocal keep
            slot, worker = pending.popleft()
            status, got = self._conns[worker].recv()
            free.append(slot)
            if status != "ok":
                raise got  # a bug in the core: nothing after the gap is written
            if len(got) == 2:
                emit(RangeResult(*got))
                return
            heads, n, tail_stats, tail_keep = got
            write_part(heads[keep])
            if n:
                base = slot * self._slot + self._in
                with memoryview(self._shm) as shm, shm[base : base + n] as out:
                    write(out)
            stats.add(tail_stats)
            keep = tail_keep

        def drain() -> None:
            while pending:
                collect()

        def take() -> int:
            while not free:
                collect()
            return free.pop()

        def hand_over(slot: int, cut: int, pos: int) -> tuple[int, int]:
            """Send the slot's first ``cut`` bytes to the next worker; the rest starts a new slot."""
            if not self._procs:
                self._start()
            worker = self._next
            self._next = (worker + 1) % self.jobs
            told = None if self._told[worker] is settings else settings
            self._conns[worker].send((slot, cut, told, pure))
            self._told[worker] = settings
            pending.append((slot, worker))
            new = take()
            left = pos - cut
            if left:
                self._shm.move(new * self._slot, slot * self._slot + cut, left)
            return new, left

        def last(slot: int, n: int) -> None:
            """Scrub the slot's first n bytes here, then write everything in order."""
            result = None
            if n:
                base = slot * self._slot
                with memoryview(self._shm) as shm, shm[base : base + n] as data:
                    result = scrub_range(data, settings, pure)
            drain()
            if result is not None:
                emit(result)

        shm, cap = self._shm, self._in
        slot, pos = take(), 0
        reading = False
        try:
            with memoryview(shm) as view:
                while True:
                    base = slot * self._slot
                    if pos >= cap:  # a slot full and not one newline: one giant line
                        break
                    with view[base + pos : base + min(cap, max(size, pos + BLOCK_SIZE))] as room:
                        reading = True
                        n = source.readinto(room)
                        reading = False
                    if not n:
                        last(slot, pos)
                        return
                    pos += n
                    if pos >= size:
                        cut = shm.rfind(b"\n", base, base + pos) + 1 - base
                        if cut > 0:
                            slot, pos = hand_over(slot, cut, pos)
        except BaseException:
            # Like --jobs 1 on a read error or a signal (they land only while reading):
            # what was read in whole lines is written.  Not after a failed write or worker.
            if reading:
                base = slot * self._slot
                cut = shm.rfind(b"\n", base, base + pos) + 1 - base if pos else 0
                last(slot, max(cut, 0))
            raise
        # One giant line: the rest in this process, as --jobs 1 would (it splits between tokens).
        drain()
        rest = Streamer(settings, pure=pure, stats=stats)
        rest._state = State(keep, False)
        base = slot * self._slot
        for data in itertools.chain((shm[base : base + pos],), source.rest()):  # one at a time: memory flat
            out = rest.feed(data)
            if out:
                write(out)
        out = rest.finish()
        if out:
            write(out)

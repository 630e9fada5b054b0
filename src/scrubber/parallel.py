"""``--jobs N``: one input's lines scrubbed in worker processes, written in order.

Every file is opened by the parent, the safe way (see ``paths`` and ``files``), and
cut into ranges of about ``RANGE_SIZE`` bytes at line ends; a worker scrubs a range
with the same pure core as ``--jobs 1``, and the results are written in input order.
So the bytes and the counts are those of one process.  Two ways:

* A plain file whose output goes to a descriptor (stdout, an in-place rewrite's
  temporary file): the parent reads and writes none of it (``Workers._pump_fds``).
  Each worker is sent the two descriptors (SCM_RIGHTS: the files the parent opened,
  no name opened again), reads the lines that start in its byte range with ``pread``
  (``line_span``: where two neighbours, each reading for itself, agree to cut), and
  writes its output once the range before it is written: a baton passed from worker
  to worker through pipes says so, and which expiry decision the range ended with.
* Anything else (a compressed file, a stream in memory): the parent reads into memory
  shared with the workers, cuts there and writes what they return (``Workers._pump``).

What a worker cannot know is the expiry decision of the line before its range:
lines without a timestamp (continuation lines, stack traces) follow it.  So it
scrubs the range's first lines both ways, as if the line before was kept and as
if it was dropped, until a line with a timestamp makes the two agree, and then
the rest once (``scrub_range``).  The writer picks the variant that the previous
range's last decision selects.
"""

from __future__ import annotations

import gc
import itertools
import os
import re
import signal
import socket
import struct
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

from .core import BLOCK_SIZE, Settings, State, Stats, Streamer, native_available, scrub_block
from .errors import WorkerGone

__all__ = ["RANGE_SIZE", "Part", "RangeResult", "WorkerGone", "Workers", "default_jobs", "scrub_range"]

RANGE_SIZE = 2 << 20  # big enough that handing it to a worker costs little next to scrubbing
HEAD_LINES = 64  # undecided after this many lines: scrub the rest of the range both ways
SLOTS_PER_JOB = 4  # ranges in flight per worker: room for one that comes back late


def _how_it_ended(pid: int) -> str:
    """What became of worker ``pid``, whose socket was found closed: it is reaped here
    (given half a second to finish dying), else killed (it stopped answering)."""
    import time

    deadline = time.monotonic() + 0.5
    while True:
        try:
            got, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return "ended"
        if got:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)  # reaped here: the caller marks it so (never signalled again)
            return "stopped answering (killed)"
        time.sleep(0.01)
    if os.WIFSIGNALED(status):
        num = os.WTERMSIG(status)
        try:
            name = f" ({signal.Signals(num).name})"
        except ValueError:
            name = ""
        return f"was killed by signal {num}{name}"
    return f"exited with status {os.WEXITSTATUS(status)}"


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


# ------------------------------------------------------- workers that read and write
# A plain file whose output goes to a descriptor (stdout, the temporary file of an
# in-place rewrite) is not read by the parent at all: each worker gets the descriptors
# the parent opened (SCM_RIGHTS: the same open files, never a name opened again), reads
# its byte range with pread and, once the range before it is written, writes its own
# output.  What orders the writes is a baton: worker i hands "range s is written, and
# the decision after its last line" to worker i+1 through a pipe, range s going to
# worker s % jobs.  The parent only hands out ranges and adds up the counts.

_FILE: list[Any] = [None, None, None, None, None]  # in a worker: input fd, output fd, pure, its buffer, an error
_BATON: list[Any] = [-1, -1, None]  # in a worker: the pipe it is told through, the one it tells through, a poll of the first
AHEAD = 2  # ranges a worker scrubs before the one waiting for its turn is written
_TOKEN = struct.Struct("<qB")  # range number; bit 0 the decision after it, bit 1 stop (write no more)


def line_span(buf: Any, n: int, base: int, a: int, b: int | None, eof: bool) -> tuple[int, int] | None:
    """Where the lines that start in the byte range [a, b) lie in ``buf[:n]`` (the file's
    bytes from offset ``base``: ``a - 1``, or 0 for a range at the file's start), as
    offsets into ``buf``; None while more bytes are needed (``eof``: there are none).

    A line belongs to the range its first byte lies in, so two neighbours, each
    reading for itself, agree on the cut: a range ends after the first newline at or
    after offset ``b - 1`` (``b`` None: at the end of the file), where the next begins.
    """
    start = 0
    if a > base:  # the byte before the range: after the first newline from there
        nl = buf.find(b"\n", 0, min(n, b - 1 - base) if b is not None else n)
        if nl < 0:
            if b is not None and n >= b - 1 - base or eof:
                return (0, 0)  # no line starts in the range: all of it the end of one before
            return None
        start = nl + 1
    if b is None:
        return (start, n) if eof else None
    nl = buf.find(b"\n", max(start, b - 1 - base), n)
    if nl >= 0:
        return (start, nl + 1)
    return (start, n) if eof else None


def _read_lines(fd: int, a: int, b: int | None) -> tuple[memoryview, int | None]:
    """The lines that start in [a, b) of the file (read with pread into the worker's
    buffer), and where the parent goes on alone when they do not fit in it (a line longer
    than the buffer: the lines before it are returned), else None."""
    buf = _FILE[3]
    base = a - 1 if a > 0 else 0
    n = 0
    cap = len(buf)
    view = memoryview(buf)
    want = cap if b is None else min(cap, b - base + (64 << 10))
    while True:
        got = os.preadv(fd, [view[n:want]], base + n) if n < want else 0
        n += got
        span = line_span(buf, n, base, a, b, eof=not got and n < want)
        if span is not None:
            return view[span[0] : span[1]], None
        if n >= cap:  # the range's last line (or the file's growth) does not fit: lines before it
            start = 0
            if a > base:
                nl = buf.find(b"\n", 0, n if b is None else b - 1 - base)
                if nl < 0:  # all of it the end of a line before, whose range went on alone
                    return view[0:0], None
                start = nl + 1
            end = buf.rfind(b"\n", start, n) + 1 or start
            return view[start:end], base + end
        want = min(cap, n + BLOCK_SIZE)


def _baton(seq: int) -> tuple[bool, bool] | None:
    """In a worker: (the decision after range ``seq``, stop) once it is written, None while
    it is not (never waits).  Batons of ranges before it (a file the parent stopped
    handing out) are left behind."""
    while _BATON[2].poll(0):
        got = b""
        while len(got) < _TOKEN.size:  # written whole (less than PIPE_BUF): read whole
            more = os.read(_BATON[0], _TOKEN.size - len(got))
            if not more:  # the worker before is gone: so is the run
                return True, True
            got += more
        done, flags = _TOKEN.unpack(got)
        if done == seq:
            return bool(flags & 1), bool(flags & 2)
        if done > seq:
            raise RuntimeError(f"range {done} written before range {seq}")
    return None


def _pass_baton(seq: int, keep: bool, stop: bool) -> None:
    try:
        os.write(_BATON[1], _TOKEN.pack(seq, int(keep) | int(stop) << 1))
    except BrokenPipeError:  # the next worker is gone (killed): the parent hears of it from its socket
        pass


def _write_all(fd: int, parts: Iterable[bytes]) -> None:
    for part in parts:
        with memoryview(part) as view:
            while view:
                view = view[os.write(fd, view) :]


class _Scrubbed(NamedTuple):
    """In a worker: a range read and scrubbed, waiting for its turn to be written."""

    seq: int
    keep0: bool | None  # the first range of a file: no baton to wait for, this decision
    last: bool  # the last range of a file: no baton to pass
    result: RangeResult | None  # None: no line starts in the range
    rest: int | None  # where the parent goes on alone (a line longer than the buffer)
    error: Exception | None


def _scrub_lines(seq: int, a: int, b: int | None, keep0: bool | None, last: bool) -> _Scrubbed:
    """In a worker: read and scrub the lines that start in [a, b) of the file it was given."""
    try:
        if _FILE[4] is not None:  # taking the file failed
            raise _FILE[4]
        data, rest = _read_lines(_FILE[0], a, b)
        result = scrub_range(data, _TOLD[0], _FILE[2]) if data else None
        return _Scrubbed(seq, keep0, last, result, rest, None)
    except Exception as exc:  # noqa: BLE001 - answered in its turn
        return _Scrubbed(seq, keep0, last, None, None, exc)


def _write_lines(done: _Scrubbed, keep: bool, stop: bool) -> tuple[str, Any]:
    """In a worker, once the range before is written (its decision ``keep``; ``stop``: it
    failed or went on alone): write the range, pass the baton on, and the answer: the
    counts, the decision after the range and where the parent goes on alone."""
    stats = Stats()
    written = 0
    if done.error is None and not stop:
        try:
            result = done.result
            if result is not None:
                parts = [p for p in (result.heads[keep], result.tail) if p is not None]
                for part in parts:
                    stats.add(part.stats)
                    keep = part.keep
                    written += len(part.out)
                _write_all(_FILE[1], [part.out for part in parts])
        except Exception as exc:  # noqa: BLE001 - a write that failed (EPIPE, ENOSPC)
            done = done._replace(error=exc)
    if not done.last:
        _pass_baton(done.seq, keep, stop or done.error is not None or done.rest is not None)
    if done.error is not None:
        return ("error", done.error)
    if stop:  # a range before failed or went on alone: nothing more is written
        return ("ok", ("skipped",))
    return ("ok", (stats, keep, done.rest, written))


def _take_file(conn: Any, told: Settings | None, pure: bool | None, cap: int) -> None:
    """In a worker: the descriptors of the next file and its output, sent after this message."""
    if told is not None:
        _TOLD[0] = told
    fds = conn.recv_fds(2)
    _FILE[0], _FILE[1], _FILE[2] = fds[0], fds[1], pure
    if _FILE[3] is None or len(_FILE[3]) != cap:
        _FILE[3] = bytearray(cap)


def _drop_file() -> None:
    for i in (0, 1):
        if _FILE[i] is not None:
            os.close(_FILE[i])
            _FILE[i] = None


def _serve(conn: Any, shm: Any, slot: int, cap: int, batons: tuple[int, int], others: list[int]) -> None:
    """A worker's loop: one task at a time, answered in the order given (a file's opening
    and closing are not answered).  A range scrubbed waits for its turn to be written
    while the next ones are read and scrubbed (up to ``AHEAD``): a worker that is late
    (descheduled on a busy machine) holds up the other only for the range it writes."""
    import select

    _worker_init(shm, slot, cap)
    for fd in others:  # the other workers' batons: held here, a worker's death would not end a wait
        os.close(fd)
    baton = select.poll()
    baton.register(batons[0], select.POLLIN)
    both = select.poll()
    both.register(batons[0], select.POLLIN)
    both.register(conn.fileno(), select.POLLIN)
    _BATON[:] = [batons[0], batons[1], baton]
    ready: deque[_Scrubbed] = deque()
    while True:
        if ready:
            done = ready[0]
            try:
                turn = (done.keep0, False) if done.keep0 is not None else _baton(done.seq - 1)
            except Exception as exc:  # noqa: BLE001 - a bug: the batons are out of order
                turn, done = (True, True), done._replace(error=exc)
            if turn is not None:
                ready.popleft()
                conn.send(_write_lines(done, *turn))
                continue
            if len(ready) >= AHEAD:
                baton.poll()
                continue
            if not any(fd == conn.fileno() for fd, _ in both.poll()):
                continue  # the baton came
        task = conn.recv()  # WorkerGone when the parent is gone (killed): so is the work
        if task is None:
            return
        kind, args = task[0], task[1:]
        if kind == "range":
            ready.append(_scrub_lines(*args))
            continue
        if kind == "file":
            try:
                _FILE[4] = None
                _take_file(conn, *args)
            except Exception as exc:  # noqa: BLE001 - answered to the file's ranges
                _FILE[4] = exc
            continue
        if kind == "close":
            _drop_file()
            continue
        try:
            answer: Any = ("ok", _work(*args))
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


def _note_cut_short(stop: BaseException, gone: WorkerGone) -> None:
    """A signal that ends the run after a worker died: the signal is raised (exit 130/143,
    nothing more is scrubbed), carrying the death, which the CLI says too (``worker_gone``):
    the output of the file then stops before the dead worker's range, not where the
    signal came."""
    stop.worker_gone = gone  # type: ignore[attr-defined]


def _file_offset(fd: int) -> int | None:
    """Where ``fd``, a regular file not opened to append, is written next; None for anything
    else (a pipe, a terminal; a file opened with O_APPEND, ``>>``, whose offset says nothing
    of where its end is, and which others may write too)."""
    import fcntl
    import stat

    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode) or fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND:
            return None
        return os.lseek(fd, 0, os.SEEK_CUR)
    except OSError:
        return None


def _cut_back(fd: int, end: int) -> bool:
    """Truncate the output file to ``end``, where the last range written whole ends, if
    nothing but this run wrote past it (True: done, the file ends where this run's
    whole ranges did)."""
    try:
        here = os.lseek(fd, 0, os.SEEK_CUR)
        if end <= here == os.fstat(fd).st_size:
            os.ftruncate(fd, end)
            os.lseek(fd, end, os.SEEK_SET)
            return True
    except OSError:
        pass
    return False


def _fileno(sink: Any) -> int | None:
    """The descriptor under ``sink`` (a stream), or None: a stream in memory, a harness's."""
    try:
        return None if sink is None else int(sink.fileno())
    except (AttributeError, OSError, ValueError):
        return None


def _wait_for(conn: Any) -> None:
    """Until ``conn`` has an answer; SIGINT and SIGTERM are let in meanwhile only."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP)
    try:
        conn.poll()
    finally:
        signal.pthread_sigmask(signal.SIG_BLOCK, _STOP)


class _Channel:
    """One end of a socket pair to a worker: whole pickled messages, and descriptors
    (SCM_RIGHTS) between them.  Not multiprocessing's Connection: importing
    multiprocessing (and what it imports) was a tenth of a --jobs run's start-up."""

    def __init__(self, sock: socket.socket, pid: int | None = None) -> None:
        self.sock = sock
        self.pid = pid  # the worker at the other end; None in a worker (the other end: the parent)
        self.reaped = False  # the worker was reaped here (its pid may be another process's now)
        self._poll: Any = None

    def _gone(self, exc: BaseException) -> WorkerGone:
        how = "ended"
        if self.pid is not None and not self.reaped:
            how = _how_it_ended(self.pid)
            self.reaped = True
        gone = WorkerGone(self.pid, how)
        gone.__cause__ = exc
        return gone

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, obj: Any) -> None:
        import pickle

        data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self.sock.sendall(_LENGTH.pack(len(data)) + data)
        except OSError as exc:
            raise self._gone(exc) from exc

    def _exactly(self, n: int) -> bytearray:
        buf = bytearray(n)
        with memoryview(buf) as view:
            got = 0
            while got < n:
                k = self.sock.recv_into(view[got:])
                if not k:
                    raise EOFError("the other end is gone")
                got += k
        return buf

    def recv(self) -> Any:
        import pickle

        try:
            (n,) = _LENGTH.unpack(self._exactly(_LENGTH.size))
            data = self._exactly(n)
        except (OSError, EOFError) as exc:
            raise self._gone(exc) from exc
        return pickle.loads(data)

    def poll(self) -> None:
        """Until a message (or the end) can be read."""
        if self._poll is None:
            import select

            self._poll = select.poll()
            self._poll.register(self.sock.fileno(), select.POLLIN)
        self._poll.poll()

    def send_fds(self, fds: list[int]) -> None:
        try:
            socket.send_fds(self.sock, [b"F"], fds)
        except OSError as exc:
            raise self._gone(exc) from exc

    def recv_fds(self, n: int) -> list[int]:
        try:
            got = socket.recv_fds(self.sock, 1, n)
        except OSError as exc:
            raise self._gone(exc) from exc
        if not got[0]:
            raise self._gone(EOFError("the other end is gone"))
        return got[1]

    def close(self) -> None:
        self.sock.close()


_LENGTH = struct.Struct("<Q")



def _finish_alone(rest: Streamer, keep: bool, pieces: Any, write: Callable[[bytes], Any]) -> None:
    """The rest of a line too long for a worker, in this process as --jobs 1 would: it
    follows the decision (keep) of the line before it."""
    rest._state = State(keep, False)
    for data in pieces:
        out = rest.feed(data)
        if out:
            write(out)
    out = rest.finish()
    if out:
        write(out)

class Workers:
    """A pool of ``jobs`` processes, started when a file first needs it; ``pump`` is
    what ``files.scrub_file_to``/``scrub_file_in_place`` take to use it."""

    def __init__(self, jobs: int, pure: bool | None = None, range_size: int = RANGE_SIZE) -> None:
        self.jobs = jobs
        self.pure = pure
        self.range_size = range_size
        self._procs: list[int] = []  # the workers' process ids
        self._conns: list[_Channel] = []
        self._seq = 0  # ranges handed out by _pump_fds: range s goes to worker s % jobs
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
        for conn, pid in zip(self._conns, self._procs):
            if conn.reaped:  # never signal a pid reaped here: it may be another process's now
                continue
            try:
                if terminate:
                    os.kill(pid, signal.SIGKILL)  # they ignore SIGTERM: only the parent ends them
                else:
                    conn.send(None)
            except (OSError, WorkerGone):  # ended already (WorkerGone has reaped it)
                pass
        for conn, pid in zip(self._conns, self._procs):
            try:
                if not conn.reaped:
                    os.waitpid(pid, 0)
            except ChildProcessError:  # reaped already (a caller's own waiting)
                pass
            conn.close()
        self._procs, self._conns, self._told = [], [], []
        self._seq = 0
        if self._shm is not None:
            try:
                self._shm.close()
            except BufferError:  # a view still held (a traceback's frame): unmapped when freed
                pass
            self._shm = None

    def _end_if_one_died(self) -> None:
        """A worker that ended while the pool was idle (between files: killed, out of
        memory) had nothing of any file's: the pool is ended, and new workers are started
        for this file rather than failing it."""
        died = False
        for conn, pid in zip(self._conns, self._procs):
            if conn.reaped:
                died = True
                continue
            try:
                got, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                got = pid
            if got:
                conn.reaped = died = True
        if died:
            self.close(terminate=True)

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
        """Fork the workers (with SIGINT and SIGTERM blocked: ``pump``).

        Own processes and socket pairs, no multiprocessing.Pool: its feeder and result
        threads fought the reading thread for the GIL, and a range waited for its turn
        up to a switch interval each way (--jobs 2 was slower than --jobs 1)."""
        # What the workers inherit stays out of their collections: a collection visiting the
        # parent's objects wrote to every page it shares with them (copied, faulted in both).
        gc.freeze()
        pipes = [os.pipe() for _ in range(self.jobs)]  # worker i is told through pipes[i], tells through i + 1
        batons = [(pipes[i][0], pipes[(i + 1) % self.jobs][1]) for i in range(self.jobs)]
        try:
            for i in range(self.jobs):
                parent, child = socket.socketpair()
                others = [fd for pair in pipes for fd in pair if fd not in batons[i]]
                try:
                    pid = os.fork()
                except BaseException:  # EAGAIN, ENOMEM: no half pool (the next file starts anew)
                    parent.close()
                    child.close()
                    self.close(terminate=True)
                    raise
                if pid == 0:  # the worker: never back into the caller's code (nor its exit)
                    code = 1
                    try:
                        parent.close()
                        for conn in self._conns:  # held here, the parent's death would not end a recv
                            conn.close()
                        _serve(_Channel(child), self._shm, self._slot, self._in, batons[i], others)
                        code = 0
                    except WorkerGone:  # the parent is gone: nobody to answer
                        code = 0
                    except BaseException:  # a bug: shown, and the parent's next answer is WorkerGone
                        import traceback

                        traceback.print_exc()
                    finally:
                        os._exit(code)
                child.close()
                self._conns.append(_Channel(parent, pid))
                self._told.append(None)
                self._procs.append(pid)
        finally:
            for pair in pipes:  # the workers hold them now: one that dies ends its neighbour's wait
                for fd in pair:
                    os.close(fd)
            gc.unfreeze()  # here only: the parent collects as before (a library caller's cycles too)

    def pump(
        self, chunks: Iterable[bytes], streamer: Streamer, write: Callable[[bytes], Any], sink: Any = None
    ) -> None:
        """Like ``files._pump``: feed every chunk, write the scrubbed bytes, in order.
        ``chunks`` with a ``readinto`` (``files.Chunks``) is read straight into the
        memory the workers share; ``chunks`` with an ``fd`` (a plain file) larger than a
        range, whose bytes go to ``sink``, a stream over a descriptor, is read and written
        by the workers themselves (``_pump_fds``), ``write`` then used for none of it
        but the part after a line too long for a worker.

        SIGINT and SIGTERM are blocked but while the input is being read, so the handler's
        exception lands only there: never inside a worker's fork, a pipe message, or
        between taking a result and writing it (which left a gap in the output); what
        was handed out is then written, and the whole lines read after it, as --jobs 1.
        """
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP)
        self._end_if_one_died()
        try:
            in_fd, out_fd = getattr(chunks, "fd", None), _fileno(sink)
            if in_fd is not None and out_fd is not None and self.jobs > 0:
                size = os.fstat(in_fd).st_size - os.lseek(in_fd, 0, os.SEEK_CUR)
                if size > max(self.range_size, 1):  # smaller: never starts a worker
                    self._pump_fds(chunks, streamer, write, in_fd, sink)
                    return
            self._pump(_Source(chunks), streamer, write)
        except WorkerGone:
            # The file is incomplete (the caller reports it); the other workers may be
            # mid-range or waiting for a baton that never comes: the next file gets new ones.
            self.close(terminate=True)
            raise
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a signal held back is raised here

    def _pump_fds(self, chunks: Any, streamer: Streamer, write: Callable[[bytes], Any], in_fd: int, sink: Any) -> None:
        """``pump`` for a plain file, with the signals blocked: the workers read its ranges of
        ``range_size`` bytes from ``in_fd`` and write their output to ``sink``'s descriptor
        in order (see ``_serve``, ``_write_lines``); the parent hands the ranges out, at most
        ``SLOTS_PER_JOB`` per worker ahead, and adds up the counts as they come back.

        A signal (let in only while waiting for a worker) stops the handing out: the
        ranges handed out are written, in order and whole, and it is raised then.  So is
        the first error of a worker or of the input's ``check``, once the rest have
        stopped.  After a line too long for a worker the parent goes on alone, as one
        process would.
        """
        settings, pure, stats = streamer.settings, self.pure, streamer.stats
        if self._shm is None:
            self._map()  # before the fork: a compressed file later needs it
        if not self._procs:
            self._start()
        sink.flush()  # what was written before, before what the workers write
        fds = [in_fd, sink.fileno()]
        out_end = _file_offset(fds[1])  # where the ranges written whole end (None: not a file)
        cap = max(self.range_size, 1) + 1 + 2 * BLOCK_SIZE
        for worker, conn in enumerate(self._conns):
            told = None if self._told[worker] is settings else settings
            conn.send(("file", told, pure, cap))
            conn.send_fds(fds)
            self._told[worker] = settings
        size = max(self.range_size, 1)
        start = os.lseek(in_fd, 0, os.SEEK_CUR)
        count = -(-(os.fstat(in_fd).st_size - start) // size)
        pending: deque[tuple[int, int | None]] = deque()  # (worker, where its range ends)
        stopped: BaseException | None = None  # a signal
        failed: BaseException | None = None  # the first error
        alone: int | None = None  # where the parent goes on by itself
        keep, k = True, 0
        try:
            while True:
                while k < count and len(pending) < SLOTS_PER_JOB * self.jobs and not (stopped or failed) and alone is None:
                    seq = self._seq
                    self._seq += 1
                    worker = seq % self.jobs
                    a = start + k * size
                    b = a + size if k < count - 1 else None  # the last: to the end, however far
                    self._conns[worker].send(("range", seq, a, b, True if k == 0 else None, k == count - 1))
                    pending.append((worker, b))
                    k += 1
                if not pending:
                    break
                worker, end = pending[0]
                if not stopped:
                    try:
                        _wait_for(self._conns[worker])
                    except BaseException as exc:  # noqa: BLE001 - SIGINT, SIGTERM: raised once written
                        stopped = exc
                        continue
                status, got = self._conns[worker].recv()
                pending.popleft()
                if status != "ok":
                    failed = failed or got
                    continue
                if len(got) == 1:  # skipped: a range before failed or went on alone
                    continue
                part, keep, rest, written = got
                stats.add(part)
                if out_end is not None:
                    out_end += written
                if rest is not None:
                    alone = rest
                os.lseek(in_fd, *((end, os.SEEK_SET) if end is not None else (0, os.SEEK_END)))  # the progress line's
                if not failed and not stopped:
                    try:
                        chunks.check()
                    except Exception as exc:  # noqa: BLE001 - raised once the rest have stopped
                        failed = exc
        except WorkerGone as gone:
            # A worker killed while writing (SIGKILL cuts a write short) leaves part of a
            # range: once every worker has stopped, a file is cut back to the last range
            # written whole, so its output ends at a line end (a pipe's reader has it already).
            self.close(terminate=True)
            if out_end is None or not _cut_back(fds[1], out_end):
                # A pipe (or >>) keeps what the killed worker wrote, maybe part of a line:
                # the next file's output starts on a line of its own (an empty line where
                # the fragment was none or ended at a line end).
                try:
                    os.write(fds[1], b"\n")
                except OSError:
                    pass
            if stopped is not None:  # a signal came first: it ends the run, as it would have
                _note_cut_short(stopped, gone)
                raise stopped
            raise
        finally:
            for conn in self._conns:
                try:
                    conn.send(("close",))
                except WorkerGone:  # raised from here or below; the pool is ended in pump
                    pass
        if stopped is not None:
            raise stopped
        if failed is not None:
            raise failed
        if alone is None:
            return
        # A line longer than a worker's buffer: the rest in this process, as --jobs 1 would.
        os.lseek(in_fd, alone, os.SEEK_SET)
        _finish_alone(Streamer(settings, pure=pure, stats=stats), keep, _Source(chunks).rest(), write)

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
            self._conns[worker].send(("slot", slot, cut, told, pure))
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
        except BaseException as exc:
            # Like --jobs 1 on a read error or a signal (they land only while reading):
            # what was read in whole lines is written.  Not after a failed write or worker.
            if reading:
                base = slot * self._slot
                cut = shm.rfind(b"\n", base, base + pos) + 1 - base if pos else 0
                try:
                    last(slot, max(cut, 0))
                except WorkerGone as gone:  # a worker died meanwhile: the signal still ends the run
                    self.close(terminate=True)
                    _note_cut_short(exc, gone)
            raise
        # One giant line: the rest in this process, as --jobs 1 would (it splits between tokens).
        drain()
        base = slot * self._slot
        # (one piece at a time: memory flat)
        _finish_alone(Streamer(settings, pure=pure, stats=stats), keep, itertools.chain((shm[base : base + pos],), source.rest()), write)

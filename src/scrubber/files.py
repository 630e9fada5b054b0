"""The edges: streams, files (gzip, xz, bzip2), atomic in-place rewrite.

Which files are touched, and how they are opened without following a link, is
``paths``; how compressed files are told apart, ``compression``.  Everything about
one file happens relative to its directory's descriptor: open (``O_NOFOLLOW``),
``fstat`` (owner, mode, times, links come from the open file, never from a name),
the temporary file, ``fchown``/``fchmod``/``futimens``, and the rename.
"""

from __future__ import annotations

import errno
import fcntl
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO

import click

from .compression import PLAIN, Format, Unsupported, decode_errors, detect
from .core import BLOCK_SIZE, Settings, Stats, Streamer
from .errors import ConfigError, FileError, ScrubberError, Terminated, WorkerGone, printable  # noqa: F401 - re-exported
from .paths import TMP_RE, NotOpened, Target, iter_targets, open_regular, target_for
from .stream import scrub_stream

__all__ = [
    "ScrubberError",
    "ConfigError",
    "FileError",
    "Terminated",
    "TMP_MARK",
    "temp_name",
    "scrub_stream",
    "scrub_file_to",
    "scrub_file_in_place",
    "iter_targets",
    "clean_stale_temp_files",
]

TMP_MARK = ".scrubber-tmp-"


def _temp_leaf(name: str, pid: int, name_max: int = 255) -> str:
    """``.NAME.scrubber-tmp-PID``; a hash stands in for a NAME too long for that."""
    leaf = f".{name}{TMP_MARK}{pid}"
    if len(os.fsencode(leaf)) <= name_max:
        return leaf
    import hashlib  # only for names this long: OpenSSL is not loaded at every start-up

    return f".{hashlib.sha256(os.fsencode(name)).hexdigest()[:32]}{TMP_MARK}{pid}"


def temp_name(path: str, pid: int | None = None) -> str:
    d, name = os.path.split(path)
    return os.path.join(d, _temp_leaf(name, os.getpid() if pid is None else pid))


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_temp_files(directory: str | int) -> list[str]:
    """Remove ``.NAME.scrubber-tmp-PID`` files whose process is gone.

    ``directory`` is a path or an open directory descriptor; names are unlinked
    relative to it (unlink never follows a link).
    """
    removed: list[str] = []
    dir_fd = directory if isinstance(directory, int) else None
    try:
        entries = list(os.scandir(directory if dir_fd is not None else (directory or ".")))
    except OSError:
        return removed
    for e in entries:
        m = TMP_RE.match(e.name)
        if m is None or not e.is_file(follow_symlinks=False) or _pid_alive(int(m.group("pid"))):
            continue
        try:
            os.unlink(e.name if dir_fd is not None else e.path, dir_fd=dir_fd)
            removed.append(e.path)
        except OSError:
            pass
    return removed


# ----------------------------------------------------------------- streams
class Chunks:
    """A file's bytes: iterated in blocks, or ``readinto`` a buffer (``--jobs`` reads
    straight into the memory its workers share).  ``check`` runs after every read.

    ``fd``: the open file's descriptor when ``f`` reads it as it is (not decompressed), so
    that ``--jobs`` workers may read their byte ranges from it with ``pread`` themselves
    (the descriptor opened here, never a name opened again); None otherwise."""

    def __init__(
        self, f: BinaryIO, check: Callable[[], None] | None = None, size: int = BLOCK_SIZE, fd: int | None = None
    ) -> None:
        self._f, self._check, self._size, self.fd = f, check, size, fd

    def check(self) -> None:
        """What runs after every read (the lease of an in-place rewrite), for readers elsewhere."""
        if self._check is not None:
            self._check()

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self._f.read(self._size):
            if self._check is not None:
                self._check()
            yield chunk

    def readinto(self, buf: memoryview) -> int:
        n = self._f.readinto(buf) or 0
        if n and self._check is not None:
            self._check()
        return n


def _pump(chunks: Iterable[bytes], streamer: Streamer, write, flush=None) -> None:  # type: ignore[no-untyped-def]
    for chunk in chunks:
        out = streamer.feed(chunk)
        if out:
            write(out)
        if flush is not None:
            flush()
    out = streamer.finish()
    if out:
        write(out)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def _is_decode_error(exc: BaseException, fmt: Format) -> bool:
    # bz2 reports damaged data as an OSError without an errno.
    return isinstance(exc, decode_errors()) or (fmt is not PLAIN and isinstance(exc, OSError) and exc.errno is None)


def _name_the_death(stop: Terminated, display: str, outcome: str) -> None:
    """A signal raised after a --jobs worker died (``parallel._note_cut_short``): the
    message the CLI shows besides exiting 130/143."""
    gone = getattr(stop, "worker_gone", None)
    if gone is not None:
        stop.worker_gone_message = f"{display}: {gone}: {outcome}"  # type: ignore[attr-defined]


def _as_target(path: str | Target) -> tuple[Target, int | None]:
    if isinstance(path, Target):
        return path, None
    try:
        return target_for(path)
    except OSError as exc:
        raise FileError(f"{path}: {_describe(exc)}") from exc


def _open_checked(target: Target) -> tuple[int, os.stat_result, Format]:
    """Open without following a link, fstat, tell the format; FileError if refused."""
    try:
        fd, st = open_regular(target)
    except NotOpened as exc:
        raise FileError(f"{target.display}: {exc}") from exc
    try:
        return fd, st, detect(fd, target.name)
    except Unsupported as exc:
        os.close(fd)
        raise FileError(f"{target.display}: {exc}") from exc
    except OSError as exc:
        os.close(fd)
        raise FileError(f"{target.display}: {_describe(exc)}") from exc


def _warn_links(target: Target, st: os.stat_result) -> None:
    if st.st_nlink > 1:
        click.echo(
            f"scrubber: warning: {target.display}: has {st.st_nlink} hard links; the other names are not scrubbed",
            err=True,
        )


def scrub_file_to(
    path: str | Target, out: BinaryIO, settings: Settings, *, pure: bool | None = None, pump=None  # type: ignore[no-untyped-def]
) -> Stats:
    """Scrub one file (gzip, xz, bzip2 or plain, told by its magic bytes) to ``out``.

    ``pump``: what runs the chunks through the core (``parallel.Workers.pump`` for --jobs);
    it is given ``out`` as the sink its workers may write to themselves, in order.
    """
    target, own_dir = _as_target(path)
    try:
        fd, st, fmt = _open_checked(target)
        _warn_links(target, st)
        streamer = Streamer(settings, pure=pure)
        try:
            with open(fd, "rb", buffering=0) as raw, fmt.reader(raw) as f:  # type: ignore[arg-type]
                chunks = Chunks(f, fd=fd if fmt is PLAIN else None)
                if pump is None:
                    _pump(chunks, streamer, out.write)
                else:
                    pump(chunks, streamer, out.write, sink=out)
        except WorkerGone as exc:  # --jobs: what was written stops at a line end before its range
            raise FileError(f"{target.display}: {exc}: its output is incomplete") from exc
        except Terminated as stop:  # a signal that came with a worker's death says it too
            _name_the_death(stop, target.display, "its output is incomplete")
            raise
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise
            if _is_decode_error(exc, fmt):
                raise FileError(f"{target.display}: corrupt or truncated {fmt.name} data ({_describe(exc)})") from exc
            raise FileError(f"{target.display}: {_describe(exc)}") from exc
        except decode_errors() as exc:
            raise FileError(f"{target.display}: corrupt or truncated {fmt.name} data ({_describe(exc)})") from exc
    finally:
        if own_dir is not None:
            os.close(own_dir)
    streamer.stats.files = 1
    return streamer.stats


# ------------------------------------------------------------- live files
class _Lease:
    """A read lease on the input: the kernel grants it only while no process has
    the file open for writing, and breaks it when one opens it (that opener waits
    until we let go).  So a live log is refused, and a writer that opens the file
    during the run makes the rewrite stop instead of losing its lines.  Where no
    lease can be had (not the owner and not root, NFS), ``held`` is False and the
    size and mtime check at the end is what remains.
    """

    def __init__(self, fd: int, display: str) -> None:
        self.fd = fd
        self.display = display
        self.held = False
        try:
            signal.signal(signal.SIGIO, signal.SIG_IGN)  # a lease break sends SIGIO
        except ValueError:  # not the main thread: cannot tell when it breaks
            return
        try:
            fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
        except OSError as exc:
            if exc.errno == errno.EAGAIN:
                raise FileError(
                    f"{display}: is open for writing by another process (a live log?): not rewritten, "
                    "scrub it once it is closed (after rotation)"
                ) from exc
            return  # EACCES, EINVAL, ENOLCK: no lease on this file
        self.held = True

    def broken(self) -> bool:
        return self.held and fcntl.fcntl(self.fd, fcntl.F_GETLEASE) != fcntl.F_RDLCK

    def check(self) -> None:
        if self.broken():
            raise FileError(f"{self.display}: opened for writing during the run: left unchanged, nothing lost")


def _fsync_dir(dir_fd: int) -> None:
    try:
        os.fsync(dir_fd)
    except OSError:
        pass


def _create_temp(dir_fd: int, name: str) -> tuple[int, str]:
    try:
        name_max = os.fpathconf(dir_fd, "PC_NAME_MAX")
    except (OSError, ValueError):
        name_max = 255
    tmp = _temp_leaf(name, os.getpid(), name_max)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        return os.open(tmp, flags, 0o600, dir_fd=dir_fd), tmp
    except FileExistsError:
        # Our own PID in the name: left by an earlier run that was killed and
        # had the PID we have now (PID namespaces: a container's PIDs repeat).
        # Files are rewritten one at a time, so it cannot be ours: it is stale.
        os.unlink(tmp, dir_fd=dir_fd)
        return os.open(tmp, flags, 0o600, dir_fd=dir_fd), tmp


def _unchanged(fd: int, dir_fd: int, name: str, st: os.stat_result) -> str | None:
    """Why the file can no longer be replaced, or None: it is what was read."""
    now = os.fstat(fd)
    if (now.st_size, now.st_mtime_ns) != (st.st_size, st.st_mtime_ns):
        return "was written to during the run: left unchanged, nothing lost"
    try:
        named = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except OSError:
        named = None
    if named is None or (named.st_dev, named.st_ino) != (st.st_dev, st.st_ino):
        return "was renamed or replaced during the run: left unchanged"
    return None


def scrub_file_in_place(
    path: str | Target,
    settings: Settings,
    *,
    pure: bool | None = None,
    break_hard_links: bool = False,
    pump=None,  # type: ignore[no-untyped-def]
) -> Stats:
    """Rewrite one file atomically: temp file in the same directory, fsync, rename.

    Mode, owner and times are taken from the open file and kept; gzip, xz and
    bzip2 files are rewritten in their own format.  Refused, and left exactly as
    it was: a link, anything not a regular file, a format not decoded, a file
    with other hard links (unless ``break_hard_links``), a file another process
    has open for writing.  On any error the temp file is removed; after a SIGKILL
    the temp file ``.NAME.scrubber-tmp-PID`` is left and removed by the next run.
    """
    target, own_dir = _as_target(path)
    try:
        return _rewrite(target, settings, pure, break_hard_links, pump)
    finally:
        if own_dir is not None:
            os.close(own_dir)


def _rewrite(target: Target, settings: Settings, pure: bool | None, break_hard_links: bool, pump=None) -> Stats:  # type: ignore[no-untyped-def]
    dir_fd, name, display = target
    clean_stale_temp_files(dir_fd)
    fd, st, fmt = _open_checked(target)
    streamer = Streamer(settings, pure=pure)
    try:
        if st.st_nlink > 1 and not break_hard_links:
            raise FileError(
                f"{display}: has {st.st_nlink} hard links, whose other names would keep the addresses: "
                "not rewritten (--break-hard-links rewrites this name only)"
            )
        _warn_links(target, st)
        lease = _Lease(fd, display)
        try:
            tfd, tmp = _create_temp(dir_fd, name)
        except OSError as exc:
            shown = os.path.dirname(display) or "."
            raise FileError(f"{display}: cannot create a temporary file in {shown}: {_describe(exc)}") from exc
        ok = False
        try:
            with open(tfd, "wb", buffering=BLOCK_SIZE) as raw:
                with fmt.writer(raw, name, st.st_mtime) as w, open(fd, "rb", buffering=0, closefd=False) as src:  # type: ignore[attr-defined]
                    with fmt.reader(src) as f:  # type: ignore[arg-type]
                        chunks = Chunks(f, lease.check, fd=fd if fmt is PLAIN else None)
                        if pump is None:
                            _pump(chunks, streamer, w.write)
                        else:  # plain: the workers write the temporary file themselves, in order
                            pump(chunks, streamer, w.write, sink=raw if fmt is PLAIN else None)
                raw.flush()
                if (st.st_uid, st.st_gid) != (os.getuid(), os.getgid()):
                    os.fchown(raw.fileno(), st.st_uid, st.st_gid)
                os.fchmod(raw.fileno(), st.st_mode & 0o7777)
                os.fsync(raw.fileno())
                os.utime(raw.fileno(), ns=(st.st_atime_ns, st.st_mtime_ns))
            why = "opened for writing during the run: left unchanged, nothing lost" if lease.broken() else None
            why = why or _unchanged(fd, dir_fd, name, st)
            if why:
                raise FileError(f"{display}: {why}")
            os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
            ok = True
            _fsync_dir(dir_fd)
        except WorkerGone as exc:
            raise FileError(f"{display}: {exc}; left unchanged") from exc
        except Terminated as stop:
            _name_the_death(stop, display, "left unchanged")
            raise
        except decode_errors() as exc:
            raise FileError(f"{display}: corrupt or truncated {fmt.name} data ({_describe(exc)}); left unchanged") from exc
        except OSError as exc:
            if _is_decode_error(exc, fmt):
                raise FileError(f"{display}: corrupt or truncated {fmt.name} data ({_describe(exc)}); left unchanged") from exc
            raise FileError(f"{display}: {_describe(exc)}; left unchanged") from exc
        finally:
            if not ok:
                try:
                    os.unlink(tmp, dir_fd=dir_fd)
                except OSError:
                    pass
    finally:
        os.close(fd)
    streamer.stats.files = 1
    return streamer.stats

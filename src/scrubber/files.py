"""The edges: streams, files, gzip, atomic in-place rewrite, directory walks."""

from __future__ import annotations

import errno
import fnmatch
import glob
import gzip
import os
import re
import select
import signal
import zlib
from collections.abc import Iterable, Iterator
from typing import BinaryIO

import click

from .core import BLOCK_SIZE, Settings, Stats, Streamer

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
    "expand_paths",
    "clean_stale_temp_files",
]

TMP_MARK = ".scrubber-tmp-"
_TMP_RE = re.compile(r"^\.(?P<name>.+)\.scrubber-tmp-(?P<pid>[0-9]+)$")
_GLOB_CHARS = re.compile(r"[*?\[]")


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LF = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def printable(text: str, *, lines: bool = False) -> str:
    """Control characters (from file names, options) as ``\\xNN``: a terminal acts on none."""
    return (_CONTROL_BUT_LF if lines else _CONTROL).sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class ScrubberError(click.ClickException):
    """Base class of scrubber's own errors (never shown as a traceback)."""

    exit_code = 1
    multiline = False  # a policy error: file:line:col, excerpt and hint on lines of their own

    def show(self, file=None) -> None:  # type: ignore[no-untyped-def]
        click.echo(f"scrubber: error: {printable(self.format_message(), lines=self.multiline)}", err=True)


class ConfigError(ScrubberError):
    """Bad options, key file, policy: nothing was processed (exit 2)."""

    exit_code = 2


class FileError(ScrubberError):
    """One input could not be processed; the others were (exit 1)."""

    exit_code = 1


class Terminated(BaseException):
    """Raised from the SIGTERM handler so that ``finally`` blocks run."""


def temp_name(path: str, pid: int | None = None) -> str:
    d, name = os.path.split(path)
    return os.path.join(d, f".{name}{TMP_MARK}{os.getpid() if pid is None else pid}")


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


def clean_stale_temp_files(directory: str) -> list[str]:
    """Remove ``.NAME.scrubber-tmp-PID`` files whose process is gone."""
    removed = []
    try:
        entries = list(os.scandir(directory or "."))
    except OSError:
        return removed
    for e in entries:
        m = _TMP_RE.match(e.name)
        if m is None or not e.is_file(follow_symlinks=False):
            continue
        if _pid_alive(int(m.group("pid"))):
            continue
        try:
            os.unlink(e.path)
            removed.append(e.path)
        except OSError:
            pass
    return removed


# ----------------------------------------------------------------- streams
def _read_chunks(f: BinaryIO, size: int = BLOCK_SIZE) -> Iterator[bytes]:
    while True:
        chunk = f.read(size)
        if not chunk:
            return
        yield chunk


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


def scrub_stream(
    source: int | BinaryIO,
    out: BinaryIO,
    settings: Settings,
    *,
    line_buffered: bool = False,
    pure: bool | None = None,
    stats: Stats | None = None,
) -> Stats:
    """stdin-style scrubbing: read what is there, write scrubbed lines.

    ``source`` is a file descriptor (read with os.read: returns as soon as some
    input is there) or a binary stream (read1).

    SIGTERM and SIGINT are blocked while a block is being scrubbed and written and only
    delivered while waiting for input, so a Terminated exception never splits a
    write; the caller flushes.  The incomplete last line is scrubbed and written
    on EOF or SIGTERM.
    """
    streamer = Streamer(settings, pure=pure, stats=stats if stats is not None else Stats())
    term = {signal.SIGTERM, signal.SIGINT}
    can_mask = hasattr(signal, "pthread_sigmask")
    wait = None
    if isinstance(source, int):
        fd = source

        def read() -> bytes:
            return os.read(fd, BLOCK_SIZE)

        if can_mask and hasattr(select, "poll"):
            # Signals land only while waiting for input, before anything is read: a
            # handler that ran just after os.read returned would lose that chunk.
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            wait = poller.poll

    else:
        stream = source
        read1 = getattr(stream, "read1", stream.read)

        def read() -> bytes:
            return read1(BLOCK_SIZE)

    try:
        while True:
            if can_mask:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, term)
            try:
                if wait is None:
                    chunk = read()
                else:
                    wait()
            finally:
                if can_mask:
                    signal.pthread_sigmask(signal.SIG_BLOCK, term)
            if wait is not None:
                chunk = read()
            if not chunk:
                break
            data = streamer.feed(chunk)
            if data:
                out.write(data)
            if line_buffered:
                out.flush()
    finally:
        try:
            data = streamer.finish()
            if data:
                out.write(data)
            out.flush()
        finally:
            if can_mask:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, term)
    return streamer.stats


def _open_input(path: str) -> BinaryIO:
    if path.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]  # owns and closes the file
    return open(path, "rb")  # noqa: SIM115 - closed by the caller


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


_GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)


def scrub_file_to(path: str, out: BinaryIO, settings: Settings, *, pure: bool | None = None) -> Stats:
    """Scrub one file (gzip if it ends in .gz) to ``out``."""
    streamer = Streamer(settings, pure=pure)
    try:
        with _open_input(path) as f:
            _pump(_read_chunks(f), streamer, out.write)
    except _GZIP_ERRORS as exc:
        raise FileError(f"{path}: corrupt or truncated gzip data ({_describe(exc)})") from exc
    except IsADirectoryError as exc:
        raise FileError(f"{path}: is a directory") from exc
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            raise
        raise FileError(f"{path}: {_describe(exc)}") from exc
    streamer.stats.files = 1
    return streamer.stats


def _fsync_dir(directory: str) -> None:
    try:
        fd = os.open(directory or ".", os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def scrub_file_in_place(path: str, settings: Settings, *, pure: bool | None = None) -> Stats:
    """Rewrite ``path`` atomically: temp file in the same directory, fsync, rename.

    Mode, owner and times are kept; ``.gz`` files are rewritten as gzip.  On any
    error the original is untouched and the temp file removed; after a SIGKILL
    the temp file ``.NAME.scrubber-tmp-PID`` is left and removed by the next run.
    """
    real = os.path.realpath(path)
    directory = os.path.dirname(real)
    clean_stale_temp_files(directory)
    try:
        st = os.stat(real)
    except OSError as exc:
        raise FileError(f"{path}: {_describe(exc)}") from exc
    if not os.path.isfile(real):
        raise FileError(f"{path}: not a regular file")
    tmp = temp_name(real)
    streamer = Streamer(settings, pure=pure)
    try:
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            # Our own PID in the name: left by an earlier run that was killed and
            # had the PID we have now (PID namespaces: a container's PIDs repeat).
            # Files are rewritten one at a time, so it cannot be ours: it is stale.
            os.unlink(tmp)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise FileError(f"{path}: cannot create a temporary file in {directory}: {_describe(exc)}") from exc
    ok = False
    try:
        with open(fd, "wb", buffering=BLOCK_SIZE) as raw:
            if real.endswith(".gz"):
                name = os.path.basename(real)[:-3]
                with gzip.GzipFile(filename=name, mode="wb", fileobj=raw, mtime=int(st.st_mtime)) as gz:
                    with _open_input(real) as f:
                        _pump(_read_chunks(f), streamer, gz.write)
            else:
                with _open_input(real) as f:
                    _pump(_read_chunks(f), streamer, raw.write)
            raw.flush()
            if (st.st_uid, st.st_gid) != (os.getuid(), os.getgid()):
                os.fchown(raw.fileno(), st.st_uid, st.st_gid)
            os.fchmod(raw.fileno(), st.st_mode & 0o7777)
            os.fsync(raw.fileno())
        os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
        os.replace(tmp, real)
        ok = True
        _fsync_dir(directory)
    except _GZIP_ERRORS as exc:
        raise FileError(f"{path}: corrupt or truncated gzip data ({_describe(exc)}); left unchanged") from exc
    except OSError as exc:
        raise FileError(f"{path}: {_describe(exc)}; left unchanged") from exc
    finally:
        if not ok:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    streamer.stats.files = 1
    return streamer.stats


# ------------------------------------------------------------------- walks
def _walk(top: str, include: list[str]) -> Iterator[str]:
    """Regular files under ``top``; symlinks are not followed (so never out of it)."""
    top_real = os.path.realpath(top)
    for root, dirs, files in os.walk(top, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or _TMP_RE.match(name):
                continue
            if include and not any(fnmatch.fnmatch(name, pat) for pat in include):
                continue
            full = os.path.join(root, name)
            if os.path.islink(full):
                target = os.path.realpath(full)
                if os.path.commonpath([top_real, target]) != top_real:
                    continue  # a symlink out of the given directory
                continue  # inside: the target itself is visited under its own name
            if os.path.isfile(full):
                yield full


def expand_paths(args: Iterable[str], include: list[str]) -> tuple[list[str], list[str]]:
    """Files to process (in order, no duplicates) and error messages for bad arguments."""
    files: list[str] = []
    errors: list[str] = []
    seen: set[str] = set()

    def add(p: str) -> None:
        key = os.path.realpath(p)
        if key not in seen:
            seen.add(key)
            files.append(p)

    for arg in args:
        if os.path.isdir(arg):
            for p in _walk(arg, include):
                add(p)
        elif os.path.exists(arg):
            add(arg)
        elif _GLOB_CHARS.search(arg):
            matches = sorted(glob.glob(arg))
            if not matches:
                errors.append(f"{arg}: no file matches")
            for m in matches:
                if os.path.isdir(m):
                    for p in _walk(m, include):
                        add(p)
                elif _TMP_RE.match(os.path.basename(m)) is None:
                    add(m)
        else:
            errors.append(f"{arg}: No such file or directory")
    return files, errors

"""A progress line on stderr for bulk runs (files, directories, globs): done, rate, time left.

Only when stderr is a terminal and the scrubbed text does not go to that terminal too
(stdout redirected, or --in-place): never in a pipe, a log file or cron. It appears once a
run has taken a second (SCRUBBER_PROGRESS_DELAY overrides, for tests), redraws one line
in place and is cleared at the end and before any message.

The total is the size of the files the arguments name, taken by a first walk over the
same targets (``lstat`` only: nothing is opened). How far the current file has been read
is its descriptor's offset (``lseek``; found by device and inode in /proc/self/fd), so a
single large file moves too; a compressed file counts its compressed bytes.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import threading
import time
from typing import Iterable

from .paths import Target, iter_targets

INTERVAL = 0.5


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return ""  # pragma: no cover


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def _identity(target: Target) -> tuple[int, int, int] | None:
    """(device, inode, size) of a regular file, without following a link; None otherwise."""
    try:
        st = os.stat(target.name, dir_fd=target.dir_fd, follow_symlinks=False)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size) if stat.S_ISREG(st.st_mode) else None


def _terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def wanted(in_place: bool) -> bool:
    """A progress line only on a terminal, and not into the scrubbed text on that terminal."""
    return _terminal(sys.stderr) and (in_place or not _terminal(sys.stdout))


class Progress:
    def __init__(self, sizes: dict[tuple[int, int], int], stream=None):
        self.stream = stream or sys.stderr
        self.sizes = sizes
        self.files, self.total = len(sizes), sum(sizes.values())
        self.done_files = self.done_bytes = 0
        self.current: tuple[int, int] | None = None
        self.delay = float(os.environ.get("SCRUBBER_PROGRESS_DELAY", "1"))
        self.start = time.monotonic()
        self.shown = False
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="progress", daemon=True)

    @classmethod
    def for_paths(cls, paths: Iterable[str], include: list[str]) -> "Progress":
        sizes: dict[tuple[int, int], int] = {}
        for item in iter_targets(paths, include):
            if isinstance(item, Target):
                found = _identity(item)
                if found is not None:
                    sizes[found[:2]] = found[2]
        progress = cls(sizes)
        progress.thread.start()
        return progress

    def walk(self, targets: Iterable[Target | str]):
        """``targets``, each marked as the current one while the caller works on it; the
        line is cleared when the walk ends (also when the caller's loop is left by an
        exception: the loop drops its iterator, which closes it)."""
        try:
            for target in targets:
                self.step(target)
                yield target
        finally:
            self.finish()

    def step(self, target: Target | str) -> None:
        """``target`` is next: the one before it is done."""
        with self.lock:
            self._close_current()
            found = _identity(target) if isinstance(target, Target) else None
            self.current = found[:2] if found and found[:2] in self.sizes else None

    def _close_current(self) -> None:
        if self.current is not None:
            self.done_files += 1
            self.done_bytes += self.sizes[self.current]
            self.current = None

    def _reading(self) -> int:
        """How far the current file has been read: its descriptor's offset, if found."""
        if self.current is None:
            return 0
        try:
            names = os.listdir("/proc/self/fd")
        except OSError:
            return 0
        for name in names:
            try:
                fd = int(name)
                st = os.fstat(fd)
                if (st.st_dev, st.st_ino) == self.current and stat.S_ISREG(st.st_mode):
                    return min(self.sizes[self.current], os.lseek(fd, 0, os.SEEK_CUR))
            except (OSError, ValueError):
                continue
        return 0

    def line(self) -> str:
        elapsed = time.monotonic() - self.start
        done = self.done_bytes + self._reading()
        files = f"{self.done_files} of {self.files} file{'s' if self.files != 1 else ''}"
        if not done or not self.total:
            return f"scrubber: {files}, {_clock(elapsed)} elapsed"
        rate = done / elapsed if elapsed > 0 else 0
        left = (self.total - done) / rate if rate else 0
        return (f"scrubber: {files}, {100 * done / self.total:.0f}% ({_size(done)} of {_size(self.total)}), "
                f"{_size(rate)}/s, {_clock(left)} left")

    def _draw(self) -> None:
        with self.lock:
            self.stream.write("\r\x1b[K" + self.line())
            self.stream.flush()
            self.shown = True

    @contextlib.contextmanager
    def message(self):
        """Around a message on stderr: the line goes, and comes back at the next redraw."""
        with self.lock:
            if self.shown:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
            yield

    def _run(self) -> None:
        if self.stop.wait(self.delay):
            return
        while True:
            self._draw()
            if self.stop.wait(INTERVAL):
                return

    def finish(self) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join()
        with self.message():
            pass

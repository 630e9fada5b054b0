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

import os
import stat
import sys
from typing import Iterable

from privacy_promises.progress_line import ProgressLine, clock, count, done_rate_left, is_terminal

from .paths import Target, iter_targets


def _identity(target: Target) -> tuple[int, int, int] | None:
    """(device, inode, size) of a regular file, without following a link; None otherwise."""
    try:
        st = os.stat(target.name, dir_fd=target.dir_fd, follow_symlinks=False)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size) if stat.S_ISREG(st.st_mode) else None


def wanted(in_place: bool) -> bool:
    """A progress line only on a terminal, and not into the scrubbed text on that terminal."""
    return is_terminal(sys.stderr) and (in_place or not is_terminal(sys.stdout))


class Progress(ProgressLine):
    def __init__(self, sizes: dict[tuple[int, int], int], stream=None):
        super().__init__(stream, "SCRUBBER_PROGRESS_DELAY")
        self.sizes = sizes
        self.files, self.total = len(sizes), sum(sizes.values())
        self.done_files = self.done_bytes = 0
        self.current: tuple[int, int] | None = None

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
        elapsed = self.elapsed()
        done = self.done_bytes + self._reading()
        files = f"{self.done_files} of {count(self.files, 'file')}"
        if not done or not self.total:
            return f"scrubber: {files}, {clock(elapsed)} elapsed"
        return f"scrubber: {files}, {done_rate_left(done, self.total, elapsed)}"

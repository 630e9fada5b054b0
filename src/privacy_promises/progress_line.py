"""A progress line on a terminal: the wording of sizes, rates and times left, and the
thread that redraws the line in place (``check`` and ``scrubber`` each say what is done).

The line appears once a run has taken ``delay`` seconds (1 unless the caller's environment
variable says otherwise, for tests), is redrawn every INTERVAL seconds, and is cleared
around any message and at the end, so nothing is left on the terminal's line.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time

INTERVAL = 0.5
CLEAR = "\r\x1b[K"  # to the start of the line, erase it


def size(n: float) -> str:
    """``n`` bytes in decimal units: '512 B', '1.5 MB'."""
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return ""  # pragma: no cover


def clock(seconds: float) -> str:
    """'m:ss', or 'h:mm:ss' from an hour."""
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def count(n: int, word: str) -> str:
    """'1 file', '2 files'."""
    return f"{n} {word}{'s' if n != 1 else ''}"


def done_rate_left(done: int, total: int, elapsed: float) -> str:
    """'50% (1.0 MB of 2.0 MB), 500.0 kB/s, 0:02 left' for ``done`` of ``total`` bytes
    in ``elapsed`` seconds (``total`` > 0)."""
    rate = done / elapsed if elapsed > 0 else 0
    left = (total - done) / rate if rate else 0
    return f"{100 * done / total:.0f}% ({size(done)} of {size(total)}), {size(rate)}/s, {clock(left)} left"


def is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no such method, or closed
        return False


class ProgressLine:
    """Draws ``self.line()`` on ``stream`` from a thread; subclasses say what the line is.

    The caller starts ``self.thread`` and calls ``finish()``; ``self.lock`` is held while the
    line is drawn and during ``message()``, and subclasses take it to change what is drawn.
    """

    def __init__(self, stream, delay_variable: str):
        self.stream = stream or sys.stderr
        self.delay = float(os.environ.get(delay_variable, "1"))
        self.start = time.monotonic()
        self.shown = False
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="progress", daemon=True)

    def line(self) -> str:
        raise NotImplementedError

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def _draw(self) -> None:
        with self.lock:
            self.stream.write(CLEAR + self.line())
            self.stream.flush()
            self.shown = True

    @contextlib.contextmanager
    def message(self):
        """Around a message on the same stream: the line goes, and comes back at the next redraw."""
        with self.lock:
            if self.shown:
                self.stream.write(CLEAR)
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
        """Stop drawing and clear the line (what follows is the run's own output)."""
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join()
        with self.message():
            pass

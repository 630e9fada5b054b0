"""A progress line on stderr for long `check` runs: done, rate, time left.

Only when stderr is a terminal (never in a pipe, a log file or cron), and only once a run
has taken a second (POLICYENGINE_PROGRESS_DELAY overrides, for tests). A thread samples
how far the operating system has read each record file (``lseek`` on the descriptor: the
reader's buffers are not touched) and the findings the sink has seen; it redraws one line
in place and clears it at the end. Sources whose size is unknown (stdin, SQLite) and files
checked by worker processes (`--jobs`) show the findings so far and the time taken.
"""

from __future__ import annotations

import os
import sys

from privacy_promises.progress_line import ProgressLine, clock, count, done_rate_left, is_terminal


class CountingSink:
    """A sink that passes everything to ``sink`` and counts the findings."""

    def __init__(self, sink):
        self.sink, self.findings = sink, 0

    def add(self, finding) -> None:
        self.findings += 1
        self.sink.add(finding)

    def add_chunk(self, payload) -> None:
        self.findings += len(payload) if isinstance(payload, list) else payload.count("\n") \
            if isinstance(payload, str) else 0
        self.sink.add_chunk(payload)

    def chunk_renderer(self):
        return self.sink.chunk_renderer()

    def finish(self) -> None:
        self.sink.finish()


def _files(sources) -> list[tuple[int, int]]:
    """(descriptor, size) of each source that is a regular file read in this process."""
    out = []
    for source in sources:
        stream = getattr(source, "closer", None)
        try:
            fd = stream.fileno()
            size = os.fstat(fd).st_size
        except (AttributeError, OSError, ValueError):
            continue
        if size > 0:
            out.append((fd, size))
    return out


class Progress(ProgressLine):
    def __init__(self, sources, sink: CountingSink, stream=None):
        super().__init__(stream, "POLICYENGINE_PROGRESS_DELAY")
        self.sink = sink
        self.files = _files(sources)
        self.total = sum(size for _, size in self.files)

    @classmethod
    def for_run(cls, sources, sink):
        """(sink to run into, progress or None): progress only when stderr is a terminal."""
        if not is_terminal(sys.stderr):
            return sink, None
        counting = CountingSink(sink)
        progress = cls(sources, counting)
        progress.thread.start()
        return counting, progress

    def _read(self) -> int:
        done = 0
        for fd, size in self.files:
            try:
                done += min(size, os.lseek(fd, 0, os.SEEK_CUR))
            except OSError:  # closed: read to the end
                done += size
        return done

    def line(self) -> str:
        elapsed = self.elapsed()
        found = count(self.sink.findings, "finding")
        done = self._read() if self.total else 0
        if not done:
            return f"check: {found}, {clock(elapsed)} elapsed"
        return f"check: {done_rate_left(done, self.total, elapsed)}, {found}"

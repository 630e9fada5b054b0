"""A progress line on stderr for long `check` runs: done, rate, time left.

Only when stderr is a terminal (never in a pipe, a log file or cron), and only once a run
has taken a second (POLICYENGINE_PROGRESS_DELAY overrides, for tests). A thread samples
how far the operating system has read each record file (``lseek`` on the descriptor: the
reader's buffers are not touched) and the findings the sink has seen; it redraws one line
in place and clears it at the end. A source a SQL engine reads says itself how far it is
(``Source.progress_state``): DuckDB the share of its screen done while it runs, then the
records fetched of all (the row of the last one fetched: the screen's rows come in input
order); PostgreSQL and the SQLite screen the records fetched. Sources whose size is unknown
(stdin, ``--engine python`` over SQLite) and files checked by worker processes (`--jobs`)
show the findings so far and the time taken.
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
        self.sources = list(sources)
        self.files = _files(self.sources)
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

    def _state(self):
        """The first source that says how far it is (sources are read one after another)."""
        for source in self.sources:
            state = getattr(source, "progress_state", None)
            state = state() if state is not None else None
            if state is not None and state[1] < state[2]:
                return state
        return None

    def line(self) -> str:
        elapsed = self.elapsed()
        found = count(self.sink.findings, "finding")
        state = self._state()
        if state is not None:
            what, done, total = state
            if what != "records":  # a share of a query's work: no rate to tell
                return f"check: {done:.0f}% {what}, {clock(elapsed)} elapsed, {found}"
            rate = done / elapsed if elapsed > 0 else 0
            left = (total - done) / rate if rate else 0
            return (f"check: {100 * done / total:.0f}% ({done:,} of {total:,} records), "
                    f"{rate:,.0f} records/s, {clock(left)} left, {found}")
        done = self._read() if self.total else 0
        if not done:
            return f"check: {found}, {clock(elapsed)} elapsed"
        return f"check: {done_rate_left(done, self.total, elapsed)}, {found}"

"""From a hostile review (2026-12-06) of 4236aba (a --jobs worker killed) and 205c77a (Unix time under a JSON
key), 2026-12-06: each test here FAILED against 854f342 when it was written.  Real
processes, really killed; every process started here is ended here."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scrubber import Settings, Streamer, native_available, scrub_block
from scrubber.errors import WorkerGone
from scrubber.files import Chunks
from scrubber.parallel import Workers

from process_support import children, dead, end, kill, stop_a_worker
from worker_logs import LOG, NEXT, NOW, OPTS, SETTINGS, one_process

PATHS = [True, False] if native_available() else [True]


def _wchan(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/wchan") as f:
            return f.read()
    except OSError:
        return ""


# ------------------------------------------------------------------ scrubber --jobs
@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_before_a_worker_dies_is_not_lost(tmp_path: Path, sig: int, code: int) -> None:
    """Ctrl-C (or SIGTERM), then a worker dies while the parent waits for the ranges it
    handed out: the run must still stop (130/143), not go on rewriting the next files.
    Found: exit 1 and b.log rewritten in place after the interrupt (_pump_fds's
    ``except WorkerGone`` drops ``stopped``)."""
    big = LOG * 8
    (tmp_path / "a.log").write_bytes(big)
    (tmp_path / "b.log").write_bytes(NEXT)
    proc = subprocess.Popen(
        [sys.executable, "-m", "scrubber", *OPTS, "--jobs", "2", "--in-place", "a.log", "b.log"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        victim = stop_a_worker(proc, 2)
        time.sleep(0.3)
        os.kill(proc.pid, sig)
        time.sleep(0.5)
        os.kill(victim, signal.SIGKILL)
        _, err = proc.communicate(timeout=120)
    finally:
        end(proc)
    assert (tmp_path / "a.log").read_bytes() == big
    assert (tmp_path / "b.log").read_bytes() == NEXT, "the next file was rewritten after the interrupt"
    assert proc.returncode == code, err.decode()


def test_after_a_worker_killed_mid_write_to_a_pipe_the_next_file_starts_a_line(tmp_path: Path) -> None:
    """stdout a pipe (or >>): the killed worker's range stops mid-line, nothing can cut it
    back, and the next file's first line is glued to that fragment
    (``...Chrome/12`` + ``44.157.128.0 - - [01/Jun/2024...``): one corrupt line mixing
    two files.  What was written for the failed file should end at a line end before the
    next file's output (a newline written, or the run stopped)."""
    big = LOG * 8
    (tmp_path / "a.log").write_bytes(big)
    (tmp_path / "b.log").write_bytes(NEXT)
    whole, nxt = one_process(big), one_process(NEXT)
    proc = subprocess.Popen(
        [sys.executable, "-m", "scrubber", *OPTS, "--jobs", "2", "a.log", "b.log"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        got = b""
        while len(got) < 3_000_000:  # into the fresh part of a.log: every range writes
            got += os.read(proc.stdout.fileno(), 65536)  # type: ignore[union-attr]
        deadline = time.monotonic() + 30
        victim = None
        while victim is None and time.monotonic() < deadline:  # a worker blocked writing to the full pipe
            for pid in children(proc.pid):
                if "pipe_write" in _wchan(pid):
                    victim = pid
        assert victim is not None, "no worker blocked on the pipe"
        os.kill(victim, signal.SIGKILL)
        out, err = proc.communicate(timeout=120)
    finally:
        end(proc)
    got += out
    assert proc.returncode == 1, err.decode()
    assert got.endswith(nxt)
    head = got[: len(got) - len(nxt)]
    assert head.endswith(b"\n"), b"glued: " + head[head.rfind(b"\n") + 1 :] + b"|" + nxt[:60]
    # what the worker wrote, then the line end the parent wrote after it (a pipe cannot be cut back)
    assert whole.startswith(head[:-1])


def test_a_worker_killed_while_idle_between_files_fails_no_file(tmp_path: Path) -> None:
    """A worker that died after its last range of one file was answered (idle, between
    files) lost nothing; the next file is handed to the dead pool all the same and fails
    ("worker ... during the run: its output is incomplete"; with --in-place: left
    unscrubbed).  The pool should notice before handing out and start new workers."""
    a, b, out = tmp_path / "a.log", tmp_path / "b.log", tmp_path / "out"
    a.write_bytes(LOG)
    b.write_bytes(LOG)
    with Workers(2, range_size=1 << 20) as w, open(out, "wb") as sink:
        with open(a, "rb", buffering=0) as raw:
            w.pump(Chunks(raw, fd=raw.fileno()), Streamer(SETTINGS), sink.write, sink=sink)
        kill(w._procs[0])
        try:
            with open(b, "rb", buffering=0) as raw:
                w.pump(Chunks(raw, fd=raw.fileno()), Streamer(SETTINGS), sink.write, sink=sink)
        except WorkerGone as exc:
            pytest.fail(f"the next file failed for a worker that died idle: {exc}")
    assert out.read_bytes() == one_process(LOG) * 2


# ------------------------------------------------------------------ check --jobs
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_check_workers_end_when_the_parent_is_gone(tmp_path: Path, sig: int) -> None:
    """`policyengine check --jobs 2` ended by SIGTERM (systemd stop, `timeout`, a CI
    cancel) or SIGKILL (the OOM killer choosing the parent): its workers stay forever,
    blocked sending an answer on a socket whose other end they hold themselves (forked
    with the parent's ends), holding the records file and the caller's stdout/stderr
    (a reader of the pipe never sees EOF).  Pre-existing, not from 4236aba."""
    from check_data import NOW as CHECK_NOW, write_policy, write_records

    policy, _ = write_policy(tmp_path)
    write_records(tmp_path / "r.jsonl", 150_000)
    proc = subprocess.Popen(
        [sys.executable, "-m", "policyengine", "check", str(policy), "-r", "r.jsonl", "--now", CHECK_NOW,
         "--jobs", "2"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
            workers = children(proc.pid)
        assert len(workers) == 2
        time.sleep(0.2)
        os.kill(proc.pid, sig)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 5
        while not all(dead(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [pid for pid in workers if not dead(pid)]
    finally:
        for pid in workers:  # orphans now (parent 1): ended here by pid
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    assert left == [], f"workers {left} outlived the parent by 5 s"


# ------------------------------------------------------------------ Unix time
@pytest.mark.parametrize("pure", PATHS, ids=lambda p: "pure" if p else "native")
@pytest.mark.parametrize(
    "line,expired",
    [
        # A Go time.Duration (nanoseconds, encoding/json's int64) under "time" before the
        # record's own time: 5 s reads as 2128 (kept for ever), 1.5 s as 2017 (dropped
        # fresh).  Until 205c77a a number under "time" was no time and @timestamp decided.
        (b'{"time":5000000000,"@timestamp":"2020-01-01T00:00:00Z","ip":"192.0.2.7"}', 1),
        (b'{"time":1500000000,"@timestamp":"2024-06-30T11:00:00Z","ip":"192.0.2.7"}', 0),
        # a nested object's "time" (a request's parsed query, a span) before the record's
        (b'{"req":{"args":{"time":9999999999}},"time_local":"01/Jan/2020:00:00:00 +0000"}', 1),
    ],
)
def test_a_number_under_time_before_the_records_own_time_key(line: bytes, expired: int, pure: bool) -> None:
    """Design question more than a slip: the README says "a duration such as "time":45
    is not a time", but a duration in ns/us/ms with 10/13/16/19 digits is."""
    settings = Settings.create(max_age="30d", now=NOW, timezone="UTC")
    assert scrub_block(line + b"\n", settings, pure=pure)[1].lines_expired == expired


def test_a_fork_that_fails_leaves_no_half_pool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """os.fork failing (EAGAIN: the memory pressure that also brings the OOM killer) for
    the second worker: the first file fails with that error (fine), but the pool keeps
    the one worker forked, and the next file crashes with IndexError in _pump_fds
    (``self._conns[seq % self.jobs]``): a traceback from the CLI (exit 1, --in-place too).
    The next file should get a whole new pool (or the error again), never a crash.  (The
    socket pair made for the fork that failed is never closed either: ResourceWarning.)"""
    import errno

    a = tmp_path / "a.log"
    a.write_bytes(LOG)
    real_fork, calls = os.fork, [0]

    def fork() -> int:
        calls[0] += 1
        if calls[0] == 2:
            raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")
        return real_fork()

    with Workers(2, range_size=1 << 20) as w, open(tmp_path / "out", "wb") as sink:
        monkeypatch.setattr(os, "fork", fork)
        for attempt in range(2):
            try:
                with open(a, "rb", buffering=0) as raw:
                    w.pump(Chunks(raw, fd=raw.fileno()), Streamer(SETTINGS), sink.write, sink=sink)
            except OSError as exc:
                assert attempt == 0 and exc.errno == errno.EAGAIN
        monkeypatch.setattr(os, "fork", real_fork)

"""A --jobs worker killed during a run (SIGKILL, the OOM killer): the file it was
scrubbing is reported as failed, by name and with how the worker ended, never as a
traceback or as the output's own EPIPE; an in-place rewrite leaves the file as it was;
what was written stops at a line end; and the next file is scrubbed by new workers with
the bytes of one process.  Real processes, really killed."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scrubber import Streamer
from scrubber.errors import WorkerGone
from scrubber.files import Chunks
from scrubber.parallel import Workers

from process_support import kill, stop_a_worker
from worker_logs import LOG, NEXT, OPTS, SETTINGS, one_process

# 13 ranges of 1 MiB: killed after two are answered, the victim has ranges not yet handed
# out (at most 4 per worker are in flight), so the run cannot finish without it.
MANY = LOG * 3


def assert_reaped(pids: list[int]) -> None:
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def assert_prefix_at_line_end(got: bytes, whole: bytes) -> None:
    assert whole.startswith(got)
    assert got == b"" or got.endswith(b"\n")
    assert len(got) < len(whole)


@pytest.mark.parametrize("victim", [0, 1])
@pytest.mark.parametrize("after", [1, 2])
def test_workers_reading_the_file_themselves(tmp_path: Path, victim: int, after: int) -> None:
    """Killed after ``after`` ranges were answered: the check the parent runs after each."""
    src, nxt, out = tmp_path / "a.log", tmp_path / "b.log", tmp_path / "out"
    src.write_bytes(MANY)
    nxt.write_bytes(NEXT)
    with Workers(2, range_size=1 << 20) as w, open(out, "wb") as sink:
        answered = 0

        def check() -> None:
            nonlocal answered
            answered += 1
            if answered == after:
                kill(w._procs[victim])

        with open(src, "rb", buffering=0) as raw:
            with pytest.raises(WorkerGone) as got:
                w.pump(Chunks(raw, check, fd=raw.fileno()), Streamer(SETTINGS), sink.write, sink=sink)
        pids = [got.value.pid]
        assert got.value.how == "was killed by signal 9 (SIGKILL)", got.value.how
        assert not w._procs  # the pool is ended: every worker reaped
        sink.flush()
        assert_prefix_at_line_end(out.read_bytes(), one_process(MANY))
        size = out.stat().st_size
        with open(nxt, "rb", buffering=0) as raw:  # new workers
            w.pump(Chunks(raw, fd=raw.fileno()), Streamer(SETTINGS), sink.write, sink=sink)
        pids += w._procs
    assert_reaped(pids)
    assert out.read_bytes()[size:] == one_process(NEXT)


def test_an_output_opened_to_append_is_never_cut_back(tmp_path: Path) -> None:
    """``>> out``: its offset says nothing of its end, and others may append: what was in
    it stays, whatever a killed worker left after it."""
    src, out = tmp_path / "a.log", tmp_path / "out"
    src.write_bytes(MANY)
    before = b"written before\n" * 200_000  # 3 MB: more than the ranges answered before the kill
    out.write_bytes(before)
    # as a shell's >> opens it: O_APPEND, the offset left at 0 (Python's "ab" seeks to the end)
    with Workers(2, range_size=1 << 20) as w, open(os.open(out, os.O_WRONLY | os.O_APPEND), "wb") as sink:
        answered = 0

        def check() -> None:
            nonlocal answered
            answered += 1
            if answered == 2:
                kill(w._procs[1])

        with open(src, "rb", buffering=0) as raw, pytest.raises(WorkerGone):
            w.pump(Chunks(raw, check, fd=raw.fileno()), Streamer(SETTINGS), sink.write, sink=sink)
    got = out.read_bytes()
    assert got.startswith(before)
    # not cut back: what the workers wrote, then a line end (the next output starts a line)
    assert got.endswith(b"\n") and one_process(MANY).startswith(got[len(before) : -1])


@pytest.mark.parametrize("victim", [0, 1])
@pytest.mark.parametrize("after", [2, 4])
def test_workers_given_the_bytes_by_the_parent(victim: int, after: int) -> None:
    """A compressed file's way: the parent reads, the workers scrub in shared memory.
    Killed after ``after`` chunks were read (some ranges handed out)."""
    with Workers(2, range_size=1 << 20) as w:
        out: list[bytes] = []

        def chunks():  # type: ignore[no-untyped-def]
            for i in range(0, len(MANY), 1 << 20):
                if i == after << 20:
                    kill(w._procs[victim])
                yield MANY[i : i + (1 << 20)]

        with pytest.raises(WorkerGone) as got:
            w.pump(chunks(), Streamer(SETTINGS), lambda b: out.append(bytes(b)))
        assert got.value.how == "was killed by signal 9 (SIGKILL)", got.value.how
        assert not w._procs
        assert_prefix_at_line_end(b"".join(out), one_process(MANY))
        again: list[bytes] = []
        w.pump([NEXT[:700_000], NEXT[700_000:]], Streamer(SETTINGS), lambda b: again.append(bytes(b)))
        assert b"".join(again) == one_process(NEXT)


# ------------------------------------------------------------------ the command line
def _run_and_kill_a_worker(args: list[str], cwd: Path, stdout: Path) -> tuple[int, str, int]:
    """Start scrubber, stop a worker as soon as both exist (so the file cannot be finished
    without it), then kill it.  Returns the exit status, stderr and the pid."""
    with open(stdout, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "scrubber", *OPTS, *args], cwd=cwd, stdout=out, stderr=subprocess.PIPE
        )
        victim = stop_a_worker(proc, 2)
        time.sleep(0.2)
        os.kill(victim, signal.SIGKILL)
        _, err = proc.communicate(timeout=120)
    return proc.returncode, err.decode(), victim


def test_cli_in_place_leaves_the_file_as_it_was_and_goes_on_with_the_next(tmp_path: Path) -> None:
    big = LOG * 8  # 35 MB: ranges enough that one worker stopped at once holds up the file
    (tmp_path / "a.log").write_bytes(big)
    (tmp_path / "b.log").write_bytes(NEXT)
    code, err, pid = _run_and_kill_a_worker(["--jobs", "2", "--in-place", "a.log", "b.log"], tmp_path, tmp_path / "o")
    assert code == 1, err
    assert "Traceback" not in err
    assert err == f"scrubber: error: a.log: worker process {pid} was killed by signal 9 (SIGKILL) during the run; left unchanged\n"
    assert (tmp_path / "a.log").read_bytes() == big
    assert (tmp_path / "b.log").read_bytes() == one_process(NEXT)
    assert sorted(os.listdir(tmp_path)) == ["a.log", "b.log", "o"]  # no temporary file left


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
def test_cli_to_stdout_stops_at_a_line_end_and_goes_on_with_the_next(tmp_path: Path, compressed: bool) -> None:
    big = LOG * 8
    name = "a.log.gz" if compressed else "a.log"
    (tmp_path / name).write_bytes(gzip.compress(big, 1) if compressed else big)
    (tmp_path / "b.log").write_bytes(NEXT)
    code, err, pid = _run_and_kill_a_worker(["--jobs", "2", name, "b.log"], tmp_path, tmp_path / "o")
    assert code == 1, err  # not 141: the output was not closed
    assert err == f"scrubber: error: {name}: worker process {pid} was killed by signal 9 (SIGKILL) during the run: its output is incomplete\n"
    got, nxt = (tmp_path / "o").read_bytes(), one_process(NEXT)
    assert got.endswith(nxt)
    assert_prefix_at_line_end(got[: len(got) - len(nxt)], one_process(big))

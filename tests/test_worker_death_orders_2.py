"""From a second hostile review (2026-12-06) of 80bab97: each test here failed against bea6961.
Every process started here is ended (and reaped) here."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scrubber import Settings, native_available, scrub_block
from scrubber.errors import WorkerGone
from scrubber.parallel import Workers, _Channel

from process_support import dead, state

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2024, 7, 1, tzinfo=dt.timezone.utc)
PATHS = [True, False] if native_available() else [True]
FRESH = int(NOW.timestamp()) - 3600
OLD = 1_000_000_000


def test_a_worker_that_stopped_answering_is_reaped() -> None:
    """_how_it_ended SIGKILLs a worker whose socket closed but which did not end within
    0.5 s, and returns without reaping it; _gone then marks it reaped, so close() never
    waits for it: a zombie for the rest of the run (and _end_if_one_died's waitpid is
    skipped too)."""
    parent, child = socket.socketpair()
    pid = os.fork()
    if pid == 0:  # a "worker" whose socket is gone but which lives on
        try:
            parent.close()
            child.close()
            time.sleep(20)
        finally:
            os._exit(0)
    child.close()
    try:
        workers = Workers(1)
        conn = _Channel(parent, pid)
        workers._conns, workers._procs, workers._told = [conn], [pid], [None]
        with pytest.raises(WorkerGone, match="stopped answering"):
            conn.recv()
        workers.close(terminate=True)
        time.sleep(0.2)
        assert state(pid) == "", f"worker {pid} left as state {state(pid)!r} (Z: a zombie nobody reaps)"
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


@pytest.mark.parametrize("pure", PATHS, ids=lambda p: "pure" if p else "native")
@pytest.mark.parametrize(
    "before",
    [
        '"event": "GET /items/[id]", ',  # a '[' inside a top-level string value
        '"event": "got {x}", ',  # a '{' inside a top-level string value
        '"event": "done", "ids": [1, 2], ',  # structlog: a kwarg's list before the timestamp it appends
    ],
)
def test_a_bracket_before_a_top_level_unix_time_does_not_hide_it(before: str, pure: bool) -> None:
    """structlog's JSON puts "timestamp" (Unix seconds by default) last, after the event
    and every kwarg. A '[' or '{' anywhere before it, even inside a string, makes it
    'nested': the line follows the line before. A fresh line after an old one is dropped
    (data lost); an old line after a fresh one is kept past --max-age."""
    settings = Settings.create(max_age="30d", now=NOW, timezone="UTC")
    for prev, secs, kept in ((OLD, FRESH, True), (FRESH, OLD, False)):
        line = ("{" + before + f'"timestamp": {secs}.25' + "}\n").encode()
        data = b'{"ts":%d,"msg":"x"}\n' % prev + line
        out = scrub_block(data, settings, pure=pure)[0]
        assert (line in out) == kept, (data, out)


def _full(args: list[str]) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "POLICYENGINE_TRACEBACK"}
    with open("/dev/full", "wb") as full:
        return subprocess.run([sys.executable, "-m", *args], stdout=full, stderr=subprocess.PIPE, cwd=ROOT, env=env,
                              timeout=120, check=False)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
@pytest.mark.parametrize("args,code", [
    (["policyengine", "--version"], 2), (["policyengine", "--help"], 2),
    (["scrubber", "--version"], 1), (["scrubber", "--help"], 1),
])
def test_help_and_version_to_a_full_disk_are_one_line(args: list[str], code: int) -> None:
    done = _full(args)
    assert b"Traceback" not in done.stderr and done.returncode == code, done.stderr.decode()[-400:]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_a_full_disk_counts_each_file_once(tmp_path: Path) -> None:
    """--jobs 1 and one file to a full disk: the file's error, then the final flush's
    error counted as one more failed file (files_failed=2 for one file; --jobs 2: 1)."""
    log = tmp_path / "a.log"
    log.write_bytes(b'192.0.2.1 - - [01/Jul/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 5\n' * 40_000)
    done = _full(["scrubber", "--stats-json", "--jobs", "1", str(log)])
    assert done.returncode == 1
    assert b'"files_failed": 1' in done.stderr or b'"files_failed":1' in done.stderr, done.stderr.decode()


def test_a_signal_while_reading_then_a_dead_worker_in_the_drain_still_stops(tmp_path: Path) -> None:
    """pump's _pump (a compressed file, any input read by the parent): a SIGINT lands while
    the input is read (the only place it can), the except BaseException handler writes what
    was read (last -> drain), and a worker that died meanwhile (OOM killer, kill -9) makes
    collect() raise WorkerGone from inside the handler: the KeyboardInterrupt is replaced,
    the CLI reports one failed file and goes on to rewrite the next ones. 80bab97 fixed
    exactly this order in _pump_fds only."""
    from scrubber import Streamer

    settings = Settings.create(max_age="30d", now=NOW, timezone="UTC")
    line = b'192.0.2.1 - - [30/Jun/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 5\n'
    block = line * 4000  # 260 kB

    workers = Workers(2, range_size=256 * 1024)

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(12):
            yield block
        assert workers._procs, "no workers started"
        for pid in workers._procs:  # both workers die (they hold ranges handed out)
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while not all(dead(p) for p in workers._procs) and time.monotonic() < deadline:
            time.sleep(0.01)
        raise KeyboardInterrupt  # as the handler raises it while the input is read

    out: list[bytes] = []
    try:
        with pytest.raises(KeyboardInterrupt):
            workers.pump(chunks(), Streamer(settings), lambda b: out.append(bytes(b)))
    finally:
        workers.close(terminate=True)


def test_cli_a_signal_then_a_dead_worker_on_a_compressed_file_stops_the_run(tmp_path: Path) -> None:
    """The CLI form of the test above: both workers SIGSTOPped, SIGINT to the parent (it
    lands while the parent reads the .gz), one worker SIGKILLed while the parent drains.
    Found: exit 1 ("a.log.gz: worker ... killed; left unchanged") and b.log rewritten
    after the interrupt; want: exit 130, b.log untouched."""
    import gzip

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from loggen import generate_lines
    from process_support import children, end

    lines = generate_lines(60000, seed=1, end=dt.datetime(2024, 6, 30, tzinfo=dt.timezone.utc))
    with gzip.open(tmp_path / "a.log.gz", "wb", compresslevel=1) as f:
        f.write(("\n".join(lines) + "\n").encode() * 4)
    agz = (tmp_path / "a.log.gz").read_bytes()
    nxt = b'192.0.2.1 - - [30/Jun/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 5\n' * 10
    (tmp_path / "b.log").write_bytes(nxt)
    opts = ["--max-age", "30d", "--now", "2024-07-01T00:00:00Z", "--timezone", "UTC"]
    proc = subprocess.Popen([sys.executable, "-m", "scrubber", *opts, "--jobs", "2", "--in-place", "a.log.gz", "b.log"],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while len(children(proc.pid)) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.001)
        kids = sorted(children(proc.pid))
        assert len(kids) == 2, "no two workers"
        for k in kids:
            os.kill(k, signal.SIGSTOP)
        os.kill(proc.pid, signal.SIGINT)
        time.sleep(0.5)
        try:  # (when no range was left in flight, the run has ended by now: the same outcome is wanted)
            os.kill(kids[0], signal.SIGKILL)
            os.kill(kids[1], signal.SIGCONT)
        except ProcessLookupError:
            pass
        _, err = proc.communicate(timeout=60)
    finally:
        end(proc)
    assert (tmp_path / "a.log.gz").read_bytes() == agz
    assert (tmp_path / "b.log").read_bytes() == nxt, "the next file was rewritten after the interrupt"
    assert proc.returncode == 130, err.decode()


# (--help to a closed pipe: click's own EPIPE handling exits 1 before scrubber sees it; a
# known limit, in the note)
@pytest.mark.parametrize("args", [["--version"]])
def test_scrubber_version_and_help_to_a_closed_pipe_exit_141_quietly(args: list[str]) -> None:
    """README: 141, the reader of stdout went away (SIGPIPE), no traceback. Found:
    --version a BrokenPipeError traceback, exit 1; --help exit 1."""
    r, w = os.pipe()
    os.close(r)
    try:
        done = subprocess.run([sys.executable, "-m", "scrubber", *args], stdout=w, stderr=subprocess.PIPE,
                              timeout=60, check=False)
    finally:
        os.close(w)
    assert done.returncode == 141 and done.stderr == b"", done.stderr.decode()[-300:]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
@pytest.mark.parametrize("args,code", [
    (["policyengine", "lint", "rules/binero.policy"], 2),  # clean policy, stdout and stderr full: not "findings"
    (["scrubber", "--max-age", "bogus", "x.log"], 2),  # a usage error whose message cannot be written
])
def test_stdout_and_stderr_full_keep_the_exit_code(args: list[str], code: int) -> None:
    """_internal_error's OSError branch writes to stderr; when that fails too, the second
    OSError escapes as a traceback and exit 1 (policyengine: "findings")."""
    env = {k: v for k, v in os.environ.items() if k != "POLICYENGINE_TRACEBACK"}
    with open("/dev/full", "wb") as full:
        done = subprocess.run([sys.executable, "-m", *args], stdout=full, stderr=full, cwd=ROOT, env=env,
                              timeout=120, check=False)
    assert done.returncode == code


def test_a_signal_then_a_dead_worker_says_the_output_is_cut_short(tmp_path: Path) -> None:
    """_pump_fds now raises the signal and drops the WorkerGone: stdout a file, SIGINT, then
    a worker killed while the parent waits: exit 130 (README: "what had been read was
    scrubbed and flushed first"), an empty stderr, and the output cut back to 2 MB of the
    file's 14 MB (all of it had been handed out: without the kill, all 14 MB are
    written). Nothing tells the user the output is incomplete; the worker's death (pid,
    signal, the file) should still be said."""
    from process_support import end, stop_a_worker

    line = b'192.0.2.1 - - [01/Jul/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "agent"\n'
    raw = line * 180_000  # 14 MB
    (tmp_path / "a.log").write_bytes(raw)
    with open(tmp_path / "out", "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "scrubber", "--jobs", "2", "a.log"], cwd=tmp_path,
                                stdout=out, stderr=subprocess.PIPE)
        try:
            victim = stop_a_worker(proc, 2)
            time.sleep(0.3)
            os.kill(proc.pid, signal.SIGINT)
            time.sleep(0.5)
            os.kill(victim, signal.SIGKILL)
            _, err = proc.communicate(timeout=60)
        finally:
            end(proc)
    size = (tmp_path / "out").stat().st_size
    assert proc.returncode == 130
    assert size == len(raw) or str(victim).encode() in err, (size, len(raw), err)

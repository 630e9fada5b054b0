"""`check --jobs`: a worker killed during the check (SIGKILL, the OOM killer) ends the run
with exit 2 ("the tool could not run"), its pid and how it ended, never a traceback and
never exit 1, which reads as "findings".  And any exception no command expected (a bug)
is exit 2 with one line, on both of the entry point's paths.  Real processes, really
killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from policyengine import compile_policy, load_policy
from policyengine.checking.binding import load_binding
from policyengine.checking.evaluate import lower_to_python
from policyengine.checking.parallel import check_file_parallel
from policyengine.checking.reading import Stats
from policyengine.checking.records import RecordError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from check_data import NOW, write_policy, write_records  # noqa: E402
from process_support import children, kill, stop_a_worker  # noqa: E402


def test_a_worker_killed_between_ranges_is_a_record_error_naming_it(tmp_path: Path, monkeypatch) -> None:
    policy, binding = write_policy(tmp_path)
    records = tmp_path / "r.jsonl"
    write_records(records, 20_000)
    monkeypatch.setenv("POLICYENGINE_CHUNK_BYTES", "200000")  # about 25 ranges
    compiled = compile_policy(load_policy(str(policy)))
    lowered = lower_to_python(compiled, load_binding(str(binding)), NOW)
    before = children(os.getpid())
    ranges = check_file_parallel(lowered, str(records), "r.jsonl", 2, Stats())
    next(ranges)  # the first range's findings: both workers started
    workers = children(os.getpid()) - before
    assert len(workers) == 2
    victim = max(workers)
    kill(victim)
    with pytest.raises(RecordError) as got:
        for _ in ranges:
            pass
    assert str(got.value) == (f"r.jsonl: worker process {victim} was killed by signal 9 (SIGKILL) during the "
                              "check: the findings before its part of the file were reported, none after")
    for pid in workers:  # every worker reaped
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def test_cli_check_with_a_worker_killed_exits_2_without_a_traceback(tmp_path: Path) -> None:
    policy, _ = write_policy(tmp_path)
    write_records(tmp_path / "r.jsonl", 150_000)  # about 38 MB: a second or more with 2 workers
    proc = subprocess.Popen(
        [sys.executable, "-m", "policyengine", "check", str(policy), "-r", "r.jsonl", "--now", NOW, "--jobs", "2"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    victim = stop_a_worker(proc, 2)  # the check cannot finish without it
    time.sleep(0.2)
    os.kill(victim, signal.SIGKILL)
    _, err = proc.communicate(timeout=120)
    text = err.decode()
    assert proc.returncode == 2, text
    assert "Traceback" not in text
    assert f"r.jsonl: worker process {victim} was killed by signal 9 (SIGKILL) during the check" in text


@pytest.mark.parametrize("path", ["entry", "click"])
def test_an_exception_no_command_expected_is_exit_2_in_one_line(tmp_path: Path, path: str) -> None:
    """A bug, made here by a lint whose file reading raises: not the interpreter's exit 1."""
    (tmp_path / "a.policy").write_text('controller "X" {\n}\n', encoding="utf-8")
    script = (
        "import sys, policyengine.cli_lint as m\n"
        "def boom(*a, **k): raise RuntimeError('a bug \\x1b[31m')\n"
        "m.run = boom\n"
        "import policyengine.cli as c\n"
        "c.run_lint = boom\n"
        "from policyengine.entry import main\n"
        f"main(['lint', {'' if path == 'entry' else repr('--') + ', '}'a.policy'])\n"  # '--': click reads it
    )
    env = {k: v for k, v in os.environ.items() if k != "POLICYENGINE_TRACEBACK"}  # (conftest sets it)
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, check=False, env=env)
    assert done.returncode == 2, done.stderr
    assert done.stderr.decode() == (
        "policyengine: internal error: RuntimeError: a bug \\e[31m (a bug: please report it; "
        "POLICYENGINE_TRACEBACK=1 shows where)\n"
    )
    traced = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, check=False,
                            env={**env, "POLICYENGINE_TRACEBACK": "1"})
    assert b"Traceback" in traced.stderr and b"RuntimeError: a bug" in traced.stderr

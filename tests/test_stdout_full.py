"""stdout on a full disk (the kernel's /dev/full: every write is ENOSPC): both tools say
so in one line and exit with their documented code, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")

ROOT = Path(__file__).resolve().parent.parent
LINE = b'192.0.2.1 - - [01/Jul/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 5\n'


def _run(args: list[str], stdin: bytes | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "POLICYENGINE_TRACEBACK"}  # as a user runs it
    with open("/dev/full", "wb") as full:
        return subprocess.run(
            [sys.executable, "-m", *args], input=stdin, stdout=full, stderr=subprocess.PIPE, cwd=cwd, env=env,
            timeout=120, check=False,
        )


@pytest.mark.parametrize("how", ["pipe", "file", "two files", "jobs 2"])
def test_scrubber_to_a_full_disk_exits_1_in_one_line_per_failure(tmp_path: Path, how: str) -> None:
    log = tmp_path / "a.log"
    log.write_bytes(LINE * 40_000)  # 2.6 MB: more than one range and one buffer
    args = {"pipe": [], "file": ["a.log"], "two files": ["a.log", "a.log"], "jobs 2": ["--jobs", "2", "a.log", "a.log"]}[how]
    done = _run(["scrubber", *args], stdin=log.read_bytes() if how == "pipe" else None, cwd=tmp_path)
    err = done.stderr.decode()
    assert done.returncode == 1, err
    assert "Traceback" not in err
    assert err and all(line.startswith("scrubber: error: ") and line.endswith("No space left on device")
                       or line.endswith("No space left on device (stdin to stdout)")
                       for line in err.splitlines()), err


@pytest.mark.parametrize("command", [
    ["lint", "rules/binero.policy", "--format", "json"],  # the fast path, without click
    ["lint", "--", "rules/binero.policy"],  # through click
    ["check", "rules/binero.policy", "--binding", "examples/binero/binding.yaml",
     "--records", "examples/binero/records.csv", "--now", "2026-11-21T12:00:00+01:00"],
])
def test_policyengine_to_a_full_disk_exits_2_in_one_line(command: list[str]) -> None:
    done = _run(["policyengine", *command])
    assert done.returncode == 2, done.stderr
    assert done.stderr.decode() == "policyengine: error: No space left on device\n"


@pytest.mark.parametrize("command", [
    ["lint", "rules/binero.policy", "--format", "json"],  # the fast path, without click
    ["lint", "--", "rules/binero.policy"],  # through click
    ["compile", "rules/binero.policy"],
    ["check", "rules/binero.policy", "--binding", "examples/binero/binding.yaml",
     "--records", "examples/binero/records.csv", "--now", "2026-11-21T12:00:00+01:00", "--format", "jsonl"],
])  # (not --help: click's own EPIPE handling exits 1 before policyengine sees it; a known limit)
def test_policyengine_to_a_closed_pipe_exits_141_quietly(command: list[str]) -> None:
    """The reader of stdout gone: 141 (128 + SIGPIPE), never 1, which reads as findings."""
    env = {k: v for k, v in os.environ.items() if k != "POLICYENGINE_TRACEBACK"}
    r, w = os.pipe()
    os.close(r)
    try:
        done = subprocess.run([sys.executable, "-m", "policyengine", *command], stdout=w, stderr=subprocess.PIPE,
                              cwd=ROOT, env=env, timeout=120, check=False)
    finally:
        os.close(w)
    assert (done.returncode, done.stderr) == (141, b"")

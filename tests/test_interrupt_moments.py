"""Ctrl-C (SIGINT to the process group) and SIGTERM at random moments of a run that forks
workers: `policyengine check --jobs 2` and `scrubber --jobs 2`.

A signal used to be lost while the workers were forked (the run went on to the end),
and to hang the exit (Pool.terminate(); a scrubber worker orphaned mid-fork). Each run
here must end with the documented code, within a bound, with no traceback; the
scrubber's output must be whole lines, a prefix of the uninterrupted output.

The default run tries 3 moments per case (seconds); `-m slow` tries 150:

    pytest tests/test_interrupt_moments.py -m slow
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from check_support import write_policy

BOUND = 30.0  # seconds from the signal to the exit: generous, for a loaded machine
POLICY = ('controller "X" {\n  authority IMY\n  address "Gatan 1, 111 11 Stad"\n'
          '  automated decisions none\n  security "encrypted backups"\n}\ncategory c "C"\nsubject s "S"\n'
          'purpose backups "B" {\n  subjects s\n  categories c\n  basis contract\n  provision contractual\n'
          '  retain at most 1 month from collected\n}\n'
          'requests {\n  respond within 1 month\n}\n')


def _moments(request) -> int:
    return 150 if "slow" in (request.config.getoption("markexpr") or "") else 3


def _children(pid: int) -> bool:
    try:
        return any(Path(f"/proc/{pid}/task/{t}/children").read_text().split()
                   for t in os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return False


def _signal_at_random(cmd: list[str], cwd: Path, sig: int, rng: random.Random, env: dict,
                      stdout=subprocess.DEVNULL) -> tuple[str, int | None, str]:
    """Start ``cmd`` in its own group, signal the group at a random moment (right as the
    first worker appears, or 0-1.5 s after), and return (moment, exit code, stderr);
    exit code None: not even finished ``BOUND`` seconds later."""
    process = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **env}, stdout=stdout,
                               stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not _children(process.pid) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.0005)
        delay = rng.choice([0.0, rng.uniform(0, 0.3), rng.uniform(0, 1.5)])
        time.sleep(delay)
        moment = f"{delay:.3f} s after the first worker"
        if process.poll() is not None:
            pytest.fail(f"finished before the signal ({moment}): make the input larger")
        os.killpg(process.pid, sig)
        try:
            _, err = process.communicate(timeout=BOUND)  # stderr closes when the workers are gone too
        except subprocess.TimeoutExpired:
            return moment, None, ""
        return moment, process.returncode, err.decode(errors="replace")
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # the group this test started, workers included
        except ProcessLookupError:
            pass
        process.communicate()


@pytest.fixture(scope="module")
def records(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("records")
    write_policy(folder, POLICY)
    (folder / "b.yaml").write_text("columns: {key: id, purpose: purpose, collected: collected}\n")
    line = '{"id": "k%d", "purpose": "backups", "collected": "2020-01-01"}\n'
    with open(folder / "r.jsonl", "w", encoding="utf-8") as out:
        for start in range(0, 600_000, 10_000):
            out.write("".join(line % i for i in range(start, start + 10_000)))
    return folder


def test_ctrl_c_at_any_moment_of_check_jobs_exits_130(records: Path, request) -> None:
    cmd = [sys.executable, "-m", "policyengine", "check", "test.policy", "-b", "b.yaml", "-r", "r.jsonl",
           "--now", "2026-01-01", "--format", "jsonl", "--jobs", "2"]
    seed = random.randrange(1 << 32)
    rng = random.Random(seed)
    for _ in range(_moments(request)):
        moment, code, err = _signal_at_random(cmd, records, signal.SIGINT, rng,
                                              {"POLICYENGINE_CHUNK_BYTES": "65536"})
        where = f"Ctrl-C {moment} (seed {seed})"
        assert code is not None, f"{where}: still running {BOUND} s later"
        assert code == 130, f"{where}: exit {code}: {err}"
        assert "Traceback" not in err and "interrupted" in err, f"{where}: {err}"


@pytest.fixture(scope="module")
def access_log(tmp_path_factory) -> tuple[Path, bytes]:
    """A log of ~45 MB, and its scrubbed form. The interrupted runs use the pure-Python core
    (the same bytes, slower), so that they are still running when the signal comes."""
    folder = tmp_path_factory.mktemp("log")
    rng = random.Random(7)
    lines = "".join(f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(0, 255)} - - "
                    f'[01/Dec/2026:10:{i // 60 % 60:02d}:{i % 60:02d} +0000] "GET /p/{i}?from=10.1.{i % 256}.9 '
                    f'HTTP/1.1" 200 {i} "-" "curl/8"\n' for i in range(100_000))
    path = folder / "access.log"
    path.write_text(lines * 4, encoding="ascii")
    done = subprocess.run([sys.executable, "-m", "scrubber", "--jobs", "1", str(path)], capture_output=True,
                          check=True, timeout=300)
    return path, done.stdout


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"])
def test_signal_at_any_moment_of_scrubber_jobs(access_log, tmp_path: Path, sig: int, code: int, request) -> None:
    path, full = access_log
    seed = random.randrange(1 << 32)
    rng = random.Random(seed)
    out_path = tmp_path / "out"
    for _ in range(_moments(request)):
        with open(out_path, "wb") as out:
            moment, got, err = _signal_at_random([sys.executable, "-m", "scrubber", "--jobs", "2", str(path)],
                                                 tmp_path, sig, rng, {"SCRUBBER_PURE": "1"}, stdout=out)
        where = f"{signal.Signals(sig).name} {moment} (seed {seed})"
        assert got is not None, f"{where}: still running {BOUND} s later"
        assert got == code, f"{where}: exit {got}: {err}"
        assert "Traceback" not in err, f"{where}: {err}"
        written = out_path.read_bytes()
        # What was read is written in whole lines, in order, with no gap.
        assert full.startswith(written), f"{where}: {len(written)} bytes, not a prefix of the full output"
        assert not written or written.endswith(b"\n"), f"{where}: ends inside a line"

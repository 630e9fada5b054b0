"""``--output FILE``: a device or a FIFO at FILE is written to, never replaced by a file."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _check(out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "policyengine", "check", "rules/binero.policy", "--binding", "examples/binero/binding.yaml",
         "--records", "examples/binero/records.csv", "--now", "2026-11-21T12:00:00+01:00", "--format", "jsonl", "--output", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )


def test_a_fifo_at_output_receives_the_output_and_stays_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "findings.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    proc = _check(fifo)
    reader.join(60)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert proc.returncode in (0, 1), proc.stderr
    assert got and got[0].count(b"\n") >= 1 and got[0].startswith(b"{")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.skipif(os.geteuid() != 0, reason="making a character device needs root")
def test_a_character_device_at_output_is_written_not_replaced(tmp_path: Path) -> None:
    null = tmp_path / "null"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a /dev/null of the test's own
    proc = _check(null)
    assert proc.returncode in (0, 1), proc.stderr
    assert stat.S_ISCHR(os.lstat(null).st_mode)
    assert os.lstat(null).st_rdev == os.makedev(1, 3)

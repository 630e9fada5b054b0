"""A line cut by a restart, with real processes: the old scrubber is sent SIGTERM after
reading part of a line (it flushes that partial line), a new one reads the rest.  The
two outputs joined must not show the address, wherever the cut falls."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys

import pytest

CMD = [sys.executable, "-m", "scrubber"]
LINES = [
    (b"GET / 198.51.100.77 x", [b"198.51.100.77"]),
    (b"client 2001:db8:85a3:1234::7 x", [b"2001:db8:85a3:1234::7", b"85a3:1234::7"]),
    (b"rdns host-10-105-160-179 x", [b"10-105-160-179", b"105-160-179"]),
    (b"ptr 7.100.51.198.in-addr.arpa x", [b"7.100.51.198"]),
]


def _run_old(head: bytes) -> bytes:
    """Feed the first line and ``head`` (no newline), wait for the first line's output,
    then SIGTERM: what it flushed."""
    p = subprocess.Popen(CMD + ["--line-buffered"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert p.stdin is not None and p.stdout is not None
    p.stdin.write(b"first 192.0.2.1\n" + head)
    p.stdin.flush()
    out = b""
    fd = p.stdout.fileno()
    while b"\n" not in out:
        r, _, _ = select.select([fd], [], [], 20)
        assert r, "no output from the old process"
        out += os.read(fd, 65536)
    p.send_signal(signal.SIGTERM)
    rest, _ = p.communicate(timeout=20)
    assert p.returncode == 143
    return out + rest


def _run_new(tail: bytes) -> bytes:
    p = subprocess.run(CMD, input=tail + b"\n", capture_output=True, timeout=20, check=True)
    return p.stdout


@pytest.mark.parametrize(("line", "secrets"), LINES, ids=[l.split()[0].decode() for l, _ in LINES])
def test_address_cut_by_restart_does_not_pass_whole(line: bytes, secrets: list[bytes]) -> None:
    start = line.index(secrets[0])
    end = start + len(secrets[0])
    # cuts at the address's edges, in its middle, at each separator inside it
    cuts = sorted({start + 1, (start + end) // 2, end - 1} | {start + i for i, c in enumerate(secrets[0]) if c in b".:-"})
    for k in cuts:
        old = _run_old(line[:k])
        assert old.startswith(b"first 192.0.2.0\n"), old
        joined = old + _run_new(line[k:])
        for s in secrets:
            assert s not in joined, (k, joined)
        # what is not address is kept: the words before and after
        assert joined.split(b"\n")[1].startswith(line.split()[0]) and joined.rstrip().endswith(b" x"), joined

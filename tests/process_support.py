"""Real processes for the tests that kill them: who a process's children are, and a
SIGKILL waited for until the kernel has ended the process (a zombie, not yet reaped:
its parent must still be able to tell how it ended)."""

from __future__ import annotations

import os
import signal
import time


def _stat(pid: int) -> list[bytes]:
    """The fields of /proc/PID/stat after the command name (which may hold spaces)."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        return f.read().rsplit(b")", 1)[1].split()


def children(pid: int) -> set[int]:
    kids = set()
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if int(_stat(int(name))[1]) == pid:
                    kids.add(int(name))
            except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
                pass
    return kids


def state(pid: int) -> str:
    """The process's state letter (``R``, ``S``, ``T``, ``Z`` a zombie ...), "" when gone
    (reaped)."""
    try:
        return _stat(pid)[0].decode()
    except FileNotFoundError:
        return ""


def dead(pid: int) -> bool:
    """A zombie (ended, not reaped) or gone."""
    return state(pid) in ("Z", "")


def kill(pid: int) -> None:
    """SIGKILL, and wait until the process has ended (not reaped: left to its parent)."""
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while not dead(pid):
        assert time.monotonic() < deadline, f"process {pid} survived SIGKILL"
        time.sleep(0.001)


def stop_a_worker(proc, workers: int) -> int:  # type: ignore[no-untyped-def]
    """Once ``proc`` (a Popen) has ``workers`` children, SIGSTOP the last forked of them at
    once (the run cannot finish without it, whatever it held) and return its pid."""
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        kids = children(proc.pid)
        if len(kids) >= workers:
            victim = max(kids)
            os.kill(victim, signal.SIGSTOP)
            return victim
    raise AssertionError(f"no {workers} workers were started (exit {proc.poll()})")


def end(proc) -> None:  # type: ignore[no-untyped-def]
    """Whatever happened, leave nothing of a Popen's running: its children killed first
    (by pid, while they are still its children), then it, and it reaped."""
    for pid in children(proc.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=30)

"""Peak memory of a benchmarked process, from /proc (Linux).

Shared by scrubber_speed.py, scrubber_vs_anonip.py and check_vs_jq.py. ru_maxrss from
wait4 also counts the parent's memory at the time of the fork/exec, so the program's own
figures are read from /proc/PID/status while it runs.
"""

from __future__ import annotations

import os
import subprocess
import time


def status_kib(pid: int | str, field: bytes) -> int:
    """A /proc/PID/status figure in KiB (``b"VmHWM:"``, ``b"VmRSS:"``); 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def wait_peak(p: subprocess.Popen) -> tuple[int, int]:  # type: ignore[type-arg]
    """Exit status and peak RSS (KiB) of the program itself: its VmHWM (the high-water
    mark of its own address space), polled until it exits."""
    peak = 0
    while True:
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, status_kib(p.pid, b"VmHWM:"))
        time.sleep(0.002)
    p.returncode = os.waitstatus_to_exitcode(status)
    return status, (peak or usage.ru_maxrss)


def pipe_peak(cmd: list[str], data: bytes, mb: int) -> tuple[float, int, int, int]:
    """``cmd`` fed ``data`` over and over through a pipe until ``mb`` MiB are written, its
    output thrown away: (seconds, bytes written, exit status, peak RSS in KiB)."""
    target, total, hwm = mb * 1024 * 1024, 0, 0
    t0 = time.perf_counter()
    with open(os.devnull, "wb") as null:
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=null)
        assert p.stdin is not None
        while total < target:
            p.stdin.write(data)
            total += len(data)
            hwm = max(hwm, status_kib(p.pid, b"VmHWM:"))
        p.stdin.close()
        status, rss = wait_peak(p)
    return time.perf_counter() - t0, total, status, max(rss, hwm)

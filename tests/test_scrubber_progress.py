"""The progress line of a bulk scrubber run: on a terminal (a real pseudo-terminal) it
appears, gives way to error messages and is cleared at the end; in a pipe, or when the
scrubbed text itself goes to the terminal, there is none."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
import time

from scrubber.paths import target_for
from scrubber.progress import Progress

ENV = os.environ | {"SCRUBBER_PROGRESS_DELAY": "0"}
LINE = b'203.0.113.%d - - [21/Nov/2026:10:00:00 +0100] "GET /x HTTP/1.1" 200 512\n'


def _logs(tmp_path, files=3, lines=150_000):
    paths = []
    block = b"".join(LINE % (i % 250) for i in range(1000))
    for n in range(files):
        p = tmp_path / f"access{n}.log"
        p.write_bytes(block * (lines // 1000))
        paths.append(str(p))
    return paths


def _read_all(fd: int) -> bytes:
    seen = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the other side closed (EIO on Linux)
            return seen
        if not chunk:
            return seen
        seen += chunk


def _run(args, stdout, stderr):
    return subprocess.Popen([sys.executable, "-m", "scrubber", *args], env=ENV, stdin=subprocess.DEVNULL,
                            stdout=stdout, stderr=stderr)


def test_a_terminal_gets_the_line_cleared_and_messages_on_their_own_line(tmp_path):
    paths = _logs(tmp_path)
    main_fd, child_fd = pty.openpty()
    proc = _run(["--in-place", *paths, str(tmp_path / "missing.log")], subprocess.DEVNULL, child_fd)
    os.close(child_fd)
    seen = _read_all(main_fd)
    proc.wait(timeout=120)
    os.close(main_fd)
    assert proc.returncode == 1  # the missing file
    text = seen.decode()
    assert "scrubber: 0 of 3 files" in text and "\r\x1b[K" in text
    assert text.endswith("\r\x1b[K")  # nothing left on the terminal's line
    # the error starts on a cleared line, not glued to a progress line
    assert "\r\x1b[Kscrubber: error: " in text and "missing.log: No such file or directory" in text
    shown = [part for part in text.split("\r\x1b[K") if part]
    assert all(p.startswith("scrubber: ") for p in shown)
    for p in paths:  # the run itself was done
        with open(p, "rb") as f:
            assert f.read(200).startswith(b"203.0.113.0 - -")


def test_a_pipe_gets_no_progress_line(tmp_path):
    paths = _logs(tmp_path, files=2)
    proc = _run(["--in-place", *paths], subprocess.PIPE, subprocess.PIPE)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0
    assert err == b"" and out == b""


def test_no_line_when_the_scrubbed_text_goes_to_the_same_terminal(tmp_path):
    paths = _logs(tmp_path, files=1, lines=2000)
    main_fd, child_fd = pty.openpty()
    proc = _run(paths, child_fd, child_fd)
    os.close(child_fd)
    seen = _read_all(main_fd)
    proc.wait(timeout=120)
    os.close(main_fd)
    assert proc.returncode == 0
    assert b"203.0.113.0 - -" in seen
    assert b"\x1b[K" not in seen and b"scrubber: " not in seen


def test_the_line_says_done_rate_and_time_left(tmp_path):
    """Half of a real file read (its descriptor's offset, found through /proc/self/fd)."""
    path = tmp_path / "big.log"
    path.write_bytes(b"x" * 2_000_000)
    st = os.stat(path)
    progress = Progress({(st.st_dev, st.st_ino): st.st_size}, io.StringIO())
    target, dir_fd = target_for(str(path))
    try:
        progress.step(target)
    finally:
        os.close(dir_fd)
    with open(path, "rb") as f:
        f.seek(1_000_000)
        progress.start = time.monotonic() - 2.0  # 1 MB in two seconds: 0.5 MB/s, 2 s left
        line = progress.line()
    assert line == "scrubber: 0 of 1 file, 50% (1.0 MB of 2.0 MB), 500.0 kB/s, 0:02 left"
    progress.step("the next argument")  # the file is done
    assert progress.line().startswith("scrubber: 1 of 1 file, 100% (2.0 MB of 2.0 MB)")

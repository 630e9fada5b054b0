"""A line cut by a restart, with real processes: scrubber reads a line's first part from a
pipe and is killed with SIGTERM before the rest arrives (it flushes the partial line), and a
new scrubber reads the rest.  No address split between the two may pass whole, on either
path; the output is what the library gives (Streamer.finish(cut=True), cut_start=True).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scrubber import Settings, Streamer

SCRIPT = [sys.executable, "-m", "scrubber"]
FIRST = b"10.1.2.3 - - first line\n"

# (the whole line, where it is cut, text that must not be in the joined output)
CASES = [
    (b"GET / from 2001:db8:85a3::7 done\n", b"2001:db8:85a3:", [b"2001", b"85a3"]),
    (b"GET / from 2001:db8:85a3::7 done\n", b"2001:db8", [b"2001:db8:85a3", b"85a3::7"]),
    (b"GET / from 198.51.100.7 done\n", b"198.51.1", [b"198.51", b"51.1"]),
    (b"GET / from 198.51.100.7 done\n", b"198.51.100.", [b"198.51.100.7", b"198.51"]),
    (b"GET / from 198.51.100.7 done\n", b"198.", [b"198.51.100.7", b"51.100", b"100.7"]),
    (b"host 198-51-100-7.dyn.example ok\n", b"198-51-", [b"198-51-100-7", b"51-100-7"]),
    (b"q=2001%3Adb8%3A85a3%3A%3A7 x\n", b"2001%3A", [b"2001", b"%3A%3A7"]),
]


def _env(pure: bool) -> dict[str, str]:
    env = {**os.environ}
    env.pop("SCRUBBER_PURE", None)
    if pure:
        env["SCRUBBER_PURE"] = "1"
    return env


def _first_process(head: bytes, out: Path, env: dict[str, str]) -> tuple[int, bytes]:
    """Scrubber reading FIRST + head from a pipe that stays open, then SIGTERM."""
    rfd, wfd = os.pipe()
    with open(out, "wb") as outf:
        proc = subprocess.Popen(SCRIPT + ["--line-buffered"], stdin=rfd, stdout=outf, stderr=subprocess.PIPE, env=env)
    os.close(rfd)
    os.write(wfd, FIRST + head)  # one write: read together, so the partial line is in
    deadline = time.monotonic() + 60
    while out.stat().st_size == 0 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)  # the first line is out: scrubber has read the partial one too
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    os.close(wfd)
    return proc.returncode, err


@pytest.mark.parametrize("pure", [False, True], ids=["native", "pure"])
@pytest.mark.parametrize("line,head,absent", CASES, ids=[f"{c[1].decode()}" for c in CASES])
def test_address_split_by_sigterm_never_passes_whole(
    tmp_path: Path, line: bytes, head: bytes, absent: list[bytes], pure: bool
) -> None:
    cut = line.index(head) + len(head)
    env = _env(pure)
    out1 = tmp_path / "out1"
    rc, err = _first_process(line[:cut], out1, env)
    assert rc == 128 + signal.SIGTERM, err
    assert b"Traceback" not in err, err
    second = subprocess.run(SCRIPT, input=line[cut:], capture_output=True, env=env, timeout=60)
    assert second.returncode == 0, second.stderr
    joined = out1.read_bytes() + second.stdout
    for text in absent:
        assert text not in joined, (text, joined)
    # The line's words and the line count survive: only the cut address's digits go.
    assert joined.count(b"\n") == 2
    # (a whole dotted quad starting an access log line is an address, not a cut one's rest)
    assert joined.startswith(b"10.1.2.0 - - first line\n")
    assert joined.endswith(line[line.rindex(b" ") :])
    # Same bytes as the library's own account of both ends.
    old = Streamer(Settings(), pure=pure, cut_start=True)
    want = old.feed(FIRST + line[:cut]) + old.finish(cut=True)
    new = Streamer(Settings(), pure=pure, cut_start=True)
    want += new.feed(line[cut:]) + new.finish()
    assert joined == want


@pytest.mark.parametrize("pure", [False, True], ids=["native", "pure"])
def test_a_file_and_a_whole_line_lose_nothing(tmp_path: Path, pure: bool) -> None:
    """The precision cost is only at a cut: a stream ended by EOF is scrubbed as before,
    and so is a file, read from its start; a pipe's first address, if its first line has
    no timestamp at its start, is blanked if it is IPv6 (it may be the rest of a cut one),
    and truncated if it is a dotted quad starting an access log line."""
    data = b"2001:db8:85a3::7 - - x\nGET 198.51.100.7 end"
    r = subprocess.run(SCRIPT, input=data, capture_output=True, env=_env(pure), timeout=60)
    assert r.stdout == b"xxxx:xxx:xxxx::x - - x\nGET 198.51.100.0 end"
    r = subprocess.run(SCRIPT, input=b"198.51.100.7 - - x\n", capture_output=True, env=_env(pure), timeout=60)
    assert r.stdout == b"198.51.100.0 - - x\n"
    f = tmp_path / "access.log"
    f.write_bytes(data)
    r = subprocess.run(SCRIPT + [str(f)], capture_output=True, env=_env(pure), timeout=60)
    assert r.stdout == b"2001:db8:85a3:: - - x\nGET 198.51.100.0 end"

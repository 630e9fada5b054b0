"""contrib/logrotate/nginx run by Debian's logrotate while a writer appends throughout.

The writer behaves like nginx: it keeps access.log open for appending, writes
numbered lines (every tenth one a month old, for --max-age 14d to drop) and reopens
its log on SIGUSR1.  The test runs the shipped logrotate file (paths moved into a
temporary directory, nothing else changed) several times with ``-f`` while the
writer writes, stops the writer, rotates once more, and then accounts for every
line: each recent line is in exactly one rotated file, scrubbed; each old one was
dropped; no address keeps its host bits.
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOGROTATE = shutil.which("logrotate") or "/usr/sbin/logrotate"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not os.access(LOGROTATE, os.X_OK),
    reason="needs Debian's logrotate, run as root (it refuses configs and logs not owned by root)",
)

WRITER = """
import datetime as dt, os, signal, sys, time
path, pidfile, stop, count = sys.argv[1:5]
reopen = False
def on_usr1(*_):
    global reopen
    reopen = True
signal.signal(signal.SIGUSR1, on_usr1)
f = open(path, "ab", buffering=0)
open(pidfile, "w").write(str(os.getpid()))
n = 0
while not os.path.exists(stop):
    if reopen:
        reopen = False
        f.close()
        f = open(path, "ab", buffering=0)
    n += 1
    when = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30 if n % 10 == 0 else 0)
    f.write(b'198.51.100.%d - - [%s] "GET /seq=%d HTTP/1.1" 200 5\\n' % (n % 250 + 1, when.strftime("%d/%b/%Y:%H:%M:%S +0000").encode(), n))
    time.sleep(0.0005)
f.close()
open(count, "w").write(str(n))
"""


def test_logrotate_recipe_loses_no_line_while_a_writer_appends() -> None:
    top = Path(tempfile.mkdtemp(prefix="logrotate-", dir=ROOT))
    try:
        top.chmod(0o755)
        logs = top / "logs"
        logs.mkdir(mode=0o755)
        pidfile, stop, count = top / "writer.pid", top / "stop", top / "count"
        wrapper = top / "scrubber"
        wrapper.write_text(f"#!/bin/sh\nexec {sys.executable} -m scrubber \"$@\"\n")
        wrapper.chmod(0o755)
        conf = (ROOT / "contrib" / "logrotate" / "nginx").read_text()
        conf = conf.replace("/var/log/nginx", str(logs)).replace("/run/nginx.pid", str(pidfile))
        conf = conf.replace("/usr/local/lib/scrubber/scrub-rotated", str(ROOT / "contrib" / "scrub-rotated"))
        conf = conf.replace("create 0640 www-data adm", "create 0640 root root")
        (top / "logrotate.conf").write_text(conf)
        env = dict(os.environ, SCRUBBER=str(wrapper), PYTHONPATH=str(ROOT / "src"))
        writer = subprocess.Popen([sys.executable, "-c", textwrap.dedent(WRITER), str(logs / "access.log"), str(pidfile), str(stop), str(count)])
        rotations = []
        try:
            deadline = time.monotonic() + 10
            while not pidfile.exists() and time.monotonic() < deadline:
                time.sleep(0.01)
            for _ in range(4):
                time.sleep(0.5)
                t = time.monotonic()
                r = subprocess.run([LOGROTATE, "-f", "-s", str(top / "state"), str(top / "logrotate.conf")], capture_output=True, env=env, timeout=120)
                rotations.append(round(time.monotonic() - t, 2))
                assert r.returncode == 0, r.stderr
        finally:
            stop.touch()
            writer.wait(timeout=30)
        pidfile.unlink()
        r = subprocess.run([LOGROTATE, "-f", "-s", str(top / "state"), str(top / "logrotate.conf")], capture_output=True, env=env, timeout=120)
        assert r.returncode == 0, r.stderr
        written = int(count.read_text())
        seen: dict[int, str] = {}
        for f in sorted(logs.iterdir()):
            data = gzip.decompress(f.read_bytes()) if f.name.endswith(".gz") else f.read_bytes()
            assert f.name == "access.log" and data == b"" or f.name.startswith("access.log."), f
            for line in data.decode().splitlines():
                assert re.match(r"^198\.51\.100\.0 - - \[", line), (f.name, line)  # scrubbed
                seq = int(re.search(r"seq=(\d+)", line).group(1))  # type: ignore[union-attr]
                assert seq not in seen, (seq, f.name, seen.get(seq))
                seen[seq] = f.name
        recent = {n for n in range(1, written + 1) if n % 10}
        assert set(seen) == recent, (len(recent - set(seen)), "lost", sorted(recent - set(seen))[:10], "kept though old", sorted(set(seen) - recent)[:10])
        assert (logs / "access.log.2.gz").exists() and (logs / "access.log.1").exists()
        print(f"logrotate: {written} lines written, {len(recent)} kept scrubbed, {written - len(recent)} expired, 0 lost; rotations took {rotations} s")
    finally:
        shutil.rmtree(top)

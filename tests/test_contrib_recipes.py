"""contrib/cron and contrib/systemd, checked and run as shipped.

The units are checked by ``systemd-analyze verify`` (no warning allowed) and by a
strict table of their keys.  Then the command lines are taken from the files by the
test (never copied into it), with only the install paths moved into a temporary
directory, and run the way cron (``/bin/sh -c`` with cron's minimal environment) or
systemd (its own word splitting, stdin from the FIFO it holds, stdout appended to the
file it names) would run them, while a writer appends throughout.  At the end every
line written is accounted for: in exactly one file, scrubbed, or dropped as expired.
"""

from __future__ import annotations

import configparser
import datetime as dt
import gzip
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONTRIB = ROOT / "contrib"
SYSTEMD = CONTRIB / "systemd"
UNITS = sorted(SYSTEMD.iterdir())
SCRUBBER_INSTALLED = "/usr/local/bin/scrubber"  # where the contrib files expect it
CRON_ENV_PATH = "/usr/bin:/bin"  # cron's PATH (Debian cron(8))
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# Every key the contrib units may use, by section: a misspelt key is silently ignored
# by systemd (only a warning), so a strict list catches it even without systemd-analyze.
KEYS = {
    "Unit": {"Description", "Requires", "Before", "After", "Wants"},
    "Service": {"Type", "ExecStart", "StandardInput", "StandardOutput", "StandardError", "Restart"},
    "Socket": {"ListenFIFO", "SocketUser", "SocketMode"},
    "Timer": {"OnCalendar", "Persistent"},
    "Install": {"WantedBy"},
}
SECTIONS = {".service": {"Unit", "Service", "Install"}, ".socket": {"Unit", "Socket", "Install"}, ".timer": {"Unit", "Timer", "Install"}}


def unit(path: Path) -> configparser.ConfigParser:
    cp = configparser.ConfigParser(interpolation=None, strict=True, comment_prefixes=("#", ";"), delimiters=("=",))
    cp.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    cp.read_string(path.read_text(), source=str(path))
    return cp


def test_units_use_known_keys_only() -> None:
    assert {p.suffix for p in UNITS} <= set(SECTIONS) and len(UNITS) == 4
    for path in UNITS:
        cp = unit(path)
        assert set(cp.sections()) <= SECTIONS[path.suffix], path
        for section in cp.sections():
            assert set(cp[section]) <= KEYS[section], (path, section, set(cp[section]) - KEYS[section])
        for key, value in cp.items("Service") if cp.has_section("Service") else []:
            if key == "ExecStart":
                assert value.startswith(SCRUBBER_INSTALLED + " ") and "%" not in value and "$" not in value, value
    assert unit(SYSTEMD / "scrubber-rotated.service")["Service"]["Type"] == "oneshot"
    timer = unit(SYSTEMD / "scrubber-rotated.timer")["Timer"]
    r = subprocess.run(["systemd-analyze", "calendar", timer["OnCalendar"]], capture_output=True, text=True) if shutil.which("systemd-analyze") else None
    assert r is None or r.returncode == 0, r.stderr


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="needs systemd-analyze (Debian package systemd; .ci/run installs it)")
def test_systemd_analyze_verify_accepts_the_units() -> None:
    with tempfile.TemporaryDirectory() as d:
        for path in UNITS:  # only the binary's path moves (verify checks it is executable)
            (Path(d) / path.name).write_text(path.read_text().replace(SCRUBBER_INSTALLED, str(_scrubber_bin())))
        r = subprocess.run(["systemd-analyze", "verify", *sorted(str(p) for p in Path(d).iterdir())], capture_output=True, text=True, cwd=d)
    assert r.returncode == 0 and r.stdout == "" and r.stderr == "", r.stdout + r.stderr


def _scrubber_bin() -> Path:
    exe = Path(sys.executable).parent / "scrubber"
    assert exe.exists(), exe
    return exe


# ------------------------------------------------------------ the writer
# Like nginx/Apache: keeps each log open for appending, writes numbered lines (every
# tenth a month old, for --max-age 14d to drop), reopens its logs on SIGUSR1 and says
# so in a file (as the server's reopen would be awaited by logrotate's postrotate).
WRITER = """
import datetime as dt, os, signal, sys, time
stop, count, ack, *paths = sys.argv[1:]
gen = 0
def on_usr1(*_):
    global gen
    gen += 1
signal.signal(signal.SIGUSR1, on_usr1)
files = [open(p, "ab", buffering=0) for p in paths]
done = 0
open(ack, "w").write("0")
n = 0
while not os.path.exists(stop):
    if gen != done:
        done = gen
        for f in files:
            f.close()
        files = [open(p, "ab", buffering=0) for p in paths]
        open(ack + ".t", "w").write(str(done)); os.rename(ack + ".t", ack)
    n += 1
    when = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30 if n % 10 == 0 else 0)
    files[n % len(files)].write(b'198.51.100.%d - - [%s] "GET /seq=%d HTTP/1.1" 200 5\\n' % (n % 250 + 1, when.strftime("%d/%b/%Y:%H:%M:%S +0000").encode(), n))
    time.sleep(0.0003)
open(count, "w").write(str(n))
"""


def _rotate(log: Path) -> None:
    """logrotate's rotate + compress + delaycompress: .N.gz shift, .1 -> .2.gz, log -> .1."""
    olds = sorted((int(m.group(1)), p) for p in log.parent.iterdir() if (m := re.fullmatch(re.escape(log.name) + r"\.(\d+)\.gz", p.name)))
    for n, p in reversed(olds):
        p.rename(log.parent / f"{log.name}.{n + 1}.gz")
    one = log.parent / f"{log.name}.1"
    if one.exists():
        (log.parent / f"{log.name}.2.gz").write_bytes(gzip.compress(one.read_bytes()))
        os.utime(log.parent / f"{log.name}.2.gz", ns=(one.stat().st_atime_ns, one.stat().st_mtime_ns))
        one.unlink()
    log.rename(one)


def _account(logs: list[Path], written: int) -> dict[int, str]:
    """Every recent line once and scrubbed, every month-old one dropped."""
    seen: dict[int, str] = {}
    for d in logs:
        for f in sorted(d.iterdir()):
            data = gzip.decompress(f.read_bytes()) if f.name.endswith(".gz") else f.read_bytes()
            for line in data.decode().splitlines():
                assert re.match(r"^198\.51\.100\.0 - - \[", line), (f, line)  # scrubbed
                seq = int(re.search(r"seq=(\d+)", line).group(1))  # type: ignore[union-attr]
                assert seq not in seen, (seq, f, seen.get(seq))
                seen[seq] = str(f)
    recent = {n for n in range(1, written + 1) if n % 10}
    assert set(seen) == recent, ("lost", sorted(recent - set(seen))[:10], "kept though old", sorted(set(seen) - recent)[:10])
    return seen


@pytest.fixture()
def top() -> Iterator[Path]:
    d = Path(tempfile.mkdtemp(prefix="contrib-", dir=ROOT))
    try:
        d.chmod(0o755)
        yield d
    finally:
        shutil.rmtree(d)


def _cron_command() -> str:
    """The command of the one job in contrib/cron/scrubber (5 time fields, user, command)."""
    jobs = [ln for ln in (CONTRIB / "cron" / "scrubber").read_text().splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    assert len(jobs) == 1, jobs
    *when, user, command = jobs[0].split(None, 6)
    assert len(when) == 5 and user == "root", jobs[0]
    assert "%" not in command.replace("\\%", ""), "cron turns an unescaped % into a newline"
    return command


def _exec_start() -> list[str]:
    value = unit(SYSTEMD / "scrubber-rotated.service")["Service"]["ExecStart"]
    return shlex.split(value)  # systemd's quoting: single quotes keep the globs literal


@pytest.mark.parametrize("recipe", ["cron", "systemd-timer"])
def test_nightly_job_as_shipped_loses_no_line_while_writers_append(top: Path, recipe: str) -> None:
    var = top / "var" / "log"
    logs = [var / "nginx", var / "apache2"]
    for d in logs:
        d.mkdir(parents=True, mode=0o755)
    wrapper = top / "bin" / "scrubber"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\nexec {shlex.quote(str(_scrubber_bin()))} "$@"\n')
    wrapper.chmod(0o755)

    def moved(text: str) -> str:
        return text.replace(SCRUBBER_INSTALLED, str(wrapper)).replace("/var/log/", f"{var}/")

    if recipe == "cron":
        home = "/root" if os.path.isdir("/root") else "/"
        env = {"PATH": CRON_ENV_PATH, "SHELL": "/bin/sh", "HOME": home, "LOGNAME": "root"}
        job = lambda: subprocess.run(["/bin/sh", "-c", moved(_cron_command())], env=env, cwd=home, capture_output=True, timeout=120)  # noqa: E731
    else:
        argv = [moved(a) for a in _exec_start()]
        job = lambda: subprocess.run(argv, env={"PATH": SYSTEMD_PATH, "LANG": "C.UTF-8"}, cwd="/", capture_output=True, timeout=120)  # noqa: E731
    stop, count, ack = top / "stop", top / "count", top / "ack"
    paths = [d / "access.log" for d in logs]
    writer = subprocess.Popen([sys.executable, "-c", textwrap.dedent(WRITER), str(stop), str(count), str(ack), *map(str, paths)])
    results = []
    try:
        deadline = time.monotonic() + 10
        while not ack.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        for night in range(1, 5):
            time.sleep(0.4)
            for p in paths:
                _rotate(p)
            writer.send_signal(signal.SIGUSR1)  # logrotate's postrotate: the server reopens
            deadline = time.monotonic() + 10
            while ack.read_text() != str(night) and time.monotonic() < deadline:
                time.sleep(0.005)
            assert ack.read_text() == str(night)
            results.append(job())  # the writer keeps appending to the new live logs meanwhile
    finally:
        stop.touch()
        writer.wait(timeout=30)
    for p in paths:
        _rotate(p)
    results.append(job())
    for r in results:
        assert r.returncode == 0, r.stderr
    if recipe == "cron":  # stderr went where the line sends it: one JSON line per run
        runs = [json.loads(ln) for ln in (var / "scrubber.log").read_text().splitlines()]
        assert len(runs) == len(results) and all(isinstance(s, dict) for s in runs), runs
    else:  # --stats: the counts go to the journal (stderr)
        assert all(b"files" in r.stderr for r in results), [r.stderr for r in results]
    written = int(count.read_text())
    seen = _account(logs, written)
    if recipe == "cron":  # each old line was dropped exactly once, by scrubber's own count
        assert sum(s["scrubber"]["lines_expired"] for s in runs) == written - len(seen), runs
    assert any(f.endswith(".gz") for f in seen.values()) and any(f.endswith(".1") for f in seen.values())
    print(f"{recipe}: {written} lines written, {len(seen)} kept scrubbed, {written - len(seen)} expired, 0 lost")


def test_fifo_service_as_shipped_loses_no_line_across_restarts(top: Path) -> None:
    """scrubber-nginx.socket + .service: the FIFO is held open (as systemd does) and the
    service is restarted after each rotation while the writer keeps writing to it."""
    sock = unit(SYSTEMD / "scrubber-nginx.socket")["Socket"]
    svc = unit(SYSTEMD / "scrubber-nginx.service")["Service"]
    assert svc["StandardInput"] == "socket" and svc["StandardOutput"].startswith("append:")
    var = top / "var" / "log"
    (var / "nginx").mkdir(parents=True)

    def moved(text: str) -> str:
        return text.replace(SCRUBBER_INSTALLED, str(_scrubber_bin())).replace("/var/log/", f"{var}/")

    fifo = Path(moved(sock["ListenFIFO"]))
    out = Path(moved(svc["StandardOutput"].removeprefix("append:")))
    argv = [moved(a) for a in shlex.split(svc["ExecStart"])]
    os.mkfifo(fifo, int(sock["SocketMode"], 8))
    held = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)  # systemd's end: the FIFO never sees EOF
    os.set_blocking(held, True)

    def start() -> subprocess.Popen[bytes]:
        fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            return subprocess.Popen(argv, stdin=held, stdout=fd, stderr=subprocess.PIPE, env={"PATH": SYSTEMD_PATH}, cwd="/")
        finally:
            os.close(fd)

    stop, count, ack = top / "stop", top / "count", top / "ack"
    writer = subprocess.Popen([sys.executable, "-c", textwrap.dedent(WRITER), str(stop), str(count), str(ack), str(fifo)])
    service = start()
    try:
        for _ in range(4):
            time.sleep(0.4)
            out.rename(out.with_name(out.name + f".{int(time.time() * 1000)}"))
            service.send_signal(signal.SIGTERM)  # postrotate: systemctl restart scrubber-nginx
            _, err = service.communicate(timeout=30)
            assert service.returncode in (0, -signal.SIGTERM, 143), err
            assert b"Traceback" not in err
            service = start()
    finally:
        stop.touch()
        writer.wait(timeout=30)
    written = int(count.read_text())
    expect = written

    def kept() -> int:
        return sum(len(f.read_bytes().splitlines()) for f in (var / "nginx").iterdir() if f.name.startswith("access.log"))

    deadline = time.monotonic() + 20
    while kept() < expect and time.monotonic() < deadline:  # the last scrubber drains the FIFO
        time.sleep(0.05)
    service.send_signal(signal.SIGTERM)
    service.communicate(timeout=30)
    os.close(held)
    fifo.unlink()
    # The service has no --max-age: the month-old lines are kept (scrubbed) there.
    seen: dict[int, str] = {}
    for f in sorted((var / "nginx").iterdir()):
        for line in f.read_text().splitlines():
            assert re.match(r"^198\.51\.100\.0 - - \[", line), (f, line)
            seq = int(re.search(r"seq=(\d+)", line).group(1))  # type: ignore[union-attr]
            assert seq not in seen, (seq, f)
            seen[seq] = f.name
    assert set(seen) == set(range(1, written + 1)), sorted(set(range(1, written + 1)) - set(seen))[:10]
    assert len(set(seen.values())) == 5  # four rotations: the lines really went to five files
    print(f"fifo service: {written} lines through 5 scrubber processes, 0 lost")

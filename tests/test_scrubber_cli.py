"""The command line, as real processes: pipes, signals, exit codes, --stats, --policy."""

from __future__ import annotations

import gzip
import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import click
import pytest
from click.testing import CliRunner

from scrubber.cli import main

SCRIPT = [sys.executable, "-m", "scrubber"]
LINE = b'192.0.2.33 - - [10/Oct/2000:13:55:36 -0700] "GET /?ip=2001:db8::7 HTTP/1.1" 200 2326\n'
OUT = b'192.0.2.0 - - [10/Oct/2000:13:55:36 -0700] "GET /?ip=2001:db8:: HTTP/1.1" 200 2326\n'


def run(args: list[str], stdin: bytes = b"", **kw) -> subprocess.CompletedProcess[bytes]:  # type: ignore[no-untyped-def]
    return subprocess.run(SCRIPT + args, input=stdin, capture_output=True, timeout=60, **kw)


def test_pipe_through_a_real_process() -> None:
    data = LINE * 5000 + b"no newline at the end 198.51.100.7"
    r = run(["--stats-json"], data)
    assert r.returncode == 0, r.stderr
    assert r.stdout == OUT * 5000 + b"no newline at the end 198.51.100.0"
    stats = json.loads(r.stderr)["scrubber"]
    assert stats["lines_read"] == stats["lines_written"] == 5001
    assert stats["addresses"] == 10001


def test_pipe_in_a_shell_pipeline_with_max_age() -> None:
    old = LINE.replace(b"2000", b"1999")
    r = subprocess.run(
        "printf '%s' \"$DATA\" | " + " ".join(SCRIPT) + " --max-age 30d --now 2000-11-01T00:00:00Z --stats | cat",
        shell=True,
        capture_output=True,
        env=dict(os.environ, DATA=(old + LINE + b"  continuation\n" + old).decode()),
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout == OUT + b"  continuation\n"
    assert b"lines_expired=2" in r.stderr and b"lines_written=2" in r.stderr


def test_line_buffered_answers_each_line_before_eof() -> None:
    p = subprocess.Popen(SCRIPT + ["--line-buffered"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert p.stdin is not None and p.stdout is not None
    try:
        for _ in range(3):
            p.stdin.write(LINE)
            p.stdin.flush()
            ready, _, _ = select.select([p.stdout], [], [], 20)
            assert ready, "no output before EOF with --line-buffered"
            assert os.read(p.stdout.fileno(), 65536) == OUT
    finally:
        p.stdin.close()
        p.wait(timeout=20)
        p.stdout.close()
    assert p.returncode == 0


def test_sigpipe_exits_quietly() -> None:
    r = subprocess.run(
        " ".join(SCRIPT) + " | head -c 100 > /dev/null; echo ${PIPESTATUS[0]} >&2",
        shell=True,
        executable="/bin/bash",
        input=LINE * 200_000,
        capture_output=True,
        timeout=60,
    )
    assert b"Traceback" not in r.stderr and b"Error" not in r.stderr, r.stderr
    assert r.stderr.strip() == b"141"


def _start_reading(args: list[str], data: bytes, signum: int, **kw) -> subprocess.Popen:
    """Start the scrubber on a pipe holding ``data`` and return once it has installed its
    handler for ``signum`` and read everything from the pipe (not after a fixed delay, which
    a loaded machine outlasts): then the signal tests what the scrubber does with it."""
    import fcntl
    import termios

    read_end, write_end = os.pipe()
    p = subprocess.Popen(args, stdin=read_end, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    os.write(write_end, data)  # the writer stays open: the stream has not ended
    p._test_stdin_fds = (read_end, write_end)  # type: ignore[attr-defined]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = Path(f"/proc/{p.pid}/status").read_text()
        caught = int(next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), 16)
        unread = fcntl.ioctl(read_end, termios.FIONREAD, b"\0\0\0\0")
        if caught & (1 << (signum - 1)) and int.from_bytes(unread, sys.byteorder) == 0:
            break
        time.sleep(0.02)
    time.sleep(0.2)  # read, and in its buffers
    return p


def _close_stdin(p: subprocess.Popen) -> None:
    for fd in p._test_stdin_fds:  # type: ignore[attr-defined]
        os.close(fd)


def test_sigterm_flushes_what_it_has() -> None:
    p = _start_reading(SCRIPT, LINE * 3 + b"partial 192.0.2.99", signal.SIGTERM)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=20)
    _close_stdin(p)
    assert p.returncode == 143
    # the partial line may go on in the next process: its address-like last token is blanked
    assert out == OUT * 3 + b"partial xxxxxxxxx"
    assert b"Traceback" not in err


def _sigint(handler: object) -> object:
    return lambda: signal.signal(signal.SIGINT, handler)  # type: ignore[arg-type]


def test_sigint_flushes_what_it_has() -> None:
    """Ctrl-C: exit 130, no traceback, the incomplete last line scrubbed and written."""
    p = _start_reading(SCRIPT + ["--stats"], LINE * 3 + b"partial 192.0.2.99", signal.SIGINT,
                       preexec_fn=_sigint(signal.SIG_DFL))
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=20)
    _close_stdin(p)
    assert p.returncode == 130, err
    assert out == OUT * 3 + b"partial xxxxxxxxx"  # cut-aware, as on SIGTERM
    assert b"Traceback" not in err and b"KeyboardInterrupt" not in err and b"Aborted" not in err
    assert b"lines_read=4" in err


def test_sigint_during_in_place_leaves_the_file_whole(tmp_path: Path) -> None:
    """Ctrl-C in the middle of --in-place: exit 130, the file is the original or the result."""
    log = tmp_path / "big.log"
    original = LINE * 400_000
    log.write_bytes(original)
    p = subprocess.Popen(
        SCRIPT + ["--in-place", "--stats", str(log)],
        stderr=subprocess.PIPE,
        preexec_fn=_sigint(signal.SIG_DFL),
    )
    time.sleep(1.0)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode in (0, 130), err  # 0: it had finished already
    assert b"Traceback" not in err
    assert log.read_bytes() in (original, OUT * 400_000)
    assert [x.name for x in tmp_path.iterdir()] == ["big.log"]  # no temp file left


def test_sigint_that_the_parent_ignores_stays_ignored() -> None:
    """`scrubber ... &` from a script ignores SIGINT, as every program started so does."""
    p = subprocess.Popen(
        SCRIPT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_sigint(signal.SIG_IGN)
    )
    assert p.stdin is not None
    p.stdin.write(LINE)
    p.stdin.flush()
    time.sleep(0.8)
    p.send_signal(signal.SIGINT)
    time.sleep(0.3)
    assert p.poll() is None
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=20)
    assert p.returncode == 143, err
    assert out == OUT


def test_files_to_stdout_gzip_and_errors_exit_1(tmp_path: Path) -> None:
    (tmp_path / "access.log").write_bytes(LINE)
    (tmp_path / "access.log.2.gz").write_bytes(gzip.compress(LINE * 2))
    truncated = gzip.compress(LINE * 1000)[:-30]  # once: the gzip header holds the time
    (tmp_path / "bad.log.3.gz").write_bytes(truncated)
    r = run([str(tmp_path / "access.log"), str(tmp_path / "missing.log"), str(tmp_path / "access.log.2.gz")])
    assert r.returncode == 1
    assert r.stdout == OUT * 3
    assert b"missing.log" in r.stderr and b"Traceback" not in r.stderr
    r = run(["--in-place", str(tmp_path)])
    assert r.returncode == 1
    assert b"bad.log.3.gz" in r.stderr and b"corrupt or truncated gzip" in r.stderr
    assert (tmp_path / "access.log").read_bytes() == OUT
    assert gzip.decompress((tmp_path / "access.log.2.gz").read_bytes()) == OUT * 2
    assert (tmp_path / "bad.log.3.gz").read_bytes() == truncated


@pytest.mark.parametrize(
    "args",
    [
        ["--max-age", "soon"],
        ["--ipv4-prefix", "33"],
        ["--ipv6-prefix", "-1"],
        ["--timezone", "Mars/Olympus"],
        ["--now", "yesterday"],
        ["--purpose", "web_logs"],
        ["--in-place"],
        ["--stats-format"],
        ["--no-such-option"],
    ],
)
def test_usage_errors_exit_2_without_traceback(args: list[str]) -> None:
    r = run(args, LINE)
    assert r.returncode == 2, r
    assert r.stdout == b""
    assert b"Traceback" not in r.stderr and r.stderr


def test_hash_key_file(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_bytes(b"short\n")
    r = run(["--hash-key-file", str(key)], LINE)
    assert r.returncode == 2 and b"at least 16 bytes" in r.stderr
    key.write_bytes(os.urandom(32).hex().encode() + b"\n")
    r1 = run(["--hash-key-file", str(key)], LINE * 2)
    r2 = run(["--hash-key-file", str(key)], LINE)
    assert r1.returncode == 0
    assert r1.stdout == r2.stdout * 2
    assert b"192.0.2.33" not in r1.stdout and b"2001:db8::7 " not in r1.stdout


def test_version_and_help() -> None:
    r = run(["--version"])
    assert r.returncode == 0 and r.stdout.startswith(b"scrubber, version ")
    r = run(["--help"])
    assert r.returncode == 0
    for opt in (b"--in-place", b"--max-age", b"--policy", b"--stats", b"--line-buffered", b"Exit status"):
        assert opt in r.stdout


POLICY = """\
controller "Example AB" {
  contact "dataskydd@example.se"
  authority IMY
  jurisdiction SE
}

category online_identifiers "IP-adresser"
subject website_visitor "Besökare av webbplatsen"

purpose web_logs "Felsökning och blockering av attacker" {
  subjects website_visitor
  categories online_identifiers
  basis legitimate_interests "troubleshooting and blocking attacks"
  retain at most 30 days from collected
  logs access, error {
    keep at most 14 days
    truncate ipv4 /16 ipv6 /32
  }
}
"""


def test_settings_from_a_real_policy_file(tmp_path: Path) -> None:
    pol = tmp_path / "web.policy"
    pol.write_text(POLICY, encoding="utf-8")
    fresh = b'192.0.2.33 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "-" "2001:db8:85a3::1"\n'
    stale = fresh.replace(b"10/Oct", b"25/Sep")  # 15 days before --now: past "keep at most 14 days"
    args = ["--policy", str(pol), "--purpose", "web_logs", "--now", "2000-10-10T00:00:00Z", "--stats-json"]
    r = run(args, stale + fresh)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b'192.0.0.0 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "-" "2001:db8::"\n'
    # Explicit flags override the policy.
    r = run(args + ["--ipv4-prefix", "24", "--max-age", "30d"], stale + fresh)
    assert r.stdout.count(b"192.0.2.0 ") == 2
    r = run(["--policy", str(pol), "--purpose", "nope"], fresh)
    assert r.returncode == 2 and b"no purpose 'nope'" in r.stderr and b"Traceback" not in r.stderr


def test_policy_interface_and_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The CLI's side of policyengine.scrubber_settings, independent of the parser."""
    import policyengine

    calls = []

    class Bad(click.ClickException):
        pass

    def fake(path: str, purpose: str) -> SimpleNamespace:
        calls.append((path, purpose))
        if purpose == "broken":
            raise Bad("no log rules")
        return SimpleNamespace(ipv4_prefix=8, ipv6_prefix=16, max_age=None)

    monkeypatch.setattr(policyengine, "scrubber_settings", fake, raising=False)
    pol = tmp_path / "x.policy"
    pol.write_text("# any", encoding="utf-8")
    runner = CliRunner()
    r = runner.invoke(main, ["--policy", str(pol), "--purpose", "logs"], input=b"10.20.30.40 2001:db8::1\n")
    assert r.exit_code == 0 and r.stdout_bytes == b"10.0.0.0 2001::\n"
    r = runner.invoke(main, ["--policy", str(pol), "--purpose", "logs", "--ipv6-prefix", "32"], input=b"x 2001:db8::1\n")
    assert r.stdout_bytes == b"x 2001:db8::\n"  # (an IPv6 first field of a pipe is blanked)
    r = runner.invoke(main, ["--policy", str(pol), "--purpose", "broken"], input=b"")
    assert r.exit_code == 2 and "no log rules" in r.output
    assert calls[0] == (str(pol), "logs")


def test_settings_from_the_shipped_bano_policy() -> None:
    """rules/bano.policy: "removes the last digits of the IP address before anything is stored"."""
    policy = Path(__file__).resolve().parents[1] / "rules" / "bano.policy"
    old = b'192.0.2.33 - - [10/Oct/2000:13:55:36 +0000] "GET /?x=2001:db8:85a3:1::9 HTTP/1.1" 200 1\n'
    r = run(["--policy", str(policy), "--purpose", "analytics"], old)
    assert r.returncode == 0, r.stderr
    # /24 and /48, and no retention period in that purpose: nothing is dropped.
    assert r.stdout == b'192.0.2.0 - - [10/Oct/2000:13:55:36 +0000] "GET /?x=2001:db8:85a3:: HTTP/1.1" 200 1\n'
    r = run(["--policy", str(policy), "--purpose", "analytics", "--ipv4-prefix", "16", "--max-age", "1d"], old)
    assert r.returncode == 0 and r.stdout == b""


def test_stats_flag_before_a_file_argument(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_bytes(LINE)
    r = run(["--stats", str(tmp_path / "a.log")])
    assert r.returncode == 0 and r.stdout == OUT
    assert b"lines_read=1 " in r.stderr and b"files=1 " in r.stderr

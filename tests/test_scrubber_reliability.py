"""Reliability of ``scrubber`` as real processes on real file systems.

* ``--in-place`` survives SIGKILL at many moments (plain and .gz): each file is the
  untouched original (by hash) or the complete result (byte for byte against an
  in-process reference scrub), and the next run leaves no temporary file;
* a full disk (1 MiB tmpfs) and a read-only directory (read-only tmpfs, and an
  unprivileged user via setpriv) give a clear error, exit 1, the original untouched;
* corrupt or truncated ``.gz``: error naming the file, the others processed, exit 1;
* mode, owner and group survive a rewrite; a directory walk never follows a symlink
  out of the directory;
* a temporary file left by a killed run whose PID we now have (containers) does
  not block the file forever.

Counts: set ``SCRUBBER_REL_COUNTS=FILE`` to append them as JSON lines; the SIGKILL
test does more kills under ``--hypothesis-profile=thorough`` or with
``SCRUBBER_REL_KILLS=N`` (kills per file type).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hsettings

from scrubber import Settings, scrub_file_in_place, scrub_lines
from scrubber.files import TMP_MARK, temp_name

SCRIPT = [sys.executable, "-m", "scrubber"]
NOBODY = 65534


def record(name: str, **counts: object) -> None:
    """Append counts to $SCRUBBER_REL_COUNTS (JSON lines) for docs/reliability.md."""
    path = os.environ.get("SCRUBBER_REL_COUNTS")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"test": name, **counts}, sort_keys=True) + "\n")


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def make_log(n: int, seed: int = 0) -> bytes:
    """Combined log lines with IPv4, IPv6, XFF lists, error-log lines, a missing final newline."""
    out = []
    for i in range(seed, seed + n):
        if i % 7 == 3:
            out.append(
                b"[Wed Oct 11 14:32:52.%06d 2000] [core:error] [pid %d:tid 9] [client 2001:db8:%x::%x:%d] AH00037: x\n"
                % (i % 999999, i, i % 65536, i % 9999 + 1, 40000 + i % 20000)
            )
        else:
            out.append(
                b'192.0.%d.%d - - [10/Oct/2000:13:55:36 -0700] "GET /?from=2001:db8:%x::%x HTTP/1.1" 200 %d '
                b'"-" "Mozilla/5.0 Chrome/119.0.6045.199" "198.51.100.%d, 10.0.%d.7"\n'
                % (i % 200, i % 250 + 1, i % 65536, i + 1, i, i % 250 + 1, i % 256)
            )
    return b"".join(out) + b"tail without newline 203.0.113.77"


def run(args: list[str], **kw) -> subprocess.CompletedProcess[bytes]:  # type: ignore[no-untyped-def]
    return subprocess.run(SCRIPT + args, capture_output=True, timeout=120, **kw)


def tmp_files(d: Path) -> list[str]:
    return sorted(x.name for x in d.iterdir() if TMP_MARK in x.name)


def no_traceback(stderr: bytes) -> None:
    assert b"Traceback" not in stderr and b"Error:" not in stderr.replace(b"scrubber: error:", b""), stderr


# ------------------------------------------------------------ mounts (root)
def _can_mount() -> bool:
    if os.environ.get("SCRUBBER_REL_NO_MOUNT"):  # exercise the fallbacks
        return False
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    d = tempfile.mkdtemp(prefix="scrubber-mnt-probe-")
    try:
        ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", d], capture_output=True).returncode == 0
        if ok:
            subprocess.run(["umount", d], check=True)
        return ok
    finally:
        os.rmdir(d)


CAN_MOUNT = _can_mount()


@contextlib.contextmanager
def tmpfs(size: str = "1m") -> Iterator[Path]:
    d = tempfile.mkdtemp(prefix="scrubber-tmpfs-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", d], check=True, capture_output=True)
    try:
        yield Path(d)
    finally:
        subprocess.run(["umount", "-l", d], capture_output=True)
        os.rmdir(d)


def _can_setpriv() -> bool:
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return False
    r = subprocess.run(
        ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", sys.executable, "-c", "import scrubber"],
        capture_output=True,
    )
    return r.returncode == 0


CAN_SETPRIV = _can_setpriv()
AS_NOBODY = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]


# ------------------------------------------------------------- SIGKILL test
def _kills_per_type() -> int:
    env = os.environ.get("SCRUBBER_REL_KILLS")
    if env:
        return int(env)
    # The thorough hypothesis profile (20,000 examples) means "long run": 4x the kills.
    return 50 if hsettings().max_examples >= 10_000 else 12


def _read_plain(p: Path) -> bytes:
    return p.read_bytes()


def _read_gz(p: Path) -> bytes:
    return gzip.decompress(p.read_bytes())  # raises on a short or mixed file


@pytest.mark.parametrize("kind", ["plain", "gz"])
def test_sigkill_in_place_at_many_moments(tmp_path: Path, kind: str) -> None:
    """Kill -9 real ``scrubber --in-place`` runs at moments spread over the whole run."""
    lines = 60_000 if kind == "plain" else 25_000
    original_text = make_log(lines)
    expected_text = scrub_lines(original_text, Settings())  # reference, in-process
    assert expected_text != original_text
    name = "access.log" if kind == "plain" else "access.log.2.gz"
    original = original_text if kind == "plain" else gzip.compress(original_text, mtime=0)
    reader = _read_plain if kind == "plain" else _read_gz
    orig_hash = sha(original)
    d = tmp_path / "logs"
    d.mkdir()
    p = d / name

    # Measure a whole run (on a copy in another directory) to spread the kills over it.
    probe = tmp_path / name
    probe.write_bytes(original)
    t0 = time.perf_counter()
    run(["--in-place", str(probe)]).check_returncode()
    full = time.perf_counter() - t0
    assert reader(probe) == expected_text

    n = _kills_per_type()
    delays = [full * 1.1 * i / (n - 1) for i in range(n)]
    cats = {"before-temp": 0, "mid-write": 0, "after-rename": 0, "finished": 0}
    p.write_bytes(original)
    for delay in delays:
        if sha(p.read_bytes()) != orig_hash:
            p.write_bytes(original)  # the last run completed: start from the original again
        proc = subprocess.Popen(SCRIPT + ["--in-place", str(p)], stderr=subprocess.DEVNULL)
        time.sleep(delay)
        finished = proc.poll() is not None
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        data = p.read_bytes()
        temps = tmp_files(d)
        assert sorted(x.name for x in d.iterdir() if TMP_MARK not in x.name) == [name]
        if sha(data) == orig_hash:
            cats["mid-write" if f".{name}{TMP_MARK}{proc.pid}" in temps else "before-temp"] += 1
        else:
            # Not the original: must be the complete result (a short or mixed gzip
            # file fails to decompress; a short plain file differs).
            assert reader(p) == expected_text, f"neither original nor result after a kill at {delay:.3f}s"
            cats["finished" if finished else "after-rename"] += 1
        for t in temps:  # every temp file left is a dead run's, named after its PID
            assert t.startswith(f".{name}{TMP_MARK}")
    record(f"sigkill_in_place_{kind}", kills=n, full_run_seconds=round(full, 3), **cats)
    assert cats["mid-write"] >= 1, cats
    assert cats["before-temp"] + cats["mid-write"] + cats["after-rename"] + cats["finished"] == n

    # The next run removes every stale temp file and completes the job.
    stale = tmp_files(d)
    r = run(["--in-place", str(d)])
    assert r.returncode == 0, r.stderr
    assert tmp_files(d) == [], stale
    assert reader(p) == expected_text


# --------------------------------------------------------- disk full, read-only
@pytest.mark.skipif(not CAN_MOUNT and not hasattr(resource, "RLIMIT_FSIZE"), reason="no way to fill a disk")
@pytest.mark.parametrize("kind", ["plain", "gz"])
def test_full_disk_clear_error_original_untouched(tmp_path: Path, kind: str) -> None:
    """A 1 MiB tmpfs holding a 700 KB log: the rewrite cannot fit.

    Without mount (not root, or mount refused) the same thing is done with
    RLIMIT_FSIZE, a real kernel limit on the size of files the process writes.
    """
    import random

    rnd = random.Random(1)
    # Incompressible enough that the .gz is big too.
    text = b"".join(
        b"192.0.2.%d - - [10/Oct/2000:13:55:36 -0700] \"GET /%s HTTP/1.1\" 200 1\n"
        % (rnd.randrange(1, 255), rnd.randbytes(40).hex().encode())
        for _ in range(5000 if kind == "plain" else 13000)
    )
    content = text if kind == "plain" else gzip.compress(text, compresslevel=6)
    assert 600_000 < len(content) < 800_000  # the rewrite (about as big) cannot fit in 1 MiB
    name = "access.log" if kind == "plain" else "access.log.1.gz"
    other = tmp_path / "other.log"  # on a disk with room: still processed
    other.write_bytes(b"198.51.100.99 ok\n")
    if CAN_MOUNT:
        with tmpfs("1m") as d:
            p = d / name
            p.write_bytes(content)
            os.utime(p, (1_000_000_000, 1_000_000_000))
            r = run(["--in-place", str(p), str(other)])
            how, expect = "tmpfs", b"No space left on device"
            assert r.returncode == 1, r
            assert p.read_bytes() == content and p.stat().st_mtime == 1_000_000_000
            assert tmp_files(d) == []
    else:  # pragma: no cover - depends on the machine
        p = tmp_path / name
        p.write_bytes(content)

        def limit() -> None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))

        r = subprocess.run(SCRIPT + ["--in-place", str(p), str(other)], capture_output=True, preexec_fn=limit, timeout=120)
        how, expect = "RLIMIT_FSIZE", b"File too large"
        assert r.returncode == 1, r
        assert p.read_bytes() == content
        assert tmp_files(tmp_path) == []
    assert name.encode() in r.stderr and expect in r.stderr and b"left unchanged" in r.stderr, r.stderr
    no_traceback(r.stderr)
    assert other.read_bytes() == b"198.51.100.0 ok\n"
    record(f"full_disk_{kind}", mechanism=how, exit=r.returncode)


@pytest.mark.skipif(not CAN_MOUNT, reason="needs mount (root)")
def test_read_only_file_system(tmp_path: Path) -> None:
    other = tmp_path / "other.log"
    other.write_bytes(b"198.51.100.99 ok\n")
    with tmpfs("1m") as d:
        p = d / "access.log"
        p.write_bytes(make_log(100))
        g = d / "access.log.1.gz"
        g.write_bytes(gzip.compress(make_log(50)))
        before = {x: x.read_bytes() for x in (p, g)}
        subprocess.run(["mount", "-o", "remount,ro", str(d)], check=True, capture_output=True)
        r = run(["--in-place", str(d), str(other)])
        assert r.returncode == 1, r
        for x in (p, g):
            assert x.read_bytes() == before[x]
            assert f"{x}: cannot create a temporary file in {d}: Read-only file system".encode() in r.stderr, r.stderr
        no_traceback(r.stderr)
        assert other.read_bytes() == b"198.51.100.0 ok\n"


@pytest.mark.skipif(not CAN_SETPRIV, reason="needs root and setpriv")
def test_read_only_directory_unprivileged_user() -> None:
    """As nobody: a log it can read in a directory it cannot write."""
    top = Path(tempfile.mkdtemp(prefix="scrubber-ro-"))
    try:
        top.chmod(0o755)
        ro = top / "ro"
        ro.mkdir(mode=0o755)
        p = ro / "access.log"
        p.write_bytes(make_log(100))
        p.chmod(0o644)
        content = p.read_bytes()
        rw = top / "rw"
        rw.mkdir()
        os.chown(rw, NOBODY, NOBODY)
        other = rw / "other.log"
        other.write_bytes(b"198.51.100.99 ok\n")
        os.chown(other, NOBODY, NOBODY)
        r = subprocess.run(AS_NOBODY + SCRIPT + ["--in-place", str(p), str(other)], capture_output=True, timeout=60)
        assert r.returncode == 1, r
        assert f"{p}: cannot create a temporary file in {ro}: Permission denied".encode() in r.stderr, r.stderr
        no_traceback(r.stderr)
        assert p.read_bytes() == content and tmp_files(ro) == []
        assert other.read_bytes() == b"198.51.100.0 ok\n"
        assert (other.stat().st_uid, other.stat().st_gid) == (NOBODY, NOBODY)
    finally:
        shutil.rmtree(top)


# ------------------------------------------------------------------- gzip
GOOD = make_log(3000)


def _damaged() -> dict[str, bytes]:
    gz = gzip.compress(GOOD, mtime=0)
    mid = len(gz) // 2
    return {
        "truncated-half": gz[:mid],
        "truncated-trailer": gz[:-4],
        "header-only": gz[:10],
        "bad-crc": gz[:-8] + bytes([gz[-8] ^ 0xFF]) + gz[-7:],
        "bad-length": gz[:-4] + bytes([gz[-4] ^ 0x01]) + gz[-3:],
        "flipped-middle": gz[:mid] + bytes([gz[mid] ^ 0x55]) + gz[mid + 1 :],
        "not-gzip": b"plain text 192.0.2.1, not gzip\n",
        "bad-magic": b"\x1f\x8c" + gz[2:],
        "trailing-garbage": gz + b"garbage after the member",
    }


@pytest.mark.parametrize("mode", ["stdout", "in-place"])
def test_corrupt_gzip_named_others_processed_untouched(tmp_path: Path, mode: str) -> None:
    d = tmp_path / "logs"
    d.mkdir()
    (d / "a.log").write_bytes(b"192.0.2.1 first\n")
    (d / "b.log.1.gz").write_bytes(gzip.compress(b"192.0.2.2 good gz\n") + gzip.compress(b"192.0.2.3 member 2\n"))
    (d / "z.log").write_bytes(b"192.0.2.4 last\n")
    bad = {f"bad-{k}.log.gz": v for k, v in _damaged().items()}
    for n, b in bad.items():
        (d / n).write_bytes(b)
        os.utime(d / n, (1_000_000_000, 1_000_000_000))
    r = run((["--in-place"] if mode == "in-place" else []) + [str(d)])
    assert r.returncode == 1, r
    no_traceback(r.stderr)
    err_lines = r.stderr.decode().splitlines()
    for n in bad:
        assert any(n in ln and "corrupt or truncated gzip" in ln for ln in err_lines), (n, r.stderr)
        assert (d / n).read_bytes() == bad[n] and (d / n).stat().st_mtime == 1_000_000_000
    assert len(err_lines) == len(bad)
    if mode == "in-place":
        assert (d / "a.log").read_bytes() == b"192.0.2.0 first\n"
        assert gzip.decompress((d / "b.log.1.gz").read_bytes()) == b"192.0.2.0 good gz\n192.0.2.0 member 2\n"
        assert (d / "z.log").read_bytes() == b"192.0.2.0 last\n"
        assert tmp_files(d) == []
    else:
        assert r.stdout.startswith(b"192.0.2.0 first\n")
        assert r.stdout.endswith(b"192.0.2.0 last\n")
        assert b"192.0.2.0 good gz\n192.0.2.0 member 2\n" in r.stdout
        for addr in (b"192.0.2.1", b"192.0.2.2", b"192.0.2.3", b"192.0.2.4"):
            assert addr not in r.stdout


# ------------------------------------------------- permissions and symlinks
@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")
@pytest.mark.parametrize("mode", [0o640, 0o600, 0o444, 0o2640])
def test_in_place_keeps_mode_owner_group(tmp_path: Path, mode: int) -> None:
    files = {"access.log": make_log(200), "access.log.3.gz": gzip.compress(make_log(200))}
    for n, b in files.items():
        p = tmp_path / n
        p.write_bytes(b)
        os.chown(p, 1234, 2345)
        p.chmod(mode)
        os.utime(p, (1_100_000_000, 1_000_000_000))
    r = run(["--in-place", str(tmp_path)])
    assert r.returncode == 0, r.stderr
    for n in files:
        st = (tmp_path / n).stat()
        assert (st.st_mode & 0o7777, st.st_uid, st.st_gid) == (mode, 1234, 2345), n
        assert st.st_mtime == 1_000_000_000
    assert (tmp_path / "access.log").read_bytes() == scrub_lines(files["access.log"])
    assert tmp_files(tmp_path) == []


@pytest.mark.parametrize("mode", ["stdout", "in-place"])
def test_walk_never_follows_symlinks_out(tmp_path: Path, mode: str) -> None:
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    secret_file = outside / "secret.log"
    secret_file.write_bytes(b"192.0.2.201 OUTSIDE-FILE\n")
    (outside / "deep" / "x.log").write_bytes(b"192.0.2.202 OUTSIDE-DIR\n")
    gz_out = outside / "old.log.1.gz"
    gz_out.write_bytes(gzip.compress(b"192.0.2.203 OUTSIDE-GZ\n"))
    before = {x: x.read_bytes() for x in (secret_file, outside / "deep" / "x.log", gz_out)}
    logs = tmp_path / "logs"
    (logs / "sub").mkdir(parents=True)
    (logs / "access.log").write_bytes(b"192.0.2.1 inside\n")
    (logs / "sub" / "error.log").write_bytes(b"192.0.2.2 inside sub\n")
    (logs / "link.log").symlink_to(secret_file)  # absolute, to a file
    (logs / "sub" / "rel.log").symlink_to(Path("..") / ".." / "outside" / "secret.log")  # relative
    (logs / "old.log.1.gz").symlink_to(gz_out)
    (logs / "linkdir").symlink_to(outside, target_is_directory=True)  # to a directory
    (logs / "sub" / "up").symlink_to(Path(".."), target_is_directory=True)  # a loop
    (logs / "inner.log").symlink_to(logs / "access.log")  # inside: the target is done once
    r = run((["--in-place"] if mode == "in-place" else []) + [str(logs)])
    assert r.returncode == 0, r.stderr
    for x, b in before.items():
        assert x.read_bytes() == b, x
    assert b"OUTSIDE" not in r.stdout and b"OUTSIDE" not in r.stderr
    if mode == "in-place":
        assert (logs / "access.log").read_bytes() == b"192.0.2.0 inside\n"
        assert (logs / "sub" / "error.log").read_bytes() == b"192.0.2.0 inside sub\n"
        assert (logs / "link.log").is_symlink() and (logs / "inner.log").is_symlink()
    else:
        assert r.stdout == b"192.0.2.0 inside\n192.0.2.0 inside sub\n"


# -------------------------------------------------- stale temp, PID reused
def test_stale_temp_with_our_own_pid_does_not_block(tmp_path: Path) -> None:
    """Regression: a temp file named with the PID we now have (from a killed run in a
    PID namespace, where PIDs repeat) made every later run fail with 'File exists'."""
    p = tmp_path / "access.log"
    p.write_bytes(b"192.0.2.1 x\n")
    Path(temp_name(str(p))).write_bytes(b"half written by a killed run")
    scrub_file_in_place(str(p), Settings())
    assert p.read_bytes() == b"192.0.2.0 x\n"
    assert tmp_files(tmp_path) == []


def _can_unshare() -> bool:
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    r = subprocess.run(["unshare", "--pid", "--fork", sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    return r.returncode == 0 and r.stdout.strip() == b"1"


@pytest.mark.skipif(not _can_unshare(), reason="needs unshare --pid (root)")
def test_killed_container_run_then_next_run_with_the_same_pid(tmp_path: Path) -> None:
    """As in a container: scrubber is PID 1, is SIGKILLed mid-write, and runs again as PID 1."""
    p = tmp_path / "access.log"
    original = make_log(40_000)
    p.write_bytes(original)
    cmd = ["unshare", "--pid", "--fork", "--kill-child", *SCRIPT, "--in-place", str(p)]
    for _attempt in range(5):
        proc = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not tmp_files(tmp_path) and proc.poll() is None:
            time.sleep(0.002)
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split() if proc.poll() is None else []
        for child in children:  # PID 1 inside the namespace: the scrubber, mid-write
            os.kill(int(child), signal.SIGKILL)
        proc.wait()
        if tmp_files(tmp_path) == [f".access.log{TMP_MARK}1"]:
            break
        p.write_bytes(original)
    assert tmp_files(tmp_path) == [f".access.log{TMP_MARK}1"], "could not leave a stale temp file"
    assert p.read_bytes() == original
    r = subprocess.run(cmd, capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert p.read_bytes() == scrub_lines(original) and tmp_files(tmp_path) == []

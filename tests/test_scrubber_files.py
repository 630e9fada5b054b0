"""Real files: --in-place, gzip, errors that leave the original untouched, walks."""

from __future__ import annotations

import errno
import gzip
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scrubber import FileError, Settings, scrub_file_in_place, scrub_file_to
from scrubber.files import TMP_MARK, clean_stale_temp_files, iter_targets, temp_name

LOG = b"".join(
    b'192.0.2.%d - - [10/Oct/2000:13:55:36 -0700] "GET /?from=2001:db8::%x HTTP/1.1" 200 %d\n' % (i % 250 + 1, i + 1, i)
    for i in range(2000)
)
SCRUBBED = b"".join(
    b'192.0.2.0 - - [10/Oct/2000:13:55:36 -0700] "GET /?from=2001:db8:: HTTP/1.1" 200 %d\n' % i for i in range(2000)
)


def _dead_pid() -> int:
    pid = 999_999
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid -= 1


def test_in_place_keeps_mode_times_and_leaves_no_temp(tmp_path: Path) -> None:
    p = tmp_path / "access.log"
    p.write_bytes(LOG)
    p.chmod(0o640)
    os.utime(p, (1_000_000_000, 1_000_000_000))
    stats = scrub_file_in_place(str(p), Settings())
    assert p.read_bytes() == SCRUBBED
    assert p.stat().st_mode & 0o7777 == 0o640
    assert p.stat().st_mtime == 1_000_000_000
    assert stats.lines_read == 2000 and stats.addresses == 4000 and stats.files == 1
    assert [x.name for x in tmp_path.iterdir()] == ["access.log"]


def test_in_place_keeps_owner(tmp_path: Path) -> None:
    p = tmp_path / "access.log"
    p.write_bytes(LOG)
    if os.geteuid() == 0:
        os.chown(p, 12345, 23456)
        expected = (12345, 23456)
    else:
        expected = (os.getuid(), os.getgid())
    scrub_file_in_place(str(p), Settings())
    assert (p.stat().st_uid, p.stat().st_gid) == expected
    assert p.read_bytes() == SCRUBBED


def test_in_place_gzip_round_trip(tmp_path: Path) -> None:
    p = tmp_path / "access.log.2.gz"
    with gzip.open(p, "wb") as f:
        f.write(LOG)
    scrub_file_in_place(str(p), Settings())
    with gzip.open(p, "rb") as f:
        assert f.read() == SCRUBBED
    assert p.read_bytes()[:2] == b"\x1f\x8b"


def test_gzip_to_stdout(tmp_path: Path) -> None:
    p = tmp_path / "error.log.1.gz"
    p.write_bytes(gzip.compress(b"[Wed Oct 11 14:32:52 2000] [error] [client 2001:db8::1] x\n"))

    class Sink:
        data = b""

        def write(self, b: bytes) -> None:
            self.data += b

    sink = Sink()
    scrub_file_to(str(p), sink, Settings())  # type: ignore[arg-type]
    assert sink.data == b"[Wed Oct 11 14:32:52 2000] [error] [client 2001:db8::] x\n"


@pytest.mark.parametrize("damage", ["truncated", "garbage", "not-gzip"])
def test_corrupt_gzip_is_an_error_naming_the_file_and_left_untouched(tmp_path: Path, damage: str) -> None:
    p = tmp_path / "access.log.3.gz"
    good = gzip.compress(LOG)
    bad = {
        "truncated": good[: len(good) // 2],
        "garbage": good[:20] + b"\x00garbage\xff" * 10 + good[-8:],
        "not-gzip": b"plain text, not gzip\n",
    }[damage]
    p.write_bytes(bad)
    with pytest.raises(FileError, match="access.log.3.gz") as info:
        scrub_file_in_place(str(p), Settings())
    assert info.value.exit_code == 1
    assert p.read_bytes() == bad
    assert [x.name for x in tmp_path.iterdir()] == ["access.log.3.gz"]


@pytest.mark.parametrize("where", ["os.fsync", "os.replace"])
def test_full_disk_leaves_original_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    p = tmp_path / "access.log"
    p.write_bytes(LOG)

    def boom(*a: object, **k: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(where, boom)
    with pytest.raises(FileError, match="No space left on device"):
        scrub_file_in_place(str(p), Settings())
    monkeypatch.undo()
    assert p.read_bytes() == LOG
    assert [x.name for x in tmp_path.iterdir()] == ["access.log"]


def test_read_only_directory_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "access.log"
    p.write_bytes(LOG)
    real_open = os.open

    def ro_open(path, flags, *a, **kw):  # type: ignore[no-untyped-def]
        if TMP_MARK in str(path):
            raise OSError(errno.EROFS, "Read-only file system")
        return real_open(path, flags, *a, **kw)

    monkeypatch.setattr(os, "open", ro_open)
    with pytest.raises(FileError, match="cannot create a temporary file.*Read-only file system"):
        scrub_file_in_place(str(p), Settings())
    monkeypatch.undo()
    assert p.read_bytes() == LOG


def test_stale_temp_files_are_removed_live_ones_kept(tmp_path: Path) -> None:
    (tmp_path / "access.log").write_bytes(LOG)
    stale = Path(temp_name(str(tmp_path / "access.log"), _dead_pid()))
    stale.write_bytes(b"half written")
    live = Path(temp_name(str(tmp_path / "error.log"), os.getppid()))
    live.write_bytes(b"another scrubber is writing this")
    scrub_file_in_place(str(tmp_path / "access.log"), Settings())
    assert not stale.exists() and live.exists()
    assert stale.name.startswith(".access.log.scrubber-tmp-")
    assert clean_stale_temp_files(str(tmp_path)) == []


def _expand(args: list[str], include: list[str]) -> tuple[list[str], list[str]]:
    files: list[str] = []
    errors: list[str] = []
    for t in iter_targets(args, include):
        (errors.append(t) if isinstance(t, str) else files.append(t.display))
    return files, errors


def test_walk_and_glob_do_not_follow_symlinks_and_skip_hidden(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    (logs / "sub").mkdir(parents=True)
    (logs / "access.log").write_bytes(LOG)
    (logs / "sub" / "error.log").write_bytes(LOG)
    (logs / ".hidden.log").write_bytes(LOG)
    outside = tmp_path / "outside.log"
    outside.write_bytes(LOG)
    (logs / "link.log").symlink_to(outside)
    (logs / "linkdir").symlink_to(tmp_path, target_is_directory=True)
    files, errors = _expand([str(logs)], [])
    assert sorted(os.path.relpath(f, logs) for f in files) == ["access.log", os.path.join("sub", "error.log")]
    assert errors == []
    files, _ = _expand([str(logs)], ["error*"])
    assert [os.path.basename(f) for f in files] == ["error.log"]
    # A glob scrubber expands skips the link, like a walk (it used to include it).
    files, errors = _expand([str(logs / "*.log"), str(tmp_path / "nothing-*.log"), str(tmp_path / "nope")], [])
    assert [os.path.basename(f) for f in files] == ["access.log"]
    assert len(errors) == 2
    # A link in a directory component matched by the glob is not followed either.
    files, _ = _expand([str(logs / "*" / "*.log")], [])
    assert [os.path.relpath(f, logs) for f in files] == [os.path.join("sub", "error.log")]
    # The same file twice (two arguments) is processed once.
    files, _ = _expand([str(logs / "access.log"), str(logs / "acc*")], [])
    assert files == [str(logs / "access.log")]


SCRIPT = [sys.executable, "-m", "scrubber"]


def test_sigkill_at_any_moment_leaves_original_or_result(tmp_path: Path) -> None:
    """Kill -9 the in-place rewrite at several moments: never a mix; the next run cleans up."""
    big = LOG * 60  # ~6 MB, 120k lines
    expected = SCRUBBED * 60
    p = tmp_path / "access.log"
    env = dict(os.environ, SCRUBBER_PURE="1")  # slower, so that the kills land mid-write
    mid_write = 0
    for delay in (0.0, 0.05, 0.15, 0.3, 0.6):
        p.write_bytes(big)
        proc = subprocess.Popen(SCRIPT + ["--in-place", str(p)], env=env, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        content = p.read_bytes()
        assert content in (big, expected), f"mixed content after kill at {delay}s"
        for x in tmp_path.iterdir():
            assert x.name == "access.log" or x.name.startswith(".access.log" + TMP_MARK)
            mid_write += x.name != "access.log"
    assert mid_write >= 1, "no kill landed while the temporary file was being written"
    # The next run removes the stale temp files and finishes the job.
    subprocess.run(SCRIPT + ["--in-place", str(p)], check=True)
    assert p.read_bytes() == expected
    assert [x.name for x in tmp_path.iterdir()] == ["access.log"]


@pytest.mark.parametrize("fmt", ["xz", "bzip2", "gzip"])
@pytest.mark.parametrize("named", ["right", "plain"])
def test_compressed_files_are_told_by_magic_and_rewritten_in_kind(tmp_path: Path, fmt: str, named: str) -> None:
    import bz2
    import lzma

    comp, suffix = {"xz": (lzma.compress, ".xz"), "bzip2": (bz2.compress, ".bz2"), "gzip": (gzip.compress, ".gz")}[fmt]
    dec = {"xz": lzma.decompress, "bzip2": bz2.decompress, "gzip": gzip.decompress}[fmt]
    p = tmp_path / ("access.log.2" + (suffix if named == "right" else ""))
    original = comp(LOG[: len(LOG) // 2]) + comp(LOG[len(LOG) // 2 :])  # two streams
    p.write_bytes(original)
    scrub_file_in_place(str(p), Settings())
    assert p.read_bytes()[:3] == original[:3]
    assert dec(p.read_bytes()) == SCRUBBED


@pytest.mark.parametrize(
    "name,data,why",
    [
        ("a.log.zst", b"\x28\xb5\x2f\xfd" + b"\x00" * 20, "zstd-compressed"),
        ("a.log", b"\x28\xb5\x2f\xfd" + b"\x00" * 20, "zstd-compressed"),  # the name does not matter
        ("a.log.lz4", b"\x04\x22\x4d\x18" + b"\x00" * 20, "lz4-compressed"),
        ("a.log.gz", b"\xfd7zXZ\x00" + b"\x00" * 20, "named as gzip but holds xz"),
        ("a.log.xz", b"192.0.2.1 plain text\n", "corrupt or truncated xz data"),
        ("a.log.bz2", b"BZh91AY&SY" + b"\x00" * 20, "corrupt or truncated bzip2 data"),
        ("a.log.xz", b"\xfd7zXZ\x00\x00\x04garbage", "corrupt or truncated xz data"),
    ],
)
def test_formats_not_decoded_are_never_rewritten(tmp_path: Path, name: str, data: bytes, why: str) -> None:
    p = tmp_path / name
    p.write_bytes(data)
    for mode in ("in-place", "stdout"):
        r = subprocess.run(SCRIPT + (["--in-place"] if mode == "in-place" else []) + [str(p)], capture_output=True, timeout=60)
        assert r.returncode == 1 and why.encode() in r.stderr and r.stdout == b"", r.stderr
        assert p.read_bytes() == data and [x.name for x in tmp_path.iterdir()] == [name]


def test_a_name_too_long_for_the_temporary_name_is_still_scrubbed(tmp_path: Path) -> None:
    p = tmp_path / ("a" * 250 + ".log")  # 254 bytes: NAME_MAX is 255
    p.write_bytes(LOG)
    scrub_file_in_place(str(p), Settings())
    assert p.read_bytes() == SCRUBBED
    assert [x.name for x in tmp_path.iterdir()] == [p.name]


def test_a_file_open_for_writing_is_refused_and_untouched(tmp_path: Path) -> None:
    """A live log (another process appends to it) is never rewritten: its lines would be lost."""
    p = tmp_path / "access.log"
    p.write_bytes(LOG)
    writer = subprocess.Popen([sys.executable, "-c", f"import time; f = open({str(p)!r}, 'ab'); time.sleep(30)"])
    try:
        time.sleep(0.5)
        r = subprocess.run(SCRIPT + ["--in-place", str(p)], capture_output=True, timeout=60)
    finally:
        writer.kill()
        writer.wait()
    assert r.returncode == 1 and b"is open for writing by another process" in r.stderr, r.stderr
    assert p.read_bytes() == LOG
    r = subprocess.run(SCRIPT + ["--in-place", str(p)], capture_output=True, timeout=60)  # closed now
    assert r.returncode == 0 and p.read_bytes() == SCRUBBED

"""A root scrubber against an unprivileged attacker who can write the log directory.

The attacker is a real process running as ``nobody`` (uid/gid 65534, via
``setpriv --reuid --regid --clear-groups``); the scrubber runs as root, in process
(for the many-iteration race) or as ``python -m scrubber``.  The log directory is a
fresh directory with mode 0777 and *no* sticky bit (under the worktree), so the
kernel's ``protected_symlinks`` and ``protected_fifos``, which only guard sticky
world-writable directories like /tmp, cannot hide a bug.  After every attack: the
root-only secret outside the tree is byte-identical, never appears in anything
scrubber wrote (files or stdout), and was never given the attacker's ownership.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scrubber import FileError, Settings, scrub_file_in_place

NOBODY = 65534
AS_NOBODY = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
SCRIPT = [sys.executable, "-m", "scrubber"]
SECRET = b"SECRET-ROOT-ONLY 192.0.2.55 must never be read\n"
ROOT = Path(__file__).resolve().parent.parent


def _can_setpriv() -> bool:
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return False
    r = subprocess.run(AS_NOBODY + ["true"], capture_output=True)
    return r.returncode == 0


pytestmark = pytest.mark.skipif(
    not _can_setpriv(), reason="the attacker must be another user: needs root (to setpriv to nobody) and setpriv"
)


@pytest.fixture()
def arena() -> Iterator[tuple[Path, Path]]:
    """(log directory writable by everyone, not sticky; a root-only secret file outside it)."""
    top = Path(tempfile.mkdtemp(prefix="hostile-", dir=ROOT))
    try:
        top.chmod(0o755)
        logs = top / "logs"
        logs.mkdir()
        logs.chmod(0o777)  # world-writable, no sticky bit: like a badly set up /var/log/app
        assert not logs.stat().st_mode & stat.S_ISVTX
        vault = top / "vault"
        vault.mkdir(mode=0o755)
        secret = vault / "secret"
        secret.write_bytes(SECRET)
        secret.chmod(0o600)
        (vault / "sub").mkdir()
        (vault / "sub" / "x.log").write_bytes(SECRET)
        (vault / "sub" / "x.log").chmod(0o600)
        yield logs, vault
    finally:
        shutil.rmtree(top)


def as_nobody(code: str, **kw) -> subprocess.Popen[bytes]:  # type: ignore[no-untyped-def]
    return subprocess.Popen(AS_NOBODY + [sys.executable, "-c", textwrap.dedent(code)], **kw)


def nobody_run(code: str) -> None:
    p = as_nobody(code, stderr=subprocess.PIPE)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 0, err


def vault_untouched(vault: Path) -> None:
    for f in (vault / "secret", vault / "sub" / "x.log"):
        st = f.stat()
        assert f.read_bytes() == SECRET and (st.st_uid, st.st_mode & 0o777) == (0, 0o600), f


def no_secret_in(logs: Path, *outputs: bytes) -> None:
    for f in logs.rglob("*"):
        if f.is_file() and not f.is_symlink():
            assert b"SECRET" not in f.read_bytes(), f
    for out in outputs:
        assert b"SECRET" not in out


def run(args: list[str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(SCRIPT + args, capture_output=True, timeout=60)


def test_glob_argument_and_directory_symlinks_are_not_followed(arena: tuple[Path, Path]) -> None:
    logs, vault = arena
    nobody_run(
        f"""
        import os
        os.chdir({str(logs)!r})
        open("access.log", "w").write("192.0.2.1 own line\\n")
        os.symlink({str(vault / "secret")!r}, "evil.log")
        os.symlink({str(vault / "sub")!r}, "evildir")
        os.symlink("access.log", "inner.log")
        """
    )
    for args in (
        ["--in-place", f"{logs}/*"],  # the old README cron line: a quoted glob
        ["--in-place", f"{logs}/*/*.log"],  # a link matched as a directory component
        ["--in-place", str(logs)],  # a walk
        ["--in-place", str(logs / "evil.log")],  # an explicit argument (or the shell's expansion)
        ["--in-place", str(logs / "evildir")],
        [f"{logs}/*"],  # to stdout: must not be read either
        [str(logs / "evil.log"), str(logs / "evildir")],
    ):
        r = run(args)
        vault_untouched(vault)
        no_secret_in(logs, r.stdout, r.stderr)
        assert b"Traceback" not in r.stderr
        if str(logs / "evil.log") in args:
            assert r.returncode == 1 and b"evil.log: is a symbolic link (not followed)" in r.stderr, r.stderr
    assert (logs / "access.log").read_bytes() == b"192.0.2.0 own line\n"
    assert (logs / "evil.log").is_symlink() and (logs / "evildir").is_symlink()


def test_stat_open_swap_race_many_iterations(arena: tuple[Path, Path]) -> None:
    """The attacker swaps a.log between its own file, a link to the secret and a FIFO
    as fast as it can while root rewrites a.log again and again."""
    logs, vault = arena
    attacker = as_nobody(
        f"""
        import os, time
        os.chdir({str(logs)!r})
        i = 0
        while not os.path.exists("stop"):
            i += 1
            with open("r", "w") as f:
                f.write("192.0.2.%d attacker line\\n" % (i % 250))
            os.rename("r", "a.log")
            time.sleep(0.0005 * (i % 3))  # sometimes long enough for a whole rewrite
            os.symlink({str(vault / "secret")!r}, "l")
            os.rename("l", "a.log")
            os.mkfifo("p")
            os.rename("p", "a.log")
        """
    )
    outcomes: dict[str, int] = {}
    try:
        time.sleep(0.2)
        deadline = time.monotonic() + 20
        for _ in range(3000):
            try:
                scrub_file_in_place(str(logs / "a.log"), Settings())
                key = "rewritten"
            except FileError as exc:
                msg = exc.format_message()
                key = next((k for k in ("symbolic link", "not a regular file", "No such file", "renamed or replaced") if k in msg), msg)
            outcomes[key] = outcomes.get(key, 0) + 1
            if time.monotonic() > deadline:
                break
    finally:
        (logs / "stop").touch()
        attacker.wait(timeout=30)
    assert attacker.returncode == 0
    vault_untouched(vault)
    no_secret_in(logs)
    # The race was really run: each kind of swapped entry was met.
    assert outcomes.get("rewritten", 0) > 0 and outcomes.get("symbolic link", 0) > 0, outcomes
    assert outcomes.get("not a regular file", 0) > 0, outcomes
    assert set(outcomes) <= {"rewritten", "symbolic link", "not a regular file", "No such file", "renamed or replaced"}, outcomes
    print("swap race outcomes:", outcomes)


def test_fifo_in_place_of_a_log_does_not_hang_root(arena: tuple[Path, Path]) -> None:
    logs, vault = arena
    nobody_run(f"import os; os.mkfifo({str(logs / 'access.log')!r}); open({str(logs / 'b.log')!r}, 'w').write('192.0.2.9 b\\n')")
    for args in (["--in-place", str(logs / "access.log"), str(logs / "b.log")], [f"{logs}/*"], ["--in-place", str(logs)]):
        r = run(args)  # a blocking open of the FIFO would hit the 60 s timeout
        assert b"Traceback" not in r.stderr
    r = run(["--in-place", str(logs / "access.log"), str(logs / "b.log")])
    assert r.returncode == 1 and b"access.log: not a regular file" in r.stderr, r.stderr
    assert (logs / "b.log").read_bytes() == b"192.0.2.0 b\n"
    assert stat.S_ISFIFO((logs / "access.log").lstat().st_mode)


def test_hard_links_are_reported_and_refused_in_place(arena: tuple[Path, Path]) -> None:
    logs, vault = arena
    # The attacker links its own file from elsewhere (protected_hardlinks allows that);
    # root links the secret in, as an attacker could where protected_hardlinks is off.
    own = vault.parent / "elsewhere.log"
    own.write_bytes(b"192.0.2.7 elsewhere\n")
    os.chown(own, NOBODY, NOBODY)
    nobody_run(f"import os; os.link({str(own)!r}, {str(logs / 'linked.log')!r})")
    os.link(vault / "secret", logs / "shadow.log")
    r = run(["--in-place", str(logs)])
    assert r.returncode == 1, r.stderr
    for name in (b"linked.log", b"shadow.log"):
        assert name + b": has 2 hard links" in r.stderr and b"not rewritten" in r.stderr
    assert own.read_bytes() == b"192.0.2.7 elsewhere\n"
    vault_untouched(vault)
    r = run([str(logs / "linked.log")])  # to stdout: read, and reported
    assert r.returncode == 0 and b"linked.log: has 2 hard links" in r.stderr
    r = run(["--in-place", "--break-hard-links", str(logs / "linked.log")])
    assert r.returncode == 0, r.stderr
    assert (logs / "linked.log").read_bytes() == b"192.0.2.0 elsewhere\n"
    assert own.read_bytes() == b"192.0.2.7 elsewhere\n"  # the other name keeps its content
    assert (logs / "linked.log").stat().st_uid == NOBODY


def test_directory_swapped_mid_walk_stays_inside(arena: tuple[Path, Path]) -> None:
    """A subdirectory replaced by a link to the vault while root walks: never entered."""
    logs, vault = arena
    attacker = as_nobody(
        f"""
        import os, shutil
        os.chdir({str(logs)!r})
        while not os.path.exists("stop"):
            os.mkdir("d"); open("d/x.log", "w").write("192.0.2.3 x\\n")
            os.rename("d", "sub")
            os.symlink({str(vault / "sub")!r}, "l")
            os.rename("sub", "old")
            os.rename("l", "sub")
            os.unlink("sub")
            shutil.rmtree("old")
        """
    )
    try:
        time.sleep(0.2)
        for _ in range(20):
            r = run(["--in-place", str(logs)])
            assert b"Traceback" not in r.stderr
            # The wildcard stands in the directory component: a glob match is never followed.
            # (A component written literally, "logs/sub/*.log", swapped for a link: see
            # tests/test_scrubber_literal_components.py.)
            r = run([f"{logs}/*/*.log"])
            assert b"SECRET" not in r.stdout
    finally:
        (logs / "stop").touch()
        attacker.wait(timeout=30)
    vault_untouched(vault)
    no_secret_in(logs)

"""Literal directory components of an argument, against an unprivileged attacker.

The rule (src/scrubber/paths.py, README "Paths and links"): directories an argument
names literally are opened one component at a time with ``O_NOFOLLOW | O_DIRECTORY``;
a component that is a symbolic link is followed only when the directory holding it
is owned by root (or the user running scrubber) and writable by neither group nor
others.  The attacker is a real process running as ``nobody`` (``setpriv``, as in
tests/test_scrubber_hostile_paths.py); the log directory is mode 0777 without the
sticky bit, under the worktree, so ``protected_symlinks`` cannot hide a bug.
"""

from __future__ import annotations

import io
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
from hypothesis import given, settings
from hypothesis import strategies as st

from scrubber import FileError, Settings, scrub_file_in_place, scrub_file_to
from scrubber.paths import iter_targets, open_directory

NOBODY = 65534
AS_NOBODY = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
SCRIPT = [sys.executable, "-m", "scrubber"]
SECRET = b"SECRET-ROOT-ONLY 192.0.2.55 must never be read\n"
ROOT = Path(__file__).resolve().parent.parent
REFUSED = "is a symbolic link in a directory others can write: not followed"


def _can_setpriv() -> bool:
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return False
    return subprocess.run(AS_NOBODY + ["true"], capture_output=True).returncode == 0


needs_attacker = pytest.mark.skipif(
    not _can_setpriv(), reason="the attacker must be another user: needs root (to setpriv to nobody) and setpriv"
)


@pytest.fixture()
def arena() -> Iterator[tuple[Path, Path, Path]]:
    """(top: root's 0755; logs: 0777 not sticky; vault/sub: a root-only 0700 directory)."""
    top = Path(tempfile.mkdtemp(prefix="literal-", dir=ROOT))
    try:
        top.chmod(0o755)
        logs = top / "logs"
        logs.mkdir()
        logs.chmod(0o777)
        vault = top / "vault"
        (vault / "sub").mkdir(parents=True)
        (vault / "sub").chmod(0o700)
        secret = vault / "sub" / "x.log"
        secret.write_bytes(SECRET)
        secret.chmod(0o600)
        os.utime(secret, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
        os.utime(vault / "sub", ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
        yield top, logs, vault
    finally:
        shutil.rmtree(top)


def vault_untouched(vault: Path) -> None:
    """Content, owner, mode and mtimes of the root-only file and its directory."""
    sub, f = vault / "sub", vault / "sub" / "x.log"
    assert sorted(os.listdir(sub)) == ["x.log"]  # no temporary file was ever left there
    st_f, st_d = f.stat(), sub.stat()
    assert f.read_bytes() == SECRET
    assert (st_f.st_uid, st_f.st_mode & 0o777, st_f.st_mtime_ns) == (0, 0o600, 10**18)
    # A temporary file created and renamed in sub would have changed its mtime.
    assert (st_d.st_uid, st_d.st_mode & 0o777, st_d.st_mtime_ns) == (0, 0o700, 10**18)


def no_secret_in(tree: Path, *outputs: bytes) -> None:
    for f in tree.rglob("*"):
        if f.is_file() and not f.is_symlink():
            assert b"SECRET" not in f.read_bytes(), f
    for out in outputs:
        assert b"SECRET" not in out


def run(args: list[str], **kw) -> subprocess.CompletedProcess[bytes]:  # type: ignore[no-untyped-def]
    return subprocess.run(SCRIPT + args, capture_output=True, timeout=60, **kw)


# The attacker exchanges its own directory "sub" and a link to the vault atomically
# (renameat2 RENAME_EXCHANGE), so "sub" always exists and is a link half the time.
SWAPPER = """
import ctypes, os, shutil, sys, time
logs, target = sys.argv[1:3]
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, RENAME_EXCHANGE = -100, 2
os.chdir(logs)
os.mkdir("sub")
open("sub/x.log", "w").write("192.0.2.1 attacker line\\n")
os.symlink(target, "swap")
n = 0
while not os.path.exists("stop"):
    if libc.renameat2(AT_FDCWD, b"sub", AT_FDCWD, b"swap", RENAME_EXCHANGE) != 0:
        sys.exit("renameat2: %d" % ctypes.get_errno())
    n += 1
    if n % 7 == 0:
        time.sleep(0.0002)  # sometimes long enough for a whole open
    if not os.path.islink("sub") and not os.path.exists("sub/x.log"):
        open("sub/x.log", "w").write("192.0.2.%d attacker line\\n" % (n % 250))
open("swaps", "w").write(str(n))
"""


# Other ways a swap can meet the run, each a refusal that touches nothing: the last
# component of ``logs/sub`` is a link (never followed) or turned from a link into a
# directory between its lstat and its open; the entry is gone, or replaced mid-rewrite.
SAFE_REFUSALS = ("symbolic link (not followed)", "is a directory", "No such file", "Not a directory", "renamed or replaced", "no file matches")


def _outcome(msg: str) -> str:
    for key in (REFUSED, *SAFE_REFUSALS):
        if key in msg:
            return key
    return msg


@needs_attacker
def test_literal_component_swap_race_in_place_and_to_stdout(arena: tuple[Path, Path, Path]) -> None:
    """Hundreds of root runs over logs/sub while nobody swaps sub for a link to a
    root-only directory: every form of argument, in place and to stdout."""
    top, logs, vault = arena
    attacker = subprocess.Popen(AS_NOBODY + [sys.executable, "-c", textwrap.dedent(SWAPPER), str(logs), str(vault / "sub")])
    forms = [f"{logs}/sub/x.log", f"{logs}/sub/*.log", f"{logs}/sub/", f"{logs}/sub", f"{logs}/./sub/../sub/x.log"]
    outcomes: dict[str, int] = {}
    outputs: list[bytes] = []
    iterations = 0
    try:
        time.sleep(0.2)
        deadline = time.monotonic() + 12
        while iterations < 3000 and time.monotonic() < deadline:
            arg = forms[iterations % len(forms)]
            in_place = iterations % 2 == 0
            iterations += 1
            for item in iter_targets([arg], []):
                if isinstance(item, str):
                    key = _outcome(item)
                else:
                    try:
                        if in_place:
                            scrub_file_in_place(item, Settings())
                        else:
                            buf = io.BytesIO()
                            scrub_file_to(item, buf, Settings())
                            outputs.append(buf.getvalue())
                        key = "scrubbed"
                    except FileError as exc:
                        key = _outcome(exc.format_message())
                outcomes[key] = outcomes.get(key, 0) + 1
        for i in range(10):  # the real command line, in place and to stdout
            r = run((["--in-place"] if i % 2 else []) + forms)
            assert b"Traceback" not in r.stderr and r.returncode in (0, 1), r.stderr
            outputs += [r.stdout, r.stderr]
    finally:
        (logs / "stop").touch()
        attacker.wait(timeout=30)
    assert attacker.returncode == 0
    print("literal swap race:", iterations, "iterations,", (logs / "swaps").read_text(), "swaps:", outcomes)
    vault_untouched(vault)
    no_secret_in(logs, *outputs)
    # The race was met both ways: sub was a link while resolving, and a directory.
    assert iterations >= 300, iterations
    assert outcomes.get(REFUSED, 0) > 0 and outcomes.get("scrubbed", 0) > 0, outcomes
    assert set(outcomes) <= {REFUSED, "scrubbed", *SAFE_REFUSALS}, outcomes


@needs_attacker
def test_links_followed_only_in_trusted_directories(arena: tuple[Path, Path, Path]) -> None:
    top, logs, vault = arena
    subprocess.run(
        AS_NOBODY + [sys.executable, "-c", textwrap.dedent(f"""
            import os
            os.chdir({str(logs)!r})
            os.mkdir("real"); open("real/a.log", "w").write("192.0.2.7 a\\n")
            os.symlink({str(vault / "sub")!r}, "evil")
            os.mkdir("mine", 0o755)
            os.symlink({str(vault / "sub")!r}, "mine/evil")   # nobody's own 0755 directory
        """)],
        check=True,
    )
    grp = top / "grp"  # root-owned but group-writable (like Debian's /var/log, root:syslog 0775)
    grp.mkdir()
    grp.chmod(0o775)
    os.symlink(vault / "sub", grp / "evil")
    os.symlink("logs/real", top / "app")  # root's own link in root's 0755 directory: followed
    os.symlink(str(logs / "real"), top / "app_abs")
    os.symlink("logs/../app", top / "app_rel")  # ".." is physical, as in the kernel
    os.symlink("loop", top / "loop")
    sticky = top / "tmp"  # like /tmp: others cannot replace an entry they do not own
    sticky.mkdir()
    sticky.chmod(0o1777)
    os.symlink(str(logs / "real"), sticky / "root_link")
    subprocess.run(AS_NOBODY + ["ln", "-s", str(vault / "sub"), str(sticky / "evil")], check=True)
    for bad in (logs / "evil", logs / "mine" / "evil", grp / "evil", sticky / "evil"):
        for args in ([f"{bad}/x.log"], [f"{bad}/*.log"], [f"{bad}/"], ["--in-place", f"{bad}/x.log"], ["--in-place", f"{bad}/"]):
            r = run(args)
            assert r.returncode == 1 and b"Traceback" not in r.stderr, r.stderr
            assert f"{bad} {REFUSED}".encode() in r.stderr, r.stderr
            no_secret_in(logs, r.stdout, r.stderr)
    # The shell expands logs/*/x.log through the link; scrubber resolves the result itself.
    r = subprocess.run(["sh", "-c", f'exec "$@" --in-place {logs}/*/x.log', "sh", *SCRIPT], capture_output=True, timeout=60)
    assert r.returncode == 1 and f"{logs}/evil {REFUSED}".encode() in r.stderr, r.stderr
    vault_untouched(vault)
    for good in ("app", "app_abs", "app_rel", "tmp/root_link"):
        (logs / "real" / "a.log").write_bytes(b"192.0.2.7 a\n")
        r = run(["--in-place", str(top / good / "a.log")])
        assert r.returncode == 0, r.stderr
        assert (logs / "real" / "a.log").read_bytes() == b"192.0.2.0 a\n"
        assert run([f"{top / good}/*.log"]).stdout == b"192.0.2.0 a\n"
    r = run([str(top / "loop" / "a.log")])
    assert r.returncode == 1 and b"too many levels of symbolic links" in r.stderr and b"Traceback" not in r.stderr, r.stderr


# ------------------------------------------------------------- the class
# A fixed tree of directories of each kind of trust, with links between them, and
# paths drawn from its names: open_directory must agree with a model that walks
# the path by name (no race in this test) and refuses any link met in a directory
# others can write.  Paths that resolve must land where the kernel lands.
DIRS = {"t": (0, 0o755), "w": (0, 0o777), "g": (0, 0o775), "o": (NOBODY, 0o755), "s": (0, 0o1777), "so": (NOBODY, 0o1777)}
NAMES = ["t", "w", "g", "o", "s", "so", "lt", "lw", "lg", "lo", "ls", "la", "up", "nup", "..", ".", "file", "loop"]


def _build(base: Path) -> None:
    for d in DIRS:
        (base / d).mkdir()
    for path in [base, *(base / d for d in DIRS)]:
        inner = path == base
        (path / "file").write_bytes(b"")
        # Links in every kind of directory: relative, absolute, climbing, to /, a loop.
        os.symlink("t" if inner else "../t", path / "lt")
        os.symlink(str(base / "w"), path / "lw")
        os.symlink("g" if inner else "../g", path / "lg")
        os.symlink(str(base / "o"), path / "lo")
        os.symlink("/", path / "la")
        os.symlink("..", path / "up")
        os.symlink("loop", path / "loop")
        os.symlink(str(base / "s"), path / "ls")
        os.symlink("..", path / "nup")
        os.lchown(path / "nup", NOBODY, NOBODY)  # a link another user owns
    for d, (uid, mode) in DIRS.items():
        os.chown(base / d, uid, uid)
        (base / d).chmod(mode)
    base.chmod(0o755)


def _model(base: Path, comps: list[str]) -> Path | None:
    """Resolve by name: a link is followed only if its directory is trusted."""
    cur = base
    stack = list(reversed(comps))
    links = 0
    while stack:
        c = stack.pop()
        if c in ("", "."):
            continue
        if c == "..":
            cur = cur.parent
            continue
        nxt = cur / c
        if nxt.is_symlink():
            links += 1
            # The documented rule, written out here on its own.
            d, ours = cur.stat(), (0, os.geteuid())
            trusted = d.st_uid in ours and not d.st_mode & 0o022
            sticky_own = d.st_mode & 0o1000 and d.st_uid in ours and nxt.lstat().st_uid in ours
            if links > 40 or not (trusted or sticky_own):
                return None
            dest = os.readlink(nxt)
            if dest.startswith("/"):
                cur = Path("/")
            stack.extend(reversed(dest.split("/")))
            continue
        if not nxt.is_dir():
            return None
        cur = nxt
    return cur


@pytest.fixture(scope="module")
def tree() -> Iterator[Path]:
    base = Path(tempfile.mkdtemp(prefix="trust-tree-", dir=ROOT))
    try:
        _build(base)
        yield base
    finally:
        shutil.rmtree(base)


@pytest.mark.skipif(os.geteuid() != 0, reason="directories owned by another user need root to make")
@settings(deadline=None)  # examples: the ci (200) or thorough profile
@given(comps=st.lists(st.sampled_from(NAMES), min_size=1, max_size=6))
def test_open_directory_agrees_with_the_trust_model(tree: Path, comps: list[str]) -> None:
    path = str(tree) + "/" + "/".join(comps)
    expected = _model(tree, comps)
    try:
        fd = open_directory(path)
    except OSError as exc:
        assert expected is None, (path, expected, exc)
        assert exc.strerror and "Traceback" not in exc.strerror
        return
    try:
        got = os.fstat(fd)
    finally:
        os.close(fd)
    assert expected is not None, path
    want = expected.stat()
    assert (got.st_dev, got.st_ino) == (want.st_dev, want.st_ino), path
    assert stat.S_ISDIR(got.st_mode)

"""Reading the two versions: a file, or a file as it was at a git revision.

git runs without a shell, with the revision checked first and resolved to a
commit, so a name like `-x` or `HEAD;rm` is an error and never an option or a
command. A path is taken relative to the top of the file's own repository.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from ..language import ast
from ..language.diagnostics import PolicyError, render_text
from ..language.lint import read_policy_text
from ..language.parser import ParseFailed, decode, parse
from .render import printable

GIT_TIMEOUT = 60


def parse_policy(text: str, name: str) -> ast.PolicyFile:
    try:
        return parse(text, name)
    except ParseFailed as failed:
        raise PolicyError(_shown(render_text(failed.diagnostic, text))) from None


def read_policy(path: str) -> ast.PolicyFile:
    try:
        text = read_policy_text(path)
    except ParseFailed as failed:  # not UTF-8
        raise PolicyError(_shown(render_text(failed.diagnostic, None))) from None
    return parse_policy(text, path)


def _shown(message: str) -> str:
    return "\n".join(printable(line) for line in message.split("\n"))


def _git(args: list[str], cwd: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=GIT_TIMEOUT,
                              stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise PolicyError("--against needs git, and git was not found on PATH") from None
    except subprocess.TimeoutExpired:
        raise PolicyError(f"git {args[0]} took more than {GIT_TIMEOUT} s") from None


def _error_text(done: subprocess.CompletedProcess) -> str:
    return printable(done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:][0]
                     if done.stderr.strip() else f"git exited with {done.returncode}")


def _unborn(root: str) -> bool:
    """A repository with no commit yet (HEAD names a branch that does not exist)."""
    return _git(["rev-list", "-n", "1", "--all"], root).stdout.strip() == b""


def read_at_revision(path: str, revision: str) -> ast.PolicyFile:
    """The policy at PATH as committed at REVISION, named `REVISION:path/in/repo`.

    A file the revision does not hold (a policy added since), or HEAD before the
    first commit, is an empty policy: everything in it is new.
    """
    if not revision or revision.startswith("-") or any(c in revision for c in "\0\n\r"):
        raise PolicyError(f"not a git revision: {printable(revision)!r}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise PolicyError(f"cannot read {printable(path)}: no such directory")
    top = _git(["rev-parse", "--show-toplevel"], folder)
    if top.returncode != 0:
        raise PolicyError(f"{printable(path)} is not in a git repository (--against needs one)")
    root = top.stdout.decode("utf-8", "surrogateescape").rstrip("\n")
    target = os.path.join(os.path.realpath(folder), os.path.basename(path))
    relative = os.path.relpath(target, os.path.realpath(root))
    if relative.startswith(os.pardir + os.sep) or relative == os.pardir:
        raise PolicyError(f"{printable(path)} is outside its git repository {printable(root)}")
    relative = Path(relative).as_posix()
    commit = _git(["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], root)
    name = f"{revision}:{relative}"
    if commit.returncode != 0 and revision == "HEAD" and _unborn(root):
        return ast.PolicyFile(name, ())  # the first commit: everything is new
    if commit.returncode != 0:
        raise PolicyError(f"unknown git revision {printable(revision)!r} in {printable(root)}")
    sha = commit.stdout.decode("ascii").strip()
    if _git(["cat-file", "-e", f"{sha}:{relative}"], root).returncode != 0:
        return ast.PolicyFile(name, ())  # not in that revision: a new file
    shown = _git(["show", "--no-textconv", f"{sha}:{relative}"], root)
    if shown.returncode != 0:
        raise PolicyError(f"git show {printable(name)}: {_error_text(shown)}")
    try:
        text = decode(shown.stdout, name)
    except ParseFailed as failed:
        raise PolicyError(_shown(render_text(failed.diagnostic, None))) from None
    return parse_policy(text, name)

"""Which files a run touches, opened relative to their directory, never through a hostile link.

One rule for every way a path arrives (explicit argument, shell expansion, a glob
scrubber expands, a directory walk):

* The directories an argument names literally (``/var/log/app/sub`` in
  ``/var/log/app/sub/x.log`` or ``'/var/log/app/sub/*.log'``) are resolved one
  component at a time from ``/`` (or the working directory) with ``openat`` and
  ``O_NOFOLLOW | O_DIRECTORY``.  A component that is a symbolic link is followed only
  when the directory holding it is trusted: owned by root or by the user running
  scrubber, and writable by neither group nor others (the test sudo makes of a secure
  path); or, in a sticky directory owned by root or that user (``/tmp``), when the
  link itself is owned by root or that user.  No one else can then swap the link, so
  ``/var/run -> /run`` works while a link in ``/var/log/app`` (mode 0777, or a
  group-writable 0775) is refused.  The link's target is resolved by the same rule,
  at most 40 links per argument.
* Everything scrubber finds itself (glob matches, walk entries) and the last
  component of every file argument is opened with ``O_NOFOLLOW`` relative to a
  descriptor of its directory: never followed (an argument that is a link is an
  error, one found by a glob or walk is skipped).  An argument ending in ``/`` names
  a directory, resolved as a literal component: a link there is followed only in a
  trusted directory.

A :class:`Target` carries the directory descriptor and the entry's name; all later
work (open, temporary file, times, rename) happens relative to that descriptor, so
a directory renamed or replaced mid-run cannot redirect it.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import stat
from collections.abc import Iterable, Iterator
from typing import NamedTuple

__all__ = ["Target", "NotOpened", "iter_targets", "target_for", "open_regular", "open_directory", "trusted_dir", "TMP_RE"]

TMP_RE = re.compile(r"^\.(?P<name>.+)\.scrubber-tmp-(?P<pid>[0-9]+)$")
_GLOB_CHARS = re.compile(r"[*?\[]")
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
# O_NONBLOCK: a FIFO swapped in for a log must not hang root in open().
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_MAX_LINKS = 40  # as the kernel's own limit for one path (ELOOP beyond it)


class Target(NamedTuple):
    """One file to scrub: ``name`` inside the open directory ``dir_fd``."""

    dir_fd: int
    name: str
    display: str  # for messages only; never opened


class NotOpened(Exception):
    """The entry is not a regular file that may be opened (message says why)."""


def _describe(exc: OSError) -> str:
    return exc.strerror or str(exc)


def open_regular(target: Target) -> tuple[int, os.stat_result]:
    """Open ``target`` read-only without following a link; ``fstat`` of what was opened.

    The ``lstat`` first keeps scrubber from ever opening a device or FIFO in the
    common case; the ``fstat`` after the open is what counts (the entry can be
    swapped in between: a link then fails with ELOOP, anything else is refused).
    """
    try:
        st = os.stat(target.name, dir_fd=target.dir_fd, follow_symlinks=False)
    except OSError as exc:
        raise NotOpened(_describe(exc)) from exc
    _check_kind(st)
    try:
        fd = os.open(target.name, _FILE_FLAGS, dir_fd=target.dir_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotOpened("is a symbolic link (not followed)") from exc
        raise NotOpened(_describe(exc)) from exc
    try:
        st = os.fstat(fd)
        _check_kind(st)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def _check_kind(st: os.stat_result) -> None:
    if stat.S_ISLNK(st.st_mode):
        raise NotOpened("is a symbolic link (not followed)")
    if stat.S_ISDIR(st.st_mode):
        raise NotOpened("is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise NotOpened("not a regular file")


def _open_dir(path: str, *, follow: bool = True, dir_fd: int | None = None) -> int:
    """A directory descriptor: ``path`` resolved by the trusted-link rule, or one entry
    of ``dir_fd`` opened with ``O_NOFOLLOW`` (``follow=False``)."""
    if not follow:
        return os.open(path, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=dir_fd)
    return open_directory(path)


def trusted_dir(st: os.stat_result) -> bool:
    """Only root or we can change this directory's entries (so its links stay put)."""
    return st.st_uid in (0, os.geteuid()) and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _may_follow(dir_st: os.stat_result, link_st: os.stat_result) -> bool:
    """A link no one else can replace: in a trusted directory, or our own (or root's)
    link in a sticky directory of ours or root's (/tmp: others cannot rename or remove
    an entry they do not own there; the kernel's protected_symlinks rule)."""
    if trusted_dir(dir_st):
        return True
    mine = (0, os.geteuid())
    return bool(dir_st.st_mode & stat.S_ISVTX) and dir_st.st_uid in mine and link_st.st_uid in mine


def _components(path: str) -> list[str]:
    """The components of ``path`` in reverse order (a stack), without empty and ``.``."""
    return [c for c in reversed(path.split(os.sep)) if c not in ("", ".")]


def open_directory(path: str) -> int:
    """Open directory ``path`` one component at a time, following a link only in a
    trusted directory (see the module docstring); OSError with a message otherwise.

    Each step is ``openat(fd, component, O_NOFOLLOW | O_DIRECTORY)``: a component
    swapped for a link after it was looked at fails to open instead of being followed.
    """
    fd = os.open(os.sep if path.startswith(os.sep) else ".", _DIR_FLAGS)
    stack = _components(path)
    links = 0
    done: list[str] = [] if not path.startswith(os.sep) else [""]
    try:
        while stack:
            comp = stack.pop()
            try:
                nfd = os.open(comp, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=fd)
            except OSError as exc:
                if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
                    raise
                try:
                    lst = os.stat(comp, dir_fd=fd, follow_symlinks=False)
                except OSError:
                    lst = None
                shown = os.sep.join([*done, comp]) or comp
                if lst is None or not stat.S_ISLNK(lst.st_mode):
                    raise OSError(exc.errno, f"{shown}: {exc.strerror}") from exc
                if not _may_follow(os.fstat(fd), lst):
                    raise OSError(
                        errno.ELOOP,
                        f"{shown} is a symbolic link in a directory others can write: not followed",
                    ) from exc
                links += 1
                if links > _MAX_LINKS:
                    raise OSError(errno.ELOOP, f"{shown}: too many levels of symbolic links") from exc
                dest = os.readlink(comp, dir_fd=fd)
                if dest.startswith(os.sep):
                    nfd = os.open(os.sep, _DIR_FLAGS)
                    os.close(fd)
                    fd = nfd
                    done = [""]
                stack.extend(_components(dest))
                continue
            os.close(fd)
            fd = nfd
            done.append(comp)
        return fd
    except BaseException:
        os.close(fd)
        raise


def target_for(path: str) -> tuple[Target, int]:
    """A Target for one explicit file path, and the directory descriptor to close."""
    parent, name = os.path.split(path)
    fd = _open_dir(parent or ".")
    return Target(fd, name, path), fd


def _skipped(name: str) -> bool:
    return name.startswith(".") or TMP_RE.match(name) is not None


def _entry_kind(dir_fd: int, name: str) -> int | None:
    try:
        return stat.S_IFMT(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return None


def _walk(dir_fd: int, display: str, include: list[str]) -> Iterator[Target]:
    """Regular files under an open directory; links and hidden names are skipped."""
    for dirpath, dirnames, filenames, fd in os.fwalk(".", dir_fd=dir_fd, follow_symlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        base = display if dirpath == "." else os.path.join(display, os.path.normpath(dirpath))
        for name in sorted(filenames):
            if _skipped(name) or (include and not any(fnmatch.fnmatch(name, p) for p in include)):
                continue
            if _entry_kind(fd, name) == stat.S_IFREG:  # links, FIFOs, sockets: skipped
                yield Target(fd, name, os.path.join(base, name))


def _glob_parts(pattern: str) -> tuple[str, list[str]]:
    """The literal directory before the first wildcard, and the components after it."""
    parts = pattern.split(os.sep)
    for i, part in enumerate(parts):
        if _GLOB_CHARS.search(part):
            literal = os.sep.join(parts[:i]) or (os.sep if pattern.startswith(os.sep) else ".")
            return literal, [p for p in parts[i:] if p]
    raise ValueError("no wildcard")


def _glob(dir_fd: int, display: str, parts: list[str], include: list[str]) -> Iterator[Target]:
    """Match ``parts`` one component at a time below ``dir_fd``, never through a link."""
    head, rest = parts[0], parts[1:]
    if _GLOB_CHARS.search(head):
        try:
            names = sorted(os.listdir(dir_fd))
        except OSError:
            return
        names = [n for n in fnmatch.filter(names, head) if head.startswith(".") or not n.startswith(".")]
    else:
        names = [head]
    for name in names:
        if TMP_RE.match(name):
            continue
        kind = _entry_kind(dir_fd, name)
        shown = os.path.join(display, name) if display != "." else name
        if kind == stat.S_IFDIR:
            try:
                sub = _open_dir(name, follow=False, dir_fd=dir_fd)
            except OSError:
                continue  # swapped for a link since the lstat: not followed
            try:
                yield from (_glob(sub, shown, rest, include) if rest else _walk(sub, shown, include))
            finally:
                os.close(sub)
        elif kind == stat.S_IFREG and not rest:
            yield Target(dir_fd, name, shown)


def iter_targets(args: Iterable[str], include: list[str]) -> Iterator[Target | str]:
    """Targets in order, each file once, and an error message for each bad argument.

    Directory descriptors stay open while their targets are being processed (the
    caller works on each one before asking for the next) and are closed after.
    """
    seen: set[tuple[int, int]] = set()

    def first_time(t: Target) -> bool:
        try:
            st = os.stat(t.name, dir_fd=t.dir_fd, follow_symlinks=False)
        except OSError:
            return True  # the open will say what is wrong
        key = (st.st_dev, st.st_ino)
        if key in seen:
            return False
        seen.add(key)
        return True

    for arg in args:
        for item in _expand(arg, include):
            if isinstance(item, str) or first_time(item):
                yield item


def _literal_exists(arg: str) -> bool:
    """Whether ``arg`` names an existing entry literally (a file named ``a[1].log``)."""
    parent, name = os.path.split(arg)
    try:
        fd = _open_dir(parent or ".")
    except OSError:
        return False
    try:
        return _entry_kind(fd, name) is not None if name else True
    finally:
        os.close(fd)


def _expand(arg: str, include: list[str]) -> Iterator[Target | str]:
    if _GLOB_CHARS.search(arg) and not _literal_exists(arg):
        literal, parts = _glob_parts(arg)
        try:
            fd = _open_dir(literal)
        except OSError as exc:
            # A missing directory matches nothing; a refused link or a file says why.
            yield f"{arg}: no file matches" if exc.errno == errno.ENOENT else f"{arg}: {_describe(exc)}"
            return
        found = False
        try:
            for t in _glob(fd, literal if literal != "." else ".", parts, include):
                found = True
                yield t
        finally:
            os.close(fd)
        if not found:
            yield f"{arg}: no file matches"
        return
    if arg.endswith(os.sep):  # names a directory: a link there only in a trusted directory
        try:
            fd = _open_dir(arg)
        except OSError as exc:
            yield f"{arg}: {_describe(exc)}"
            return
        try:
            yield from _walk(fd, arg.rstrip(os.sep) or os.sep, include)
        finally:
            os.close(fd)
        return
    parent, name = os.path.split(arg)
    try:
        pfd = _open_dir(parent or ".")
    except OSError as exc:
        yield f"{arg}: {_describe(exc)}"
        return
    try:
        kind = _entry_kind(pfd, name)
        if kind is None:
            yield f"{arg}: No such file or directory"
        elif kind == stat.S_IFDIR:
            try:
                fd = _open_dir(name, follow=False, dir_fd=pfd)
            except OSError as exc:
                yield f"{arg}: {_describe(exc)}"
                return
            try:
                yield from _walk(fd, arg, include)
            finally:
                os.close(fd)
        else:
            yield Target(pfd, name, arg)  # a link or a FIFO is refused when opened
    finally:
        os.close(pfd)

"""Writing a command's output to ``--output FILE``: all of it or nothing.

The output goes to a temporary file beside FILE, which replaces FILE only once it is
complete (flushed, fsynced, mode 0644): a run that fails leaves any earlier file as it
was, and a link at FILE is replaced by a file, never written through. ``-`` or no FILE is
standard output.  A character device or a FIFO at FILE (``/dev/null``, ``/dev/stdout``,
a named pipe a reader waits on) is written to, never replaced: renaming a file over
``/dev/null`` as root would break every other program on the machine.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from pathlib import Path

from .language.diagnostics import PolicyError


@contextlib.contextmanager
def atomic_output(output: str | None, binary: bool = False):
    """A stream for the output: standard output, or the temporary file that becomes
    ``output`` when the block ends without an error (PolicyError if it cannot be written)."""
    if output in (None, "-"):
        yield sys.stdout.buffer if binary else sys.stdout
        return
    path = Path(output)
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        mode = 0
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as err:
            raise PolicyError(f"cannot write {output}: {err.strerror}") from None
        try:
            with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")) as out:
                yield out
        except OSError as err:
            raise PolicyError(f"cannot write {output}: {err.strerror}") from None
        return
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as err:
        raise PolicyError(f"cannot write {output}: {err.strerror}") from None
    done = False
    try:
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        done = True
    except OSError as err:
        raise PolicyError(f"cannot write {output}: {err.strerror}") from None
    finally:
        if not done:
            Path(tmp).unlink(missing_ok=True)

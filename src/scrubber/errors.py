"""scrubber's own errors and the escaping of what they show: light, for the CLI's start-up
(``scrubber --version`` loads this and click, not the core)."""

from __future__ import annotations

import re

import click

__all__ = ["ScrubberError", "ConfigError", "FileError", "Terminated", "WorkerGone", "printable"]


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LF = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def printable(text: str, *, lines: bool = False) -> str:
    """Control characters (from file names, options) as ``\\xNN``: a terminal acts on none."""
    return (_CONTROL_BUT_LF if lines else _CONTROL).sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class ScrubberError(click.ClickException):
    """Base class of scrubber's own errors (never shown as a traceback)."""

    exit_code = 1
    multiline = False  # a policy error: file:line:col, excerpt and hint on lines of their own

    def show(self, file=None) -> None:  # type: ignore[no-untyped-def]
        try:
            click.echo(f"scrubber: error: {printable(self.format_message(), lines=self.multiline)}", err=True)
        except OSError:  # stderr refuses (a full disk): the exit status still says it
            pass


class ConfigError(ScrubberError):
    """Bad options, key file, policy: nothing was processed (exit 2)."""

    exit_code = 2


class FileError(ScrubberError):
    """One input could not be processed; the others were (exit 1)."""

    exit_code = 1


class WorkerGone(Exception):
    """A worker process ended (killed, out of memory) or stopped answering during a run.

    The file it was scrubbing is incomplete: ``files`` reports it as that file's error
    (an in-place rewrite leaves the file unchanged); the pool is ended, and the next file
    starts new workers.  Raised by ``parallel._Channel``, whose every failure to send or receive
    is this, never an ``OSError`` that could pass for the output's own (a closed stdout
    is EPIPE too)."""

    def __init__(self, pid: int | None, how: str = "ended") -> None:
        self.pid, self.how = pid, how
        who = "the main process" if pid is None else f"worker process {pid}"
        super().__init__(f"{who} {how} during the run")


from .stream import Terminated  # noqa: E402,F401 (one class: the pipe path has it without click)

"""scrubber's own errors and the escaping of what they show: light, for the CLI's start-up
(``scrubber --version`` loads this and click, not the core)."""

from __future__ import annotations

import re

import click

__all__ = ["ScrubberError", "ConfigError", "FileError", "Terminated", "printable"]


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
        click.echo(f"scrubber: error: {printable(self.format_message(), lines=self.multiline)}", err=True)


class ConfigError(ScrubberError):
    """Bad options, key file, policy: nothing was processed (exit 2)."""

    exit_code = 2


class FileError(ScrubberError):
    """One input could not be processed; the others were (exit 1)."""

    exit_code = 1


from .stream import Terminated  # noqa: E402,F401 (one class: the pipe path has it without click)

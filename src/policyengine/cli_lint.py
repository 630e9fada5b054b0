"""`policyengine lint` without click: what the command does once its arguments are read
(``run``, which the click command calls too), and the reading of simple arguments
(``simple_arguments``) that lets the entry point (``entry.main``) run it without importing
click, whose import was a seventh of lint's start-up (pre-commit starts lint per commit).
"""

from __future__ import annotations

import os
import re
import sys

from .language.diagnostics import EXIT_FINDINGS, EXIT_OK, EXIT_TOOL_ERROR
from .language.lint import FORMATTERS, LintConfig, lint_paths
from .language.source import policy_files

CI_FORMATS = ("github", "junit")  # in ci_output, imported only when asked for
FORMATS = tuple(sorted(FORMATTERS)) + CI_FORMATS
FAIL_LEVELS = ("error", "warning")
_FAILING = {"error": ("error",), "warning": ("error", "warning")}


def exit_code(levels, fail_level: str = "warning", no_fail: bool = False) -> int:
    """The exit code for a run that found items at ``levels`` (the table in README.md):
    1 when one is at ``fail_level`` or above, unless ``no_fail``; else 0."""
    if no_fail:
        return EXIT_OK
    return EXIT_FINDINGS if any(level in _FAILING[fail_level] for level in levels) else EXIT_OK


def run(files, output_format: str, config_path: str | None, fail_level: str, no_fail: bool, echo) -> int:
    """Lint ``files`` and write the report with ``echo(text, nl=..., err=...)``; the exit
    code. (A bad --config raises PolicyError, which the caller shows.)"""
    config = None  # None: each file's own
    if config_path:
        from pathlib import Path  # only here: lint's start-up does not load it

        config = LintConfig.load(Path(config_path))
    result = lint_paths(policy_files(files), config)
    if result.files or not result.unreadable:  # nothing read at all: only the errors
        if output_format in CI_FORMATS:
            from .ci_output import LINT_FORMATTERS

            echo(LINT_FORMATTERS[output_format](result), nl=False)
        else:
            echo(FORMATTERS[output_format](result), nl=False)
    for message in result.unreadable:
        echo(f"Error: {message}", err=True)
    if result.unreadable:
        return EXIT_TOOL_ERROR
    return exit_code([d.level for d in result.diagnostics], fail_level, no_fail)


_VALUED = ("--format", "--config", "--fail-level")


def simple_arguments(args: list[str]) -> dict | None:
    """``lint`` and its arguments, when every one is written as the click command reads it
    without question: FILES ('-' for stdin, nothing else starting with '-'), ``--format F``
    / ``--format=F`` with a known F, ``--config PATH`` (not a folder), ``--fail-level
    L``, ``--no-fail``; the keyword arguments of ``run``. Anything else (``--help``, ``--``,
    a short option, an unknown value, no FILES): None, and click reads them."""
    if not args or args[0] != "lint":
        return None
    got = {"files": [], "output_format": "text", "config_path": None, "fail_level": "warning", "no_fail": False}
    rest = args[1:]
    i = 0
    while i < len(rest):
        arg = rest[i]
        i += 1
        if arg == "--no-fail":
            got["no_fail"] = True
            continue
        if arg == "-" or (arg and not arg.startswith("-")):
            got["files"].append(arg)
            continue
        name, eq, value = arg.partition("=")
        if name not in _VALUED:
            return None
        if not eq:
            if i >= len(rest):
                return None
            value = rest[i]
            i += 1
        if not value or value.startswith("-"):
            return None
        if name == "--format":
            if value not in FORMATS:
                return None
            got["output_format"] = value
        elif name == "--fail-level":
            if value not in FAIL_LEVELS:
                return None
            got["fail_level"] = value
        else:
            if os.path.isdir(value):  # click.Path(dir_okay=False) says so
                return None
            got["config_path"] = value
    return got if got["files"] else None


_ANSI = re.compile(r"\033\[[;?0-9]*[a-zA-Z]")


def echo(text: str, nl: bool = True, err: bool = False) -> None:
    """As click.echo writes text: a newline unless ``nl=False``, escape sequences taken out
    when the stream is not a terminal, flushed."""
    stream = sys.stderr if err else sys.stdout
    if nl:
        text += "\n"
    if text:
        if "\033" in text and not stream.isatty():
            text = _ANSI.sub("", text)
        stream.write(text)
    stream.flush()

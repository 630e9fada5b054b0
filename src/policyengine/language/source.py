"""A policy file's text and its inline ignores: what lint and loading both need.

Reading is strict: an unreadable file is a tool error (exit 2), a byte that is not UTF-8
is PE002 (raised as ParseFailed by ``parser.decode``). ``# lint-ignore: PE212`` silences
PE212 on its own line, or on the next line when the comment stands alone on its line.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass

from . import ast
from . import diagnostics as diag  # diag.PolicyError: defined on first use (see there)
from .diagnostics import CODES, Diagnostic, did_you_mean
from .parser import decode

STDIN = "-"


def read_policy_text(path: str) -> str:
    """The file's text ('-': stdin); unreadable is a tool error, a bad byte a PE002
    (raised as ParseFailed)."""
    try:
        if path == STDIN:
            return decode(sys.stdin.buffer.read(), "<stdin>")
        with open(path or ".", "rb") as f:  # '': the folder '.', as pathlib read it
            data = f.read()
    except OSError as err:
        raise diag.PolicyError(f"cannot read {path}: {err.strerror or err}") from None
    return decode(data, path)


def policy_files(args) -> list[str]:
    """The files named, with each directory replaced by the ``*.policy`` files under it
    (sorted; hidden entries and symbolic links are skipped, so nothing outside the tree
    is read). '-' stays: stdin."""
    found: list[str] = []
    for arg in args:
        if arg == STDIN or not os.path.isdir(arg):
            found.append(arg)
            continue
        for folder, dirs, files in os.walk(arg):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                             and not os.path.islink(os.path.join(folder, d)))
            found.extend(os.path.join(folder, f) for f in sorted(files)
                         if f.endswith(".policy") and not f.startswith(".")
                         and not os.path.islink(os.path.join(folder, f)))
    return found


# `# lint-ignore: PE212` silences PE212 on its own line, or on the next line when the
# comment stands alone on its line. Codes are listed with commas or spaces; anything after
# them (`-- the notice states no period`) is the reason. A line of a statement written over
# several lines stands for the whole statement (its first line): fmt joins such a
# statement onto one line, and what an ignore silences must not change with it.
_IGNORE_WORD = re.compile(r"#\s*lint-ignore\b(:?)\s*(.*)", re.IGNORECASE)
_CODE_LIST = re.compile(r"(?:[A-Za-z]{2}\d{3}\b[\s,]*)*")
_CODE = re.compile(r"[A-Za-z]{2}\d{3}\b")


@dataclass(frozen=True)
class Ignore:
    """One code named by one `# lint-ignore:` comment, and the line it silences."""

    code: str
    line: int  # the line it silences
    span: ast.Span  # the comment


def parse_ignores(comments: tuple[ast.Comment, ...], file: str) -> tuple[list[Ignore], list[Diagnostic]]:
    """The ignores of a file, and PE217 for every `lint-ignore` comment not understood
    (no colon, no code, a code that does not exist): it silences nothing and says so."""
    ignores, problems = [], []
    for c in comments:
        m = _IGNORE_WORD.search(c.text)
        if not m:
            continue
        start = c.column + m.start()
        span = ast.Span(file, c.line, start, c.line, c.column + len(c.text))
        line = c.line + 1 if c.own_line else c.line
        listed = _CODE_LIST.match(m.group(2)).group()
        codes = _CODE.findall(listed)
        if not m.group(1):
            problems.append(Diagnostic("PE217", "'lint-ignore' without a colon silences nothing", span,
                                       "write: # lint-ignore: PE212"))
            continue
        if not codes:
            problems.append(Diagnostic("PE217", "'lint-ignore:' names no code", span,
                                       "write: # lint-ignore: PE212 (the codes are listed in the README)"))
            continue
        for code in codes:
            if code not in CODES:
                problems.append(Diagnostic("PE217", f"'lint-ignore:' names an unknown code '{code}'", span,
                                           did_you_mean(code.upper(), CODES)))
            else:
                ignores.append(Ignore(code, line, span))
    return ignores, problems


def statement_lines(policy: ast.PolicyFile) -> dict[int, int]:
    """For each line of a statement written over several lines, the statement's first line
    (blocks: their header only; what is inside a block is its own statements)."""
    first: dict[int, int] = {}
    todo = list(policy.declarations)
    while todo:
        node = todo.pop()
        body = getattr(node, "body", None)
        if body is not None:
            todo.extend(body)
            continue
        span = node.span
        for line in range(span.line + 1, span.end_line + 1):
            first[line] = span.line
    return first


def ignored_lines(policy: ast.PolicyFile) -> dict[int, set[str]]:
    """Codes silenced per line, keyed like ``silenced_line`` (a statement's first line)."""
    ignored: dict[int, set[str]] = {}
    first = statement_lines(policy)
    for ignore in parse_ignores(policy.comments, "")[0]:
        ignored.setdefault(first.get(ignore.line, ignore.line), set()).add(ignore.code)
    return ignored


def silenced_line(d: Diagnostic, first: dict[int, int]) -> int:
    return first.get(d.span.line, d.span.line)

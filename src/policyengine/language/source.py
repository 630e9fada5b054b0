"""A policy file's text and its inline ignores: what lint and loading both need.

Reading is strict: an unreadable file is a tool error (exit 2), a byte that is not UTF-8
is PE002 (raised as ParseFailed by ``parser.decode``). ``# lint-ignore: PE212`` silences
PE212 on its own line, or on the next line when the comment stands alone on its line.
"""

from __future__ import annotations

import re
from pathlib import Path

from . import ast
from .diagnostics import PolicyError
from .parser import decode

_IGNORE = re.compile(r"#\s*lint-ignore:\s*((?:PE\d{3}[\s,]*)+)")


def read_policy_text(path: str) -> str:
    """The file's text; unreadable is a tool error, a bad byte a PE002 (raised as ParseFailed)."""
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise PolicyError(f"cannot read {path}: {err.strerror}") from None
    return decode(data, path)


def ignored_lines(comments: tuple[ast.Comment, ...]) -> dict[int, set[str]]:
    """Line -> the codes its `# lint-ignore` comments silence."""
    ignored: dict[int, set[str]] = {}
    for c in comments:
        m = _IGNORE.search(c.text)
        if m:
            line = c.line + 1 if c.own_line else c.line
            ignored.setdefault(line, set()).update(re.findall(r"PE\d{3}", m.group(1)))
    return ignored

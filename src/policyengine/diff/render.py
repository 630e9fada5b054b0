"""Printing a diff: text for people, JSON for programs, GitHub workflow commands for CI.

Policy text (labels, citations, notes, file names) can hold any character a
string literal allows, so everything printed for a terminal or for GitHub
passes through `printable` (and, for GitHub, `github_data`/`github_property`)
at this one edge; the change objects keep the text as it is.
"""

from __future__ import annotations

import json
import re
import unicodedata

from .. import escaping
from ..language import ast
from .change import Change

# ---- escaping: stricter than escaping.printable (backslashes doubled, every Cc/Cf
# character visible), as a diff quotes policy text verbatim; GitHub's encoding is shared.
_UNSAFE = re.compile(r"[\\\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def printable(text: str) -> str:
    """Text safe on a terminal: control characters (CR, LF, ESC, C1, line
    separators, bidirectional overrides) become visible escapes; a backslash is
    doubled so an escape can never be confused with text that looks like one."""
    def escape(m: re.Match) -> str:
        ch = m.group()
        if ch == "\\":
            return "\\\\"
        code = ord(ch)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    text = _UNSAFE.sub(escape, text)
    # Any other format or control character (unicodedata Cc/Cf) is made visible too.
    return "".join(f"\\u{ord(c):04x}" if unicodedata.category(c) in ("Cc", "Cf") else c for c in text)


def github_data(text: str) -> str:
    """A workflow command's message: made printable, then GitHub's encoding."""
    return escaping.github_data(printable(text))


def github_property(text: str) -> str:
    """A workflow command's property value: also ':' and ',' are encoded."""
    return escaping.github_property(printable(text))


# ---- locations ----------------------------------------------------------------
def location(span: ast.Span | None, file: str) -> str:
    return f"{span.file}:{span.line}" if span is not None else f"{file}:-"


def _counts(changes: list[Change]) -> tuple[int, int]:
    material = sum(c.material for c in changes)
    return material, len(changes) - material


# ---- formats ------------------------------------------------------------------
def format_text(changes: list[Change], old_name: str, new_name: str) -> str:
    """One block per change; nothing at all when the two versions mean the same."""
    if not changes:
        return ""
    lines = []
    for c in changes:
        level = "material" if c.material else "minor"
        lines.append(f"{printable(location(c.old, old_name))} -> {printable(location(c.new, new_name))}: "
                     f"{level}: {c.kind}: {printable(c.message)}")
        lines.append(f"    why {level}: {printable(c.reason)}")
    material, minor = _counts(changes)
    lines.append(f"{material} material, {minor} minor change(s)")
    return "\n".join(lines) + "\n"


def _span_json(span: ast.Span | None) -> dict | None:
    if span is None:
        return None
    return {"file": span.file, "line": span.line, "column": span.column,
            "end_line": span.end_line, "end_column": span.end_column}


def format_json(changes: list[Change], old_name: str, new_name: str) -> str:
    material, minor = _counts(changes)
    data = {"old": old_name, "new": new_name, "material": material, "minor": minor,
            "changes": [{"kind": c.kind, "material": c.material, "message": c.message,
                         "reason": c.reason, "old": _span_json(c.old), "new": _span_json(c.new),
                         "what": c.what, "purpose": c.context,
                         "before": None if c.before is None else str(c.before),
                         "after": None if c.after is None else str(c.after)} for c in changes]}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def format_github(changes: list[Change], old_name: str, new_name: str) -> str:
    """`::warning` for a material change, `::notice` for a minor one, on the new file's line
    (a removal points at the enclosing block in the new file, else its first line)."""
    out = []
    for c in changes:
        command = "warning" if c.material else "notice"
        span = c.new
        file, line = (span.file, span.line) if span is not None else (new_name, 1)
        level = "material" if c.material else "minor"
        props = (f"file={github_property(file)},line={line},"
                 f"title={github_property(f'policy change: {level}: {c.kind}')}")
        message = (f"{c.message} (old: {location(c.old, old_name)}; new: {location(c.new, new_name)}). "
                   f"Why {level}: {c.reason}")
        out.append(f"::{command} {props}::{github_data(message)}")
    return "".join(line + "\n" for line in out)


FORMATS = {"text": format_text, "json": format_json, "github": format_github}

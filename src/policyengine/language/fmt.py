"""Canonical formatting: AST + comments -> text.

One statement per line, two-space indents, lists joined with ", ", blank lines
kept where the author put them (at most one), comments kept where they were:
a comment on its own line stays above the statement that follows it, a
comment after a statement stays at the end of that statement's line.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import ast

INDENT = "  "


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _label(label: str | None) -> str:
    return f" {quote(label)}" if label is not None else ""


def _cite(text: str | None) -> str:
    return f" {quote(text)}" if text is not None else ""


def _names(names) -> str:
    return ", ".join(n.value for n in names)


def _bound(bound: str) -> str:
    return bound.replace("_", " ")


def statement_text(node) -> str:
    """One leaf statement as a single canonical line (no indent)."""
    match node:
        case ast.Contact(value=v):
            return f"contact {quote(v)}"
        case ast.Dpo(value=v):
            return f"dpo {quote(v)}"
        case ast.Authority(name=n):
            return f"authority {n.value}"
        case ast.Jurisdiction(name=n):
            return f"jurisdiction {n.value}"
        case ast.FinancialYearEnd(month=m, day=d):
            return f"financial year ends {m:02d}-{d:02d}"
        case ast.Category():
            kind = ""
            if node.kind == "special":
                kind = f" is special {node.special.value}"
            elif node.kind == "national_identifier":
                kind = " is national identifier"
            return f"category {node.name.value}{_label(node.label)}{kind}"
        case ast.Subject():
            return f"subject {node.name.value}{_label(node.label)}"
        case ast.Country(code=c):
            return f"country {c.value}"
        case ast.Transfer():
            return f"transfer {node.safeguard.value}{_cite(node.note)}"
        case ast.Subjects(names=n):
            return f"subjects {_names(n)}"
        case ast.Categories(names=n):
            return f"categories {_names(n)}"
        case ast.Recipients(names=n):
            return f"recipients {_names(n)}"
        case ast.Basis():
            return f"basis {node.kind.value}{_cite(node.citation)}"
        case ast.SpecialCondition():
            return f"special condition {node.kind.value}{_cite(node.note)}"
        case ast.Retain():
            return f"retain {_bound(node.bound)} {node.duration} from {node.anchor.value}"
        case ast.RetainUntilWithdrawn():
            return "retain until withdrawn"
        case ast.LegalHold():
            return f"legal hold {node.duration} from {node.anchor.value}{_cite(node.citation)}"
        case ast.OnWithdrawal(within=w):
            return "on withdrawal erase" + (f" within {w}" if w is not None else "")
        case ast.LogKeep():
            return f"keep {_bound(node.bound)} {node.duration}"
        case ast.LogTruncate():
            return f"truncate ipv4 /{node.ipv4_prefix} ipv6 /{node.ipv6_prefix}"
        case ast.RespondWithin(duration=d):
            return f"respond within {d}"
        case ast.ExtendableBy(duration=d):
            return f"extendable by {d}"
    raise TypeError(f"cannot format {type(node).__name__}")


def block_header(node) -> tuple[str, tuple] | None:
    """(header, children) for nodes written with braces, else None."""
    match node:
        case ast.Controller():
            return f"controller {quote(node.name)}", node.body
        case ast.Recipient():
            return f"{node.role} {node.name.value}{_label(node.label)}", node.body
        case ast.Purpose():
            return f"purpose {node.name.value}{_label(node.label)}", node.body
        case ast.Logs():
            return f"logs {_names(node.kinds)}", node.body
        case ast.Requests():
            return "requests", node.body
    return None


@dataclass
class _Writer:
    comments: list[ast.Comment]
    out: list[str]
    last_line: int = 0  # source line of the last thing written
    opened: bool = False  # the last line written opened a block

    def _take(self, until_line: int, own_line_only: bool = True) -> list[ast.Comment]:
        taken = [c for c in self.comments if c.line < until_line and (c.own_line or not own_line_only)]
        for c in taken:
            self.comments.remove(c)
        return taken

    def _trailing(self, first: int, last: int) -> list[ast.Comment]:
        taken = [c for c in self.comments if first <= c.line <= last and not c.own_line]
        for c in taken:
            self.comments.remove(c)
        return taken

    def _gap(self, next_line: int, depth: int) -> None:
        if self.last_line and next_line > self.last_line + 1 and not self.opened and self.out:
            self.out.append("")

    def leading(self, before_line: int, depth: int) -> None:
        for c in self._take(before_line):
            self._gap(c.line, depth)
            self.out.append(INDENT * depth + c.text)
            self.last_line = c.line
            self.opened = False

    def line(self, text: str, depth: int, trailing: list[ast.Comment]) -> None:
        for extra in trailing[1:]:  # more than one comment on a line: keep them, above
            self.out.append(INDENT * depth + extra.text)
        suffix = f"  {trailing[0].text}" if trailing else ""
        self.out.append(INDENT * depth + text + suffix)
        self.opened = text.endswith("{")

    def node(self, node, depth: int) -> None:
        span = node.span
        self.leading(span.line, depth)
        self._gap(span.line, depth)
        block = block_header(node)
        if block is None:
            # Own-line comments inside a statement split over lines move above it.
            for c in self._take(span.end_line + 1):
                if c.line >= span.line:
                    self.out.append(INDENT * depth + c.text)
            self.line(statement_text(node), depth, self._trailing(span.line, span.end_line))
            self.last_line = span.end_line
            return
        header, children = block
        first_child = children[0].span.line if children else span.end_line
        inner_comments = [c for c in self.comments if span.line < c.line < span.end_line]
        if not children and not inner_comments and not isinstance(node, (ast.Controller, ast.Purpose,
                                                                           ast.Requests, ast.Logs)):
            self.line(header, depth, self._trailing(span.line, span.end_line))
            self.last_line = span.end_line
            return
        head_comments = self._trailing(span.line, min(first_child - 1, span.line) if children else span.line)
        self.line(header + " {", depth, head_comments)
        self.last_line = span.line
        for child in children:
            self.node(child, depth + 1)
        self.leading(span.end_line, depth + 1)
        for c in self._trailing(span.line, span.end_line - 1):  # stragglers on a header line
            self.out.append(INDENT * (depth + 1) + c.text)
        self.line("}", depth, self._trailing(span.end_line, span.end_line))
        self.last_line = span.end_line


def format_policy(policy: ast.PolicyFile) -> str:
    """The canonical text of a parsed policy."""
    writer = _Writer(sorted(policy.comments, key=lambda c: (c.line, c.column)), [])
    previous = None
    for decl in policy.declarations:
        # Blocks, and a change from one kind of declaration to another, stand apart.
        if previous is not None and (block_header(decl) or block_header(previous)
                                     or type(decl) is not type(previous)):
            if writer.out and writer.out[-1] != "":
                first = min([decl.span.line] + [c.line for c in writer.comments
                                                 if c.own_line and c.line < decl.span.line])
                writer.last_line = min(writer.last_line, first - 2) or -1  # one blank line; 0 = "none yet"
        writer.node(decl, 0)
        previous = decl
    writer.leading(10**9, 0)
    for c in writer.comments:  # trailing comments left anywhere (should be none)
        writer.out.append(c.text)
    text = "\n".join(writer.out).rstrip("\n")
    return text + "\n" if text else ""


def format_text(text: str, name: str = "<string>") -> str:
    """Policy text -> its canonical text; PolicyError if it cannot be parsed, or if the
    formatted text would not parse back to the same policy (never hand back a changed meaning)."""
    from .diagnostics import PolicyError, render_text
    from .parser import ParseFailed, parse

    try:
        policy = parse(text, name)
    except ParseFailed as failed:
        raise PolicyError("cannot format:\n" + render_text(failed.diagnostic, text)) from None
    formatted = format_policy(policy)
    if parse(formatted, name) != policy:
        raise PolicyError(f"{name}: internal error: formatting would change the policy's meaning; "
                          "file left unchanged (please report this)")
    return formatted

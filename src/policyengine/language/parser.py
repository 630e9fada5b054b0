"""Parsing in two steps: text -> concrete tree (``text_to_cst``, in ``cst``) -> AST (``cst_to_ast``).

The tree is lark's shape, made by lalr_runtime (or by lark itself, cst's fallback): nodes
with ``data``, ``children`` and ``meta``; tokens are strings with ``type`` and positions.
"""

from __future__ import annotations

import re

from . import ast
from .cst import ParseFailed, text_to_cst
from .diagnostics import Diagnostic
from .lalr_runtime import Tree

__all__ = ["MAX_POLICY_CHARS", "ParseFailed", "cst_to_ast", "decode", "parse", "scan_comments", "text_to_cst"]


def _tok_span(file: str, tok) -> ast.Span:
    return ast.Span(file, tok.line, tok.column, tok.end_line, tok.end_column)


def _unquote(tok) -> str:
    body = tok[1:-1]
    return re.sub(r'\\([\\"])', r"\1", body)  # only \\ and \" are escapes; keep others as written


# No number in a policy means anything past a few digits (150 years is 54,787 days, a prefix
# at most 128): longer ones are refused before int(), which would be slow, or raise past
# Python's 4,300-digit limit.
MAX_DIGITS = 9


def _number(tok, file: str) -> int:
    digits = str(tok).lstrip("0") or "0"
    if len(digits) > MAX_DIGITS:
        span = _tok_span(file, tok)
        raise ParseFailed(Diagnostic(
            "PE207", f"a number of {len(digits):,} digits; no duration, prefix or day has more than "
                     f"{MAX_DIGITS}", ast.Span(file, span.line, span.column, span.line,
                                              span.column + min(len(tok), 80))))
    return int(digits)


_BOUNDS = {("at", "most"): ast.Bound.AT_MOST, ("up", "to"): ast.Bound.AT_MOST,
           ("at", "least"): ast.Bound.AT_LEAST}


class _ToAst:
    """One method per node name, called with the node's meta and its children, already
    made into AST values (tokens stay tokens), bottom-up (``transform``)."""

    def __init__(self, file: str):
        self.file = file

    def transform(self, node):
        if isinstance(node, str):  # a token
            return node
        children = [c if isinstance(c, str) else self.transform(c) for c in node.children]
        method = getattr(type(self), node.data, None) if not node.data.startswith("_") else None
        if method is None:  # no rule of the grammar lacks one; kept as a tree like lark's
            return Tree(node.data, children, node.meta)
        return method(self, node.meta, *children)

    def _span(self, meta) -> ast.Span:
        if getattr(meta, "empty", True):
            return ast.NO_SPAN
        return ast.Span(self.file, meta.line, meta.column, meta.end_line, meta.end_column)

    def _name(self, tok) -> ast.Name:
        return ast.Name(str(tok), _tok_span(self.file, tok))

    def _strings(self, items) -> list[str]:
        return [_unquote(t) for t in items if isinstance(t, str) and t.type == "STRING"]

    # -- shared
    def name_list(self, meta, *names):
        return tuple(self._name(n) for n in names)

    def duration(self, meta, *tokens):
        """One part (``7 years``) or several (``7 years 6 months``), put largest unit first."""
        parts = []
        for amount, unit in zip(tokens[::2], tokens[1::2]):
            span = ast.Span(self.file, amount.line, amount.column, unit.end_line, unit.end_column)
            parts.append(ast.Duration(_number(amount, self.file), ast.Unit(str(unit).rstrip("s")), span))
        if len(parts) == 1:
            return ast.Duration(parts[0].amount, parts[0].unit, self._span(meta))
        parts.sort(key=lambda d: ast.UNITS.index(d.unit))
        return ast.Duration(parts[0].amount, parts[0].unit, self._span(meta), tuple(parts[1:]))

    def bound(self, meta, first, second):
        return _BOUNDS[(str(first), str(second))]

    # -- top level
    def start(self, meta, *declarations):
        return tuple(declarations)

    def controller(self, meta, name, *body):
        return ast.Controller(_unquote(name), tuple(body), self._span(meta))

    def contact(self, meta, value):
        return ast.Contact(_unquote(value), self._span(meta))

    def dpo(self, meta, value):
        return ast.Dpo(_unquote(value), self._span(meta))

    def authority(self, meta, name):
        return ast.Authority(self._name(name), self._span(meta))

    def jurisdiction(self, meta, name):
        return ast.Jurisdiction(self._name(name), self._span(meta))

    def financial_year_end(self, meta, month_day):
        month, day = (int(x) for x in str(month_day).split("-"))  # \d\d-\d\d: two digits each
        return ast.FinancialYearEnd(month, day, self._span(meta))

    # -- Art. 13 / Art. 30 statements of the controller
    def address(self, meta, value):
        return ast.Address(_unquote(value), self._span(meta))

    def representative(self, meta, name, contact=None):
        return ast.Representative(_unquote(name), _unquote(contact) if contact else None, self._span(meta))

    def dpo_contact(self, meta, value):
        return ast.DpoContact(_unquote(value), self._span(meta))

    def no_automated_decisions(self, meta):
        return ast.AutomatedDecisions(None, self._span(meta))

    def automated_decisions(self, meta, value):
        return ast.AutomatedDecisions(_unquote(value), self._span(meta))

    def security(self, meta, value):
        return ast.Security(_unquote(value), self._span(meta))

    def category(self, meta, name, *rest):
        label = next(iter(self._strings(rest)), None)
        kind, special = ast.CategoryKind.PLAIN, None
        for item in rest:
            if isinstance(item, tuple):
                kind, special = item
        return ast.Category(self._name(name), label, kind, special, self._span(meta))

    def special_kind(self, meta, name):
        return (ast.CategoryKind.SPECIAL, self._name(name))

    def national_identifier(self, meta):
        return (ast.CategoryKind.NATIONAL_IDENTIFIER, None)

    def subject(self, meta, name, label=None):
        return ast.Subject(self._name(name), _unquote(label) if label else None, self._span(meta))

    def recipient(self, meta, role, name, *rest):
        label = next(iter(self._strings(rest)), None)
        body = tuple(r for r in rest if not isinstance(r, str))
        return ast.Recipient(ast.RecipientRole(str(role)), self._name(name), label, body, self._span(meta))

    def country(self, meta, code):
        return ast.Country(self._name(code), self._span(meta))

    def transfer(self, meta, safeguard, note=None):
        return ast.Transfer(self._name(safeguard), _unquote(note) if note else None, self._span(meta))

    # -- purposes
    def purpose(self, meta, name, *rest):
        label = next(iter(self._strings(rest)), None)
        body = tuple(r for r in rest if not isinstance(r, str))
        return ast.Purpose(self._name(name), label, body, self._span(meta))

    def subjects(self, meta, names):
        return ast.Subjects(names, self._span(meta))

    def categories(self, meta, names):
        return ast.Categories(names, self._span(meta))

    def recipients(self, meta, names):
        return ast.Recipients(names, self._span(meta))

    def basis(self, meta, kind, *rest):
        scope = next((self._name(t) for t in rest if t.type == "NAME"), None)
        citation = next((_unquote(t) for t in rest if t.type == "STRING"), None)
        return ast.Basis(self._name(kind), citation, self._span(meta), scope)

    def special_condition(self, meta, kind, note=None):
        return ast.SpecialCondition(self._name(kind), _unquote(note) if note else None, self._span(meta))

    def retain(self, meta, bound, duration, anchor):
        return ast.Retain(bound, duration, self._name(anchor), self._span(meta))

    def retain_until_withdrawn(self, meta):
        return ast.RetainUntilWithdrawn(self._span(meta))

    def legal_hold(self, meta, duration, anchor, citation=None):
        return ast.LegalHold(duration, self._name(anchor), _unquote(citation) if citation else None,
                             self._span(meta))

    def on_withdrawal(self, meta, within=None):
        return ast.OnWithdrawal(within, self._span(meta))

    def on_hold_end(self, meta, within):
        return ast.OnHoldEnd(within, self._span(meta))

    def logs(self, meta, kinds, *body):
        return ast.Logs(kinds, tuple(body), self._span(meta))

    def provision(self, meta, kind, consequence=None):
        return ast.Provision(self._name(kind), _unquote(consequence) if consequence else None,
                             self._span(meta))

    def log_keep(self, meta, *items):
        bound = items[0] if len(items) == 2 else ast.Bound.AT_MOST
        return ast.LogKeep(bound, items[-1], self._span(meta))

    def log_truncate(self, meta, v4, v6):
        return ast.LogTruncate(_number(v4, self.file), _number(v6, self.file), self._span(meta),
                               _tok_span(self.file, v4), _tok_span(self.file, v6))

    # -- requests
    def requests(self, meta, *body):
        return ast.Requests(tuple(body), self._span(meta))

    def respond_within(self, meta, duration):
        return ast.RespondWithin(duration, self._span(meta))

    def next_working_day(self, meta):
        return ast.NextWorkingDay(self._span(meta))

    def extendable_by(self, meta, duration):
        return ast.ExtendableBy(duration, self._span(meta))


_COMMENT_OR_STRING = re.compile(r'"(?:[^"\\\n]++|\\.)*+"|#[^\n]*')


def scan_comments(text: str) -> tuple[ast.Comment, ...]:
    """Comments with their positions (strings skipped, so '#' inside quotes is not one)."""
    found = []
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    import bisect

    for m in _COMMENT_OR_STRING.finditer(text):
        if not m.group().startswith("#"):
            continue
        line = bisect.bisect_right(line_starts, m.start())
        start = line_starts[line - 1]
        own_line = text[start:m.start()].strip() == ""
        found.append(ast.Comment(m.group().rstrip(), line, m.start() - start + 1, own_line))
    return tuple(found)


def cst_to_ast(tree: Tree, file: str = "<string>", text: str = "") -> ast.PolicyFile:
    """The concrete tree to the AST (``text`` gives the comments and the source it keeps)."""
    declarations = _ToAst(file).transform(tree)
    return ast.PolicyFile(file, declarations, scan_comments(text), text)


# One organisation's policy is a few hundred lines; a file this large is a
# mistake (or an attack on a pre-commit hook) and gets a clean error, not minutes of work.
MAX_POLICY_CHARS = 1 << 20


def parse(text: str, file: str = "<string>") -> ast.PolicyFile:
    """Text to AST; raises ParseFailed with a located PE001 diagnostic."""
    if len(text) > MAX_POLICY_CHARS:
        raise ParseFailed(Diagnostic(
            "PE003", f"the file is {len(text):,} characters; policies are limited to "
                     f"{MAX_POLICY_CHARS:,}", ast.Span(file, 1, 1, 1, 2),
            "split it, or check that this is a policy file"))
    return cst_to_ast(text_to_cst(text, file), file, text)


def decode(data: bytes, file: str) -> str:
    """Bytes to text; a bad byte is a located PE002 diagnostic, not a traceback."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        before = data[:err.start]
        line = before.count(b"\n") + 1
        column = err.start - (before.rfind(b"\n") + 1) + 1
        raise ParseFailed(Diagnostic(
            "PE002", f"byte 0x{data[err.start]:02x} is not valid UTF-8",
            ast.Span(file, line, column, line, column + 1), "save the file as UTF-8")) from None
    return text.removeprefix("\ufeff")

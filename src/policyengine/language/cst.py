"""Text -> the concrete syntax tree (``text_to_cst``), and the PE001 syntax errors.

The grammar is grammar/policy.lark, parsed LALR by lalr_runtime from the tables lark
made of it (lalr.py); the tree is lark's shape (``Tree``/``Token`` of lalr_runtime).
A syntax error is reported with what was expected (and "did you mean" for a misspelled keyword); after one, parsing resumes
at the next declaration keyword that starts a line, so every syntax error is reported.
"""

from __future__ import annotations

import contextvars
import functools
import os
import re

from . import ast
from .diagnostics import Diagnostic, did_you_mean
from .lalr_runtime import Token, Tree, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

GRAMMAR_FILE = "policy.lark"


class ParseFailed(Exception):
    """The text is not a policy: ``diagnostic`` is the first error, ``diagnostics`` all found
    (syntax errors after the first are found by resuming at the next declaration)."""

    def __init__(self, diagnostic: Diagnostic, more: tuple[Diagnostic, ...] = ()):
        super().__init__(diagnostic.headline())
        self.diagnostic = diagnostic
        self.diagnostics = (diagnostic, *more)


@functools.lru_cache(maxsize=1)
def grammar_text() -> str:
    """The grammar (grammar/policy.lark, shipped as the data package policyengine.grammar;
    read beside its __init__, as importlib.resources would cost lint's start-up more)."""
    from .. import grammar

    with open(os.path.join(os.path.dirname(grammar.__file__), GRAMMAR_FILE), encoding="utf-8") as f:
        return f.read()


class _GluedWord(Exception):
    def __init__(self, token: Token):
        self.token = token


# The text being parsed, for the word-boundary check below (one parse at a time per context).
_current_text: contextvars.ContextVar[str] = contextvars.ContextVar("policy_text", default="")
_WORD_CHAR = re.compile(r"[A-Za-z0-9_]")


def _word_boundary(token: Token) -> Token:
    """Keywords and numbers must end where a word ends: `1 yearsfromcollected` is an error."""
    text = _current_text.get()
    end = token.end_pos
    if end is not None and end < len(text) and _WORD_CHAR.match(text, end):
        raise _GluedWord(token)
    return token


def _keyword_terminals() -> list[str]:
    names = re.findall(r'"([a-z]+)"', grammar_text())
    return sorted({n.upper() for n in names} | {"UNIT", "INT"})


@functools.lru_cache(maxsize=1)
def get_parser():
    """The LALR parser of the grammar: lalr_runtime reading the tables shipped with it
    (start-up matters because pre-commit runs lint per commit, and lark is not imported);
    lark analysing the grammar when the tables are not this grammar's (a checkout whose
    grammar was edited and `python -m policyengine.language.lalr` not yet run)."""
    callbacks = {name: _word_boundary for name in _keyword_terminals()}
    tables = shipped_tables(grammar_text())
    if tables is not None:
        from .lalr_runtime import Parser

        return Parser(tables, callbacks)
    from . import lalr

    return lalr.reference(grammar_text(), callbacks)


def shipped_tables(grammar: str):
    """The module ``_lalr_tables`` when it was made from this very ``grammar`` in the
    format lalr_runtime reads; else None."""
    from .lalr_runtime import FORMAT

    try:
        from . import _lalr_tables as tables
    except ImportError:  # not generated (a checkout mid-edit)
        return None
    if getattr(tables, "FORMAT", None) != FORMAT or getattr(tables, "GRAMMAR", None) != grammar:
        return None
    return tables


@functools.lru_cache(maxsize=1)
def _terminal_display() -> dict[str, str]:
    shown = {name: f"'{value}'" for name, value in get_parser().terminal_strings().items()}
    shown.update({
        "NAME": "a name", "STRING": 'a "quoted string"', "INT": "a number",
        "UNIT": "a unit (days, weeks, months, years)", "MONTH_DAY": "a month-day like 12-31",
        "RECIPIENT_ROLE": "'recipient' or 'processor'", "$END": "end of file",
    })
    return shown


def _expected(names) -> list[str]:
    shown = _terminal_display()
    return sorted({shown.get(n, n) for n in names})


_WORD_RUN = re.compile(r"[A-Za-z0-9_]+")


def _syntax_error(err: UnexpectedInput, text: str, file: str) -> Diagnostic:
    line, column = err.line, err.column
    if isinstance(err, UnexpectedToken):
        token = err.token
        expected = _expected(err.accepts or err.expected)
        if token.type == "$END":
            lines = text.splitlines() or [""]
            line, column = len(lines), len(lines[-1]) + 1
            found = "end of file"
        else:
            found = f"'{token.value}'"
        keywords = [e.strip("'") for e in expected if e.startswith("'")]
        hint = did_you_mean(str(token.value), keywords) if token.type == "NAME" else None
        if token.type == "INT" and "a name" in expected:
            hint = "names start with a letter and hold letters, digits and '_'"
        span = ast.Span(file, line, column, line, column + max(1, len(str(token.value))))
        listed = ", ".join(expected[:12]) + (", ..." if len(expected) > 12 else "")
        return Diagnostic("PE001", f"unexpected {found}, expected one of: {listed}", span, hint)
    assert isinstance(err, UnexpectedCharacters)
    char = text[err.pos_in_stream] if err.pos_in_stream < len(text) else ""
    hint = None
    if char == "'":
        hint = 'strings use double quotes: "like this"'
    elif char == '"':
        hint = "a string must end on the line it starts"
    elif char.isdigit():
        hint = "names start with a letter and hold letters, digits and '_'"
    return Diagnostic("PE001", f"unexpected character {char!r}",
                      ast.Span(file, line, column, line, column + 1), hint)


def text_to_cst(text: str, file: str = "<string>", *, parser=None) -> Tree:
    """Text to the concrete syntax tree; raises ParseFailed with every PE001 found.
    (``parser``: get_parser()'s by default; the tests give lark's, lalr.reference.)"""
    try:
        return _parse_once(text, parser)
    except _SyntaxError as err:
        errors, at = [err.diagnostic(text, file)], err.offset
    start = -1
    while at is not None and len(errors) < MAX_SYNTAX_ERRORS:
        start = _resume_at(text, at, start)
        if start is None:
            break
        try:  # the rest of the file, with what came before blanked out: positions stay
            _parse_once(_BLANK.sub(" ", text[:start]) + text[start:], parser)
            break
        except _SyntaxError as err:
            errors.append(err.diagnostic(text, file))
            at = err.offset
    raise ParseFailed(errors[0], tuple(errors[1:]))


# Syntax errors reported per file at most; the rest of the file is then not looked at.
MAX_SYNTAX_ERRORS = 100
_BLANK = re.compile(r"[^\n]")
# Where a declaration starts: its keyword first on a line (a keyword elsewhere may be a name).
_DECLARATION_START = re.compile(
    r"^[ \t]*(?=(?:controller|category|subject|recipient|processor|purpose|requests)\b)", re.M)


def _resume_at(text: str, error_at: int, after: int) -> int | None:
    """Where to parse again after a syntax error at ``error_at``: the first declaration
    keyword that starts a line, at or after the error, past ``after`` (the last resumption)."""
    pos = text.rfind("\n", 0, error_at) + 1
    while (m := _DECLARATION_START.search(text, pos)) is not None:
        if m.end() >= error_at and m.end() > after:
            return m.end()
        pos = m.end() + 1  # past this line's start: the next match is on a later line
    return None


class _SyntaxError(Exception):
    """One syntax error of one parse: the parser's error (or glued word) and its offset."""

    def __init__(self, err):
        self.err = err
        if isinstance(err, _GluedWord):
            self.offset = err.token.start_pos
        elif isinstance(err, UnexpectedToken):
            self.offset = None if err.token.type == "$END" else err.token.start_pos
        elif isinstance(err, UnexpectedCharacters):
            self.offset = err.pos_in_stream
        else:  # the end of the file: nothing after it to resume at
            self.offset = None

    def diagnostic(self, text: str, file: str) -> Diagnostic:
        if isinstance(self.err, _GluedWord):
            return _glued_error(self.err.token, text, file)
        return _syntax_error(self.err, text, file)


def _parse_once(text: str, parser=None) -> Tree:
    reset = _current_text.set(text)
    try:
        return (parser or get_parser()).parse(text)
    except (UnexpectedInput, _GluedWord) as err:
        raise _SyntaxError(err) from None
    finally:
        _current_text.reset(reset)


def _glued_error(token: Token, text: str, file: str) -> Diagnostic:
    # the token and the word characters glued to it (a token of non-ASCII digits, which
    # INT's \d matches, is no [A-Za-z0-9_] run itself)
    word = token.value + _WORD_RUN.match(text, token.end_pos).group()
    span = ast.Span(file, token.line, token.column, token.line, token.column + len(word))
    keywords = [k.lower() for k in _keyword_terminals() if k not in ("UNIT", "INT")]
    if token.type == "INT":
        hint = "names start with a letter and hold letters, digits and '_'"
    else:
        hint = did_you_mean(word, keywords) or f"put a space after '{token.value}'"
    return Diagnostic("PE001", f"unexpected '{word}'", span, hint)

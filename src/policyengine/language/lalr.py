"""The policy grammar's LALR tables, analysed once by lark and shipped as Python literals;
and lark's own parser of the grammar, the reference the shipped tables are tested against.

Analysing the grammar costs more than the rest of `policyengine lint` (pre-commit starts
it per commit), and so does importing lark. So lark analyses the grammar at build time
(``python -m policyengine.language.lalr`` writes ``_lalr_tables``) and lint parses with
``lalr_runtime``, which reads those tables and never imports lark. (lark's own
``cache=True`` would keep a pickle in the temp dir, which anyone can write to: loading
one is running their code.) When the shipped tables are not this grammar's (a checkout
mid-edit), ``cst`` falls back to ``reference``: lark analysing the grammar as it is now.

The tables, in the order lark's lexer tries the terminals:
* ``TERMINALS``: ``(name, literal, regexp)``; ``literal`` is the text of a plain string
  terminal (None for a pattern or a string with flags), ``regexp`` what lark matches.
* ``UNLESS``: per pattern terminal, the string terminals whose whole text it matches (at
  the same priority), each with whether lark drops the string from a lexer holding both
  (the pattern's token is then renamed to the string's when its text is the string).
* ``RULES``: ``(origin, length, tree name, expand one child, kept children)``; kept is
  None (all) or ``((index, inline), ...)``, ``inline`` for the ``_`` rules lark splices in.
* ``STATES``: per state, symbol -> action: a state to shift to (>= 0) or ``-1 - rule``
  to reduce by; ``START`` and ``END`` (reached by reducing ``start`` at the end).
"""

from __future__ import annotations

import hashlib
import pprint
import re
import sys
from pathlib import Path

import lark
from lark import Lark
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

from . import lalr_runtime

# As the parser is built; lexer callbacks are not part of the tables (given at load).
OPTIONS = dict(parser="lalr", propagate_positions=True, maybe_placeholders=False)
TABLES_MODULE = Path(__file__).with_name("_lalr_tables.py")


def grammar_digest(grammar: str) -> str:
    return hashlib.sha256(grammar.encode("utf-8")).hexdigest()


def build(grammar: str, callbacks: dict) -> Lark:
    """lark's parser of the grammar, analysed now."""
    return Lark(grammar, **OPTIONS, lexer_callbacks=callbacks)


class Reference:
    """lark's parser of the grammar behind the interface of ``lalr_runtime.Parser``: its
    errors are the runtime's classes (the same fields), its trees lark's (the same shape)."""

    def __init__(self, grammar: str, callbacks: dict):
        self.lark = build(grammar, callbacks)

    def terminal_strings(self) -> dict[str, str]:
        return {t.name: t.pattern.value for t in self.lark.terminals if t.pattern.type == "str"}

    def parse(self, text: str):
        try:
            return self.lark.parse(text)
        except UnexpectedCharacters as err:
            raise lalr_runtime.UnexpectedCharacters(err.pos_in_stream, err.line, err.column,
                                                    frozenset(err.allowed)) from None
        except UnexpectedToken as err:
            raise lalr_runtime.UnexpectedToken(_token(err.token), frozenset(err.expected),
                                               frozenset(err.accepts or ())) from None
        except UnexpectedEOF as err:  # not raised by lark's LALR parser; kept for safety
            raise lalr_runtime.UnexpectedToken(lalr_runtime.Token("$END", "", 0, 1, 1),
                                               frozenset(err.expected), frozenset()) from None


def _token(tok) -> lalr_runtime.Token:
    return lalr_runtime.Token(tok.type, tok.value, tok.start_pos, tok.line, tok.column,
                              tok.end_line, tok.end_column, tok.end_pos)


def reference(grammar: str, callbacks: dict) -> Reference:
    return Reference(grammar, callbacks)


def tables(grammar: str) -> dict:
    """The tables of ``grammar`` as lalr_runtime reads them (see the module's docstring)."""
    parser = Lark(grammar, **OPTIONS)
    terms = list(parser.terminals)
    # lark's lexer order: priority, longest possible match, longest pattern, name
    terms.sort(key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name))
    terminals = tuple((t.name, t.pattern.value if t.pattern.type == "str" and not t.pattern.flags else None,
                       t.pattern.to_regexp()) for t in terms)
    unless = {}
    for pat in terms:
        if pat.pattern.type != "re":
            continue
        found = []
        for s in terms:
            if s.pattern.type != "str" or s.priority != pat.priority:
                continue
            m = re.match(pat.pattern.to_regexp(), s.pattern.value)
            if m and m.group(0) == s.pattern.value:
                found.append((s.name, s.pattern.flags <= pat.pattern.flags))
        if found:
            unless[pat.name] = tuple(found)

    rules = parser.rules
    rule_index = {id(r): i for i, r in enumerate(rules)}
    encoded_rules = []
    for r in rules:
        keep_all = r.options.keep_all_tokens
        kept = tuple((i, not s.is_term and s.name.startswith("_")) for i, s in enumerate(r.expansion)
                     if keep_all or not (s.is_term and s.filter_out))
        if len(kept) == len(r.expansion) and not any(inline for _, inline in kept):
            kept = None
        expand1 = bool(r.options.expand1 and not r.alias)
        name = r.alias or r.options.template_source or r.origin.name
        encoded_rules.append((str(r.origin.name), len(r.expansion), str(name), expand1, kept))

    table = parser.parser.parser._parse_table
    shift = lark.parsers.lalr_analysis.Shift
    index = {s: i for i, s in enumerate(sorted(table.states))}
    states = [None] * len(index)
    for s, actions in table.states.items():
        states[index[s]] = {str(sym): (index[arg] if act is shift else -1 - rule_index[id(arg)])
                            for sym, (act, arg) in sorted(actions.items())}
    (start,) = table.start_states.values()
    (end,) = table.end_states.values()
    return dict(TERMINALS=terminals, IGNORE=tuple(parser.lexer_conf.ignore), UNLESS=unless,
                RULES=tuple(encoded_rules), STATES=tuple(states), START=index[start], END=index[end])


def render(grammar: str) -> str:
    """The source of ``_lalr_tables`` for ``grammar``."""
    out = [
        '"""Generated by `python -m policyengine.language.lalr` from grammar/policy.lark: do not edit.\n\n'
        'The LALR tables of the grammar, read by lalr_runtime (the format: lalr.py); regenerate\n'
        'after changing the grammar."""\n',
        f"FORMAT = {lalr_runtime.FORMAT}",
        f"LARK_VERSION = {lark.__version__!r}  # the lark that analysed the grammar",
        f"GRAMMAR_SHA256 = {grammar_digest(grammar)!r}",
        f"GRAMMAR = {pprint.pformat(grammar, width=110)}",
    ]
    for name, value in tables(grammar).items():
        out.append(f"{name} = {pprint.pformat(value, width=110, sort_dicts=False)}")
    return "\n".join(out) + "\n"


def main() -> None:
    """Write ``_lalr_tables``. (lark numbers the states in set order, so two runs can
    number them differently; the tables are equivalent, as tests/test_lalr_tables.py checks.)"""
    from .cst import grammar_text

    TABLES_MODULE.write_text(render(grammar_text()), "utf-8")
    print(f"wrote {TABLES_MODULE} (lark {lark.__version__})", file=sys.stderr)


if __name__ == "__main__":
    main()

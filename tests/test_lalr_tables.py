"""The LALR tables shipped in the package (policyengine/language/_lalr_tables.py) are the
grammar's: made from grammar/policy.lark as it is now, and parsing exactly as a parser
analysed from the grammar does (trees, and the errors with what was expected)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import lark
import pytest

from policyengine.language import _lalr_tables as tables
from policyengine.language import cst, lalr

ROOT = Path(__file__).resolve().parent.parent
BROKEN = [
    "purpose", "purpose x {", "purpose x { retain at most 7 yearsfrom collected }",
    'controller "A" { contact }', "category email\ncategory", "requests { respond within 0 }",
    "purpose p { basis consent retain at most 1 year from }", "\ufeffpurpose", "}{",
]


def _callbacks():
    return {name: cst._word_boundary for name in cst._keyword_terminals()}


def test_tables_were_made_from_this_grammar():
    # Fails when the grammar changed and `python -m policyengine.language.lalr` was not run.
    assert tables.GRAMMAR_SHA256 == hashlib.sha256(cst.grammar_text().encode("utf-8")).hexdigest()


def test_tables_from_another_lark_are_not_used(monkeypatch):
    # A lark release other than the one the tables were made with (pip may install a newer
    # one within the dependency's range) must analyse the grammar, not read stale tables.
    if tables.LARK_VERSION == lark.__version__:
        monkeypatch.setattr(tables, "LARK_VERSION", tables.LARK_VERSION + ".other")
    loaded = []
    monkeypatch.setattr(lark.Lark, "_load_from_dict", classmethod(lambda cls, *a, **k: loaded.append(1)))
    parser = lalr.load(cst.grammar_text(), _callbacks())
    assert loaded == [] and parser.parse("purpose p { }") is not None


def _outcome(parser, text):
    token = cst._current_text.set(text)
    try:
        return parser.parse(text)
    except Exception as err:  # noqa: BLE001 - the error (and what it expected) is compared
        # str(err) lists the expected tokens in set order; the diagnostics sort them
        return (type(err).__name__, getattr(err, "line", None), getattr(err, "column", None),
                repr(getattr(err, "token", None)), sorted(getattr(err, "expected", ()) or ()),
                sorted(getattr(err, "accepts", ()) or ()))
    finally:
        cst._current_text.reset(token)


def _corpus():
    for path in sorted([*ROOT.glob("rules/*.policy"), *ROOT.glob("examples/**/*.policy"),
                        *ROOT.glob("tests/**/*.policy")]):
        yield path.read_bytes().decode("utf-8", "replace")
    yield from BROKEN


def test_shipped_tables_parse_as_the_grammar_does():
    shipped = lalr.load(cst.grammar_text(), _callbacks())
    analysed = lalr.build(cst.grammar_text(), _callbacks())
    assert sorted(map(str, shipped.rules)) == sorted(map(str, analysed.rules))
    assert sorted(t.name for t in shipped.terminals) == sorted(t.name for t in analysed.terminals)
    texts = list(_corpus())
    assert len(texts) > 20
    for text in texts:
        assert _outcome(shipped, text) == _outcome(analysed, text), text[:200]


def test_a_changed_grammar_is_analysed_not_read_from_the_tables():
    grammar = cst.grammar_text().replace('"purpose"', '"porpoise"')
    assert grammar != cst.grammar_text()
    parser = lalr.load(grammar, {})
    assert parser.parse('porpoise p "P" { }'.replace(' "P"', "")) is not None
    with pytest.raises(lark.exceptions.UnexpectedInput):
        parser.parse("purpose p { }")


def test_get_parser_is_the_shipped_one():
    assert cst.get_parser().options.propagate_positions is True
    assert cst.get_parser().options.maybe_placeholders is False

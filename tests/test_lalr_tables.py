"""The LALR tables shipped in the package (policyengine/language/_lalr_tables.py) are the
grammar's: made from grammar/policy.lark as it is now, by the build step as it is now
(``python -m policyengine.language.lalr``), up to lark's numbering of the states; and a
grammar they were not made from is parsed by lark, not by the stale tables. (That they
parse as lark does: tests/test_lalr_runtime.py.)"""

from __future__ import annotations

import hashlib

import pytest

from policyengine.language import _lalr_tables as tables
from policyengine.language import cst, lalr, lalr_runtime


def test_tables_were_made_from_this_grammar():
    # Fails when the grammar changed and `python -m policyengine.language.lalr` was not run.
    grammar = cst.grammar_text()
    assert tables.GRAMMAR == grammar
    assert tables.GRAMMAR_SHA256 == hashlib.sha256(grammar.encode("utf-8")).hexdigest()
    assert tables.FORMAT == lalr_runtime.FORMAT


def _canonical(t) -> tuple:
    """The tables with the states numbered in the order a walk from START meets them
    (symbols in sorted order) and each reduction named by its rule, not its index."""
    states, rules = t["STATES"], t["RULES"]
    order, number = [t["START"]], {t["START"]: 0}
    for state in order:
        for symbol in sorted(states[state]):
            target = states[state][symbol]
            if target >= 0 and target not in number:
                number[target] = len(order)
                order.append(target)
    assert len(order) == len(states)  # every state is reachable
    relabelled = tuple(
        tuple(sorted((symbol, ("shift", number[a]) if a >= 0 else ("reduce", rules[-1 - a]))
                     for symbol, a in states[state].items()))
        for state in order)
    return (t["TERMINALS"], t["IGNORE"], t["UNLESS"], sorted(rules), relabelled, number[t["END"]])


def test_tables_are_what_the_build_step_makes_now():
    # Fails when lalr.py (the format) or lark's analysis changed and the tables were not rebuilt.
    shipped = {name: getattr(tables, name) for name in ("TERMINALS", "IGNORE", "UNLESS", "RULES", "STATES",
                                                        "START", "END")}
    assert _canonical(shipped) == _canonical(lalr.tables(cst.grammar_text()))


def test_the_rendered_module_holds_the_same_tables():
    namespace: dict = {}
    exec(compile(lalr.render(cst.grammar_text()), "_lalr_tables.py", "exec"), namespace)  # noqa: S102 - our own output
    assert namespace["GRAMMAR"] == cst.grammar_text() and namespace["FORMAT"] == lalr_runtime.FORMAT
    assert _canonical(namespace) == _canonical(lalr.tables(cst.grammar_text()))


def test_get_parser_is_the_runtime_on_the_shipped_tables():
    assert isinstance(cst.get_parser(), lalr_runtime.Parser)
    assert cst.shipped_tables(cst.grammar_text()) is tables


def test_a_changed_grammar_is_parsed_by_lark_not_by_the_tables():
    grammar = cst.grammar_text().replace('"purpose"', '"porpoise"')
    assert grammar != cst.grammar_text()
    assert cst.shipped_tables(grammar) is None
    parser = lalr.reference(grammar, {})
    assert parser.parse("porpoise p { }") is not None
    with pytest.raises(lalr_runtime.UnexpectedInput):
        parser.parse("purpose p { }")

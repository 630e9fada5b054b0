"""lalr_runtime (our LALR driver and contextual lexer over the shipped tables) parses as
lark does: for every policy text of the repository and for generated policies, valid and
broken, the same tree (node names, tokens, every position) or the same error (where,
which token, what was expected), and the same PE001 diagnostics from cst."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_policy_robustness import mutated_rules

from policyengine.language import cst, lalr, lalr_runtime
from policyengine.language.cst import ParseFailed, _GluedWord

ROOT = Path(__file__).resolve().parent.parent
META = ("empty", "line", "column", "start_pos", "end_line", "end_column", "end_pos",
        "container_line", "container_column", "container_start_pos",
        "container_end_line", "container_end_column", "container_end_pos")
TOKEN = ("type", "value", "start_pos", "line", "column", "end_line", "end_column", "end_pos")


def _callbacks():
    return {name: cst._word_boundary for name in cst._keyword_terminals()}


_PAIR: list = []


def _pair():
    """Ours (get_parser: the shipped tables are this grammar's) and lark's, made once."""
    if not _PAIR:
        ours = cst.get_parser()
        assert isinstance(ours, lalr_runtime.Parser)
        _PAIR.extend([ours, lalr.reference(cst.grammar_text(), _callbacks())])
    return _PAIR


def _shape(node):
    if isinstance(node, str):
        return ("token", *(getattr(node, a) for a in TOKEN))
    meta = tuple(getattr(node.meta, a, None) for a in META)
    return ("tree", str(node.data), meta, tuple(_shape(c) for c in node.children))


def _outcome(parser, text):
    reset = cst._current_text.set(text)
    try:
        return _shape(parser.parse(text))
    except _GluedWord as err:
        return ("glued", _shape(err.token))
    except lalr_runtime.UnexpectedCharacters as err:
        return ("chars", err.line, err.column, err.pos_in_stream, sorted(err.allowed))
    except lalr_runtime.UnexpectedToken as err:
        return ("token", err.line, err.column, err.pos_in_stream, _shape(err.token),
                sorted(err.expected), sorted(err.accepts))
    finally:
        cst._current_text.reset(reset)


def _diagnostics(parser, text):
    try:
        cst.text_to_cst(text, "t.policy", parser=parser)
    except ParseFailed as failed:
        return [(d.code, d.message, d.span, d.hint) for d in failed.diagnostics]
    return []


def assert_same(text):
    ours, reference = _pair()
    assert _outcome(ours, text) == _outcome(reference, text), text[:300]
    assert _diagnostics(ours, text) == _diagnostics(reference, text), text[:300]


def _repository_texts():
    paths = sorted({*ROOT.glob("rules/*.policy"), *ROOT.glob("examples/**/*.policy"),
                    *ROOT.glob("tests/**/*.policy"), *ROOT.glob("docs/**/*.policy")})
    for path in paths:
        yield path.relative_to(ROOT).as_posix(), path.read_bytes().decode("utf-8", "replace")
    for doc in sorted([ROOT / "README.md", *ROOT.glob("docs/*.md")]):  # its code blocks
        for i, block in enumerate(re.findall(r"^```[a-z]*\n(.*?)^```", doc.read_text("utf-8"), re.M | re.S)):
            yield f"{doc.relative_to(ROOT).as_posix()}#{i}", block


REPOSITORY = list(_repository_texts())


def test_the_corpus_is_the_repositorys():
    names = [name for name, _ in REPOSITORY]
    assert len([n for n in names if n.endswith(".policy")]) >= 50
    assert any(n.startswith("rules/") for n in names) and any("#" in n for n in names)


@pytest.mark.parametrize("name,text", REPOSITORY, ids=[n for n, _ in REPOSITORY])
def test_every_policy_of_the_repository_parses_as_lark_parses_it(name, text):
    assert_same(text)


@pytest.mark.parametrize("name,text", [r for r in REPOSITORY if r[0].startswith("rules/")],
                         ids=[n for n, _ in REPOSITORY if n.startswith("rules/")])
def test_every_truncation_of_the_rules_parses_as_lark(name, text):
    for end in range(0, len(text), 7):
        assert_same(text[:end])


def test_a_valid_policy_gives_a_tree_with_positions():
    tree = cst.text_to_cst('purpose p "P" {\n  retain at most 7 years from collected\n}\n')
    assert isinstance(tree, lalr_runtime.Tree) and tree.data == "start"
    (purpose,) = tree.children
    assert (purpose.data, purpose.meta.line, purpose.meta.column, purpose.meta.end_line, purpose.meta.end_column) == \
        ("purpose", 1, 1, 3, 2)
    retain = purpose.children[2]
    assert retain.data == "retain" and (retain.meta.line, retain.meta.column) == (2, 3)
    name = purpose.children[0]
    assert (name.type, name, name.line, name.column, name.end_pos) == ("NAME", "p", 1, 9, 9)


BROKEN = [
    "", " ", "\n\n", "#", "purpose", "purpose x {", "purpose x { retain at most 7 yearsfrom collected }",
    'controller "A" { contact }', "category email\ncategory", "requests { respond within 0 }",
    "purpose p { basis consent retain at most 1 year from }", "\ufeffpurpose", "}{",
    "purpose 12abc", "purposes p {}", "subjects", "category c is special", "recipient r { country }",
    'controller "x', "controller 'x'", "requests { next working dayz }", "requests { respond within 1 dayz }",
    "purpose p { logs a, { } }", "purpose p { logs a { truncate ipv4 / 24 ipv6 / 48 } }",
    "purpose p { retain at most 9" + "9" * 5000 + " days from collected }", "purpose \x00 p",
    "purpose p { retain at most \u0663 days from collected }", 'controller "C" { financial year ends 12-31x }',
    'controller "C" { financial year ends 1231 }', "category c\r\ncategory d\r\n", "category c\x0c category d",
    "category c # x\ncategory", "category é", "\u0663a", "purpose p { retain at most \u0663days from x }", "recipient processor\n", "processor p { transfer scc \"x\" }",
]


@pytest.mark.parametrize("text", BROKEN)
def test_broken_and_odd_texts_fail_as_with_lark(text):
    assert_same(text)


# -- generated policies: derivations of the grammar, then broken ones

def _grammar_rules():
    parser = lalr.build(cst.grammar_text(), {})
    rules: dict[str, list] = {}
    for rule in parser.rules:
        rules.setdefault(str(rule.origin.name), []).append([(str(s.name), s.is_term) for s in rule.expansion])
    strings = {t.name: t.pattern.value for t in parser.terminals if t.pattern.type == "str"}
    return rules, strings


RULES, STRINGS = _grammar_rules()
NAMES = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,8}", fullmatch=True) | st.sampled_from(
    sorted(s for s in STRINGS.values() if s.isalpha()))
PATTERNS = {
    "NAME": NAMES,
    "STRING": st.from_regex(r'"(?:[^"\\\n]|\\.){0,12}"', fullmatch=True),
    "INT": st.from_regex(r"[0-9]{1,3}", fullmatch=True) | st.from_regex(r"[0-9]{10,40}", fullmatch=True),
    "UNIT": st.sampled_from(["day", "days", "week", "weeks", "month", "months", "year", "years"]),
    "MONTH_DAY": st.from_regex(r"[0-9]{2}-[0-9]{2}", fullmatch=True),
    "RECIPIENT_ROLE": st.sampled_from(["recipient", "processor"]),
}
SPACE = st.sampled_from([" ", "\n", "  ", "\n  ", " # note\n", "\t", "\r\n"])


@st.composite
def derivations(draw, symbol="start", depth=0):
    """A text of the grammar: ``symbol`` derived by randomly chosen rules (the shortest once
    deep), its tokens separated by random spaces and comments."""
    choices = RULES[symbol]
    expansion = draw(st.sampled_from(choices)) if depth < 6 else min(choices, key=len)
    parts = []
    for name, is_term in expansion:
        if not is_term:
            parts.append(draw(derivations(name, depth + 1)))
        elif name in STRINGS:
            parts.append(STRINGS[name])
        else:
            parts.append(draw(PATTERNS[name]))
    return "".join(p + draw(SPACE) for p in parts if p)


JUNK = st.sampled_from(["{", "}", ",", "/", '"', "'", "#", "\x00", "\x1b", "\u0663", "é", "9" * 60,
                        "purpose", "retain", "at", "most", "days", "from", "subject", "yearsx", "-", "\n"])


@st.composite
def broken_derivations(draw):
    """A derivation broken: cut short, tokens deleted, junk inserted (keywords, braces,
    control characters, non-ASCII digits, huge numbers)."""
    text = draw(derivations())
    words = re.findall(r"\s+|[^\s]+", text)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["cut", "delete", "insert", "glue"]))
        i = draw(st.integers(0, max(0, len(words) - 1))) if words else 0
        if op == "cut":
            return "".join(words)[:draw(st.integers(0, len("".join(words))))]
        if op == "delete" and words:
            del words[i]
        elif op == "insert":
            words.insert(i, draw(JUNK))
        elif op == "glue" and i + 1 < len(words):
            words[i:i + 2] = [words[i] + words[i + 1]]
    return "".join(words)


@given(derivations())
def test_generated_policies_parse_as_with_lark(text):
    assert_same(text)


@given(broken_derivations())
def test_generated_broken_policies_fail_as_with_lark(text):
    assert_same(text)


@given(mutated_rules())
def test_mutated_rules_parse_or_fail_as_with_lark(text):
    assert_same(text)


SOUP = sorted(set('purpose retain at most 7 days from {}"#,/\n\x00\u0663-'))


@given(st.text(alphabet=st.sampled_from(SOUP), max_size=60))
def test_character_soup_parses_or_fails_as_with_lark(text):
    assert_same(text)


def test_a_non_ascii_digit_glued_to_a_word_is_a_located_error():
    # INT's \d takes Arabic-Indic digits; glued to a letter that was a traceback, not a PE001
    with pytest.raises(ParseFailed) as failed:
        cst.text_to_cst("\u0663a", "t.policy")
    d = failed.value.diagnostic
    assert (d.code, d.message, d.span.line, d.span.column, d.span.end_column) == ("PE001", "unexpected '\u0663a'", 1, 1, 3)


def test_lint_does_not_import_lark():
    code = ("import sys; from policyengine.language.lint import lint_text; "
            "d, p = lint_text(open(sys.argv[1]).read(), 'x.policy'); lint_text('purpose', 'y.policy'); "
            "print(p is not None, sorted(m for m in sys.modules if m == 'lark' or m.startswith('lark.')))")
    done = subprocess.run([sys.executable, "-c", code, str(ROOT / "rules" / "binero.policy")],
                          capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "[]"], done.stdout + done.stderr


def test_tables_of_another_format_are_refused():
    class Old:
        FORMAT = lalr_runtime.FORMAT + 1

    with pytest.raises(ValueError, match="format"):
        lalr_runtime.Parser(Old, {})

"""lint reports every syntax error of a file: after one, parsing resumes at the next
declaration keyword that starts a line (text before it blanked, so positions stay).

Golden cases: tests/golden/lint/pe001_several_syntax_errors.* and
pe001_syntax_errors_then_end_of_file.*.
"""

from __future__ import annotations

import time

from hypothesis import given
from hypothesis import strategies as st
from test_policy_robustness import mutated_rules

from policyengine.language.lint import lint_text
from policyengine.language.cst import MAX_SYNTAX_ERRORS, ParseFailed, _parse_once, _SyntaxError, text_to_cst

# Declarations, each valid or broken: (text with {i} for a unique name, line of its error
# counted from the declaration's first line, or None when it is valid).
DECLARATIONS = [
    ('subject s{i} "S"', None),
    ('category c{i} "C"', None),
    ('purpose p{i} {{\n  basis consent\n}}', None),
    ('recipient r{i} {{\n  country SE\n}}', None),
    ('purpose p{i} {{\n  retain at most 1 year last_activity\n}}', 1),
    ('category 1c{i}', 0),
    ("subject s{i} 'single quotes'", 0),
    ('requests {{\n  respond within 1 monthz\n}}', 1),
    ('controller "X{i}" {{\n  authority\n}}', 2),
    ('purpose p{i} {{\n  subjects\n  basis consent\n}}', 2),
    ('purpose p{i} {{\n  basis consent "a" "b"\n}}', 1),
    ('recipient r{i} {{\n  country\n}}', 2),
    ('purpose p{i} {{\n  basis consent\n  retain at most 2 years from collected x\n}}', 2),
]


def _errors(text: str) -> list:
    try:
        text_to_cst(text, "t.policy")
    except ParseFailed as failed:
        return list(failed.diagnostics)
    return []


@given(st.lists(st.sampled_from(DECLARATIONS), min_size=1, max_size=8))
def test_each_broken_declaration_is_reported_once_on_its_line(chosen):
    lines, expected, line = [], [], 1
    for i, (template, error_line) in enumerate(chosen):
        block = template.format(i=i)
        if error_line is not None:
            expected.append(line + error_line)
        lines.append(block)
        line += block.count("\n") + 1
    text = "\n".join(lines) + "\n"
    found = _errors(text)
    assert [d.span.line for d in found] == expected, text
    assert all(d.code == "PE001" for d in found)


@given(mutated_rules())
def test_the_first_error_is_the_one_a_single_parse_gives(text):
    try:
        _parse_once(text)
    except _SyntaxError as err:
        first = err.diagnostic(text, "t.policy")
    else:
        assert _errors(text) == []
        return
    found = _errors(text)
    assert found[0] == first
    positions = [(d.span.line, d.span.column) for d in found]
    assert positions == sorted(set(positions)), "in file order, none twice"
    assert len(found) <= MAX_SYNTAX_ERRORS


def test_lint_text_returns_all_of_them():
    text = "category 1a\ncategory 2b\ncategory 3c\n"
    diagnostics, policy = lint_text(text, "t.policy")
    assert policy is None
    assert [(d.code, d.span.line, d.span.column) for d in diagnostics] == [
        ("PE001", 1, 10), ("PE001", 2, 10), ("PE001", 3, 10)]


def test_a_file_of_errors_stops_at_the_limit_quickly():
    text = "purpose\n" * 100_000  # 800 kB: `purpose purpose` (a name), then an error
    started = time.perf_counter()
    found = _errors(text)
    assert len(found) == MAX_SYNTAX_ERRORS
    assert [d.span.line for d in found] == list(range(3, 2 * MAX_SYNTAX_ERRORS + 3, 2))
    assert time.perf_counter() - started < 20

"""Properties of the diff over unbounded input: periods from any start day, hostile labels,
mutated policies. The CI profile runs a few hundred examples each (see conftest.py)."""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta
from pathlib import Path

from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from policyengine.diff import KINDS, compare
from policyengine.diff.compare import _unordered
from policyengine.diff.durations import LONGER, SAME, SHORTER, compare_durations, duration_bounds
from policyengine.diff.render import FORMATS, github_data, github_property, printable
from policyengine.language import ast
from policyengine.language.fmt import format_policy
from policyengine.language.parser import ParseFailed, parse
from test_policy_robustness import mutated_rules

BASE = (Path(__file__).parent / "diff" / "base.policy").read_text(encoding="utf-8")

durations = st.builds(ast.Duration, st.integers(0, 400), st.sampled_from(["day", "week", "month", "year"]))
long_durations = st.builds(ast.Duration, st.integers(0, 150), st.sampled_from(["month", "year"]))
# Start days across the calendar's ends of interest: leap days, century years, month ends.
start_days = st.one_of(st.dates(date(1900, 1, 1), date(2600, 12, 31)),
                       st.sampled_from([date(2000, 2, 29), date(2100, 2, 28), date(2024, 1, 31),
                                        date(2023, 12, 31), date(2096, 2, 29), date(2099, 3, 1)]))


def end(start: date, d: ast.Duration) -> date:
    """Calendar arithmetic written independently of the code under test."""
    unit = {"day": "days", "week": "weeks", "month": "months", "year": "years"}[d.unit]
    return start + relativedelta(**{unit: d.amount})


@given(st.one_of(durations, long_durations), st.one_of(durations, long_durations), start_days)
def test_compare_durations_agrees_with_every_start_day(old, new, start) -> None:
    verdict = compare_durations(old, new)
    later = (end(start, new) - end(start, old)).days
    if later > 0:
        assert verdict == LONGER, (old, new, start)
    if later < 0:
        assert verdict in (LONGER, SHORTER), (old, new, start)
    if verdict == SAME:
        assert later == 0


@given(st.one_of(durations, long_durations), start_days)
def test_duration_bounds_hold_from_every_start_day(d, start) -> None:
    low, high = duration_bounds(d)
    assert low <= (end(start, d) - start).days <= high


def test_compare_durations_no_limit() -> None:
    month = ast.Duration(1, "month")
    assert compare_durations(month, None) == LONGER
    assert compare_durations(None, month) == SHORTER
    assert compare_durations(None, None) == SAME
    assert compare_durations(ast.Duration(1, "month"), ast.Duration(timedelta(days=31).days, "day")) == LONGER


# ---- hostile labels -----------------------------------------------------------
# Any character a string literal can hold: everything but '"', '\' and a newline.
labels = st.text(st.characters(blacklist_characters='"\\\n', blacklist_categories=("Cs",)), max_size=40)
hostile = st.one_of(labels, st.sampled_from(["%0A::error::forged", "\r::warning::x", "\x1b[2J", "\u202eevil",
                                             "a%25b", "\u2028::error::", "\x85::error::", "x,y:z"]))


def _no_controls(text: str) -> bool:
    return not any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in text if c != "\n")


@given(hostile)
def test_printable_leaves_no_control_character(text: str) -> None:
    shown = printable(text)
    assert _no_controls(shown) and "\n" not in shown
    for encoded in (github_data(text), github_property(text)):
        decoded = encoded.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",")
        assert "\n" not in decoded.replace("%25", "%") and "\r" not in decoded.replace("%25", "%")
    assert ":" not in github_property(text) and "," not in github_property(text)


@given(hostile, hostile)
def test_hostile_labels_diff_and_print_safely(before: str, after: str) -> None:
    old_text = BASE.replace('purpose care "Care"', f'purpose care "{before}"')
    new_text = BASE.replace('purpose care "Care"', f'purpose care "{after}"')
    old, new = parse(old_text, "old.policy"), parse(new_text, "new.policy")
    changes = compare(old, new)
    assert [c.kind for c in changes] == ([] if before == after else ["label_changed"])
    assert compare(new, parse(format_policy(new), "fmt.policy")) == []
    for name in ("text", "github"):
        out = FORMATS[name](changes, "old.policy", "new.policy")
        assert _no_controls(out)
        if name == "github":
            assert all(line.startswith("::notice ") for line in out.splitlines())


# ---- mutated policies -------------------------------------------------------------
@given(mutated_rules())
def test_mutated_policies(text: str) -> None:
    """Whatever parses diffs without crashing; a change in meaning is never silent; a
    policy never differs from its own formatting."""
    try:
        new = parse(text, "new.policy")
    except ParseFailed:
        return
    for original in _originals():
        old = parse(original, "old.policy")
        changes = compare(old, new)
        assert all(c.kind in KINDS for c in changes)
        if _unordered(old.declarations) != _unordered(new.declarations):  # a change in meaning
            assert any(c.kind not in ("comments_changed", "order_changed") for c in changes)
        elif old.declarations != new.declarations:  # only order, or how a period is written
            assert all(c.kind in ("comments_changed", "order_changed") for c in changes)
        for fmt in FORMATS.values():
            fmt(changes, "old.policy", "new.policy")
    assert compare(new, parse(format_policy(new), "fmt.policy")) == []


def _originals() -> list[str]:
    return [BASE]


huge = st.builds(ast.Duration, st.one_of(st.integers(0, 2000), st.integers(0, 10**30)),
                 st.sampled_from(["day", "week", "month", "year"]))


@given(huge, huge)
def test_compare_durations_is_consistent_both_ways(a, b) -> None:
    """Huge numbers too (the parser takes any digits): decided quickly and consistently."""
    forward, back = compare_durations(a, b), compare_durations(b, a)
    assert (forward == SAME) == (back == SAME)
    if forward == SHORTER:
        assert back == LONGER
    low, high = duration_bounds(a)
    assert 0 <= low <= high


yaml_pieces = st.sampled_from(["diff:", "reclassify:", "label_changed:", "material", "minor", "&a", "*a",
                               "[", "]", "{", "}", ",", "- ", "\n", "  ", "!!python/object:os.system",
                               "'", '"', "\t", "%YAML 1.1", "---", "<<: *a", "?", "\x00", "é"])


@given(st.lists(st.one_of(yaml_pieces, st.text(max_size=5)), max_size=30))
def test_any_config_loads_or_is_a_clean_error(tmp_path_factory, pieces) -> None:
    from policyengine.diff.config import load_reclassify
    from policyengine.language.diagnostics import PolicyError

    path = tmp_path_factory.mktemp("config") / ".policyengine.yaml"
    path.write_text("".join(pieces), encoding="utf-8", errors="surrogatepass")
    try:
        found = load_reclassify(path)
    except PolicyError:
        return
    assert set(found) <= set(KINDS) and all(isinstance(v, bool) for v in found.values())

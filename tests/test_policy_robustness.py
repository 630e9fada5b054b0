"""Hostile policy input: lint never crashes, never hangs, never executes anything.

Every input must end in either findings or a clean, located parse error.
The fuzz profile is set by hypothesis (`--hypothesis-profile=thorough` for a long run).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyengine.language.diagnostics import CODES, Diagnostic
from policyengine.language.lint import LintConfig, lint_text
from policyengine.language.parser import decode, ParseFailed

ROOT = Path(__file__).resolve().parents[1]
RULES = sorted((ROOT / "rules").glob("*.policy"))
RULE_TEXTS = [p.read_text("utf-8") for p in RULES]

# Pieces a mutation may splice in: keywords, punctuation, and nasty characters.
FRAGMENTS = ["{", "}", '"', "#", ",", "/", "\\", "\n", " ", "\x00", "\ufeff", "é", "purpose",
             "retain", "at most", "at least", "0", "99999999999999999999", "days", "basis",
             "consent", "special", "condition", "is special health", "logs", "truncate ipv4 /",
             "legal hold", "from", "controller", "category", "categories", "subjects", "x" * 300]


def _assert_well_formed(diagnostics: list[Diagnostic], text: str) -> None:
    for d in diagnostics:
        assert d.code in CODES
        assert d.span.line >= 1 and d.span.column >= 1, d
        assert d.span.line <= text.count("\n") + 1, d
        assert d.message


@st.composite
def mutated_rules(draw):
    text = draw(st.sampled_from(RULE_TEXTS))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["delete", "insert", "duplicate", "swap"]))
        i = draw(st.integers(0, len(text)))
        j = min(len(text), i + draw(st.integers(0, 40)))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "insert":
            piece = draw(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)))
            text = text[:i] + piece + text[i:]
        elif op == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        else:
            text = text[i:j][::-1].join([text[:i], text[j:]])
    return text


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_rules())
def test_lint_never_crashes_on_mutated_rules(text):
    diagnostics, policy = lint_text(text, "fuzz.policy")
    _assert_well_formed(diagnostics, text)
    if policy is None:  # a parse error: located PE001s (every syntax error), or one PE003
        assert diagnostics and all(d.code == "PE001" for d in diagnostics) or \
            [d.code for d in diagnostics] == ["PE003"]


@settings(deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_give_findings_or_a_clean_error(data):
    try:
        text = decode(data, "bytes.policy")
    except ParseFailed as failed:
        assert failed.diagnostic.code == "PE002"
        return
    diagnostics, _ = lint_text(text, "bytes.policy")
    _assert_well_formed(diagnostics, text)


@pytest.mark.parametrize("name, text", [
    ("10,000 nested blocks", "purpose p {" * 10_000 + "}" * 10_000),
    ("100,000 open braces", "{" * 100_000),
    ("a 1 MB line inside a string", 'category c "' + "x" * 1_000_000 + '"'),
    ("an unterminated 1 MB string", 'category c "' + "x" * 1_000_000),
    ("a 1 MB name", "category " + "a" * 1_000_000),
    ("a 10 MB file", "category c\n" * 1_000_000),
    ("10,000 categories", "\n".join(f'category c{i} "x"' for i in range(10_000))),
])
def test_huge_or_deep_input_is_bounded(name, text):
    started = time.perf_counter()
    diagnostics, _ = lint_text(text, "big.policy")
    elapsed = time.perf_counter() - started
    assert diagnostics, "every one of these inputs has something to report"
    _assert_well_formed(diagnostics, text)
    assert elapsed < 10, f"{name}: {elapsed:.1f}s"


def test_policy_text_is_never_executed(tmp_path):
    marker = tmp_path / "executed"
    text = (f'controller "x" {{ contact "{{__import__(\'os\').system(\'touch {marker}\')}}" }}\n'
            f"__import__('os').system('touch {marker}')\n")
    diagnostics, _ = lint_text(text, "evil.policy")
    assert diagnostics[0].code == "PE001"
    assert not marker.exists()


def test_yaml_config_uses_the_safe_loader(tmp_path):
    marker = tmp_path / "executed"
    config = tmp_path / ".policyengine.yaml"
    config.write_text(f"rules: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(Exception) as raised:
        LintConfig.load(config)
    assert "not valid YAML" in str(raised.value)
    assert not marker.exists()


def test_lint_process_survives_binary_garbage(tmp_path):
    bad = tmp_path / "garbage.policy"
    bad.write_bytes(bytes(range(256)) * 50)
    done = subprocess.run([sys.executable, "-m", "policyengine", "lint", str(bad)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "PE002" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr

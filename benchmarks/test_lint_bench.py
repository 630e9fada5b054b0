"""Lint speed: a 200-purpose policy in process, and the whole `policyengine lint` process.

pre-commit starts `policyengine lint` on every commit, so start-up time counts
as much as the lint itself. Run: pytest benchmarks/test_lint_bench.py --benchmark-enable
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from policyengine.language.fmt import format_policy
from policyengine.language.lint import lint_text
from policyengine.language.parser import parse

from policy_gen import large_policy

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.benchmark


def test_lint_200_purposes(benchmark):
    text = large_policy(200)
    diagnostics, policy = benchmark(lint_text, text, "large.policy")
    assert policy is not None and len(policy.purposes) == 201
    assert diagnostics == []


def test_fmt_200_purposes(benchmark):
    policy = parse(large_policy(200), "large.policy")
    formatted = benchmark(format_policy, policy)
    assert parse(formatted, "large.policy") == policy


def _lint_command() -> list[str]:
    script = Path(sys.executable).with_name("policyengine")
    return [str(script)] if script.exists() else [shutil.which("policyengine") or "policyengine"]


def test_lint_process_one_rules_file(benchmark):
    command = _lint_command() + ["lint", str(ROOT / "rules" / "binero.policy")]

    def run():
        return subprocess.run(command, capture_output=True, check=False)

    done = benchmark(run)
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()


def _many_findings_policy(purposes: int) -> str:
    """About 90 bytes and two errors (unknown category, unknown basis) per purpose."""
    head = 'controller "X" {\n  authority IMY\n}\ncategory c "C"\nsubject s "S"\n'
    return head + "".join(f"purpose p{i} {{ subjects s categories cc basis consnt "
                          "retain at most 1 year from collected }\n" for i in range(purposes))


def test_lint_text_output_is_linear_in_findings():
    """20,000 findings in a 0.9 MB policy: excerpts from lines split once per file, against
    the old way (the whole file split again for every excerpt). Same text, ratio printed."""
    import time

    from policyengine.language.diagnostics import render_text
    from policyengine.language.lint import LintConfig, LintResult, format_text

    text = _many_findings_policy(10_000)
    diagnostics, _ = lint_text(text, "many.policy")
    assert len(diagnostics) >= 20_000
    result = LintResult(sorted(diagnostics, key=lambda d: d.sort_key), {"many.policy": text}, 1)
    started = time.perf_counter()
    linear = format_text(result)
    linear_s = time.perf_counter() - started
    started = time.perf_counter()
    old = "\n".join([render_text(d, text) for d in result.diagnostics][:500])
    old_s = (time.perf_counter() - started) * len(result.diagnostics) / 500  # extrapolated from 500
    assert linear.startswith(old)
    print(f"\nlint text, {len(diagnostics)} findings: {linear_s:.2f} s; re-splitting per excerpt "
          f"~{old_s:.1f} s (from 500 of them); ratio {old_s / linear_s:.0f}x")

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

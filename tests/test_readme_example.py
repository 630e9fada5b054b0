"""The policy shown in the README is lint-clean and canonically formatted: the
documentation cannot drift from the language."""

import re
from pathlib import Path

from policyengine.language.fmt import format_policy
from policyengine.language.lint import lint_text

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_policy_example_is_clean_and_formatted():
    text = README.read_text("utf-8")
    example = re.search(r"## The policy language.*?```\n(.*?)```", text, re.S).group(1)
    diagnostics, policy = lint_text(example, "README.md")
    assert [d.headline() for d in diagnostics] == []
    assert format_policy(policy) == example
    assert len(policy.purposes) == 5

"""Shell completion (README "Shell completion"): click writes the scripts, and completing
`policyengine ` offers the commands, the lazily loaded ones too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


@pytest.mark.parametrize("prog, shell", [("policyengine", "bash"), ("policyengine", "zsh"),
                                         ("policyengine", "fish"), ("scrubber", "bash")])
def test_the_completion_script_is_written(prog, shell):
    var = f"_{prog.upper()}_COMPLETE"
    done = subprocess.run([str(BIN / prog)], env=os.environ | {var: f"{shell}_source"},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"_{prog}_completion" in done.stdout or f"__fish_{prog}_complete" in done.stdout
    assert f"{var}=" in done.stdout or f"{var}={shell}_complete" in done.stdout.replace(" ", "")


def test_completing_offers_the_commands():
    env = os.environ | {"_POLICYENGINE_COMPLETE": "bash_complete", "COMP_WORDS": "policyengine ",
                        "COMP_CWORD": "1"}
    done = subprocess.run([str(BIN / "policyengine")], env=env, capture_output=True, text=True, timeout=60)
    offered = {line.split(",", 1)[1] for line in done.stdout.splitlines() if "," in line}
    assert {"lint", "fmt", "check", "explain", "compile", "test", "init"} <= offered

"""Without the C extensions, --version says so, and scrubber --stats says it once (issue 16).

"Not built" is what Python sees when the extension is missing: an ImportError.  The
child processes below get exactly that from a meta-path finder that refuses the two
extension modules, then run the real command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from scrubber import native_available

NOT_BUILT = """
import sys
class NotBuilt:
    def find_spec(self, name, path=None, target=None):
        if name in ("scrubber._native", "policyengine._screen", "policyengine.check._screen"):
            raise ImportError("not built: " + name)
sys.meta_path.insert(0, NotBuilt())
sys.argv[0] = {prog!r}
from {module}.cli import main
main(sys.argv[1:])
"""


def _run(module: str, args: list[str], *, block: bool, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    code = NOT_BUILT.format(prog=module, module=module)
    if not block:
        code = code.replace("sys.meta_path.insert(0, NotBuilt())", "")
    if env is None:
        env = {k: v for k, v in os.environ.items() if k != "SCRUBBER_PURE"}
    return subprocess.run(
        [sys.executable, "-c", code, *args], input="a 192.0.2.1\n", capture_output=True, text=True, env=env, timeout=60
    )


def test_scrubber_version_says_the_c_core_is_not_built() -> None:
    r = _run("scrubber", ["--version"], block=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("scrubber, version ")
    assert "scrubber._native is not built" in r.stdout and "pure-Python" in r.stdout


def test_scrubber_version_names_scrubber_pure() -> None:
    r = _run("scrubber", ["--version"], block=False, env={**os.environ, "SCRUBBER_PURE": "1"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.rstrip().endswith("(pure-Python path: SCRUBBER_PURE is set)")


@pytest.mark.skipif(not native_available(), reason="needs scrubber._native")
def test_scrubber_version_is_plain_with_the_c_core() -> None:
    r = _run("scrubber", ["--version"], block=False)
    assert r.returncode == 0 and "(" not in r.stdout, r.stdout


def test_scrubber_stats_say_it_once() -> None:
    r = _run("scrubber", ["--stats"], block=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "a 192.0.2.0\n"
    assert r.stderr.count("scrubber._native is not built") == 1, r.stderr
    assert r.stderr.splitlines()[0].startswith("scrubber: lines_read=1 ")
    r = _run("scrubber", ["--stats-json"], block=True)
    doc = json.loads(r.stderr)
    assert doc["native"] is False and doc["scrubber"]["addresses"] == 1
    if native_available():
        r = _run("scrubber", ["--stats"], block=False)
        assert "note" not in r.stderr, r.stderr
        assert json.loads(_run("scrubber", ["--stats-json"], block=False).stderr)["native"] is True


def test_policyengine_version_says_the_c_screen_is_not_built() -> None:
    r = _run("policyengine", ["--version"], block=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("policyengine, version ")
    assert "policyengine._screen is not built" in r.stdout

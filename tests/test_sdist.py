"""The sdist is complete: built as a release is, installed, and tested from the archive.

``python -m build --sdist`` (MANIFEST.in decides what goes in), then the unpacked
archive is installed into a folder of its own (C extensions compiled from the
sdist's sources) and a few test modules that need the shipped data (tests/golden,
rules/, examples/, the README, tests/conftest.py, tests/check_support.py) run from
the unpacked tree against that install, not against this checkout.  About 30 s;
the selection is kept small on purpose.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FROM_THE_SDIST = [
    "tests/test_lint_golden.py",
    "tests/test_check_cli.py",
    "tests/test_readme_example.py",
    "tests/test_scrubber_timestamps.py",
]
NEEDED = [
    "LICENSE", "README.md", "CHANGELOG.md", "CONTRIBUTING.md", "SECURITY.md", "MANIFEST.in", "setup.py",
    "grammar/policy.lark", "tests/conftest.py", "tests/check_support.py", "benchmarks/conftest.py",
    "examples/make_sqlite.py", "examples/binero/binding.yaml", "rules/binero.policy",
    "src/scrubber/_native.c", "src/policyengine/_screen.c",
]


def _run(args: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(args, capture_output=True, text=True, timeout=600, **kw)  # type: ignore[call-overload]
    assert r.returncode == 0, (args, r.stdout[-3000:], r.stderr[-3000:])
    return r


def test_tests_pass_from_the_unpacked_sdist(tmp_path: Path) -> None:
    dist, unpacked, site = tmp_path / "dist", tmp_path / "unpacked", tmp_path / "site"
    _run([sys.executable, "-m", "build", "--sdist", "--outdir", str(dist), str(ROOT)])
    (archive,) = dist.glob("privacy_promises-*.tar.gz")
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        tar.extractall(unpacked, filter="data")
    top = unpacked / names[0].split("/")[0]
    missing = [n for n in NEEDED if not (top / n).is_file()]
    assert not missing, missing
    assert (top / "tests/golden").is_dir() and any((top / "tests/golden").rglob("*"))
    assert not [n for n in names if n.endswith((".so", ".pyc", ".db")) or "__pycache__" in n]

    _run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(top)])
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("SCRUBBER_PURE", None)
    where = _run(
        [sys.executable, "-c", "import policyengine, scrubber; print(policyengine.__file__); print(scrubber.__file__)"],
        env=env,
        cwd=top,
    )
    assert all(Path(p).is_relative_to(site) for p in where.stdout.split()), where.stdout
    r = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *FROM_THE_SDIST], env=env, cwd=top)
    assert " passed" in r.stdout and " failed" not in r.stdout, r.stdout[-2000:]

"""`scrubber --version` starts without the modules that made it slow, and says the truth."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import scrubber


def test_the_version_constant_is_the_installed_distributions() -> None:
    assert scrubber.__version__ == importlib.metadata.version("privacy-promises")


def test_version_imports_neither_importlib_metadata_nor_multiprocessing() -> None:
    p = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "scrubber", "--version"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert p.returncode == 0
    assert p.stdout.startswith(f"scrubber, version {scrubber.VERSION}")
    imported = {line.split("|")[-1].strip() for line in p.stderr.splitlines() if line.startswith("import time:")}
    assert "scrubber.pipe" in imported  # the measurement saw the imports
    assert not {"importlib.metadata", "multiprocessing", "scrubber.parallel", "click", "scrubber.cli"} & imported

"""Golden tests for the generated documents of the five seed policies.

examples/<org>/ holds the notice and the register in the seed notice's language (they are
the golden files for those); tests/golden/documents/<org>/ holds the other layouts (HTML
register, CSV, JSON, TILT) and an English notice. Every file is regenerated through the
command line and compared byte for byte.

Regenerate with `UPDATE_GOLDEN=1 pytest tests/test_documents_golden.py`, then read the
diff: the files are what a data subject and a supervisory authority will read.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from policyengine.cli import main

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "documents"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
CREATED = "2026-12-01T00:00:00+0000"  # meta.created of the TILT golden files

# policy -> (folder under examples/, the language of its seed notice)
SEEDS = {"bano": ("bano", "sv"), "binero": ("binero", "sv"), "arnpro": ("arnpro", "sv"),
         "balcoo": ("balcoo", "nb"), "personvern-seed001": ("personvern", "nb")}


def documents(policy: str) -> list[tuple[Path, list[str]]]:
    folder, lang = SEEDS[policy]
    src = f"rules/{policy}.policy"
    ex, gold = ROOT / "examples" / folder, GOLDEN / folder
    return [
        (ex / f"notice.{lang}.md", ["notice", src, "--lang", lang, "--format", "md"]),
        (ex / f"notice.{lang}.html", ["notice", src, "--lang", lang, "--format", "html"]),
        (ex / f"register.{lang}.md", ["ropa", src, "--lang", lang, "--format", "md"]),
        (gold / f"register.{lang}.html", ["ropa", src, "--lang", lang, "--format", "html"]),
        (gold / f"register.{lang}.csv", ["ropa", src, "--lang", lang, "--format", "csv"]),
        (gold / f"register.{lang}.json", ["ropa", src, "--lang", lang, "--format", "json"]),
        (gold / f"tilt.{lang}.json", ["export", src, "--to", "tilt", "--lang", lang, "--created", CREATED]),
        (gold / "notice.en.md", ["notice", src, "--lang", "en", "--format", "md"]),
    ]


CASES = [pytest.param(path, args, id=str(path.relative_to(ROOT)))
         for policy in SEEDS for path, args in documents(policy)]


def generate(args: list[str], monkeypatch: pytest.MonkeyPatch) -> bytes:
    monkeypatch.chdir(ROOT)  # the documents name the policy by its path relative to the project
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


@pytest.mark.parametrize("path, args", CASES)
def test_generated_document_matches_its_golden_file(path: Path, args: list[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    produced = generate(args, monkeypatch)
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(produced)
    assert produced == path.read_bytes()


def test_no_orphan_golden_files() -> None:
    expected = {path for policy in SEEDS for path, _ in documents(policy)}
    stored = set(GOLDEN.rglob("*.*")) | {p for folder, _ in SEEDS.values()
                                         for p in (ROOT / "examples" / folder).glob("*") if
                                         p.name.startswith(("notice.", "register."))}
    assert stored - expected == set()

"""The generators' contracts: TILT validates, CSV and XLSX cells are never formulas,
policy strings are escaped in HTML and Markdown, the commands' errors and exit codes."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, strategies as st

from policyengine.cli import main
from policyengine.documents.notice import render_notice
from policyengine.documents.ropa import neutralise, render_ropa, xlsx_bytes
from policyengine.documents.tilt import tilt_document
from policyengine.documents.words import duration_words, iso_duration
from policyengine.language import ast
from policyengine.language.loading import load_policy
from policyengine.language.parser import parse

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = next((p / "shared" / "schemas" for p in (ROOT.parent, ROOT.parent.parent)
                if (p / "shared" / "schemas").is_dir()), ROOT.parent / "shared" / "schemas")
SEED_POLICIES = sorted((ROOT / "rules").glob("*.policy"))

HOSTILE = '''controller "=HYPERLINK(\\"http://x\\")<script>" {
  address "+1 <b>Main</b> *street* | [x](y)"
  contact "@evil"
  jurisdiction SE
  authority IMY
  automated decisions none
  security "-rm"
}
category c "=1+1"
subject s "\\tTab"
processor p "<img src=x onerror=alert(1)>" { country US transfer scc "SCC <2021>" }
purpose q "=cmd|' /C calc'!A0" {
  subjects s
  categories c
  recipients p
  basis legitimate_interests "<i>interest</i>"
  provision voluntary "-nothing"
  retain at most 30 days from collected
}
'''


def hostile() -> ast.PolicyFile:
    return parse(HOSTILE, "hostile.policy")


@pytest.mark.skipif(not (SCHEMAS / "tilt-schema.json").is_file(),
                    reason=f"the TILT schema is not beside the project ({SCHEMAS})")
@pytest.mark.parametrize("path", SEED_POLICIES, ids=lambda p: p.stem)
@pytest.mark.parametrize("lang", ["sv", "nb", "en"])
def test_tilt_export_of_every_seed_policy_validates(path: Path, lang: str) -> None:
    import jsonschema

    schema = json.loads((SCHEMAS / "tilt-schema.json").read_text("utf-8"))
    doc = tilt_document(load_policy(str(path)), lang, datetime(2026, 12, 1, tzinfo=timezone.utc))
    jsonschema.Draft7Validator(schema).validate(doc)
    assert doc["meta"]["language"] == lang and len(doc["meta"]["_hash"]) == 64
    # the formats too, except the e-mail fields a seed policy cannot fill (no DPO contact,
    # no Art. 27 representative): they are left empty, never invented
    checked = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = [list(e.path) for e in checked.iter_errors(doc)]
    assert all(p in (["controller", "representative", "email"], ["dataProtectionOfficer", "email"])
               for p in errors), errors


def test_tilt_meta_hash_is_the_policy_text_and_changes_with_it() -> None:
    policy = load_policy(str(ROOT / "rules/balcoo.policy"))
    import hashlib

    doc = tilt_document(policy, "nb", datetime(2026, 12, 1, tzinfo=timezone.utc))
    assert doc["meta"]["_hash"] == hashlib.sha256((ROOT / "rules/balcoo.policy").read_bytes()).hexdigest()
    assert doc["meta"]["created"] == "2026-12-01T00:00:00+00:00"


@given(st.text(max_size=20))
def test_a_neutralised_cell_never_starts_a_formula(text: str) -> None:
    cell = neutralise(text)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert cell in (text, "'" + text)


def test_csv_register_quotes_every_formula_like_cell() -> None:
    rows = list(csv.reader(io.StringIO(render_ropa(hostile(), "en", "csv"))))
    cells = [c for row in rows[1:] for c in row]
    assert "'=cmd|' /C calc'!A0" in cells and "'+1 <b>Main</b> *street* | [x](y)" in cells
    assert "'@evil" in cells and "'-rm" in cells
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]


def test_xlsx_register_holds_strings_never_formulas(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    out = tmp_path / "register.xlsx"
    out.write_bytes(xlsx_bytes(hostile(), "en"))
    sheet = openpyxl.load_workbook(out).active
    header = [c.value for c in sheet[1]]
    assert header[5] == "Purpose"
    values = [c for row in sheet.iter_rows(min_row=2) for c in row]
    assert any(c.value == "=cmd|' /C calc'!A0" for c in values)
    assert all(c.data_type == "s" for c in values)


def test_xlsx_needs_an_output_file() -> None:
    result = CliRunner().invoke(main, ["ropa", str(ROOT / "rules/binero.policy"), "--format", "xlsx"])
    assert result.exit_code == 2 and "--output" in result.output


def test_html_escapes_every_policy_string() -> None:
    for doc in (render_notice(hostile(), "en", "html"), render_ropa(hostile(), "en", "html")):
        assert "<script>" not in doc and "<img" not in doc and "<b>" not in doc and "<i>" not in doc
        assert "&lt;img src=x onerror=alert(1)&gt;" in doc


def test_markdown_escapes_markup_in_policy_strings() -> None:
    doc = render_notice(hostile(), "en", "md")
    assert r"\<b\>Main\</b\> \*street\* \| \[x\](y)" in doc
    assert r"\<img src=x onerror=alert(1)\>" in doc
    import re

    assert not re.search(r"(?<!\\)<", doc)  # no unescaped '<' anywhere


def test_the_notice_names_the_transfer_safeguard_and_how_to_get_a_copy() -> None:
    doc = render_notice(hostile(), "en", "md")
    assert "the European Commission's standard contractual clauses (Article 46(2)(c)) (SCC \\<2021\\>)" in doc
    assert "You can obtain a copy of the safeguards by contacting us (@evil)" in doc


@pytest.mark.parametrize("lang, one, many", [("sv", "1 månad", "2 månader"), ("nb", "1 måned", "2 måneder"),
                                             ("en", "1 month", "2 months")])
def test_durations_in_words(lang: str, one: str, many: str) -> None:
    assert duration_words(ast.Duration(1, "month"), lang) == one
    assert duration_words(ast.Duration(2, "month"), lang) == many
    assert iso_duration(ast.Duration(7, "year")) == "P7Y"


def test_commands_write_output_files_and_refuse_a_bad_policy(tmp_path: Path) -> None:
    out = tmp_path / "notice.html"
    ok = CliRunner().invoke(main, ["notice", str(ROOT / "rules/bano.policy"), "--format", "html", "-o", str(out)])
    assert ok.exit_code == 0 and out.read_text("utf-8").startswith("<!DOCTYPE html>")
    bad = tmp_path / "bad.policy"
    bad.write_text('purpose p { basis consnt }\n', encoding="utf-8")
    for verb in (["notice"], ["ropa"], ["export", "--to", "tilt"]):
        result = CliRunner().invoke(main, [*verb, str(bad)])
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output


@pytest.mark.parametrize("log_rules, words, max_age", [
    ("keep at most 14 days\n    truncate ipv4 /24 ipv6 /48", "Lines are kept at most 14 days.", "14d"),
    ("truncate ipv4 /16 ipv6 /32", "Lines are kept at most 30 days, as long as the purpose's other data.", "30d"),
])
def test_the_notice_states_the_log_period_the_scrubber_enforces(tmp_path: Path, log_rules: str, words: str,
                                                                 max_age: str) -> None:
    from policyengine.language.loading import scrubber_settings

    path = tmp_path / "web.policy"
    path.write_text('controller "A" { authority IMY }\ncategory ip "IP"\nsubject v "V"\n'
                    'purpose web "Web" {\n  subjects v\n  categories ip\n  basis legitimate_interests "x"\n'
                    f"  retain at most 30 days from collected\n  logs access {{\n    {log_rules}\n  }}\n}}\n",
                    encoding="utf-8")
    settings = scrubber_settings(str(path), "web")
    doc = render_notice(load_policy(str(path)), "en", "md")
    assert settings.max_age == max_age and words in doc
    assert f"the first {settings.ipv4_prefix} of 32 bits" in doc and f"the first {settings.ipv6_prefix} of 128" in doc

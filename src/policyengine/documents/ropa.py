"""The record of processing activities, GDPR Art. 30(1)(a)-(g): one row per purpose.

Rows are plain text in the chosen language (the notice's phrases); each output format
only lays them out: Markdown, HTML, CSV (cells neutralised against formula injection),
XLSX (openpyxl, an optional extra), JSON (stable keys, text values).
"""

from __future__ import annotations

import csv
import io
import json

from ..language import ast
from ..language.diagnostics import PolicyError
from .model import PolicyView, build
from .render import environment, phrases

ROPA_FORMATS = ("md", "html", "csv", "xlsx", "json")
COLUMNS = ("controller", "address", "contact", "representative", "dpo", "purpose", "basis", "subjects",
           "categories", "recipients", "transfers", "erasure", "logs", "security")  # Art. 30(1)(a)-(g)
# What is the same for every activity: shown once above the activities in Markdown and HTML.
CONTROLLER_COLUMNS = ("controller", "address", "contact", "representative", "dpo", "security")


def rows(v: PolicyView, lang: str) -> list[dict[str, str]]:
    t = phrases(lang)
    words = t.ropa
    missing = words["not_stated"]
    rep = v.representative
    controller = {
        "controller": v.controller or missing,
        "address": v.address or missing,
        "contact": v.contact or missing,
        "representative": (rep.name + (f", {rep.contact}" if rep.contact else "")) if rep else words["none"],
        "dpo": (v.dpo + (f", {v.dpo_contact}" if v.dpo_contact else "")) if v.dpo else words["none"],
    }
    out = []
    for p in v.purposes:
        erasure = [t.period(r) for r in p.retention]
        if p.legal_hold:
            erasure.append(t.hold(p.legal_hold))
        if p.until_withdrawn or p.on_withdrawal:
            erasure.append(t.withdrawal(p))
        transfers = [t.transfer(r, v) for r in p.recipients if r.third_country or r.country_unknown]
        out.append({**controller,
                    "purpose": p.label,
                    "basis": t.basis(p),
                    "subjects": "; ".join(p.subjects) or words["none"],
                    "categories": "; ".join(t.category(c) for c in p.categories) or words["none"],
                    "recipients": "; ".join(t.recipient(r) for r in p.recipients) or words["none"],
                    "transfers": " ".join(transfers) or words["none"],
                    "erasure": " ".join(erasure) or t.no_period(),
                    "logs": " ".join(t.logs(x, p) for x in p.logs) or words["none"],
                    "security": v.security or missing})
    return out


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """A spreadsheet treats a cell starting with = + - @ (or tab, CR) as a formula: quote it."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def _csv(v: PolicyView, lang: str) -> str:
    words = phrases(lang).ropa
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([words[c] for c in COLUMNS])
    for row in rows(v, lang):
        writer.writerow([neutralise(row[c]) for c in COLUMNS])
    return buf.getvalue()


def _json(v: PolicyView, lang: str) -> str:
    words = phrases(lang).ropa
    doc = {"title": words["title"], "language": lang, "columns": {c: words[c] for c in COLUMNS},
           "source": v.source_path, "sha256": v.sha256, "activities": rows(v, lang)}
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def render_ropa(policy: ast.PolicyFile, lang: str, fmt: str) -> str:
    """The record as text (md, html, csv, json); XLSX is binary: write_xlsx."""
    v = build(policy)
    if fmt == "csv":
        return _csv(v, lang)
    if fmt == "json":
        return _json(v, lang)
    if fmt in ("md", "html"):
        env = environment(lang, fmt)
        return env.get_template(f"ropa.{fmt}.j2").render(
            v=v, rows=rows(v, lang), head=CONTROLLER_COLUMNS,
            columns=[c for c in COLUMNS if c not in CONTROLLER_COLUMNS and c != "purpose"])
    raise PolicyError(f"unknown register format {fmt!r} (known: {', '.join(ROPA_FORMATS)})")


def xlsx_bytes(policy: ast.PolicyFile, lang: str) -> bytes:
    try:
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font
    except ImportError:
        raise PolicyError("XLSX needs openpyxl: pip install 'privacy-promises[documents]'") from None
    v = build(policy)
    words = phrases(lang).ropa
    book = Workbook()
    sheet = book.active
    sheet.title = "Art. 30"
    sheet.append([words[c] for c in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows(v, lang):
        sheet.append([row[c] for c in COLUMNS])
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            cell.data_type = "s"  # never a formula, whatever the text starts with
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for i, column in enumerate(COLUMNS):
        sheet.column_dimensions[sheet.cell(1, i + 1).column_letter].width = 24 if column != "erasure" else 48
    sheet.freeze_panes = "A2"
    book.properties.title = words["title"]
    book.properties.creator = "policyengine"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

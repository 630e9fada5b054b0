"""Rendering findings: text (a table grouped by finding), json, jsonl, csv, sarif, summary.

Reporters stream where the format allows (jsonl, csv, json): memory stays flat
however many findings there are. The text table and SARIF group or wrap
findings, so they hold them until the end.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from ..escaping import csv_cell, printable
from .findings import CODES, Finding, as_tuples

from .records import PURE_JSON

if PURE_JSON:  # POLICYENGINE_PURE_JSON=1, or no orjson: the same text from the standard library
    def _line(d: dict) -> str:
        return json.dumps(d, ensure_ascii=False, separators=(",", ":"))
else:  # measured: json.dumps was a third of a run's time when many records are due
    from orjson import dumps as _orjson_dumps

    def _line(d: dict) -> str:
        return _orjson_dumps(d).decode()

FORMATS = ("text", "json", "jsonl", "csv", "sarif")
CSV_COLUMNS = ("code", "action", "title", "record", "location", "purpose", "rule", "clause", "due",
               "days", "message")


@dataclass
class RunInfo:
    policy: str
    today: str
    now: str
    timezone: str
    sources: list[str]
    records: int = 0
    counts: Counter = field(default_factory=Counter)

    def to_dict(self) -> dict:
        return {"policy": self.policy, "now": self.now, "today": self.today,
                "timezone": self.timezone, "sources": self.sources, "records": self.records,
                "findings": sum(self.counts.values()),
                "counts": {code: self.counts[code] for code in sorted(self.counts)}}


class CsvRows:
    """Findings as CSV rows. Text a spreadsheet would run as a formula is neutralised
    (``escaping.csv_cell``). The csv module quotes a cell holding the line terminator
    ("\\n") but not a bare CR, which readers take as a row end too: a row with a CR in a
    cell is written fully quoted, so a record cannot forge rows."""

    def __init__(self, out):
        self.minimal = csv.writer(out, lineterminator="\n")
        self.quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def header(self) -> None:
        self.minimal.writerow(CSV_COLUMNS)

    def write(self, d: dict) -> None:
        row = [csv_cell("" if d[c] is None else d[c]) for c in CSV_COLUMNS]
        cr = any(isinstance(cell, str) and "\r" in cell for cell in row)
        (self.quoted if cr else self.minimal).writerow(row)


def render_chunk(render: str | None, findings: list[Finding]):
    """Findings rendered where they are found (a worker process of ``check --jobs``), for
    ``Reporter.add_chunk`` of the reporter whose ``chunk_format`` is ``render``: the text
    of jsonl and csv, the items of json, nothing for the summary, plain tuples otherwise."""
    if render == "jsonl":
        return "".join([_line(f.to_dict()) + "\n" for f in findings])
    if render == "csv":
        buffer = io.StringIO()
        rows = CsvRows(buffer)
        for f in findings:
            rows.write(f.to_dict())
        return buffer.getvalue()
    if render == "json":
        return [_line(f.to_dict()) for f in findings]
    if render == "summary":
        return None
    return as_tuples(findings)


class Reporter:
    chunk_format: str | None = None  # how render_chunk renders findings for add_chunk

    def __init__(self, out, info: RunInfo):
        self.out, self.info = out, info

    def add(self, finding: Finding) -> None:
        raise NotImplementedError

    def chunk_renderer(self):
        """The function a worker process renders its findings with, for ``add_chunk``."""
        return functools.partial(render_chunk, self.chunk_format)

    def add_chunk(self, payload) -> None:
        """Findings rendered by ``render_chunk(self.chunk_format, ...)``."""
        for t in payload:
            self.add(Finding(*t))

    def finish(self) -> None:
        pass


class JsonLinesReporter(Reporter):
    chunk_format = "jsonl"

    def add(self, finding: Finding) -> None:
        self.out.write(_line(finding.to_dict()) + "\n")

    def add_chunk(self, payload: str) -> None:
        self.out.write(payload)


class CsvReporter(Reporter):
    chunk_format = "csv"

    def add_chunk(self, payload: str) -> None:
        self.out.write(payload)

    def __init__(self, out, info):
        super().__init__(out, info)
        self.rows = CsvRows(out)
        self.rows.header()

    def add(self, finding: Finding) -> None:
        self.rows.write(finding.to_dict())


class JsonReporter(Reporter):
    """One JSON document, written as it goes: the findings array, then the counts."""

    def __init__(self, out, info):
        super().__init__(out, info)
        self.first = True
        out.write('{"findings": [')

    chunk_format = "json"

    def add(self, finding: Finding) -> None:
        self.out.write(("\n  " if self.first else ",\n  ") + _line(finding.to_dict()))
        self.first = False

    def add_chunk(self, payload: list[str]) -> None:
        if payload:
            self.out.write(("\n  " if self.first else ",\n  ") + ",\n  ".join(payload))
            self.first = False

    def finish(self) -> None:
        self.out.write(("\n" if not self.first else "") + '],\n"run": '
                       + json.dumps(self.info.to_dict(), ensure_ascii=False) + "}\n")


class SummaryReporter(Reporter):
    chunk_format = "summary"

    def add(self, finding: Finding) -> None:
        pass

    def add_chunk(self, payload) -> None:
        pass

    def finish(self) -> None:
        self.out.write(summary_text(self.info))


class JsonSummaryReporter(SummaryReporter):
    """``--summary --format json`` (or jsonl): the run and its counts as one JSON document."""

    def finish(self) -> None:
        self.out.write(json.dumps({"run": self.info.to_dict()}, ensure_ascii=False) + "\n")


def summary_text(info: RunInfo) -> str:
    total = sum(info.counts.values())
    lines = [f"{info.records} record{'s' if info.records != 1 else ''} checked against {printable(info.policy)} "
             f"on {info.today} ({info.timezone}): {total} finding{'s' if total != 1 else ''}"]
    for code in sorted(info.counts):
        action, title = CODES[code]
        lines.append(f"  {code}  {info.counts[code]:>8}  {action}: {title}")
    return "\n".join(lines) + "\n"


class TextReporter(Reporter):
    def __init__(self, out, info):
        super().__init__(out, info)
        self.groups: dict[str, list[Finding]] = defaultdict(list)

    def add(self, finding: Finding) -> None:
        self.groups[finding.code].append(finding)

    def finish(self) -> None:
        w = self.out.write
        for code in sorted(self.groups):
            found = self.groups[code]
            action, title = CODES[code]
            w(f"{code} {action}: {title} ({len(found)})\n")
            rows = [("record", "purpose", "due", "days", "rule", "record at")]
            for f in found:  # record values are escaped: a key cannot forge a line or drive the terminal
                rows.append((printable(str(f.record)), printable(f.purpose or "-"),
                             f.due.isoformat() if f.due else "-", "-" if f.days is None else str(f.days),
                             printable(f.rule or "-"), printable(f.location)))
            widths = [max(len(r[i]) for r in rows) for i in range(6)]
            for n, row in enumerate(rows):
                cells = [row[i].rjust(widths[i]) if i == 3 else row[i].ljust(widths[i]) for i in range(6)]
                w("  " + "  ".join(cells).rstrip() + "\n")
                if n:
                    w(f"      {printable(found[n - 1].message)}\n")
            w("\n")
        w(summary_text(self.info))


class SarifReporter(Reporter):
    def __init__(self, out, info):
        super().__init__(out, info)
        self.results: list[dict] = []

    def add(self, finding: Finding) -> None:
        where = finding.rule or finding.location
        file, _, line = where.rpartition(":")
        region = {"startLine": int(line)} if line.isdigit() and int(line) > 0 else {}
        location = {"physicalLocation": {"artifactLocation": {"uri": file}, **({"region": region} if region else {})}}
        self.results.append({
            "ruleId": finding.code,
            "level": "note" if finding.action == "keep" else "warning" if finding.action != "data" else "error",
            "message": {"text": f"record {finding.record} ({finding.location}): {finding.message}"},
            "locations": [location],
            "properties": {k: v for k, v in finding.to_dict().items() if k in ("record", "due", "days", "purpose")},
        })

    def finish(self) -> None:
        from ..version import tool_version

        rules = [{"id": code, "name": title.replace(" ", "_"),
                  "shortDescription": {"text": f"{action}: {title}"}}
                 for code, (action, title) in CODES.items()]
        sarif = {
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{"tool": {"driver": {"name": "policyengine check", "version": tool_version(),
                                          "rules": rules}},
                      "results": self.results,
                      "properties": self.info.to_dict()}],
        }
        self.out.write(json.dumps(sarif, indent=2, ensure_ascii=False) + "\n")


REPORTERS = {"text": TextReporter, "json": JsonReporter, "jsonl": JsonLinesReporter,
             "csv": CsvReporter, "sarif": SarifReporter}


def reporter(fmt: str, out, info: RunInfo, summary: bool = False) -> Reporter:
    if summary:
        return JsonSummaryReporter(out, info) if fmt in ("json", "jsonl") else SummaryReporter(out, info)
    return REPORTERS[fmt](out, info)

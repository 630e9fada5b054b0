"""CI-native output for `lint` and `check`: GitHub workflow commands and JUnit XML.

GitHub reads a line `::error file=F,line=L,col=C,title=T::message` from a job's log as an
annotation. Everything after `::` up to the end of the line is the message and the
properties end at `::`, so text from a policy or a record could forge a second command
(a newline, then `::error::...`) or a property (`,line=1`). Both are encoded as GitHub's
own toolkit does (actions/toolkit, packages/core/src/command.ts): in the message `%`, CR
and LF; in a property also `:` and `,`. Other control characters (an ANSI escape in a
record key) are shown as `\\xNN`, so the log shows what the data holds.

JUnit XML (one testsuite per file, one testcase per file and rule) carries every value
XML-escaped, with the characters XML 1.0 forbids (most C0 controls, lone surrogates,
U+FFFE/U+FFFF) shown as `\\xNN` / `\\uNNNN`: a parser never rejects the report.
"""

from __future__ import annotations

import re
from collections import defaultdict
from xml.sax.saxutils import escape as _xml_escape, quoteattr

from .escaping import github_data, github_property
from .checking.findings import CODES as CHECK_CODES, Finding
from .checking.report import Reporter

# ---- GitHub workflow commands ----------------------------------------------
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _visible(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def escape_data(text: str) -> str:
    """A workflow command's message: controls visible, `%`, CR, LF encoded."""
    return github_data(_visible(text))


def escape_property(text: str) -> str:
    """A workflow command's property value: as a message, and `:` and `,` too."""
    return github_property(_visible(text))


GITHUB_LEVELS = ("error", "warning", "notice")


def workflow_command(level: str, message: str, **properties) -> str:
    """One `::level props::message` line; properties with a None value are left out."""
    if level not in GITHUB_LEVELS:
        raise ValueError(f"not a GitHub annotation level: {level!r}")
    props = ",".join(f"{k}={escape_property(str(v))}" for k, v in properties.items() if v is not None)
    return f"::{level}{' ' + props if props else ''}::{escape_data(message)}\n"


_LINT_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def lint_github(result) -> str:
    """`lint --format github`: one annotation per diagnostic."""
    out = []
    for d in result.diagnostics:
        text = d.message + (f" (hint: {d.hint})" if d.hint else "")
        span = d.span
        end_line = span.end_line if span.end_line >= span.line else None
        out.append(workflow_command(
            _LINT_LEVEL[d.level], text, file=span.file, line=max(1, span.line),
            endLine=end_line, col=max(1, span.column), title=f"{d.code} {_lint_title(d.code)}"))
    return "".join(out)


def _lint_title(code: str) -> str:
    from .language.diagnostics import CODES

    return CODES[code][1]


# ---- levels of check findings ----------------------------------------------
def check_level(code: str) -> str:
    """A check finding's level: "keep" findings (a record that must not be erased yet) are
    warnings, everything else (erase, consent, unknown, lawfulness, transfer, request,
    unreadable data) is an error. `--fail-level error` lets a run of keep findings pass."""
    return "warning" if CHECK_CODES[code][0] == "keep" else "error"


def _split_location(where: str | None) -> tuple[str | None, int | None]:
    """'file:line' (or 'db#table:row') -> (file, line); no line -> (where, None)."""
    if not where:
        return None, None
    file, _, line = where.rpartition(":")
    if file and line.isdigit():
        return file, int(line)
    return where, None


def finding_message(f: Finding) -> str:
    due = f" due {f.due.isoformat()}" if f.due else ""
    clause = f"; clause {f.rule}: {f.clause}" if f.rule else ""
    return (f"record {f.record} ({f.location}), purpose {f.purpose or '-'}: {f.action}: {f.title}{due}: "
            f"{f.message}{clause}")


class GithubReporter(Reporter):
    """`check --format github`: an annotation per finding on the policy clause that decided
    it (or on the record when no clause did), then a notice with the counts."""

    def add(self, finding: Finding) -> None:
        file, line = _split_location(finding.rule or finding.location)
        self.out.write(workflow_command(check_level(finding.code), finding_message(finding),
                                        file=file, line=line, title=f"{finding.code} {finding.title}"))

    def finish(self) -> None:
        from .checking.report import summary_text

        self.out.write(workflow_command("notice", summary_text(self.info).rstrip("\n"),
                                        title="policyengine check"))


# ---- JUnit XML --------------------------------------------------------------
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value) -> str:
    """Text for XML 1.0 element content: escaped, forbidden characters made visible."""
    text = _XML_FORBIDDEN.sub(_shown, str(value))
    return _xml_escape(text)


def xml_attr(value) -> str:
    """A quoted XML attribute value (newlines and tabs kept as character references)."""
    text = _XML_FORBIDDEN.sub(_shown, str(value))
    return quoteattr(text, {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def _shown(m: re.Match) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def junit_xml(suite_name: str, cases: dict[str, dict[str, list[tuple[str, str, str]]]],
              properties: dict | None = None) -> str:
    """cases: file -> rule -> [(level, message, detail)]; an empty list is a passing case."""
    total = sum(len(rules) for rules in cases.values())
    failing = sum(1 for rules in cases.values() for items in rules.values() if items)
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n',
           f'<testsuites name={xml_attr(suite_name)} tests="{total}" failures="{failing}" errors="0">\n']
    for file in sorted(cases):
        rules = cases[file]
        fails = sum(1 for items in rules.values() if items)
        out.append(f'  <testsuite name={xml_attr(file)} tests="{len(rules)}" failures="{fails}" errors="0">\n')
        if properties:
            out.append("    <properties>\n")
            for k, v in properties.items():
                out.append(f"      <property name={xml_attr(k)} value={xml_attr(v)}/>\n")
            out.append("    </properties>\n")
        for rule in sorted(rules):
            items = rules[rule]
            head = f"    <testcase classname={xml_attr(file)} name={xml_attr(rule)}"
            if not items:
                out.append(head + "/>\n")
                continue
            levels = sorted({level for level, _, _ in items})
            first = items[0][1]
            message = first if len(items) == 1 else f"{len(items)} findings; first: {first}"
            body = "\n".join(f"[{level}] {detail}" for level, _, detail in items)
            out.append(f"{head}>\n      <failure message={xml_attr(message)} type={xml_attr(','.join(levels))}>"
                       f"{xml_text(body)}</failure>\n    </testcase>\n")
        out.append("  </testsuite>\n")
    out.append("</testsuites>\n")
    return "".join(out)


def lint_junit(result) -> str:
    """`lint --format junit`: a testcase per file and code that fired; a clean file is one
    passing case ("lint")."""
    cases: dict[str, dict[str, list]] = defaultdict(dict)
    for file in result.sources:
        cases[file].setdefault("lint", [])
    for d in result.diagnostics:
        if d.level not in ("error", "warning"):
            continue  # info diagnostics fail nothing
        text = d.message + (f" (hint: {d.hint})" if d.hint else "")
        cases[d.span.file].pop("lint", None)
        cases[d.span.file].setdefault(d.code, []).append((d.level, text, f"{d.span}: {d.code}: {d.level}: {text}"))
    return junit_xml("policyengine lint", cases)


class JunitReporter(Reporter):
    """`check --format junit`: a testsuite per policy file, a testcase per policy clause
    (rule) with findings; its failures are the findings (record, location, due, message)."""

    def __init__(self, out, info):
        super().__init__(out, info)
        self.cases: dict[str, dict[str, list]] = defaultdict(dict)

    def add(self, finding: Finding) -> None:
        file, line = _split_location(finding.rule or finding.location)
        name = f"{finding.code} {finding.title}" + (f" (line {line})" if line and finding.rule else "")
        self.cases[file or "-"].setdefault(name, []).append(
            (check_level(finding.code), finding_message(finding), finding_message(finding)))

    def finish(self) -> None:
        if not self.cases:
            self.cases[self.info.policy]["check"] = []
        self.out.write(junit_xml("policyengine check", self.cases, self.info.to_dict() | {
            "counts": ",".join(f"{k}={v}" for k, v in sorted(self.info.counts.items())),
            "sources": ",".join(self.info.sources)}))


LINT_FORMATTERS = {"github": lint_github, "junit": lint_junit}
CHECK_REPORTERS = {"github": GithubReporter, "junit": JunitReporter}

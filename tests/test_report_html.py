"""`check --format html`: the CLI (exit codes, --output, a terminal), aggregation past
MAX_ROWS, the timeline's windows against the checker's own findings, and escaping: no
record or policy value, however hostile, becomes markup."""

from __future__ import annotations

import json
import os
import re
import pty
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from policyengine.checking import report_html
from policyengine.cli import main
from policyengine.escaping import printable

ROOT = Path(__file__).resolve().parents[1]
NOW = "2026-11-21T12:00:00Z"
POLICY = '''controller "Test AB" {
  jurisdiction SE
}
category contact "Contact"
subject customer "Customer"
purpose web "Web logs" {
  subjects customer
  categories contact
  basis legitimate_interests "troubleshooting"
  retain at least 10 days from collected
  retain at most 1 month from collected
}
requests {
  respond within 1 month
}
'''


def _write(tmp_path: Path, records: list[dict], policy: str = POLICY) -> tuple[Path, Path]:
    p, r = tmp_path / "t.policy", tmp_path / "r.jsonl"
    p.write_text(policy, encoding="utf-8")
    r.write_text("".join(json.dumps(x) + "\n" for x in records), encoding="utf-8")
    return p, r


def _html(tmp_path: Path, records: list[dict], policy: str = POLICY, *extra: str) -> tuple[int, str]:
    p, r = _write(tmp_path, records, policy)
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["check", str(p), "-r", str(r), "--now", NOW, "--format", "html",
                                       "-o", str(out), *extra])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, out.read_text("utf-8")


class Structure(HTMLParser):
    """The page's markup as a sequence of (tag, attribute names), with the text and the
    contents of script and style elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple] = []
        self.text: list[str] = []
        self.raw: dict[str, list[str]] = {"script": [], "style": []}
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, tuple(name for name, _ in attrs)))
        self._in = tag if tag in self.raw else None

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, tuple(name for name, _ in attrs), "/"))

    def handle_endtag(self, tag):
        self.tags.append(("/" + tag,))
        self._in = None

    def handle_data(self, data):
        if self._in:
            self.raw[self._in].append(data)
        else:
            self.text.append(data)

    def handle_comment(self, data):
        self.tags.append(("<!--",))

    def handle_decl(self, decl):
        self.tags.append(("<!", decl))


def _parse(page: str) -> Structure:
    s = Structure()
    s.feed(page)
    s.close()
    return s


def _day(n: int) -> str:
    return (date(2026, 11, 21) - timedelta(days=n)).isoformat()


# ---- the CLI ------------------------------------------------------------------------

def test_report_to_a_file_and_to_a_pipe(tmp_path):
    p, r = _write(tmp_path, [{"id": "a", "purpose": "web", "collected": _day(60)}])
    out = tmp_path / "report.html"
    args = [sys.executable, "-m", "policyengine", "check", str(p), "-r", str(r), "--now", NOW, "--format", "html"]
    to_file = subprocess.run(args + ["--output", str(out)], capture_output=True, text=True, timeout=60)
    assert to_file.returncode == 1 and to_file.stdout == ""
    to_pipe = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert to_pipe.returncode == 1
    assert to_pipe.stdout == out.read_text("utf-8")
    assert to_pipe.stdout.startswith("<!DOCTYPE html>") and to_pipe.stdout.rstrip().endswith("</html>")
    nothing = subprocess.run(args[:-2] + ["--format", "html", "--no-fail"], capture_output=True, text=True,
                             timeout=60)
    assert nothing.returncode == 0


def test_no_findings_exit_0_and_say_so(tmp_path):
    code, page = _html(tmp_path, [{"id": "a", "purpose": "web", "collected": _day(15)}])
    assert code == 0
    assert "No findings: nothing is due." in page
    assert 'data-value="1"' in page  # one record checked


def test_no_records_and_a_fixed_purpose(tmp_path):
    p, r = _write(tmp_path, [])
    r.write_text("id,purpose,collected\n", encoding="utf-8")
    r = r.rename(tmp_path / "r.csv")
    out = tmp_path / "empty.html"
    result = CliRunner().invoke(main, ["check", str(p), "-r", str(r), "--now", NOW, "--format", "html", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "No records were read" in out.read_text("utf-8")
    # a binding whose records all have one purpose: the timeline still counts them
    binding = tmp_path / "b.yaml"
    binding.write_text("purpose_is: web\ncolumns:\n  key: id\n  collected: at\n", encoding="utf-8")
    records = tmp_path / "w.csv"
    records.write_text("id,at\na," + _day(60) + "\nb," + _day(5) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(p), "-b", str(binding), "-r", str(records), "--now", NOW,
                                       "--format", "html", "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert _windows(out.read_text("utf-8")) == {"erase": 1, "keep": 1, "open": 0}


def test_html_to_a_terminal_is_refused_with_a_hint(tmp_path):
    p, r = _write(tmp_path, [{"id": "a", "purpose": "web", "collected": _day(60)}])
    main_fd, child_fd = pty.openpty()
    proc = subprocess.run([sys.executable, "-m", "policyengine", "check", str(p), "-r", str(r), "--now", NOW,
                           "--format", "html"], stdin=subprocess.DEVNULL, stdout=child_fd,
                          stderr=subprocess.PIPE, text=True, timeout=60)
    os.close(child_fd)
    os.close(main_fd)
    assert proc.returncode == 2
    assert "give --output report.html" in proc.stderr


def test_summary_with_html_is_a_usage_error(tmp_path):
    p, r = _write(tmp_path, [{"id": "a", "purpose": "web", "collected": _day(60)}])
    result = CliRunner().invoke(main, ["check", str(p), "-r", str(r), "--now", NOW, "--format", "html",
                                       "--summary", "-o", str(tmp_path / "x.html")])
    assert result.exit_code == 2 and "leave out --summary" in result.output
    assert not (tmp_path / "x.html").exists()


def test_a_failed_run_leaves_the_previous_report_alone(tmp_path):
    p, r = _write(tmp_path, [{"id": "a", "purpose": "web", "collected": _day(60)}])
    out = tmp_path / "report.html"
    out.write_text("previous", encoding="utf-8")
    r.write_text('{"id": "a", "purpose": "web", "collected": "2026-01-01"}\n{not json\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(p), "-r", str(r), "--now", NOW, "--format", "html",
                                       "-o", str(out)])
    assert result.exit_code == 2 and "not valid JSON" in result.output
    assert out.read_text("utf-8") == "previous"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["r.jsonl", "report.html", "t.policy"]


def test_output_works_for_the_other_formats_too(tmp_path):
    p, r = _write(tmp_path, [{"id": "a", "purpose": "web", "collected": _day(60)}])
    out = tmp_path / "f.csv"
    result = CliRunner().invoke(main, ["check", str(p), "-r", str(r), "--now", NOW, "--format", "csv",
                                       "-o", str(out)])
    assert result.exit_code == 1 and result.output == ""
    assert out.read_text("utf-8").splitlines()[1].startswith("PC101,erase,")


# ---- aggregation --------------------------------------------------------------------

def test_past_max_rows_the_table_is_cut_and_the_totals_are_not(tmp_path):
    n = report_html.MAX_ROWS + 150
    records = [{"id": f"r{i}", "purpose": "web", "collected": _day(40 + i % 300)} for i in range(n)]
    records += [{"id": "u", "purpose": "other", "collected": _day(1)}]
    code, page = _html(tmp_path, records)
    assert code == 1
    parsed = _parse(page)
    rows = [t for t in parsed.tags if t[0] == "tr" and "data-code" in t[1]]
    assert len(rows) == report_html.MAX_ROWS
    assert f"The first {report_html.MAX_ROWS} of {n + 1} findings are listed" in "".join(parsed.text)
    assert f'data-total-code="PC101">{n}<' in page and 'data-total-code="PC401">1<' in page
    assert "--format jsonl" in page
    # most overdue first: the oldest records are listed, and their days descend
    days = [int(x) for x in re.findall(r'data-days="(-?\d+)"', page)]
    assert days == sorted(days, reverse=True)


# ---- the timeline is the checker's day rule -------------------------------------------

def _windows(page: str) -> dict[str, int]:
    out: Counter = Counter()
    for state, count in re.findall(r'<li data-state="(\w+)" data-count="(\d+)">', page):
        out[state] += int(count)
    return dict(out)


@settings(max_examples=25)
@given(st.lists(st.integers(min_value=-5, max_value=80), min_size=1, max_size=40), st.booleans())
def test_timeline_windows_count_what_check_finds(tmp_path_factory, ages, asked):
    """Records `age` days old against `retain at least 10 days`, `at most 1 month`: the erase
    window holds exactly the PC101 records; with an erasure request on every record (answered
    by the deadline: made today) the keep window holds exactly the PC201 records."""
    tmp = tmp_path_factory.mktemp("tl")
    records = [{"id": f"r{i}", "purpose": "web", "collected": _day(a) + "T23:30:00",
                "erasure_requested": _day(0) if asked else None} for i, a in enumerate(ages)]
    _, page = _html(tmp, records)
    counts = {c: int(n) for c, n in re.findall(r'data-total-code="(PC\d+)">(\d+)<', page)}
    windows = _windows(page)
    assert sum(windows.values()) == len(ages)
    if asked:
        assert windows.get("keep", 0) == counts.get("PC201", 0)
    else:
        assert windows.get("erase", 0) == counts.get("PC101", 0)
        assert windows.get("keep", 0) == sum(1 for a in ages if a <= 10)  # kept through collected + 10 days


def test_the_timeline_says_kept_through_and_erase_from(tmp_path):
    _, page = _html(tmp_path, [{"id": "a", "purpose": "web", "collected": _day(5)},
                               {"id": "b", "purpose": "web", "collected": _day(20)},
                               {"id": "c", "purpose": "web", "collected": _day(31)},
                               {"id": "d", "purpose": "web", "collected": _day(32)}])
    text = " ".join(_parse(page).text)
    # collected today (2026-11-21): 10 days -> kept through 2026-12-01, may be erased from 2026-12-02
    assert "keep through 2026-12-01; may be erased from 2026-12-02" in text
    assert "may be kept through 2026-12-21; overdue from 2026-12-22" in text
    # 2026-10-21 + 1 month = 2026-11-21 (today): still within; 2026-10-20 is past
    assert "collected on or before 2026-10-20: the period has ended" in text
    assert _windows(page) == {"keep": 1, "open": 2, "erase": 1}
    assert page.count("<svg") == 2  # one lane, drawn wide and narrow


# ---- escaping -------------------------------------------------------------------------

PIECES = list("<>&\"'/=`ab ") + ["<script>", "</style>", "</script>", "<!--", "\u2028", "\u2029", "\x00",
                                  "\x1b", "\r", "\n", "\u202e", "javascript:", "&amp;", "<![CDATA["]
HOSTILE = st.lists(st.sampled_from(PIECES), min_size=1, max_size=8).map("".join) | st.text(min_size=1, max_size=8)


def _records(key, purpose, date_text):
    return [{"id": key, "purpose": "web", "collected": "2026-01-01", "request_received": None},
            {"id": "k2", "purpose": "zz" + purpose, "collected": "2026-01-01", "request_received": "2026-01-01"},
            {"id": "k3", "purpose": "web", "collected": "bad" + date_text, "request_received": None}]


@settings(max_examples=40)
@given(HOSTILE, HOSTILE, HOSTILE)
def test_hostile_record_values_never_make_markup(tmp_path_factory, key, purpose, date_text):
    """The page for hostile values has exactly the markup of the page for plain stand-ins
    (each distinct value its own stand-in), one script and one style, both ours; and the
    values are there, as text."""
    tmp = tmp_path_factory.mktemp("esc")
    twins: dict[str, str] = {}
    for value in (key, purpose, date_text):
        twins.setdefault(value, f"q{len(twins)}")
    _, hostile = _html(tmp, _records(key, purpose, date_text))
    _, plain = _html(tmp, _records(twins[key], twins[purpose], twins[date_text]))
    h, p = _parse(hostile), _parse(plain)
    assert h.tags == p.tags
    assert h.raw == p.raw
    assert h.raw["script"] == [report_html._SCRIPT] and h.raw["style"] == [report_html._STYLE]
    text = "".join(h.text)
    assert printable(key) in text and printable("zz" + purpose) in text
    for ch in "\u2028\u2029\x00\x1b\r\u202e":
        assert ch not in hostile  # shown as visible escapes, never raw


def test_hostile_policy_text_is_text(tmp_path):
    policy = POLICY.replace('"Test AB"', '"<script>alert(1)</script> AB"').replace(
        '"troubleshooting"', '"</style><img src=x onerror=alert(1)>"').replace(
        "retain at most 1 month from collected",
        'retain at most 1 month from collected\n  legal hold 20 days from collected "\'><svg onload=alert(1)>"')
    _, page = _html(tmp_path, [{"id": "a", "purpose": "web", "collected": _day(60),
                                "erasure_requested": _day(40)}], policy)
    parsed = _parse(page)
    tags = {t[0] for t in parsed.tags}
    assert "img" not in tags
    assert [t for t in parsed.tags if t[0] == "script"] == [("script", ())]
    assert not any("onload" in t[1] or "onerror" in t[1] for t in parsed.tags if len(t) > 1)
    text = "".join(parsed.text)
    assert "<script>alert(1)</script> AB" in text
    assert "'><svg onload=alert(1)>" in text

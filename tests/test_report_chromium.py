"""`check --format html` in a real browser: Debian's headless Chromium (installed by .ci/run).

Screenshots at desktop (1280 px) and phone (390 px) widths; no console errors; no network
requests (Chromium's NetLog, as tests/test_documents_chromium.py reads it; its control test
shows the detectors see a failing script and a remote image); and the numbers on the page,
read from the DOM after its script ran (``--dump-dom``), equal ``check --summary --format
json``. The page's script running at all proves its Content-Security-Policy hash is right:
the filter controls are hidden until it runs.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from test_documents_chromium import CHROMIUM, console_messages, png_size, render

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
NOW = "2026-11-21T12:00:00+01:00"
ARGS = ["check", str(ROOT / "rules/binero.policy"), "-b", str(ROOT / "examples/binero/binding.yaml"),
        "-r", str(ROOT / "examples/binero/records.csv"), "--now", NOW]


def _policyengine(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "policyengine", *args], capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("report")
    page = work / "report.html"
    done = _policyengine(*ARGS, "--format", "html", "--output", str(page))
    assert done.returncode == 1, done.stderr  # findings
    return page


class _Numbers(HTMLParser):
    """The data-* numbers of the page, and whether the controls are still hidden."""

    def __init__(self) -> None:
        super().__init__()
        self.attrs: list[dict] = []
        self.text: dict[str, str] = {}
        self._open: str | None = None

    def handle_starttag(self, tag, attrs):
        d = dict(attrs)
        d["<tag>"] = tag
        self.attrs.append(d)
        self._open = d.get("data-total-code") or d.get("id")
        self.text.setdefault(self._open or "", "")

    def handle_data(self, data):
        if self._open:
            self.text[self._open] = self.text.get(self._open, "") + data

    def handle_endtag(self, tag):
        self._open = None


def _dom(page: Path, work: Path, fragment: str = "") -> str:
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
         f"--user-data-dir={work / 'profile-dom'}", "--host-resolver-rules=MAP * ~NOTFOUND",
         "--dump-dom", page.as_uri() + fragment],
        capture_output=True, text=True, timeout=120, cwd=work)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.parametrize("width", [1280, 390])
def test_the_report_renders_without_console_errors_or_requests(report: Path, width: int) -> None:
    shot, log, requests = render(report, width, report.parent)
    assert console_messages(log) == []  # a CSP refusal of the script would be logged here
    assert requests == []
    assert png_size(shot) == (width, 2000)
    assert shot.stat().st_size > 20_000  # a page of text and bars, not a blank image


def test_the_numbers_on_the_page_are_those_of_the_summary(report: Path) -> None:
    summary = json.loads(_policyengine(*ARGS, "--summary", "--format", "json").stdout)["run"]
    parsed = _Numbers()
    dom = _dom(report, report.parent)
    parsed.feed(dom)
    by_id = {a["id"]: a for a in parsed.attrs if "id" in a}
    assert int(by_id["records"]["data-value"]) == summary["records"] == 18
    assert int(by_id["findings-total"]["data-value"]) == summary["findings"] == 14
    per_code = {a["data-total-code"]: int(parsed.text[a["data-total-code"]]) for a in parsed.attrs
                if "data-total-code" in a}
    assert per_code == summary["counts"]
    # the code x purpose cells add up to the same per-code totals
    cells: dict[str, int] = {}
    for code, number in re.findall(r'<td class="num" data-code="(PC\d+)" data-purpose="[^"]*">(\d*)</td>', dom):
        cells[code] = cells.get(code, 0) + int(number or 0)
    assert cells == summary["counts"]
    rows = [a for a in parsed.attrs if a["<tag>"] == "tr" and "data-code" in a]
    assert len(rows) == summary["findings"]  # under MAX_ROWS: every finding is a row
    listed: dict[str, int] = {}
    for row in rows:
        listed[row["data-code"]] = listed.get(row["data-code"], 0) + 1
    assert listed == summary["counts"]
    assert "hidden" not in by_id["controls"]  # the page's own script ran (its CSP hash is right)



def _rows(dom: str) -> list[tuple[str, str, int, bool]]:
    """(code, purpose, days, hidden) of each findings row, in page order."""
    out = []
    for attrs in re.findall(r"<tr ([^>]*data-code=[^>]*)>", dom):
        get = dict(re.findall(r'([\w-]+)(?:="([^"]*)")?', attrs))
        out.append((get["data-code"], get["data-purpose"], int(get["data-days"]), "hidden" in get))
    return out


def test_the_script_filters_and_sorts_from_the_address(report: Path) -> None:
    """The page's own script, run by the browser: a filter in the address hides every other
    row and counts what is left; sort=asc turns the order round."""
    plain = _rows(_dom(report, report.parent))
    assert len(plain) == 14 and not any(hidden for *_, hidden in plain)
    assert [d for _, _, d, _ in plain] == sorted((d for _, _, d, _ in plain), reverse=True)

    dom = _dom(report, report.parent, "#code=PC104&purpose=cctv")
    rows = _rows(dom)
    visible = [(c, p) for c, p, _, hidden in rows if not hidden]
    assert visible == [("PC104", "cctv")]
    assert len(rows) == 14
    assert re.search(r'<span id="shown">1</span>', dom)

    rows = _rows(_dom(report, report.parent, "#code=PC104&sort=asc"))
    assert [c for c, _, _, hidden in rows if not hidden] == ["PC104", "PC104"]
    days = [d for _, _, d, _ in rows]
    assert days == sorted(days)

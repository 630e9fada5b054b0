"""The HTML notice in a real browser: Debian's headless Chromium (installed by .ci/run).

Screenshots at phone (390 px) and desktop (1280 px) widths; no console errors; no
network requests from the page (Chromium's NetLog lists every request; the page's are
those whose site is the file). A control page with a failing script and a remote image
proves that both detectors see what they look for. Browser background traffic (component
updates and the like) cannot leave the machine: every host name resolves to nothing.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from policyengine.cli import main

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")

CONTROL = ('<!DOCTYPE html><html lang="en"><head><title>control</title></head><body><p>control</p>'
           '<img alt="" src="http://127.0.0.1:9/remote.png"><script>console.error("boom")</script></body></html>')


def render(page: Path, width: int, work: Path) -> tuple[Path, str, list[str]]:
    """(screenshot, browser log, URLs the page itself requested)."""
    shot, netlog = work / f"{page.stem}-{width}.png", work / f"{page.stem}-{width}.netlog.json"
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
         f"--user-data-dir={work / f'profile-{page.stem}-{width}'}", "--host-resolver-rules=MAP * ~NOTFOUND",
         "--enable-logging=stderr", "--v=0", f"--log-net-log={netlog}", "--hide-scrollbars",
         f"--window-size={width},2000", f"--screenshot={shot}", page.as_uri()],
        capture_output=True, text=True, timeout=120, cwd=work)
    assert done.returncode == 0, done.stderr[-2000:]
    return shot, done.stderr, page_requests(netlog)


def page_requests(netlog: Path) -> list[str]:
    log = json.loads(netlog.read_text("utf-8"))
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = []
    for event in log["events"]:
        params = event.get("params", {})
        if event["type"] == start and "site=file://" in params.get("site_for_cookies", ""):
            if not params["url"].startswith("file:"):
                urls.append(params["url"])
    return urls


def console_messages(log: str) -> list[str]:
    return [line for line in log.splitlines() if ":CONSOLE" in line]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def notice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("chromium")
    page = work / "notice.html"
    result = CliRunner().invoke(main, ["notice", str(ROOT / "rules/binero.policy"), "--lang", "sv",
                                       "--format", "html", "--output", str(page)])
    assert result.exit_code == 0, result.output
    return page


def test_the_detectors_see_a_console_error_and_a_network_request(tmp_path: Path) -> None:
    page = tmp_path / "control.html"
    page.write_text(CONTROL, encoding="utf-8")
    _, log, requests = render(page, 390, tmp_path)
    assert any('"boom"' in m for m in console_messages(log))
    assert requests == ["http://127.0.0.1:9/remote.png"]


@pytest.mark.parametrize("width", [390, 1280])
def test_notice_renders_without_console_errors_or_requests(notice: Path, width: int) -> None:
    shot, log, requests = render(notice, width, notice.parent)
    assert console_messages(log) == []
    assert requests == []
    assert png_size(shot) == (width, 2000)
    assert shot.stat().st_size > 20_000  # a page of text, not a blank image


def test_notice_prints_to_paged_pdf(notice: Path) -> None:
    pdf = notice.parent / "notice.pdf"
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
         f"--user-data-dir={notice.parent / 'profile-print'}", "--host-resolver-rules=MAP * ~NOTFOUND",
         "--no-pdf-header-footer", f"--print-to-pdf={pdf}", notice.as_uri()],
        capture_output=True, text=True, timeout=120, cwd=notice.parent)
    assert done.returncode == 0, done.stderr[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", data))
    assert 2 <= pages <= 12, pages  # the print styles keep a long notice to a few A4/Letter pages

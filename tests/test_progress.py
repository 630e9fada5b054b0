"""The progress line of `check`: on a terminal (a real pseudo-terminal here) it shows done,
rate and time left and is cleared at the end; in a pipe there is none."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

from check_support import ROOT

NOW = "2026-11-21T12:00:00+01:00"


def _records(tmp_path, n=20000):
    header, *rows = (ROOT / "examples/binero/records.csv").read_text("utf-8").splitlines()
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write(header + "\n")
        for i in range(n):
            out.write(rows[i % len(rows)].replace(",", f"-{i},", 1) + "\n")
    return path


def _command(records):
    return [sys.executable, "-m", "policyengine", "check", str(ROOT / "rules/binero.policy"),
            "-b", str(ROOT / "examples/binero/binding.yaml"), "-r", str(records), "--now", NOW, "--summary"]


ENV = os.environ | {"POLICYENGINE_PROGRESS_DELAY": "0"}


def test_a_pipe_gets_no_progress_line(tmp_path):
    done = subprocess.run(_command(_records(tmp_path)), env=ENV, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr == ""
    assert "\r" not in done.stdout and "check:" not in done.stdout
    assert done.stdout.startswith("20000 records checked")


def test_a_terminal_gets_the_line_and_it_is_cleared(tmp_path):
    main_fd, child_fd = pty.openpty()
    proc = subprocess.Popen(_command(_records(tmp_path)), env=ENV, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=child_fd)
    os.close(child_fd)
    stdout = proc.communicate(timeout=120)[0].decode()
    assert proc.returncode == 1
    seen = b""
    while True:
        try:
            chunk = os.read(main_fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(main_fd)
    text = seen.decode()
    assert "check: " in text and "\r\x1b[K" in text
    assert text.endswith("\r\x1b[K")  # nothing left on the terminal's line
    assert stdout.startswith("20000 records checked")  # stdout untouched
    shown = [part for part in text.split("\r\x1b[K") if part]
    assert all(p.startswith("check: ") for p in shown)
    assert shown and all(" finding" in p for p in shown)


def test_the_line_says_done_rate_and_time_left(tmp_path):
    """Half of a real file read: 50%, a rate, a time left, the findings counted by the sink."""
    import io
    import time

    from policyengine.progress import CountingSink, Progress

    class Source:
        closer = (tmp_path / "r.csv").open("wb+")

    Source.closer.write(b"x" * 2_000_000)
    Source.closer.flush()
    os.lseek(Source.closer.fileno(), 1_000_000, os.SEEK_SET)

    class Sink:
        def add(self, finding):
            pass

    counting = CountingSink(Sink())
    counting.add(object())
    progress = Progress([Source], counting, io.StringIO())
    progress.start = time.monotonic() - 2.0  # two seconds for 1 MB: 0.5 MB/s, 2 s left
    line = progress.line()
    Source.closer.close()
    assert line.startswith("check: 50% (1.0 MB of 2.0 MB), 500.0 kB/s, 0:02 left")
    assert line.endswith(" left, 1 finding")


def test_duckdb_reports_its_screen_then_the_records_fetched(tmp_path):
    """--engine duckdb reads the file itself (the Python descriptor never moves): the line
    says the screen is running, then how many records are fetched of all, rising to 100%."""
    import csv
    import io
    import json
    import threading
    import time

    import pytest

    pytest.importorskip("duckdb")
    from policyengine.checking.binding import load_binding
    from policyengine.checking.run import bind_source
    from policyengine.checking.sql.engines import open_engine_source
    from policyengine.language.loading import load_policy
    from policyengine.progress import CountingSink, Progress

    with (ROOT / "examples/binero/records.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    path = tmp_path / "big.jsonl"
    n = 60000
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            out.write(json.dumps(dict(rows[i % len(rows)], id=f"r{i}")) + "\n")
    policy = load_policy(str(ROOT / "rules/binero.policy"))
    binding = load_binding(str(ROOT / "examples/binero/binding.yaml"))

    class Sink:
        def add(self, finding):
            pass

    source = open_engine_source(str(path), "duckdb")
    lowered = bind_source(policy, source, binding, NOW)
    progress = Progress([source], CountingSink(Sink()), io.StringIO())
    samples, stop = [], threading.Event()

    def sample():
        while not stop.is_set():
            samples.append(progress.line())
            time.sleep(0.002)

    watcher = threading.Thread(target=sample)
    watcher.start()
    fetched = []
    try:
        for number, _ in source.screened(lowered):
            if len(fetched) % 2000 == 0:
                fetched.append(progress.line())
            else:
                fetched.append(None)
    finally:
        stop.set()
        watcher.join()
        source.close()
    assert any("% screened by DuckDB" in s for s in samples), samples[:5]
    lines = [f for f in fetched if f is not None]
    shares = [int(f.split("%")[0].split()[-1]) for f in lines if " records), " in f]
    assert len(shares) >= 3 and shares == sorted(shares) and 0 < shares[-1] <= 100, lines
    assert all(f"of {n:,} records" in f for f in lines if " records), " in f)
    assert source.progress_state() == ("records", n, n) and progress._state() is None  # on to the next source

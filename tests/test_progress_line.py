"""The progress line's shared wording and drawing (privacy_promises.progress_line), used
by both `check` and `scrubber`: units, clock, and a line that is always cleared."""

from __future__ import annotations

import io

import pytest

from privacy_promises.progress_line import ProgressLine, clock, count, done_rate_left, size


@pytest.mark.parametrize("n, text", [(0, "0 B"), (999, "999 B"), (1000, "1.0 kB"), (1_500_000, "1.5 MB"),
                                     (2e9, "2.0 GB"), (5e12, "5000.0 GB")])
def test_sizes_in_decimal_units_up_to_gigabytes(n, text):
    assert size(n) == text


@pytest.mark.parametrize("seconds, text", [(0, "0:00"), (59.9, "0:59"), (61, "1:01"), (3599, "59:59"),
                                           (3600, "1:00:00"), (90061, "25:01:01")])
def test_clock_shows_hours_only_from_an_hour(seconds, text):
    assert clock(seconds) == text


def test_count_and_done_rate_left():
    assert (count(0, "file"), count(1, "file"), count(2, "finding")) == ("0 files", "1 file", "2 findings")
    assert done_rate_left(1_000_000, 2_000_000, 2.0) == "50% (1.0 MB of 2.0 MB), 500.0 kB/s, 0:02 left"
    assert done_rate_left(0, 10, 0.0) == "0% (0 B of 10 B), 0 B/s, 0:00 left"  # no rate yet: no division


class Line(ProgressLine):
    def line(self) -> str:
        return "working"


def test_the_line_is_drawn_then_cleared_around_messages_and_at_the_end(monkeypatch):
    monkeypatch.setenv("TEST_PROGRESS_DELAY", "0")
    out = io.StringIO()
    progress = Line(out, "TEST_PROGRESS_DELAY")
    progress.thread.start()
    while not progress.shown:
        progress.stop.wait(0.01)
    with progress.message():
        out.write("a message\n")
    progress.finish()
    text = out.getvalue()
    assert text.startswith("\r\x1b[Kworking")
    assert "\r\x1b[Ka message\n" in text
    assert text.endswith("\r\x1b[K") and not progress.thread.is_alive()


def test_a_line_never_shown_writes_nothing(monkeypatch):
    monkeypatch.setenv("TEST_PROGRESS_DELAY", "60")
    out = io.StringIO()
    progress = Line(out, "TEST_PROGRESS_DELAY")
    progress.thread.start()
    progress.finish()
    assert out.getvalue() == ""

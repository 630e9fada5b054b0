"""--jobs N gives the bytes and counts of --jobs 1: random logs, N, range and read sizes.

The hard part is expiry across a range boundary: lines without a timestamp take the
decision of the line before them, which a worker does not see.  The generated logs
mix fresh and expired timestamped lines with runs of continuation lines (longer
than the worker's look-ahead of HEAD_LINES too), addresses and CRLF.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrubber import Settings, Stats, Streamer
from scrubber.files import Chunks, _pump
from scrubber.parallel import HEAD_LINES, Workers, scrub_range

NOW = dt.datetime(2024, 7, 1, tzinfo=dt.timezone.utc)
SETTINGS = [
    Settings.create(max_age="30d", now=NOW, timezone="UTC"),
    Settings.create(ipv4_prefix=16, ipv6_prefix=32),  # no expiry
]

address = st.sampled_from(
    [b"192.0.2.55", b"2001:db8:1:2::7", b"10.1.2.3:8080", b"[2001:db8::1]:443", b"::ffff:198.51.100.9", b"x"]
)
day = st.integers(1, 60).map(lambda d: NOW - dt.timedelta(days=d))


@st.composite
def line(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["clf", "iso", "cont", "cont_run", "blank"]))
    ip = draw(address)
    end = draw(st.sampled_from([b"\n", b"\r\n"]))
    if kind == "clf":
        t = draw(day).strftime("%d/%b/%Y:%H:%M:%S +0000").encode()
        return ip + b" - - [" + t + b'] "GET / HTTP/1.1" 200 5' + end
    if kind == "iso":
        return draw(day).strftime("%Y-%m-%dT%H:%M:%SZ").encode() + b" error from " + ip + end
    if kind == "cont":
        return b"  at handler(" + ip + b")" + end
    if kind == "cont_run":  # more than a worker looks ahead for a timestamp
        return (b"  traceback " + ip + b"\n") * draw(st.integers(1, HEAD_LINES + 10))
    return end


logs = st.lists(line(), max_size=120).map(b"".join).flatmap(
    lambda data: st.sampled_from([data, data.rstrip(b"\r\n")])  # with and without a last newline
)

_WORKERS: dict[int, Workers] = {}


def workers(jobs: int) -> Workers:
    if jobs not in _WORKERS:
        _WORKERS[jobs] = Workers(jobs)
    return _WORKERS[jobs]


@pytest.fixture(scope="module", autouse=True)
def _close_pools():  # type: ignore[no-untyped-def]
    yield
    for w in _WORKERS.values():
        w.close(terminate=True)


def chunks_of(data: bytes, size: int) -> list[bytes]:
    if size > 0:
        return [data[i : i + size] for i in range(0, len(data), size)]
    # size 0: reads of changing sizes (a decompressor's), up to 2.9 MB
    import random

    rng, out, i = random.Random(len(data)), [], 0
    while i < len(data):
        n = rng.choice([1, 4096, 300_000, 1 << 20, (29 << 20) // 10])
        out.append(data[i : i + n])
        i += n
    return out


class ShortReads(io.RawIOBase):
    """A file whose reads return the sizes ``chunks_of`` cuts (a pipe's, a decompressor's)."""

    def __init__(self, data: bytes, read: int) -> None:
        self._sizes = iter([len(c) for c in chunks_of(data, read)])
        self._data, self._pos, self._left = data, 0, 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[no-untyped-def,override]
        if not self._left:
            self._left = next(self._sizes, 0)
        n = min(len(b), self._left)
        b[:n] = self._data[self._pos : self._pos + n]
        self._pos += n
        self._left -= n
        return n


def run(pump, data: bytes, s: Settings, read: int, readinto: bool = False) -> tuple[bytes, Stats]:  # type: ignore[no-untyped-def]
    """``readinto``: the input as ``files.Chunks`` over a file (what the CLI gives: --jobs reads
    it straight into the workers' shared memory), else as a list of chunks (copied in)."""
    out: list[bytes] = []
    streamer = Streamer(s)
    chunks = Chunks(ShortReads(data, read)) if readinto else chunks_of(data, read)
    pump(chunks, streamer, lambda b: out.append(bytes(b)))
    return b"".join(out), streamer.stats


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=logs,
    jobs=st.integers(1, 3),
    range_size=st.integers(1, 3000),
    read=st.integers(1, 5000),
    which=st.integers(0, len(SETTINGS) - 1),
    readinto=st.booleans(),
)
def test_jobs_n_gives_the_bytes_and_counts_of_one_process(
    data: bytes, jobs: int, range_size: int, read: int, which: int, readinto: bool
) -> None:
    s = SETTINGS[which]
    want, want_stats = run(_pump, data, s, read)
    w = workers(jobs)
    w.range_size = range_size
    got, got_stats = run(w.pump, data, s, read, readinto)
    assert got == want
    assert got_stats == want_stats


@given(data=logs, keep=st.booleans())
@settings(max_examples=80, deadline=None)
def test_a_range_scrubbed_both_ways_agrees_with_the_streamer_from_either_state(data: bytes, keep: bool) -> None:
    from scrubber.core import State

    s = SETTINGS[0]
    streamer = Streamer(s)
    streamer._state = State(keep, False)
    want = streamer.feed(data) + streamer.finish()
    r = scrub_range(data, s)
    head = r.heads[keep]
    got = head.out + (r.tail.out if r.tail is not None else b"")
    assert got == want
    assert (r.tail or head).keep == streamer._state.keep


def run_fds(w: Workers, datas: list[bytes], s: Settings) -> tuple[bytes, list[Stats]]:
    """Each of ``datas`` as a plain file, pumped one after the other into one real output
    file as ``files.scrub_file_to`` does it: the workers pread their ranges and write their
    output themselves (bytes the caller wrote before each file sit in the sink's buffer)."""
    import tempfile

    stats = []
    with tempfile.TemporaryDirectory() as tmp:
        out_path = os.path.join(tmp, "out")
        with open(out_path, "wb") as sink:
            for i, data in enumerate(datas):
                path = os.path.join(tmp, f"{i}.log")
                with open(path, "wb") as f:
                    f.write(data)
                sink.write(b"#%d\n" % i)  # not flushed: must come before the workers' bytes
                streamer = Streamer(s)
                with open(path, "rb", buffering=0) as raw:
                    w.pump(Chunks(raw, fd=raw.fileno()), streamer, sink.write, sink=sink)
                stats.append(streamer.stats)
        with open(out_path, "rb") as f:
            return f.read(), stats


def one_process(datas: list[bytes], s: Settings) -> tuple[bytes, list[Stats]]:
    outs, stats = [], []
    for i, data in enumerate(datas):
        got, st_ = run(_pump, data, s, 1 << 20)
        outs.append(b"#%d\n" % i + got)
        stats.append(st_)
    return b"".join(outs), stats


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    datas=st.lists(logs, min_size=1, max_size=3),
    jobs=st.integers(1, 3),
    range_size=st.integers(1, 3000),
    which=st.integers(0, len(SETTINGS) - 1),
)
def test_workers_that_read_and_write_the_files_themselves_give_the_bytes_and_counts_of_one_process(
    datas: list[bytes], jobs: int, range_size: int, which: int
) -> None:
    s = SETTINGS[which]
    w = workers(jobs)
    w.range_size = range_size
    assert run_fds(w, datas, s) == one_process(datas, s)


def _scrubber(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "scrubber", *args], cwd=cwd, capture_output=True, timeout=120, check=False
    )


def test_cli_jobs_on_files_and_in_place_match_jobs_1(tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from loggen import generate_lines

    names = []
    for i in range(3):
        lines = generate_lines(30_000, seed=i, end=dt.datetime(2024, 6, 30, tzinfo=dt.timezone.utc))
        # continuation lines right where a range may be cut
        text = "\n".join(lines[:15000] + ["  continued"] * 50 + lines[15000:]) + "\n"
        (tmp_path / f"{i}.log").write_text(text)
        names.append(f"{i}.log")
    opts = ["--max-age", "30d", "--now", "2024-07-01T00:00:00Z", "--timezone", "UTC", "--stats-json"]
    one = _scrubber(*opts, "--jobs", "1", *names, cwd=tmp_path)
    two = _scrubber(*opts, "--jobs", "2", *names, cwd=tmp_path)
    assert one.returncode == two.returncode == 0, two.stderr
    assert len(one.stdout) > 1_000_000
    assert two.stdout == one.stdout
    assert two.stderr == one.stderr  # the same counts
    default = _scrubber(*opts, *names, cwd=tmp_path)  # several files: every core by default
    assert default.stdout == one.stdout
    # --in-place with workers: each file rewritten to what --jobs 1 writes to stdout for it
    alone = [_scrubber(*opts[:-1], "--jobs", "1", n, cwd=tmp_path).stdout for n in names]
    done = _scrubber(*opts[:-1], "--jobs", "2", "--in-place", *names, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert [(tmp_path / n).read_bytes() for n in names] == alone
    assert not [p for p in os.listdir(tmp_path) if "scrubber-tmp" in p]


@pytest.mark.parametrize("readinto", [False, True], ids=["chunks", "readinto"])
@pytest.mark.parametrize("read", [1 << 20, (5 << 20) // 2, 3 << 20, 0])
def test_long_lines_and_big_reads_take_the_cut_and_giant_line_paths_with_the_same_bytes(read: int, readinto: bool) -> None:
    import random

    rng = random.Random(read)
    t = NOW.strftime("%d/%b/%Y:%H:%M:%S +0000").encode()
    old = (NOW - dt.timedelta(days=40)).strftime("%d/%b/%Y:%H:%M:%S +0000").encode()
    parts = []
    for _ in range(40 if read else 300):
        stamp = t if rng.random() < 0.5 else old
        longest = [120_000, 200_000] if read else [40_000]  # lines up to 2.4 MB (0.5 MB)
        filler = b"a=192.0.2.1 " * rng.choice([3, 10, 5_000, *longest])
        parts.append(b"198.51.100.7 - - [" + stamp + b"] " + filler + b"\n")
        if rng.random() < 0.3:
            parts.append(b"  continued 2001:db8::1\n" * rng.randint(1, 80))
    data = b"".join(parts)
    s = SETTINGS[0]
    want, want_stats = run(_pump, data, s, read)
    with Workers(2, range_size=1 << 20) as w:
        got, got_stats = run(w.pump, data, s, read, readinto)
        assert got == want
        assert got_stats == want_stats


@pytest.mark.parametrize("where", [0, 1, 2])
def test_a_line_longer_than_a_workers_buffer_is_scrubbed_on_by_the_parent_with_the_same_bytes(where: int) -> None:
    """Workers reading the file themselves: a 4 MB line, past the buffer of a 1 MiB range."""
    t = NOW.strftime("%d/%b/%Y:%H:%M:%S +0000").encode()
    old = (NOW - dt.timedelta(days=40)).strftime("%d/%b/%Y:%H:%M:%S +0000").encode()
    lines = [b"198.51.100.%d - - [%s] GET /x 2001:db8::%x\n" % (i % 250, t if i % 3 else old, i) for i in range(30_000)]
    giant = b"203.0.113.9 - - [" + old + b"] " + b"a=192.0.2.1 " * 350_000 + b"\n" + b"  continued 10.0.0.1\n" * 5
    cut = [1, 9_000, 29_999][where]
    data = b"".join(lines[:cut]) + giant + b"".join(lines[cut:])
    datas = [data, giant + data, data + giant.rstrip(b"\n")]
    with Workers(2, range_size=1 << 20) as w:
        assert run_fds(w, datas, SETTINGS[0]) == one_process(datas, SETTINGS[0])

"""`check --jobs N`: a JSON Lines file split over worker processes gives the output of one
process, byte for byte, in every format; the IR the workers get is plain, picklable data."""

from __future__ import annotations

from collections import Counter

import json
import os
import pickle
import random

import pytest
from check_support import write_setup
from click.testing import CliRunner

from policyengine import compile_policy, load_policy
from policyengine.checking.binding import load_binding
from policyengine.cli import main
from policyengine.checking.evaluate import lower_to_python
from policyengine.checking.reading import Stats
from policyengine.checking.findings import Finding, as_tuples
from policyengine.checking.run import check_source, jobs_for, run_check
from policyengine.checking.records import line_ranges, open_source, read_range

NOW = "2026-11-21T12:00:00+00:00"
BINDING = """timezone: Europe/Stockholm
columns:
  key: id
  purpose: purpose
  subject: subject
  categories: categories
  recipients: recipients
  recipient_country: country
  collected: collected
  last_activity: last_activity
  contract_end: contract_end
  transaction: transaction
  consent_given: consent_given
  consent_withdrawn: consent_withdrawn
  erasure_requested: erasure_requested
  deleted: deleted
  request_received: request_received
  request_extended: request_extended
  request_answered: request_answered
"""
PURPOSES = ["marketing", "cctv", "books", "backups", "care", "support", "telemarketing"]
FIELDS = ["collected", "last_activity", "contract_end", "transaction", "consent_given",
          "consent_withdrawn", "erasure_requested", "deleted", "request_received",
          "request_extended", "request_answered"]


def a_date(rng: random.Random):
    roll = rng.random()
    if roll < 0.35:
        return None
    y, m, d = rng.randint(2017, 2026), rng.randint(1, 12), rng.randint(1, 28)
    if roll < 0.55:
        return f"{y}-{m:02d}-{d:02d}"
    if roll < 0.75:
        return f"{y}-{m:02d}-{d:02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z"
    if roll < 0.9:
        return f"{y}-{m:02d}-{d:02d} {rng.randint(0, 23):02d}:30:00{rng.choice(['', '+05:00', '-11:00'])}"
    return rng.choice(["2026-02-30", "21/11/2024", 20241121, "", "2026-10-20T22:30:00.5+01:00",
                       "2026-10-21T01:00:00+05:00", "2024-02-29"])


def records(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        r = {"id": f"r{i}" if rng.random() < 0.95 else rng.choice([i, None, "ключ-é\"\\", 1.5]),
             "purpose": rng.choice(PURPOSES),
             "subject": rng.choice(["customer", "customer", "visitor", None, "martian"]),
             "categories": rng.choice([None, None, "contact", "contact;health_data", ["contact"]]),
             "recipients": rng.choice([None, None, "eu_mail", "us_crm", "adnet"]),
             "country": rng.choice([None, None, "US", "SE"])}
        for f in FIELDS:
            r[f] = a_date(rng)
        if i and rng.random() < 0.2:  # later records may leave keys out
            del r[rng.choice(FIELDS)]
        out.append(r)
    return out


def write_jsonl(path, rows, *, blank_lines=True, crlf=False, final_newline=True) -> None:
    rng = random.Random(3)
    lines = []
    for r in rows:
        lines.append(json.dumps(r, ensure_ascii=rng.random() < 0.5))
        if blank_lines and rng.random() < 0.02:
            lines.append(rng.choice(["", "   ", "\t"]))
    text = ("\r\n" if crlf else "\n").join(lines) + ("\n" if final_newline else "")
    path.write_text(text, encoding="utf-8")


@pytest.fixture()
def setup(tmp_path):
    return write_setup(tmp_path, BINDING)


def run(policy, binding, source, *extra):
    return CliRunner().invoke(main, ["check", str(policy), "-b", str(binding), "-r", str(source),
                                     "--now", NOW, *extra])


FORMATS = [("--format", "text"), ("--format", "json"), ("--format", "jsonl"), ("--format", "csv"),
           ("--format", "sarif"), ("--summary",)]


@pytest.mark.parametrize("shape, formats", [({}, FORMATS), ({"crlf": True}, FORMATS[2:3]),
                                            ({"final_newline": False}, FORMATS[:1])])
def test_jobs_give_the_same_output_in_every_format(setup, monkeypatch, shape, formats):
    tmp, policy, binding = setup
    source = tmp / "records.jsonl"
    write_jsonl(source, records(1000), **shape)
    monkeypatch.setenv("POLICYENGINE_CHUNK_BYTES", "7000")  # about 20 pieces
    assert len(list(line_ranges(str(source), 7000))) > 10
    for fmt in formats:
        one = run(policy, binding, source, "--jobs", "1", *fmt)
        two = run(policy, binding, source, "--jobs", "2", *fmt)
        assert one.exit_code == 1, one.output
        assert two.exit_code == one.exit_code
        assert (two.stdout, two.stderr) == (one.stdout, one.stderr), fmt


def test_a_bad_line_stops_at_the_same_place(setup, monkeypatch):
    tmp, policy, binding = setup
    rows = records(800)
    source = tmp / "records.jsonl"
    write_jsonl(source, rows, blank_lines=False)
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[600] = '{"id": "broken", \n'
    source.write_text("".join(lines), encoding="utf-8")
    monkeypatch.setenv("POLICYENGINE_CHUNK_BYTES", "5000")
    one = run(policy, binding, source, "--jobs", "1", "--format", "jsonl")
    two = run(policy, binding, source, "--jobs", "2", "--format", "jsonl")
    assert one.exit_code == two.exit_code == 2
    assert "records.jsonl:601: not valid JSON" in one.stderr
    assert (two.stdout, two.stderr) == (one.stdout, one.stderr)
    assert one.stdout.count("\n") > 10  # the findings before the bad line
    lines[600] = "[1, 2]\n"
    source.write_text("".join(lines), encoding="utf-8")
    one = run(policy, binding, source, "--jobs", "1", "--format", "csv")
    two = run(policy, binding, source, "--jobs", "2", "--format", "csv")
    assert one.exit_code == two.exit_code == 2
    assert "records.jsonl:601: a record must be a JSON object" in one.stderr
    assert (two.stdout, two.stderr) == (one.stdout, one.stderr)


def test_library_check_source_with_jobs(setup, monkeypatch):
    tmp, policy, binding = setup
    source = tmp / "records.jsonl"
    write_jsonl(source, records(600))
    monkeypatch.setenv("POLICYENGINE_CHUNK_BYTES", "4000")
    compiled, bound = compile_policy(load_policy(str(policy))), load_binding(str(binding))
    found = []
    for jobs in (1, 2):
        stats = Stats()
        with open_source(str(source)) as s:
            found.append((list(check_source(compiled, s, bound, NOW, stats, jobs=jobs)), stats.records))
    assert found[0] == found[1] and found[0][1] == 600


class _ListSink:
    """A sink that keeps findings (chunks from workers come as plain tuples)."""

    def __init__(self):
        self.findings = []

    def add(self, finding):
        self.findings.append(finding)

    def add_chunk(self, payload):
        self.findings.extend(Finding(*t) for t in payload)

    def chunk_renderer(self):
        return as_tuples


@pytest.mark.parametrize("jobs", [1, 2])
def test_run_check_is_check_source_over_every_source(setup, monkeypatch, jobs):
    tmp, policy, binding = setup
    first, second = tmp / "a.jsonl", tmp / "b.jsonl"
    write_jsonl(first, records(400))
    write_jsonl(second, records(250, seed=11))
    monkeypatch.setenv("POLICYENGINE_CHUNK_BYTES", "5000")
    compiled, bound = compile_policy(load_policy(str(policy))), load_binding(str(binding))
    expected, stats = [], Stats()
    for path in (first, second):
        with open_source(str(path)) as s:
            expected += list(check_source(compiled, s, bound, NOW, stats))
    sink = _ListSink()
    with open_source(str(first)) as a, open_source(str(second)) as b:
        records_read, counts = run_check(compiled, [a, b], bound, lower_to_python(compiled, bound, NOW).now,
                                         sink, jobs=jobs)
    assert sink.findings == expected and expected
    assert records_read == stats.records == 650
    assert counts == Counter(f.code for f in expected)


def test_spawned_workers_get_the_ir_pickled(setup, monkeypatch):
    tmp, policy, binding = setup
    source = tmp / "records.jsonl"
    write_jsonl(source, records(300))
    monkeypatch.setenv("POLICYENGINE_CHUNK_BYTES", "8000")
    monkeypatch.setenv("POLICYENGINE_MP_CONTEXT", "spawn")
    one = run(policy, binding, source, "--jobs", "1", "--format", "jsonl")
    two = run(policy, binding, source, "--jobs", "2", "--format", "jsonl")
    assert two.output == one.output and two.exit_code == one.exit_code == 1


def test_ir_is_plain_picklable_data(setup):
    _, policy, binding = setup
    compiled, bound = compile_policy(load_policy(str(policy))), load_binding(str(binding))
    lowered = lower_to_python(compiled, bound, NOW)
    again = pickle.loads(pickle.dumps((compiled, bound, lowered.now)))
    assert again[0] == compiled and again[0].to_dict() == compiled.to_dict()
    assert lower_to_python(*again).to_dict() == lowered.to_dict()


def test_ranges_cut_at_newlines_and_count_lines(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"a\n\nbbbb\r\nccccccc\nd")
    ranges = list(line_ranges(str(path), 3))
    assert ranges[0][0] == 0 and ranges[-1][1] == path.stat().st_size
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    lines = []
    for start, end, before in ranges:
        assert before == len(lines)
        got, restore = read_range(str(path), start, end)
        lines += got
    assert lines == [b"a", b"", b"bbbb\r", b"ccccccc", b"d"]


def test_default_jobs(setup, monkeypatch):
    tmp, policy, binding = setup
    source = tmp / "records.jsonl"
    write_jsonl(source, records(50))
    with open_source(str(source)) as s:
        assert jobs_for(s, 3) == 3
        assert jobs_for(s, 0) == 1  # a small file: one process
        monkeypatch.setenv("POLICYENGINE_PARALLEL_BYTES", "100")
        monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1}, raising=False)
        assert jobs_for(s, 0) == 2
    csv_file = tmp / "r.csv"
    csv_file.write_text("id,purpose\n1,cctv\n", encoding="utf-8")
    with open_source(str(csv_file)) as s:
        assert jobs_for(s, 0) == 1


def test_workers_read_the_file_the_parent_opened_never_the_name_again(setup, monkeypatch):
    """The file is opened once: renamed over by another one while the workers run, the
    ranges still come from the file the run began with (forked workers pread the
    parent's descriptor)."""
    from policyengine.checking.parallel import check_file_parallel

    tmp, policy, binding = setup
    first, other = tmp / "records.jsonl", tmp / "other.jsonl"
    write_jsonl(first, records(400))
    write_jsonl(other, records(400, seed=99))
    monkeypatch.setenv("POLICYENGINE_CHUNK_BYTES", "4000")
    compiled, bound = compile_policy(load_policy(str(policy))), load_binding(str(binding))
    lowered = lower_to_python(compiled, bound, NOW)
    want = list(check_file_parallel(lowered, str(first), "r", 2, Stats()))
    got, ranges = [], check_file_parallel(lowered, str(first), "r", 2, Stats())
    got.append(next(ranges))
    os.replace(other, first)  # the name now holds other records
    got += list(ranges)
    assert got == want and len(want) > 10

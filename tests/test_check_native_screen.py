"""The optional native screen (src/policyengine/_screen.c): `check` gives the same output with
it as without it (POLICYENGINE_PURE_SCREEN=1), every line it clears is one `evaluate` reports
nothing for, and no bytes crash it."""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta

import orjson
import pytest
from check_support import ROOT, compiled_policy, write_policy
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from test_check_parallel import BINDING, FIELDS, PURPOSES, records, write_jsonl

from policyengine.checking.binding import Binding
from policyengine.cli import main
from policyengine.checking.evaluate import lower_to_python
from policyengine.checking.reading import check_lines
from policyengine.checking.screens import _native_screen

pytestmark = pytest.mark.skipif(_native_screen is None, reason="the native screen was not built")

NOW = "2026-11-21T12:00:00+00:00"
EXAMPLES_NOW = "2026-11-21T12:00:00+01:00"
# A binding where the key and purpose columns are shared with nothing; every field bound.
COLUMNS = ["id", "purpose", "subject", "categories", "recipients", "country"] + FIELDS


def invoke(monkeypatch, pure: bool, *args):
    if pure:
        monkeypatch.setenv("POLICYENGINE_PURE_SCREEN", "1")
    else:
        monkeypatch.delenv("POLICYENGINE_PURE_SCREEN", raising=False)
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def same_both_ways(monkeypatch, *args):
    native = invoke(monkeypatch, False, *args)
    pure = invoke(monkeypatch, True, *args)
    assert native == pure
    return native


# ---- (1) the whole command, native screen on and off ----------------------------------------
@pytest.mark.parametrize("org, sources", [("bano", ["examples/bano/records.jsonl"]),
                                          ("balcoo", ["examples/balcoo/contacts.csv",
                                                      "examples/balcoo/requests.jsonl"])])
@pytest.mark.parametrize("fmt", ["jsonl", "text"])
def test_examples_same_output(monkeypatch, org, sources, fmt):
    args = ["check", ROOT / f"rules/{org}.policy", "-b", ROOT / f"examples/{org}/binding.yaml",
            "--now", EXAMPLES_NOW, "--format", fmt]
    for s in sources:
        args += ["-r", ROOT / s]
    code, out, _ = same_both_ways(monkeypatch, *args)
    assert code == 1 and out


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_benchmark_data_same_output(monkeypatch, tmp_path, jobs):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from check_data import NOW as BENCH_NOW
        from check_data import write_policy as bench_policy
        from check_data import write_records
    finally:
        sys.path.pop(0)
    policy, binding = bench_policy(tmp_path)
    source = tmp_path / "records.jsonl"
    write_records(source, 20_000)
    monkeypatch.setenv("POLICYENGINE_CHUNK_BYTES", "300000")
    for fmt in ("jsonl", "text"):
        code, out, _ = same_both_ways(monkeypatch, "check", policy, "-b", binding, "-r", source,
                                      "--now", BENCH_NOW, "--format", fmt, "--jobs", jobs)
        assert code == 1 and out.count("\n") > 1000


@pytest.mark.parametrize("shape", [{}, {"crlf": True}, {"final_newline": False}])
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_generated_records_same_output(monkeypatch, tmp_path, shape, jobs):
    policy = write_policy(tmp_path)
    binding = tmp_path / "binding.yaml"
    binding.write_text(BINDING, encoding="utf-8")
    source = tmp_path / "records.jsonl"
    write_jsonl(source, records(1500), **shape)
    monkeypatch.setenv("POLICYENGINE_CHUNK_BYTES", "20000")
    for fmt in ("jsonl", "text"):
        code, out, _ = same_both_ways(monkeypatch, "check", policy, "-b", binding, "-r", source,
                                      "--now", NOW, "--format", fmt, "--jobs", jobs)
        assert code == 1


def test_purpose_is_and_a_bad_line(monkeypatch, tmp_path):
    policy = write_policy(tmp_path)
    binding = tmp_path / "binding.yaml"
    binding.write_text(BINDING + "sources:\n  records.jsonl:\n    purpose_is: backups\n", encoding="utf-8")
    source = tmp_path / "records.jsonl"
    write_jsonl(source, records(800), blank_lines=True)
    args = ["check", policy, "-b", binding, "-r", source, "--now", NOW, "--format", "jsonl"]
    code, out, _ = same_both_ways(monkeypatch, *args)
    assert code == 1
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[500] = '{"id": "broken", "deleted": "2026-11-20"\n'
    source.write_text("".join(lines), encoding="utf-8")
    code, out, err = same_both_ways(monkeypatch, *args)
    assert code == 2 and "records.jsonl:501: not valid JSON" in err


# ---- (1, 2) odd records, line by line ---------------------------------------------------------
@pytest.fixture(scope="module")
def lowered_pair(tmp_path_factory):
    policy = compiled_policy(tmp_path_factory.mktemp("native"))
    binding = Binding({f: c for f, c in zip(["key", "purpose", "subject", "categories", "recipients",
                                             "recipient_country"] + FIELDS, COLUMNS)},
                      timezone="Europe/Stockholm")
    native = lower_to_python(policy, binding, NOW)
    pure = lower_to_python(policy, binding, NOW)
    pure._native_tried, pure.native = True, None
    assert native.native_plan() is not None
    return native, pure


def thresholds(lowered) -> list[date]:
    days = {max(lr.hi, lr.hi_ext) + k for lp in lowered.purposes.values() for lr in lp.erase
            for k in (-1, 0, 1)}
    if lowered.deadline is not None:
        days.add(lowered.deadline.cut)
    return sorted(date.fromordinal(d) for d in days)


TAILS = ["", "T00:00:00Z", "T23:59:59Z", " 12:00:00", "T00:30:00+14:00", "T23:30:00-11:00",
         "T10:00:00+01:00", "T10:00:00.5Z", "T24:00:00", "T10:00", "t10:00:00", "T10:00:00z", "x",
         "T10:00:00+0100", " ", "T10:60:00Z"]
ODD_STRINGS = ["", " ", "customer", "visitor", "martian", "contact", "cust\\u006fmer", "ключ",
               "a\\\"b", "\\ud83d\\ude00", "é\u00e9", "2026-02-30", "2026-13-01", "0000-01-01",
               "21/11/2024", "2024-02-29", "2023-02-29", "10000-01-01", "+2026-01-01", " 2026-01-01"]
RAW = ["null", "true", "false", "0", "-1.5e3", "20241121", "[]", "[1, [2, {\"a\": null}]]",
       "{\"x\": {\"y\": [\"\\\\\", \"\\u00e9\"]}}", "{}", "1e400", "01", "-", "\"\\ud800\"", "nul",
       "\"\x01\"", "123456789012345678901234567890123"]


@st.composite
def a_value(draw, days: list[date]) -> str:
    roll = draw(st.integers(0, 9))
    if roll < 5:
        day = draw(st.sampled_from(days)) + timedelta(days=draw(st.integers(-3, 3)))
        return json.dumps(day.isoformat() + draw(st.sampled_from(TAILS)), ensure_ascii=False)
    if roll < 7:
        return '"' + draw(st.sampled_from(ODD_STRINGS)) + '"'
    if roll < 8:
        return json.dumps(draw(st.text(max_size=8)), ensure_ascii=draw(st.booleans()))
    return draw(st.sampled_from(RAW))


@st.composite
def a_line(draw, days: list[date]) -> bytes:
    roll = draw(st.integers(0, 19))
    if roll == 0:
        return draw(st.sampled_from([b"", b"   ", b"\t", b"\r", b"[1, 2]", b"\"x\"", b"null", b"{",
                                     b"{\"id\": 1,}", b"{} {}", b"\xef\xbb\xbf{}", b"{}\x0c"]))
    keys = list(COLUMNS)
    pairs = []
    for k in keys:
        if draw(st.integers(0, 9)) == 0:
            continue  # a key left out
        if k == "purpose":
            v = json.dumps(draw(st.sampled_from(PURPOSES + ["nope", "Backups"]))) \
                if draw(st.integers(0, 9)) else draw(st.sampled_from(RAW + ['"back\\u0075ps"']))
        elif k == "subject":
            v = draw(st.sampled_from(['"customer"', '"visitor"', "null", '""'])) \
                if draw(st.integers(0, 3)) else draw(a_value(days))
        elif k in ("categories", "recipients", "consent_withdrawn", "erasure_requested",
                   "request_received", "request_extended", "request_answered", "country"):
            v = "null" if draw(st.integers(0, 2)) else draw(a_value(days))
        else:
            v = draw(a_value(days))
        pairs.append((k, v))
    for _ in range(draw(st.integers(0, 2))):  # irrelevant keys, of any kind
        pairs.insert(draw(st.integers(0, len(pairs))),
                     (draw(st.sampled_from(["note", "x\"y", "é", "ids"])), draw(a_value(days))))
    if pairs and draw(st.integers(0, 9)) == 0:  # a duplicate key
        pairs.append(draw(st.sampled_from(pairs)))
    if pairs and draw(st.integers(0, 14)) == 0:  # an escaped key spelling a bound column
        i = draw(st.integers(0, len(pairs) - 1))
        pairs[i] = ("\\u00" + format(ord(pairs[i][0][0]), "02x") + pairs[i][0][1:], pairs[i][1])
    space = draw(st.sampled_from(["", " ", "\t", "\r"]))
    text = "{" + space + ("," + space).join(
        '"' + (k.replace('"', '\\"') if k == 'x"y' else k) + '"' + space + ":" + space + v
        for k, v in pairs) + space + "}"
    text += draw(st.sampled_from(["", "", "", "\r", " ", " x", "}"]))
    data = text.encode("utf-8")
    if draw(st.integers(0, 29)) == 0:  # bad UTF-8 somewhere
        i = draw(st.integers(0, len(data)))
        data = data[:i] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xc0\xaf"])) + data[i:]
    return data


def run_lines(lowered, lines: list[bytes]):
    out: list = []
    try:
        n = check_lines(lowered, "t", 1, list(lines), len(lines), lowered.columns, out)
    except Exception as err:  # noqa: BLE001 - a LineError: compared as text
        return out, f"{type(err).__name__}: {err}"
    return out, n


@given(data=st.data())
def test_odd_lines_same_findings(lowered_pair, data):
    native, pure = lowered_pair
    lines = data.draw(st.lists(a_line(thresholds(native)), min_size=1, max_size=12))
    assert run_lines(native, lines) == run_lines(pure, lines)


@given(data=st.data())
def test_cleared_lines_have_nothing_to_report(lowered_pair, data):
    """Soundness: a line the native screen clears is a JSON object `evaluate` says nothing of."""
    native, _ = lowered_pair
    lines = data.draw(st.lists(a_line(thresholds(native)), min_size=1, max_size=12))
    attention = set(_native_screen.scan(lines, native.native_plan()))
    for i, line in enumerate(lines):
        if i in attention:
            continue
        record = orjson.loads(line)
        assert isinstance(record, dict)
        values = tuple(record.get(c) for c in native.columns)
        assert native.evaluate("t", i + 1, values) == [], line


def test_plain_records_are_cleared(lowered_pair):
    """The screen does clear the common case (else it would be correct but useless)."""
    native, _ = lowered_pair
    record = {c: None for c in COLUMNS}
    record.update(id="r1", purpose="backups", subject="customer", deleted="2026-11-20T10:00:00Z")
    plain = json.dumps(record).encode()
    assert _native_screen.scan([plain, plain.replace(b"2026-11-20", b"2026-09-01")],
                               native.native_plan()) == [1]


# ---- (3) robustness ------------------------------------------------------------------------
@given(st.lists(st.binary(max_size=200), max_size=8))
def test_random_bytes_never_crash(lowered_pair, lines):
    native, _ = lowered_pair
    got = _native_screen.scan(lines, native.native_plan())
    assert all(0 <= i < len(lines) for i in got) and got == sorted(set(got))


@given(data=st.data())
def test_cut_and_flipped_lines_never_crash(lowered_pair, data):
    native, _ = lowered_pair
    line = data.draw(a_line(thresholds(native)))
    plan = native.native_plan()
    for cut in range(len(line) + 1):
        _native_screen.scan([line[:cut]], plan)
    i = data.draw(st.integers(0, max(0, len(line) - 1)))
    flipped = line[:i] + bytes([data.draw(st.integers(0, 255))]) + line[i + 1:]
    (cleared,) = [not _native_screen.scan([flipped], plan)]
    if cleared:
        assert isinstance(orjson.loads(flipped), dict)


def test_odd_arguments(lowered_pair):
    native, _ = lowered_pair
    plan = native.native_plan()
    assert _native_screen.scan([b"{}", "{}", None, b"[" * 100000], plan) == [0, 1, 2, 3]
    with pytest.raises(TypeError):
        _native_screen.scan((b"{}",), plan)
    with pytest.raises((TypeError, ValueError)):
        _native_screen.scan([b"{}"], object())
    for spec in [(), ((b"a",), 0, 0, ()), ((b"a",), 0, -1, ((b"p", ((9, b"0000-00-00", ()),)),)),
                 ((b"a",), 0, -1, ((b"p", ((1, b"short", ()),)),)), (("a",), 0, -1, ())]:
        with pytest.raises((TypeError, ValueError)):
            _native_screen.compile(spec)

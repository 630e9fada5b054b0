"""orjson and the standard library's json (POLICYENGINE_PURE_JSON=1) read the same records
and write the same findings: byte-identical output on the examples and on generated records
with odd values (unicode, escapes, nulls, numbers, nested values)."""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys

import orjson
import pytest
from check_support import ROOT, write_policy
from hypothesis import given, settings
from hypothesis import strategies as st

from policyengine.checking.records import _json_loads

NOW = "2026-11-21T12:00:00+01:00"
FORMATS = [["--format", f] for f in ("text", "json", "jsonl", "csv", "sarif")] + [["--summary"]]

# Runs every case in one process and prints {case: [exit code, stdout, stderr]} as JSON.
RUNNER = """
import json, sys
from click.testing import CliRunner
from policyengine.cli import main
from policyengine.checking import records
cases = json.loads(sys.stdin.read())
out = {"pure": records.PURE_JSON}
for name, args in cases.items():
    r = CliRunner().invoke(main, args)
    crash = None if r.exception is None or isinstance(r.exception, SystemExit) else repr(r.exception)
    out[name] = [r.exit_code, r.stdout, r.stderr, crash]
print(json.dumps(out))
"""


def run_both(cases: dict) -> tuple[dict, dict]:
    results = []
    for pure in ("0", "1"):
        env = dict(os.environ, POLICYENGINE_PURE_JSON=pure)
        done = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps(cases), env=env,
                              capture_output=True, text=True, check=True)
        results.append(json.loads(done.stdout))
    fast, pure = results
    assert fast.pop("pure") is False and pure.pop("pure") is True
    return fast, pure


ODD_STRINGS = ["", "é", "ключ", "日本語", "😀", "e\u0301", "\u202eRTL", "tab\there", "new\nline",
               'quote"', "back\\slash", "nul\u0000", "\u001f\u007f", "\u2028\u2029", "/slash",
               "semi;colon", " padded ", "customer", "contact;health_data", "eu_mail;adnet"]
ODD_NUMBERS = [0, 1, -1, 2**63 - 1, 2**63, 2**64 - 1, 2**64, -2**63, -2**63 - 1, 10**30, 1.5,
               -0.0, 1e300, 1.5e-7, 0.1, 20241121]


def odd_value(rng: random.Random, depth: int = 0):
    roll = rng.random()
    if roll < 0.25:
        return None
    if roll < 0.55:
        return rng.choice(ODD_STRINGS)
    if roll < 0.7:
        return rng.choice(ODD_NUMBERS)
    if roll < 0.75:
        return rng.choice([True, False])
    if roll < 0.85 and depth < 2:
        return [odd_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if roll < 0.9 and depth < 2:
        return {rng.choice(ODD_STRINGS): odd_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}
    y, m, d = rng.randint(2015, 2026), rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice([f"{y}-{m:02d}-{d:02d}", f"{y}-{m:02d}-{d:02d}T10:00:00Z",
                       f"{y}-{m:02d}-{d:02d} 23:30:00+05:00", "2026-02-30", "21/11/2024"])


def odd_scalar(rng: random.Random):
    value = odd_value(rng)
    return value if not isinstance(value, (list, dict)) else rng.choice(ODD_STRINGS)


COLUMNS = ["id", "purpose", "subject", "categories", "recipients", "recipient_country", "collected",
           "last_activity", "contract_end", "transaction", "consent_given", "consent_withdrawn",
           "erasure_requested", "deleted", "request_received", "request_extended",
           "request_answered"]


def generated(path, n: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            record = {c: None for c in COLUMNS}
            record["id"] = odd_value(rng) if rng.random() < 0.3 else f"r{i}"
            record["purpose"] = rng.choice(["marketing", "cctv", "books", "backups", "care", "support",
                                            "support"]) if rng.random() < 0.8 else odd_scalar(rng)
            for c in COLUMNS[2:]:
                if rng.random() < 0.5:
                    # a list or an object as the purpose or subject stops `check` with a
                    # traceback (unhashable), with either parser: not what is compared here
                    record[c] = odd_scalar(rng) if c == "subject" else odd_value(rng)
            record[rng.choice(ODD_STRINGS) or "x"] = odd_value(rng)  # a column nobody reads
            # both escaped and raw unicode, and sometimes spaces in the JSON itself
            line = json.dumps(record, ensure_ascii=rng.random() < 0.5,
                              separators=(",", ":") if rng.random() < 0.5 else (", ", ": "))
            f.write(line + "\n")


def test_examples_and_generated_records_give_identical_output(tmp_path):
    cases = {}
    for org, sources in {"binero": ["records.csv"], "bano": ["records.jsonl"],
                         "balcoo": ["contacts.csv", "requests.jsonl"]}.items():
        for fmt in FORMATS:
            args = ["check", str(ROOT / f"rules/{org}.policy"), "-b", str(ROOT / f"examples/{org}/binding.yaml"),
                    "--now", NOW, *fmt]
            for s in sources:
                args += ["-r", str(ROOT / f"examples/{org}/{s}")]
            cases[f"{org} {' '.join(fmt)}"] = args
    policy = write_policy(tmp_path)
    for seed in (1, 2):
        records = tmp_path / f"odd{seed}.jsonl"
        generated(records, 400, seed)
        for fmt in FORMATS:
            cases[f"odd{seed} {' '.join(fmt)}"] = ["check", str(policy), "-r", str(records), "--now", NOW,
                                                   "--timezone", "Europe/Stockholm", *fmt]
    fast, pure = run_both(cases)
    assert fast.keys() == pure.keys() == cases.keys()
    for name in cases:
        assert fast[name] == pure[name], name
        assert fast[name][0] == 1 and fast[name][3] is None, (name, fast[name][2:])


def test_unreadable_lines_fail_at_the_same_line(tmp_path):
    policy = write_policy(tmp_path)
    cases = {}
    for i, bad in enumerate(['{"id": ', "NaN", '{"id": NaN}', '{"id": Infinity}', "[1]", '"text"',
                             '{"id": "a"} x', "\u00ff\u00fe"]):
        path = tmp_path / f"bad{i}.jsonl"
        first = dict(dict.fromkeys(COLUMNS), id="a", purpose="cctv", collected="2026-01-01")
        path.write_text(json.dumps(first) + "\n" + bad + "\n", encoding="utf-8")
        cases[bad] = ["check", str(policy), "-r", str(path), "--now", NOW, "--format", "jsonl"]
    fast, pure = run_both(cases)
    for name in cases:
        assert fast[name][0] == pure[name][0] == 2, name
        # the parsers word their complaints differently; the place is the same
        assert fast[name][2].split(": ")[:3] == pure[name][2].split(": ")[:3], name
        assert ":2: " in fast[name][2]


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b


text = st.text(st.characters(blacklist_categories=("Cs",)))  # orjson refuses lone surrogates
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False, allow_infinity=False) | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(value=json_values, ascii_only=st.booleans())
def test_fallback_parser_reads_what_orjson_reads(value, ascii_only):
    data = json.dumps(value, ensure_ascii=ascii_only).encode()
    assert same(_json_loads(data), orjson.loads(data))


@pytest.mark.parametrize("text", ["NaN", "-Infinity", '{"a": Infinity}'])
def test_fallback_parser_refuses_what_orjson_refuses(text):
    with pytest.raises(ValueError):
        _json_loads(text)
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(text)

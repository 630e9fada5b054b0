"""Policy tests, as `opa test` is for Rego: records, a moment, and the findings expected.

A test file sits beside its policy, named as the binding is: ``rules/x.policy`` ->
``rules/x.tests.yaml`` (format in docs/testing.md)::

    policy: x.policy            # optional: default, the file's name with .tests.yaml -> .policy
    binding: x.binding.yaml     # optional: a path (relative to this file) or a mapping;
                                # default: the policy's binding, else columns named as the fields
    timezone: Europe/Stockholm  # optional, for the default binding
    tests:
      - name: footage erased the day after three months
        now: 2026-04-02T12:00:00+02:00
        records:
          - {id: c1, purpose: cctv, subject: premises_visitor, categories: cctv_footage,
             collected: 2026-01-01}
        expect:                 # exactly these findings (any order); [] for none
          - {code: PC101, record: c1, due: 2026-04-01}   # due optional

The records go through the library (``policyengine.checking.run.check``) as a check run
would read them. YAML is loaded safely, scalars that look like dates stay text (as in a
CSV file), and aliases are refused (a test file is small; `*a` repeated is a bomb).
A clause is *exercised* when some test's findings cite it (Finding.rule); coverage is
exercised clauses over every rule of the compiled policy.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from .checking.binding import Binding, find_binding, load_binding, parse_binding
from .checking.compile import CompiledPolicy, Rule, compile_policy
from .checking.dates import get_zone, parse_now
from .checking.findings import CODES, Finding
from .checking.run import check
from .language.diagnostics import PolicyError
from .language.loading import load_policy
from .safe_yaml import LineMap, YamlRefused, load as load_yaml

SUFFIX = ".tests.yaml"
_TOP_KEYS = ("policy", "binding", "timezone", "tests")
_TEST_KEYS = ("name", "now", "records", "expect")
_EXPECT_KEYS = ("code", "record", "due")


class TestFileError(PolicyError):
    """A test file that cannot be read or does not say what it should (exit 2)."""

    __test__ = False  # not a pytest class


@dataclass(frozen=True)
class Expected:
    code: str
    record: str
    due: str | None = None

    def matches(self, f: Finding) -> bool:
        return (f.code == self.code and f.record == self.record
                and (self.due is None or (f.due is not None and f.due.isoformat() == self.due)))

    def __str__(self) -> str:
        return f"{self.code} {self.record}" + (f" due {self.due}" if self.due else "")


@dataclass(frozen=True)
class PolicyTest:
    __test__ = False
    file: str
    line: int
    name: str
    now: str
    records: list[dict]
    expect: list[Expected]


@dataclass
class TestSuite:
    __test__ = False
    file: str
    policy_path: str
    compiled: CompiledPolicy
    binding: Binding
    tests: list[PolicyTest]


@dataclass
class Outcome:
    test: PolicyTest
    missing: list[Expected]  # expected, not found
    unexpected: list[Finding]  # found, not expected
    findings: list[Finding] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.missing and not self.unexpected


def describe(f: Finding) -> str:
    due = f" due {f.due.isoformat()}" if f.due else ""
    return f"{f.code} {f.record}{due} ({f.rule or f.location}: {f.message})"


def find_test_files(path: str) -> list[str]:
    """PATH as given: a test file, a policy (its x.tests.yaml), or a directory walked for
    *.tests.yaml (hidden folders and symlinks skipped)."""
    p = Path(path)
    if p.is_dir():
        found = []
        for child in sorted(p.rglob(f"*{SUFFIX}")):
            rel = child.relative_to(p)
            if any(part.startswith(".") for part in rel.parts) or child.is_symlink():
                continue
            found.append(str(child))
        return found
    if p.name.endswith(".policy"):
        p = p.with_suffix(SUFFIX)
    if not p.is_file():
        raise TestFileError(f"{p}: no such test file")
    return [str(p)]


def _err(file: str, line: int, message: str) -> TestFileError:
    return TestFileError(f"{file}:{line}: {message}")


def _keys(file: str, data: LineMap, allowed: tuple[str, ...], what: str) -> None:
    unknown = [k for k in data if k not in allowed]
    if unknown:
        raise _err(file, data.line, f"unknown key {unknown[0]!r} in {what} (known: {', '.join(allowed)})")


def load_suite(file: str) -> TestSuite:
    try:
        text = Path(file).read_text("utf-8")
    except OSError as err:
        raise TestFileError(f"{file}: cannot read: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise TestFileError(f"{file}: not UTF-8") from None
    try:  # aliases and anchors refused, nesting bounded, dates left as text
        data = load_yaml(text, file, lines=True)
    except YamlRefused as err:
        raise TestFileError(str(err)) from None
    if not isinstance(data, LineMap):
        raise _err(file, 1, "expected a mapping with 'tests: [...]'")
    _keys(file, data, _TOP_KEYS, "the test file")
    here = Path(file).parent
    default_policy = Path(file).name.removesuffix(SUFFIX) + ".policy"
    policy_path = str(here / str(data.get("policy") or default_policy))
    compiled = compile_policy(load_policy(policy_path))
    binding = _binding(file, data, here, policy_path)
    tests = data.get("tests")
    if not isinstance(tests, list) or not tests:
        raise _err(file, data.line, "'tests' must be a non-empty list")
    return TestSuite(file, policy_path, compiled, binding, [_test(file, t, n) for n, t in enumerate(tests, 1)])


def _binding(file, data, here: Path, policy_path: str) -> Binding:
    given = data.get("binding")
    timezone = data.get("timezone")
    if isinstance(given, str):
        binding = load_binding(str(here / given))
    elif isinstance(given, dict):
        binding = parse_binding(dict(given), f"{file}:{given.line} (binding)")
    elif given is None:
        found = find_binding(policy_path)
        binding = load_binding(found) if found else Binding.identity()
    else:
        raise _err(file, data.line, "'binding' must be a file name or a mapping")
    if timezone is not None:
        binding = dataclasses.replace(binding, timezone=str(timezone))
    return binding


def _test(file: str, t, n: int) -> PolicyTest:
    if not isinstance(t, LineMap):
        raise _err(file, 1, f"test {n}: expected a mapping (name, now, records, expect)")
    _keys(file, t, _TEST_KEYS, f"test {n}")
    name = str(t.get("name") or f"test {n}")
    for key in ("now", "records", "expect"):
        if key not in t:
            raise _err(file, t.line, f"test '{name}': '{key}' is missing")
    records, expect = t["records"], t["expect"]
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise _err(file, t.line, f"test '{name}': 'records' must be a list of mappings")
    if not isinstance(expect, list):
        raise _err(file, t.line, f"test '{name}': 'expect' must be a list ([] for no findings)")
    expected = []
    for e in expect:
        if not isinstance(e, LineMap) or "code" not in e or "record" not in e:
            raise _err(file, getattr(e, "line", t.line), f"test '{name}': each expected finding needs "
                                                         "'code' and 'record'")
        _keys(file, e, _EXPECT_KEYS, f"an expected finding of '{name}'")
        code = str(e["code"]).upper()
        if code not in CODES:
            raise _err(file, e.line, f"test '{name}': unknown finding code {e['code']!r}")
        expected.append(Expected(code, str(e["record"]), None if e.get("due") is None else str(e["due"])))
    return PolicyTest(file, t.line, name, str(t["now"]), list(records), expected)


def run_test(suite: TestSuite, test: PolicyTest) -> Outcome:
    try:
        now = parse_now(test.now, get_zone(suite.binding.timezone))
    except ValueError as err:
        raise _err(test.file, test.line, f"test '{test.name}': {err}") from None
    # each finding located at its record's line in the test file
    lines = {n: getattr(r, "line", test.line) for n, r in enumerate(test.records, 1)}
    findings = [dataclasses.replace(f, location=f"{test.file}:{lines[int(f.location.rpartition(':')[2])]}")
                for f in check(suite.compiled, test.records, now, binding=suite.binding, where=test.file)]
    unmatched = list(findings)
    missing = []
    for e in test.expect:
        hit = next((f for f in unmatched if e.matches(f)), None)
        if hit is None:
            missing.append(e)
        else:
            unmatched.remove(hit)
    return Outcome(test, missing, unmatched, findings)


def clauses(compiled: CompiledPolicy) -> dict[str, list[Rule]]:
    """Every rule of the compiled policy by its clause (file:line), in policy order."""
    rules = [r for p in compiled.purposes for r in p.erase + p.keep]
    rules += [r for r in (compiled.erasure_request, compiled.request_deadline) if r]
    out: dict[str, list[Rule]] = {}
    for r in sorted(rules, key=lambda r: (r.span.file, r.span.line)):
        out.setdefault(r.where, []).append(r)
    return out


@dataclass
class Coverage:
    clauses: dict[str, list[Rule]]  # every clause of the policies tested
    exercised: set[str]

    @property
    def missed(self) -> list[str]:
        return [c for c in self.clauses if c not in self.exercised]

    @property
    def percent(self) -> float:
        return 100.0 * len(self.exercised & set(self.clauses)) / len(self.clauses) if self.clauses else 100.0


def run_suites(suites: list[TestSuite]) -> tuple[list[Outcome], Coverage]:
    outcomes = [run_test(s, t) for s in suites for t in s.tests]
    every: dict[str, list[Rule]] = {}
    for s in suites:
        every.update(clauses(s.compiled))
    exercised = {f.rule for o in outcomes for f in o.findings if f.rule}
    return outcomes, Coverage(every, exercised)

"""`policyengine test [PATH]`: run the policy tests (policy_tests), report, cover.

Exit 0 every test passed (and coverage reached --threshold), 1 a test failed or coverage
fell short, 2 a test file or policy could not be used.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict

import click

from .ci_output import junit_xml, workflow_command
from .language.diagnostics import EXIT_FINDINGS, EXIT_OK
from .policy_tests import Coverage, Outcome, describe, find_test_files, load_suite, run_suites


def _clause_text(coverage: Coverage, where: str) -> str:
    rules = coverage.clauses[where]
    return f"{where}: {rules[0].clause} ({', '.join(sorted({r.code for r in rules}))})"


def render_text(outcomes: list[Outcome], coverage: Coverage | None) -> str:
    lines = []
    for o in outcomes:
        t = o.test
        lines.append(f"{t.file}:{t.line}: {'PASS' if o.passed else 'FAIL'}: {t.name}")
        if not o.passed:
            lines += [f"    expected, not found: {e}" for e in o.missing]
            lines += [f"    found, not expected: {describe(f)}" for f in o.unexpected]
    failed = sum(not o.passed for o in outcomes)
    lines.append(f"{len(outcomes) - failed} passed, {failed} failed")
    if coverage is not None:
        lines.append(f"coverage: {len(coverage.clauses) - len(coverage.missed)}/{len(coverage.clauses)} "
                     f"clauses exercised ({coverage.percent:.1f}%)")
        lines += [f"  not exercised: {_clause_text(coverage, w)}" for w in coverage.missed]
    return "\n".join(lines) + "\n"


def render_json(outcomes: list[Outcome], coverage: Coverage | None) -> str:
    doc = {"tests": [{"file": o.test.file, "line": o.test.line, "name": o.test.name, "passed": o.passed,
                      "missing": [str(e) for e in o.missing],
                      "unexpected": [f.to_dict() for f in o.unexpected]} for o in outcomes],
           "passed": sum(o.passed for o in outcomes), "failed": sum(not o.passed for o in outcomes)}
    if coverage is not None:
        doc["coverage"] = {"percent": round(coverage.percent, 2), "clauses": len(coverage.clauses),
                           "not_exercised": [{"clause": w, "text": coverage.clauses[w][0].clause,
                                              "codes": sorted({r.code for r in coverage.clauses[w]})}
                                             for w in coverage.missed]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _failure_text(o: Outcome) -> str:
    return "; ".join([f"expected, not found: {e}" for e in o.missing]
                     + [f"found, not expected: {describe(f)}" for f in o.unexpected])


def render_github(outcomes: list[Outcome], coverage: Coverage | None) -> str:
    out = [workflow_command("error", f"{o.test.name}: {_failure_text(o)}", file=o.test.file,
                            line=o.test.line, title="policy test failed")
           for o in outcomes if not o.passed]
    if coverage is not None:
        for where in coverage.missed:
            file, _, line = where.rpartition(":")
            out.append(workflow_command("warning", f"no test exercises: {_clause_text(coverage, where)}",
                                        file=file, line=line, title="clause not exercised"))
    failed = sum(not o.passed for o in outcomes)
    summary = f"{len(outcomes) - failed} passed, {failed} failed"
    if coverage is not None:
        summary += f"; coverage {coverage.percent:.1f}%"
    out.append(workflow_command("notice", summary, title="policyengine test"))
    return "".join(out)


def render_junit(outcomes: list[Outcome], coverage: Coverage | None) -> str:
    cases: dict[str, dict[str, list]] = defaultdict(dict)
    for o in outcomes:
        text = _failure_text(o)
        cases[o.test.file][f"{o.test.name} (line {o.test.line})"] = [] if o.passed else [("error", text, text)]
    props = {"coverage": f"{coverage.percent:.1f}%"} if coverage is not None else None
    return junit_xml("policyengine test", cases, props)


RENDER = {"text": render_text, "json": render_json, "github": render_github, "junit": render_junit}


@click.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--format", "output_format", type=click.Choice(list(RENDER)), default="text", show_default=True)
@click.option("--coverage", "show_coverage", is_flag=True,
              help="Report the policy clauses no test's findings cite.")
@click.option("--threshold", type=click.FloatRange(0, 100), metavar="N",
              help="Exit 1 when fewer than N%% of the clauses are exercised (implies --coverage).")
def test_command(paths, output_format, show_coverage, threshold):
    """Run the policy tests in PATHS (test files, policies, or directories searched for
    *.tests.yaml; default: the current directory).

    Exit 0 all passed, 1 a test failed or coverage is below --threshold, 2 a test file or
    policy could not be used.
    """
    files = [f for p in (paths or (".",)) for f in find_test_files(p)]
    if not files:
        from .language.diagnostics import PolicyError

        raise PolicyError(f"no *.tests.yaml under {', '.join(paths or ('.',))}")
    suites = [load_suite(f) for f in files]
    outcomes, coverage = run_suites(suites)
    shown = coverage if (show_coverage or threshold is not None) else None
    click.echo(RENDER[output_format](outcomes, shown), nl=False)
    short = threshold is not None and coverage.percent < threshold
    if short and output_format == "text":
        click.echo(f"coverage {coverage.percent:.1f}% is below the threshold {threshold:g}%", err=True)
    sys.exit(EXIT_FINDINGS if short or not all(o.passed for o in outcomes) else EXIT_OK)

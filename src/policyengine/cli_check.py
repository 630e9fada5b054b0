"""`policyengine check`, `explain` and `compile`: thin click commands over the library.

Exit codes: 0 nothing due, 1 findings, 2 the tool could not run (bad policy,
binding, records, --now).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sys

import click

from .checking.binding import Binding, find_binding, load_binding
from .checking.compile import compile_policy
from .checking.dates import get_zone, parse_now
from .language.diagnostics import EXIT_FINDINGS, EXIT_OK, PolicyError
from .checking.explain import explain_record
from .escaping import printable
from .output_file import atomic_output
from .language.loading import load_policy
from .checking.records import open_source
from .checking.report import FORMATS, RunInfo, reporter
from .checking.run import bind_source, run_check
from .checking.findings import CODES
from .ci_output import CHECK_REPORTERS, check_level
from .cli import FAIL_LEVELS, exit_code


def _setup(policy_path: str, binding_path: str | None, timezone: str | None, now_text: str | None):
    policy = load_policy(policy_path)
    compiled = compile_policy(policy)
    binding_path = binding_path or find_binding(policy_path)
    binding = load_binding(binding_path) if binding_path else Binding.implicit_default()
    if timezone:
        binding = dataclasses.replace(binding, timezone=timezone)
    try:
        zone = get_zone(binding.timezone)
        now = parse_now(now_text, zone)
    except ValueError as err:
        raise PolicyError(str(err)) from None
    return compiled, binding, zone, now



_common = [
    click.argument("policy", type=click.Path(dir_okay=False)),
    click.option("--records", "-r", "sources", multiple=True, required=True, metavar="SOURCE",
                 help="Records: FILE.csv, FILE.jsonl, - (stdin), FILE.db#TABLE or "
                      "'FILE.db#SELECT ...', 'postgresql://USER@HOST/DB#TABLE' or '...#SELECT ...'. Repeatable."),
    click.option("--binding", "-b", "binding_path", type=click.Path(dir_okay=False),
                 help="YAML binding of columns to fields (default: POLICY's .binding.yaml beside it, "
                      "else columns named as the fields)."),
    click.option("--now", "now_text", metavar="TIMESTAMP",
                 help="The moment to check at (ISO 8601; default: the current time)."),
    click.option("--timezone", metavar="ZONE", help="Zone of timestamps without one (overrides the binding)."),
    click.option("--engine", type=click.Choice(["python", "duckdb", "sqlite", "postgres", "spark"]), default=None,
                 help="Who reads and screens the records: python (default for CSV, JSON Lines, stdin), "
                      "duckdb (CSV, JSON Lines, Parquet; default for .parquet), sqlite (default for "
                      "FILE.db#TABLE), postgres (default for postgresql://USER@HOST/DB#TABLE: "
                      "a read-only transaction), spark (CSV, Parquet; --spark-master). The findings are the same; the evaluator decides."),
    click.option("--spark-master", metavar="URL", default=None,
                 help="The Spark master for --engine spark (default: local[*], a local session)."),
]


def _shown(spec: str) -> str:
    """A source as it may be printed: a PostgreSQL URL without its password."""
    if spec.lower().startswith(("postgresql://", "postgres://")):
        from .checking.sql.postgres import redact

        url, sep, what = spec.partition("#")
        return redact(url) + sep + what
    return spec


def _open(spec: str, engine: str | None, spark_master: str | None = None):
    """A source read by ``engine`` (the ``sql`` extra for DuckDB and the SQLite screen)."""
    try:
        from .checking.sql.engines import open_engine_source
    except ImportError:  # no sqlglot: the Python path reads everything it can, same findings
        if engine not in (None, "python"):
            raise PolicyError(f"--engine {engine} needs the sql extra: pip install 'privacy-promises[sql]'") from None
        return open_source(spec)
    if spark_master is not None and engine != "spark":
        raise PolicyError("--spark-master is for --engine spark")
    return open_engine_source(spec, engine, spark_master=spark_master)


def _options(f):
    for decorator in reversed(_common):
        f = decorator(f)
    return f


def _explain(compiled, binding, now, sources, key: str, engine: str | None = None,
             spark_master: str | None = None) -> None:
    found = 0
    has_findings = False
    for spec in sources:
        with _open(spec, engine, spark_master) as source:
            found, has_findings = _explain_source(compiled, binding, now, source, key, found, has_findings)
    if not found:
        raise PolicyError(f"no record with key '{key}' in {', '.join(map(_shown, sources))}")
    sys.exit(EXIT_FINDINGS if has_findings else EXIT_OK)


def _warn(message: str) -> None:
    click.echo(f"Warning: {printable(message)}", err=True)


def _explain_source(compiled, binding, now, source, key, found, has_findings):
    lowered = bind_source(compiled, source, binding, now, _warn)
    i_key = lowered.i_key
    for number, values in source.read(lowered.columns):
        if values[i_key] is not None and str(values[i_key]) == key:
            if found:
                click.echo()
            click.echo(explain_record(lowered, source.label, number, values), nl=False)
            has_findings = has_findings or bool(lowered.evaluate(source.label, number, values))
            found += 1
    return found, has_findings


def _codes(ctx, param, value):
    """--fail-on PC101,PC104 -> a set of known codes."""
    if value is None:
        return None
    codes = {c.strip().upper() for c in value.split(",") if c.strip()}
    unknown = sorted(codes - set(CODES))
    if unknown or not codes:
        raise click.BadParameter(f"unknown finding code(s) {', '.join(unknown) or '(none given)'}; "
                                 f"known: {', '.join(CODES)}")
    return codes


@click.command()
@_options
@click.option("--format", "output_format", type=click.Choice(FORMATS + tuple(CHECK_REPORTERS) + ("html",)),
              default="text", show_default=True,
              help="text: a table grouped by finding, with counts; github: workflow-command "
                   "annotations; junit: JUnit XML; html: one self-contained page (totals, a retention "
                   "timeline per purpose, the findings table).")
@click.option("--output", "-o", "output", type=click.Path(dir_okay=False, allow_dash=True), metavar="FILE",
              help="Write the report to FILE (atomically: complete or not at all) instead of standard output.")
@click.option("--summary", is_flag=True, help="Counts only.")
@click.option("--explain", "explain_key", metavar="KEY",
              help="Explain one record (by key) instead: every rule, its dates and its clause.")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0, metavar="N",
              help="Processes for a JSON Lines file (same output, in the same order). "
                   "Default 0: one per CPU for files over 32 MB, else 1. "
                   "CSV, stdin and SQLite are read by one process.")
@click.option("--fail-level", type=click.Choice(FAIL_LEVELS), default="warning", show_default=True,
              help="Exit 1 only for findings at this level or above (keep findings are warnings, "
                   "all others errors).")
@click.option("--fail-on", "fail_on", metavar="CODE,...", callback=_codes,
              help="Exit 1 only for findings with these codes (e.g. PC101,PC104).")
@click.option("--no-fail", is_flag=True, help="Exit 0 whatever is found (2 still means the tool failed).")
def check(policy, sources, binding_path, now_text, timezone, engine, spark_master, output_format, output,
          summary, explain_key, jobs, fail_level, fail_on, no_fail):
    """Check records against POLICY: what must be erased, kept, or answered.

    Exit 0 nothing due, 1 findings, 2 the tool could not run.
    """
    if output_format == "html":
        if summary:
            raise click.UsageError("--format html is a whole report (its totals are the summary): "
                                   "leave out --summary")
        if output in (None, "-") and _is_terminal(sys.stdout):
            raise click.UsageError("--format html writes a page, not text for a terminal: give --output "
                                   "report.html (or redirect standard output)")
    compiled, binding, zone, now = _setup(policy, binding_path, timezone, now_text)
    if explain_key is not None:
        _explain(compiled, binding, now, sources, explain_key, engine, spark_master)
    with contextlib.ExitStack() as stack:
        opened = [stack.enter_context(_open(spec, engine, spark_master)) for spec in sources]
        out = stack.enter_context(atomic_output(output))
        counts = _run(compiled, binding, zone, now, policy, sources, opened, output_format, summary, jobs, out)
    failing = [check_level(code) for code in counts if fail_on is None or code in fail_on]
    sys.exit(exit_code(failing, fail_level, no_fail))


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _run(compiled, binding, zone, now, policy, sources, opened, output_format, summary, jobs=0, out=None):
    info = RunInfo(policy, now.astimezone(zone).date().isoformat(), now.isoformat(), binding.timezone,
                   [_shown(s) for s in sources])
    out = out if out is not None else sys.stdout
    observe = None
    if output_format == "html":
        from .checking.report_html import HtmlReporter
        from .checking.timeline import Timeline

        timeline = Timeline()
        observe = timeline.observe
        report = HtmlReporter(out, info, compiled, timeline)
    elif output_format in CHECK_REPORTERS and not summary:
        report = CHECK_REPORTERS[output_format](out, info)
    else:
        report = reporter(output_format if output_format in FORMATS else "text", out, info, summary)
    from .progress import Progress

    sink, progress = Progress.for_run(opened, report)  # a progress line on a terminal only
    try:
        info.records, counts = run_check(compiled, opened, binding, now, sink, jobs=jobs, counts=info.counts,
                                         warn=_warn, observe=observe)
    finally:
        if progress is not None:
            progress.finish()
    report.finish()
    out.flush()
    return counts


@click.command()
@_options
@click.option("--record", "key", required=True, metavar="KEY", help="The key of the record to explain.")
def explain(policy, sources, binding_path, now_text, timezone, engine, spark_master, key):
    """Explain why: for one record, every rule that applied, its dates, its clause (file:line).

    Exit 0 nothing due for the record, 1 findings, 2 the tool could not run.
    """
    compiled, binding, _zone, now = _setup(policy, binding_path, timezone, now_text)
    _explain(compiled, binding, now, sources, key, engine, spark_master)


@click.command("compile")
@click.argument("policy", type=click.Path(dir_okay=False))
@click.option("--format", "output_format", type=click.Choice(["json", "sql"]), default="json", show_default=True,
              help="json: the check IR; sql: the screen as a query over a table of records.")
@click.option("--binding", "-b", "binding_path", type=click.Path(dir_okay=False),
              help="--format sql: the binding of columns to fields (default: POLICY's .binding.yaml beside it).")
@click.option("--dialect", default="postgres", show_default=True,
              type=click.Choice(["postgres", "duckdb", "sqlite", "spark", "trino", "bigquery", "snowflake"]),
              help="--format sql: the SQL dialect.")
@click.option("--table", default="records", show_default=True, help="--format sql: the table (or view) to read.")
@click.option("--now", "now_text", metavar="TIMESTAMP", help="--format sql: the day the thresholds are for.")
def compile_command(policy, output_format, binding_path, dialect, table, now_text):
    """Print the compiled check IR of POLICY (per purpose, its rules, anchors, offsets and
    clauses), or with --format sql the screen as a query a DBA can run."""
    if output_format == "sql":
        compiled, binding, _zone, now = _setup(policy, binding_path, None, now_text)
        try:
            from .checking.sql.lower import sql_script
        except ImportError:
            raise PolicyError("--format sql needs the sql extra: pip install 'privacy-promises[sql]'") from None
        click.echo(sql_script(compiled, binding.for_source(table), now, dialect, table), nl=False)
        return
    compiled = compile_policy(load_policy(policy))
    click.echo(json.dumps(compiled.to_dict(), indent=2, ensure_ascii=False))

"""Lowering the check IR to SQL: per purpose, a screen as a sqlglot expression.

The SQL is a *screen*, not the check: it selects every row that may have a finding, and
the rows it returns go through the same exact evaluator (``evaluate.LoweredPolicy``) as
every other source, so findings, dates and messages are the Python path's. It is the
complement of ``screens.python_screen``, over the same thresholds (``lower_python``: per
rule the first anchor day whose due date reaches today, plus the two-day band), so a row
it leaves out is one the Python screen clears: nothing to report. No calendar arithmetic is
done in SQL: the thresholds are ISO dates computed once per run in Python and written in.

A row is *cleared* (left out) only when, for its purpose, every condition below holds;
each condition is NULL-safe, and the whole is ``NOT COALESCE(cleared, FALSE)``, so a NULL
anywhere selects the row:

- the purpose is one of the policy's (or the binding's ``purpose_is``);
- the subject is empty or one of the purpose's subjects; categories, recipients and
  everything asked (erasure requested, consent withdrawn where a keep rule could answer,
  a request received) are empty;
- a consent-based purpose has consent (and the plain scope, under specific consent), and
  not both a withdrawal and a last activity;
- every erase rule's anchor is a well-formed ISO date or timestamp (a conservative test:
  ``YYYY-MM-DD`` with a day that exists in every year, then nothing, or ``[T ]HH:MM:SS``
  with ``Z`` or ``+HH:MM``) whose date as written is on or after the rule's threshold (with
  or without an extension), or, for an event that may not have happened, empty.

Anything else -- a malformed or missing date, an unknown purpose, a value of a type the test
does not know -- is selected, and the evaluator reports it (PC901, PC902, PC401, ...).

Column kinds (``kinds``: column -> kind; default ``text``):
``text`` (text, or SQLite's dynamic values), ``date``, ``timestamp`` (without zone),
``timestamptz``, ``other`` (numbers, booleans, lists: only NULL is understood).

Stable entry point (used by the engines and by ``policyengine compile --format sql``)::

    screen_sql(compiled, binding, now, dialect, source_sql, kinds=None, select=None,
               guard=None, pretty=True) -> str

``now``: a datetime, date or ISO text (as ``--now``); ``dialect``: a sqlglot dialect name
(postgres, duckdb, sqlite, spark, trino, bigquery, snowflake); ``source_sql``: a table name
or a SELECT whose columns are the binding's columns; ``select``: the columns to return
(default: the bound columns, in the evaluator's values order); ``guard``: a SQL condition a
row must also meet to be cleared (an engine's own validity test). The query returns the
rows to evaluate, in the source's order.
"""

from __future__ import annotations

from datetime import date

import sqlglot
from sqlglot import exp

from ..binding import Binding
from ..compile import CompiledPolicy
from ...language.diagnostics import PolicyError
from ..dates import LAST_DAY, get_zone
from ..lower_python import LoweredPurpose, PythonLowering, as_now
from ..screens import _asked
from .dialects import binary, date_shape, last_instant, literal_date, render

TEXT, DATE, TIMESTAMP, TIMESTAMPTZ, OTHER = "text", "date", "timestamp", "timestamptz", "other"
KINDS = (TEXT, DATE, TIMESTAMP, TIMESTAMPTZ, OTHER)
RELATION = "records"  # the alias of the source in the query


def column(name: str) -> exp.Column:
    return exp.column(exp.to_identifier(name, quoted=True), table=exp.to_identifier(RELATION))


def _string(text: str) -> exp.Literal:
    return exp.Literal.string(text)


class Screen:
    """The SQL screen of one lowering (``PythonLowering``), for one dialect."""

    def __init__(self, lowering: PythonLowering, dialect: str, kinds: dict[str, str] | None = None):
        self.lowering, self.dialect = lowering, dialect
        self.kinds = dict(kinds or {})
        for c, k in self.kinds.items():
            if k not in KINDS:
                raise ValueError(f"column {c!r}: unknown kind {k!r} (one of {', '.join(KINDS)})")

    def kind(self, index: int) -> str:
        return self.kinds.get(self.lowering.columns[index], TEXT)

    def col(self, index: int) -> exp.Column:
        return column(self.lowering.columns[index])

    def text(self, index: int) -> exp.Expression:
        """A text column compared byte for byte, as Python compares: a column's own
        collation (SQLite's NOCASE or RTRIM, a PostgreSQL ICU collation) would make
        'MARKETING' or 'marketing  ' equal to 'marketing' and clear a row Python reports."""
        return binary(self.col(index), self.dialect)

    # ---- atoms: each is TRUE only when the Python screen would pass that test --------
    def empty(self, index: int) -> exp.Expression:
        """No value: NULL, or the empty text (Python: a falsy value)."""
        c = self.col(index)
        if self.kind(index) != TEXT:
            return c.is_(exp.null())
        return exp.or_(c.is_(exp.null()), exp.EQ(this=self.text(index), expression=_string("")))

    def filled(self, index: int) -> exp.Expression:
        """A value (Python: truthy text). Never for ``other``: an empty blob or list is
        a value SQL calls NOT NULL and Python calls empty (no consent: PC301)."""
        c, kind = self.col(index), self.kind(index)
        if kind == OTHER:
            return exp.false()
        if kind != TEXT:
            return exp.not_(c.is_(exp.null()))
        filled = exp.and_(exp.not_(c.is_(exp.null())), exp.NEQ(this=self.text(index), expression=_string("")))
        if self.dialect == "sqlite":  # any column may hold a blob there (x'' is empty in Python)
            filled = exp.and_(exp.NEQ(this=exp.Anonymous(this="typeof", expressions=[c.copy()]),
                                      expression=_string("blob")), filled)
        return filled

    def equals(self, index: int, values) -> exp.Expression:
        """The text is one of ``values`` (never for a column that is not text)."""
        values = sorted(values)
        if self.kind(index) != TEXT or not values:
            return exp.false()
        c = self.text(index)
        if len(values) == 1:
            return exp.EQ(this=c, expression=_string(values[0]))
        return exp.In(this=c, expressions=[_string(v) for v in values])

    def on_or_after(self, index: int, day: int) -> exp.Expression:
        """A well-formed date or timestamp whose date as written is ``day`` or later."""
        if day > LAST_DAY:
            return exp.false()  # the threshold is beyond the calendar: never cleared
        kind, c = self.kind(index), self.col(index)
        when = date.fromordinal(day).isoformat()
        if kind == TEXT:
            return exp.and_(date_shape(c, self.dialect),
                            exp.GTE(this=exp.Substring(this=c.copy(), start=exp.Literal.number(1),
                                                       length=exp.Literal.number(10)),
                                    expression=_string(when)))
        # A typed value must also be in Python's calendar: DuckDB and PostgreSQL hold years
        # past 9999 and 'infinity', whose ISO text Python cannot read (PC901 from a CSV).
        if kind in (DATE, TIMESTAMP):
            return exp.Between(this=c, low=literal_date(when, kind), high=last_instant(kind))
        if kind == TIMESTAMPTZ:
            # The written date of an aware value is its instant's UTC date +- 1 day (offsets
            # reach 14 hours): one day more keeps the screen on the safe side.
            if day + 1 > LAST_DAY:
                return exp.false()
            return exp.Between(this=c, low=literal_date(date.fromordinal(day + 1).isoformat(), kind),
                               high=last_instant(kind))
        return exp.false()

    # ---- one purpose -------------------------------------------------------------
    def cleared(self, lp: LoweredPurpose) -> exp.Expression:
        """TRUE when a row of this purpose certainly has nothing to report (the
        Python screen's conditions, each at least as strict)."""
        low, p = self.lowering, lp.purpose
        terms: list[exp.Expression] = []
        if low.i_subject is not None:
            terms.append(exp.or_(self.empty(low.i_subject), self.equals(low.i_subject, p.subjects)))
        for i in (low.i_categories, low.i_recipients):
            if i is not None:
                terms.append(self.empty(i))
        if p.consent and low.i_consent is not None:
            terms.append(self.filled(low.i_consent))
            if p.consent_scope:
                terms.append(self.equals(low.i_scope, [p.consent_scope]) if low.i_scope is not None
                             else exp.false())
            if low.i_withdrawn is not None and low.i_activity is not None:
                terms.append(exp.or_(self.empty(low.i_withdrawn), self.empty(low.i_activity)))
        for lr in lp.erase:
            after = self.on_or_after(lr.index, max(lr.hi, lr.hi_ext))
            terms.append(after if lr.required else exp.or_(self.empty(lr.index), after))
        for i in _asked(low, lp):
            terms.append(self.empty(i))
        return exp.and_(*terms) if terms else exp.true()

    def condition(self, guard: exp.Expression | None = None) -> exp.Expression:
        """The WHERE of the screen: the rows that may have a finding."""
        low = self.lowering
        if low.fixed is not None:
            cleared = self.cleared(low.fixed)
        else:
            cases = []
            for name, lp in low.purposes.items():
                case = exp.paren(exp.and_(self.equals(low.i_purpose, [name]), self.cleared(lp)))
                case.add_comments([f" above: the rows of purpose {name} ({lp.purpose.where}) with nothing to report "])
                cases.append(case)
            cleared = exp.or_(*cases) if cases else exp.false()
        if guard is not None:
            # CASE: the guard only for a row the screen would clear (SQLite and DuckDB compute
            # both sides of an AND that is a value); a NULL ``cleared`` selects the row either way.
            cleared = exp.Case(ifs=[exp.If(this=exp.paren(cleared), true=guard)], default=exp.false())
        return exp.not_(exp.Coalesce(this=exp.paren(cleared), expressions=[exp.false()]))

    def query(self, source_sql: str, select: list | None = None,
              guard: exp.Expression | None = None) -> exp.Select:
        """``SELECT <columns> FROM (<source>) AS records WHERE <condition>``; ``select``
        items are column names or sqlglot expressions."""
        relation = _relation(source_sql, self.dialect)
        names = select if select is not None else self.lowering.columns
        return (exp.select(*[column(n) if isinstance(n, str) else n for n in names]).from_(relation)
                .where(self.condition(guard)))


def _relation(source_sql: str, dialect: str) -> exp.Expression:
    """A table name or a query, as the aliased relation the screen reads (a text sqlglot
    cannot read: ``SqlError``)."""
    text = source_sql.strip()
    try:
        if text.lower().startswith(("select", "with", "from", "(")):
            inner = sqlglot.parse_one(text, read=dialect)
            return exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier(RELATION)))
        table = exp.to_table(text, dialect=dialect)
    except sqlglot.errors.SqlglotError as err:
        raise SqlError(f"cannot read {text!r} as a {dialect} table or query: {str(err).splitlines()[0]}") from None
    return exp.alias_(table, RELATION, table=True)


class SqlError(PolicyError):
    """A table or query the screen cannot be built over (exit 2)."""


def _comment(text) -> str:
    """Text for a ``--`` comment line: a line break (in a column name, a path) would end
    the comment and make the rest SQL; it and every other unprintable character is
    written as its escape."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def lowering_for(compiled: CompiledPolicy, binding: Binding, now) -> PythonLowering:
    return PythonLowering(compiled, binding, as_now(now, get_zone(binding.timezone)))


def screen_sql(compiled: CompiledPolicy, binding: Binding, now, dialect: str, source_sql: str,
               kinds: dict[str, str] | None = None, select: list[str] | None = None,
               guard: str | None = None, pretty: bool = True) -> str:
    """The screen as SQL text in ``dialect`` (see the module docstring)."""
    lowering = lowering_for(compiled, binding, now)
    condition = sqlglot.parse_one(guard, read=dialect) if guard else None
    return render(Screen(lowering, dialect, kinds).query(source_sql, select, condition), dialect, pretty)


def sql_script(compiled: CompiledPolicy, binding: Binding, now, dialect: str, table: str = "records",
               kinds: dict[str, str] | None = None) -> str:
    """What ``policyengine compile --format sql`` prints: the screen over ``table`` as a
    query a DBA can read and run, after comments saying what it is and which thresholds
    (computed in Python for this day) it holds."""
    lowering = lowering_for(compiled, binding, now)
    lines = [f"-- policyengine: the check screen of {_comment(compiled.path)} for {dialect}",
             f"-- today {lowering.today} in {_comment(binding.timezone)} (thresholds computed for this day;",
             "-- compile again for another day). The query selects every row that may have a",
             "-- finding; `policyengine check` gives those rows to its evaluator, which decides.",
             "-- Per purpose, the first anchor day that is not yet overdue, with the 2-day band:"]
    for name, lp in lowering.purposes.items():
        for lr in lp.erase:
            day = max(lr.hi, lr.hi_ext)
            when = date.fromordinal(day).isoformat() if day <= LAST_DAY else "never (after 9999-12-31)"
            column = binding.columns[lr.field]
            lines.append(_comment(f"--   {name}: {lr.rule.code} {lr.rule.clause!s} ({lr.rule.where}): "
                                  f"{column} on or after {when}"))
    query = Screen(lowering, dialect, kinds).query(table)
    return "\n".join(lines) + "\n" + render(query, dialect, pretty=True) + ";\n"

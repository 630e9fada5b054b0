"""What differs between SQL dialects in the screen: the date-shape test and typed literals.

Everything else is plain SQL built with sqlglot and rendered per dialect. The date-shape
test is conservative: it accepts only text that ``datetime.fromisoformat`` certainly
reads (so a value it accepts is never PC901), with a month day that exists in every year
(29 February is left to Python, as are 31-day days in 30-day months).

- Regular-expression dialects (PostgreSQL ``~``, DuckDB, Spark ``RLIKE``, Trino,
  BigQuery, Snowflake): one anchored pattern.
- SQLite has no regular expressions by default: ``GLOB`` for the digits, then the ranges
  compared as text (two digits against two digits), ``typeof`` = 'text' (a blob or a
  number is never cleared), and no NUL (its bytes as many as its characters).

Text comparisons are byte-wise (``binary``): a column's collation never decides.
"""

from __future__ import annotations

from sqlglot import exp

# Rendered and run in tests: postgres, duckdb, sqlite, spark; emitted and parsed back: the rest.
DIALECTS = ("postgres", "duckdb", "sqlite", "spark", "trino", "bigquery", "snowflake")

_MONTH_DAY = ("((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"  # days every month has
              "|(0[13-9]|1[0-2])-(29|30)"  # 29 and 30: not February
              "|(0[13578]|1[02])-31)")  # 31: the long months
_HOUR, _MINUTE = "([01][0-9]|2[0-3])", "[0-5][0-9]"
ISO_PATTERN = (f"^[0-9]{{4}}-{_MONTH_DAY}"
               f"([T ]{_HOUR}:{_MINUTE}:{_MINUTE}(Z|[+-]{_HOUR}:{_MINUTE})?)?$")

_D = "[0-9]"
_GLOB_DATE = f"{_D * 4}-{_D * 2}-{_D * 2}"
_GLOB_TIME = f"{_GLOB_DATE}[T ]{_D * 2}:{_D * 2}:{_D * 2}"
GLOBS = (_GLOB_DATE, _GLOB_TIME, _GLOB_TIME + "Z", _GLOB_TIME + f"[+-]{_D * 2}:{_D * 2}")


def _s(text: str) -> exp.Literal:
    return exp.Literal.string(text)


def _part(c: exp.Expression, start: int, length: int) -> exp.Expression:
    return exp.Substring(this=c.copy(), start=exp.Literal.number(start), length=exp.Literal.number(length))


def _between(e: exp.Expression, low: str, high: str) -> exp.Expression:
    return exp.Between(this=e, low=_s(low), high=_s(high))


def date_shape(c: exp.Expression, dialect: str) -> exp.Expression:
    """TRUE only for text that is a well-formed ISO date or timestamp (see the docstring)."""
    if dialect != "sqlite":
        return exp.RegexpLike(this=c.copy(), expression=_s(ISO_PATTERN))
    month, day = _part(c, 6, 2), _part(c, 9, 2)
    length = exp.Length(this=c.copy())
    return exp.and_(
        exp.EQ(this=exp.Anonymous(this="typeof", expressions=[c.copy()]), expression=_s("text")),
        # SQLite's GLOB and length() stop at a NUL; its bytes do not: '2026-11-01\0junk'
        # would pass as '2026-11-01' (Python reads the whole text: PC901).
        exp.EQ(this=exp.Length(this=exp.cast(c.copy(), exp.DataType.Type.VARBINARY)), expression=length.copy()),
        exp.or_(*[exp.Glob(this=c.copy(), expression=_s(g)) for g in GLOBS]),
        _between(month, "01", "12"),
        exp.or_(_between(day, "01", "28"),
                exp.and_(exp.In(this=day.copy(), expressions=[_s("29"), _s("30")]),
                         exp.NEQ(this=month.copy(), expression=_s("02"))),
                exp.and_(exp.EQ(this=day.copy(), expression=_s("31")),
                         exp.In(this=month.copy(), expressions=[_s(m) for m in
                                                                ("01", "03", "05", "07", "08", "10", "12")]))),
        exp.or_(exp.EQ(this=length, expression=exp.Literal.number(10)),
                exp.and_(exp.LTE(this=_part(c, 12, 2), expression=_s("23")),
                         exp.LTE(this=_part(c, 15, 2), expression=_s("59")),
                         exp.LTE(this=_part(c, 18, 2), expression=_s("59")))),
        exp.or_(exp.LTE(this=length.copy(), expression=exp.Literal.number(20)),
                exp.and_(exp.LTE(this=_part(c, 21, 2), expression=_s("23")),
                         exp.LTE(this=_part(c, 24, 2), expression=_s("59")))))


def binary(c: exp.Expression, dialect: str) -> exp.Expression:
    """``c`` under byte-wise comparison where a column can carry its own collation:
    SQLite (NOCASE, RTRIM) and PostgreSQL (ICU, case-insensitive ones among them).
    DuckDB reads files here (no column collation); the other dialects are emitted as is."""
    if dialect == "sqlite":
        return exp.Collate(this=c.copy(), expression=exp.Var(this="BINARY"))
    if dialect == "postgres":
        return exp.Collate(this=c.copy(), expression=exp.to_identifier("C", quoted=True))
    return c.copy()


def last_instant(kind: str) -> exp.Expression:
    """The last instant of 9999-12-31 (UTC for TIMESTAMPTZ), as a typed literal."""
    if kind == "date":
        return exp.cast(_s("9999-12-31"), exp.DataType.Type.DATE)
    if kind == "timestamp":
        return exp.cast(_s("9999-12-31 23:59:59.999999"), exp.DataType.Type.TIMESTAMP)
    return exp.cast(_s("9999-12-31 23:59:59.999999+00:00"), exp.DataType.Type.TIMESTAMPTZ)


def literal_date(day: str, kind: str) -> exp.Expression:
    """The first instant of ``day`` as a typed literal: DATE, TIMESTAMP or TIMESTAMPTZ (UTC)."""
    if kind == "date":
        return exp.cast(_s(day), exp.DataType.Type.DATE)
    if kind == "timestamp":
        return exp.cast(_s(day + " 00:00:00"), exp.DataType.Type.TIMESTAMP)
    return exp.cast(_s(day + " 00:00:00+00:00"), exp.DataType.Type.TIMESTAMPTZ)


def render(expression: exp.Expression, dialect: str, pretty: bool = True) -> str:
    if dialect not in DIALECTS:
        raise ValueError(f"unknown SQL dialect '{dialect}' (one of {', '.join(DIALECTS)})")
    return expression.sql(dialect=dialect, pretty=pretty)

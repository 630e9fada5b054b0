"""The checker every validation pass reports through, and the duration arithmetic they share."""

from __future__ import annotations

from . import ast
from .diagnostics import Diagnostic, did_you_mean

# Upper and lower bounds of a unit in days, so min/max comparisons only flag
# what is wrong in every calendar (2 months is not always more than 60 days).
_MAX_DAYS = {"day": 1, "week": 7, "month": 31, "year": 366}
_MIN_DAYS = {"day": 1, "week": 7, "month": 28, "year": 365}
LONGEST_RETENTION_YEARS = 150  # past any statutory period: a typo, not a policy


def _in_months(d: ast.Duration) -> int | None:
    return d.amount * {"month": 1, "year": 12}[d.unit] if d.unit in ("month", "year") else None


def surely_longer(a: ast.Duration, b: ast.Duration) -> bool:
    """a is longer than b whatever the calendar (exact for month/year pairs)."""
    ma, mb = _in_months(a), _in_months(b)
    if ma is not None and mb is not None:
        return ma > mb
    return min_days(a) > max_days(b)


def max_days(d: ast.Duration) -> int:
    return d.amount * _MAX_DAYS[d.unit]


def min_days(d: ast.Duration) -> int:
    return d.amount * _MIN_DAYS[d.unit]


class Checker:
    """Collects diagnostics; the shared checks: a known name, a sane duration, a statement once."""

    def __init__(self) -> None:
        self.found: list[Diagnostic] = []
        # name -> declaration, filled in by the validator before any purpose is checked
        self.categories: dict = {}
        self.subjects: dict = {}
        self.recipients: dict = {}

    def report(self, code: str, message: str, span: ast.Span, hint: str | None = None) -> None:
        """Add one diagnostic."""
        self.found.append(Diagnostic(code, message, span, hint))

    def known(self, name: ast.Name, table, what: str, extra_hint: str | None = None) -> bool:
        """True if the name is in ``table``; else PE101, with a \"did you mean\"."""
        if name.value in table:
            return True
        hint = did_you_mean(name.value, table) or extra_hint
        if hint is None:
            hint = "known: " + ", ".join(sorted(table)[:12])
        self.report("PE101", f"unknown {what} '{name.value}'", name.span, hint)
        return False

    def duration(self, d: ast.Duration) -> bool:
        """True if the duration is possible; else PE207 (zero, or past any statutory period)."""
        if d.amount == 0:
            self.report("PE207", f"a duration of {d}", d.span, "a duration is at least 1")
            return False
        if min_days(d) > LONGEST_RETENTION_YEARS * 365:
            self.report("PE207", f"a duration of {d} is longer than {LONGEST_RETENTION_YEARS} years",
                        d.span)
            return False
        return True

    def declared(self, declarations, what: str) -> dict:
        """Name -> declaration; a second declaration of a name is PE102."""
        table: dict = {}
        for d in declarations:
            if d.name.value in table:
                first = table[d.name.value]
                self.report("PE102", f"{what} '{d.name.value}' is declared twice", d.name.span,
                            f"first declared at line {first.name.span.line}")
            else:
                table[d.name.value] = d
        return table

    def once(self, body, kinds: tuple[type, ...], where: str) -> None:
        """PE104 for a statement of ``kinds`` given twice in one block."""
        seen: dict[str, ast.Span] = {}
        for stmt in body:
            key = type(stmt).__name__
            if isinstance(stmt, ast.Retain):  # one maximum and one minimum per clock start
                key += f"{stmt.bound}/{stmt.anchor.value}"
            if not isinstance(stmt, kinds):
                continue
            if key in seen:
                self.report("PE104", f"{_stmt_title(stmt)} is given twice in {where}", stmt.span,
                            f"first given at line {seen[key].line}; keep one")
            else:
                seen[key] = stmt.span


def _stmt_title(stmt) -> str:
    if isinstance(stmt, ast.Retain):
        return f"'retain {stmt.bound.replace('_', ' ')} ... from {stmt.anchor.value}'"
    words = {"RetainUntilWithdrawn": "retain until withdrawn", "OnWithdrawal": "on withdrawal",
             "LegalHold": "legal hold", "SpecialCondition": "special condition",
             "FinancialYearEnd": "financial year ends", "RespondWithin": "respond within",
             "ExtendableBy": "extendable by", "LogKeep": "keep", "LogTruncate": "truncate"}
    name = type(stmt).__name__
    return "'" + words.get(name, name.lower()) + "'"

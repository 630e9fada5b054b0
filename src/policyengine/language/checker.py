"""The checker every validation pass reports through, and the duration arithmetic they share."""

from __future__ import annotations

from . import ast, periods
from .diagnostics import Diagnostic, did_you_mean

LONGEST_RETENTION_YEARS = 150  # past any statutory period: a typo, not a policy
_MOST_DAYS = {"day": 1, "week": 7, "month": 31, "year": 366}


def surely_longer(a: ast.Duration, b: ast.Duration) -> bool:
    """a can end later than b from the same start day (exact over the calendar:
    ``legal hold 2558 days`` can outlast ``retain at most 7 years``)."""
    return periods.can_exceed(a, b)


def lengths(*durations: ast.Duration) -> str:
    """' (2558 days against 2555-2557 days)' when a part is not whole months."""
    if all(not d.days for d in durations):
        return ""

    def days(d):
        low, high = periods.shortest(d), periods.longest(d)
        return f"{low} days" if low == high else f"{low}-{high} days"
    return " (" + " against ".join(days(d) for d in durations) + ")"


def min_days(d: ast.Duration) -> int:
    return periods.shortest(d)


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
        """True if the duration is possible; else PE207 (a zero part, a unit twice, or past any
        statutory period: each part, then the total)."""
        seen = set()
        for part in d.parts:
            if part.amount == 0:
                self.report("PE207", f"a duration of {part}" + (f" (in {d})" if d.more else ""), part.span,
                            "a duration is at least 1" if not d.more else "leave the zero part out")
                return False
            if part.unit in seen:
                self.report("PE207", f"{d} gives {part.unit}s twice", part.span,
                            "write each unit once: 1 year 6 months")
                return False
            seen.add(part.unit)
            if part.amount * _MOST_DAYS[part.unit] > LONGEST_RETENTION_YEARS * 366:  # before any arithmetic
                self.report("PE207", f"a duration of {part} is longer than {LONGEST_RETENTION_YEARS} years",
                            part.span)
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
    words = {"RetainUntilWithdrawn": "retain until withdrawn", "OnWithdrawal": "on withdrawal", "OnHoldEnd": "on hold end", "NextWorkingDay": "next working day",
             "LegalHold": "legal hold", "SpecialCondition": "special condition",
             "FinancialYearEnd": "financial year ends", "RespondWithin": "respond within",
             "ExtendableBy": "extendable by", "LogKeep": "keep", "LogTruncate": "truncate",
             "DpoContact": "dpo contact", "AutomatedDecisions": "automated decisions"}
    name = type(stmt).__name__
    return "'" + words.get(name, name.lower()) + "'"

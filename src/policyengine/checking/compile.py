"""Compiling a validated policy into the check IR: plain frozen dataclasses.

The IR says, per purpose, which rules apply to a record: which date field the
clock starts from (the anchor), which offset (an ``ast.Duration``), which
comparison, which finding code, and the clause of the policy that says so.
It holds no Python callables: ``evaluate.lower_to_python`` turns it into
them, and the same IR can later be lowered to SQL. ``to_dict()`` shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from ..language import ast
from ..language import vocabulary as vocab


class Comparison(StrEnum):
    """What a rule asks of today against due = anchor + offset."""

    OVERDUE = "overdue"  # today > due: the action (erase, answer) is late
    PROTECTED = "protected"  # today < due: the record must not be erased yet


OVERDUE = Comparison.OVERDUE
PROTECTED = Comparison.PROTECTED


class RuleKind(StrEnum):
    """Where a rule comes from in the policy."""

    MAX_RETENTION = "max_retention"  # retain at most ... (erase after)
    BACKUP_RETENTION = "backup_retention"  # retain at most ... from deleted (backups)
    WITHDRAWAL_ERASE = "withdrawal_erase"  # on withdrawal erase [within ...]
    ERASURE_REQUEST = "erasure_request"  # an erasure request, answered by the request deadline
    MIN_RETENTION = "min_retention"  # retain at least ... (keep until)
    LEGAL_HOLD = "legal_hold"  # legal hold ... (keep until, despite erasure)
    REQUEST_DEADLINE = "request_deadline"  # respond within ... [extendable by ...]

# Anchors a record carries as a date column; financial_year_end is derived.
DERIVED_ANCHORS = {"financial_year_end"}


@dataclass(frozen=True)
class Rule:
    kind: RuleKind
    code: str  # the finding code it raises
    anchor: vocab.RuleAnchor  # the clock start: a record date field, or financial_year_end
    offset: ast.Duration
    comparison: Comparison
    span: ast.Span
    clause: str  # the clause as written in the policy
    citation: str | None = None
    extension: ast.Duration | None = None  # request deadlines: the extended deadline

    @property
    def where(self) -> str:
        return f"{self.span.file}:{self.span.line}"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "code": self.code, "anchor": self.anchor,
                "offset": str(self.offset), "comparison": self.comparison,
                "extension": str(self.extension) if self.extension else None,
                "citation": self.citation, "source": self.where, "clause": self.clause}


@dataclass(frozen=True)
class CompiledPurpose:
    name: str
    span: ast.Span
    basis: vocab.Basis | Literal[""]  # "": none stated
    consent: bool  # consent-based: a record needs consent given and not withdrawn
    special_condition: str | None
    subjects: frozenset[str]
    categories: frozenset[str]
    recipients: frozenset[str]
    erase: tuple[Rule, ...]  # rules whose OVERDUE comparison means: erase
    keep: tuple[Rule, ...]  # rules whose PROTECTED comparison means: keep

    @property
    def where(self) -> str:
        return f"{self.span.file}:{self.span.line}"

    def to_dict(self) -> dict:
        return {"name": self.name, "source": self.where, "basis": self.basis,
                "consent": self.consent, "special_condition": self.special_condition,
                "subjects": sorted(self.subjects), "categories": sorted(self.categories),
                "recipients": sorted(self.recipients),
                "erase": [r.to_dict() for r in self.erase], "keep": [r.to_dict() for r in self.keep]}


@dataclass(frozen=True)
class CompiledRecipient:
    name: str
    country: str | None
    safeguard: str | None
    span: ast.Span

    @property
    def transfer_ok(self) -> bool:
        """No transfer problem: in the EEA, adequate, unknown country, or a safeguard named."""
        return (self.country is None or self.country in vocab.EEA_COUNTRIES
                or self.country in vocab.ADEQUATE_COUNTRIES
                or (self.safeguard is not None and self.safeguard != "adequacy"))


@dataclass(frozen=True)
class CompiledPolicy:
    path: str
    controller: str
    financial_year_end: tuple[int, int]  # (month, day)
    purposes: tuple[CompiledPurpose, ...]
    subjects: frozenset[str]
    categories: frozenset[str]
    special_categories: frozenset[str]
    recipients: tuple[CompiledRecipient, ...]
    erasure_request: Rule | None  # an erasure request is due within the request deadline
    request_deadline: Rule | None

    def purpose(self, name: str) -> CompiledPurpose | None:
        return next((p for p in self.purposes if p.name == name), None)

    def anchors_for(self, purpose: CompiledPurpose) -> set[str]:
        return {r.anchor for r in purpose.erase + purpose.keep}

    def to_dict(self) -> dict:
        return {
            "policy": self.path, "controller": self.controller,
            "financial_year_end": "%02d-%02d" % self.financial_year_end,
            "purposes": [p.to_dict() for p in self.purposes],
            "subjects": sorted(self.subjects), "categories": sorted(self.categories),
            "special_categories": sorted(self.special_categories),
            "recipients": [{"name": r.name, "country": r.country, "safeguard": r.safeguard,
                            "transfer_ok": r.transfer_ok,
                            "source": f"{r.span.file}:{r.span.line}"} for r in self.recipients],
            "erasure_request": self.erasure_request.to_dict() if self.erasure_request else None,
            "request_deadline": self.request_deadline.to_dict() if self.request_deadline else None,
        }


def clause_text(policy: ast.PolicyFile, span: ast.Span) -> str:
    """The clause as written: its span's text on its first line."""
    lines = policy.source.splitlines()
    if not 1 <= span.line <= len(lines):
        return ""
    line = lines[span.line - 1]
    end = span.end_column - 1 if span.end_line == span.line else len(line)
    return line[span.column - 1:end].strip()


ZERO_DAYS = ast.Duration(0, ast.Unit.DAY)


def compile_policy(policy: ast.PolicyFile) -> CompiledPolicy:
    """The check IR of a validated policy (see ``loading.load_policy``)."""
    def rule(kind, code, anchor, offset, comparison, node, citation=None, extension=None) -> Rule:
        return Rule(kind, code, anchor, offset, comparison, node.span, clause_text(policy, node.span),
                    citation, extension)

    controller = policy.controller
    fye = controller.first(ast.FinancialYearEnd) if controller else None
    requests = policy.requests
    respond = requests.respond_within if requests else None
    extend = requests.extendable_by if requests else None

    purposes = []
    for p in policy.purposes:
        erase, keep = [], []
        for r in p.retention:
            if r.bound == ast.Bound.AT_MOST:
                backup = r.anchor.value == "deleted"
                erase.append(rule(RuleKind.BACKUP_RETENTION if backup else RuleKind.MAX_RETENTION,
                                  "PC103" if backup else "PC101", r.anchor.value, r.duration, OVERDUE, r))
            else:
                keep.append(rule(RuleKind.MIN_RETENTION, "PC201", r.anchor.value, r.duration, PROTECTED, r))
        withdrawal = p.on_withdrawal or p.until_withdrawn
        if withdrawal is not None:
            # No period stated: erase without undue delay, at the latest by the
            # request deadline (GDPR Art. 17(1)(b) with Art. 12(3)).
            within = p.on_withdrawal.within if p.on_withdrawal and p.on_withdrawal.within else None
            offset = within or (respond.duration if respond else ZERO_DAYS)
            erase.append(rule(RuleKind.WITHDRAWAL_ERASE, "PC102", "consent_withdrawn", offset, OVERDUE,
                              withdrawal))
        hold = p.legal_hold
        if hold is not None:
            keep.append(rule(RuleKind.LEGAL_HOLD, "PC202", hold.anchor.value, hold.duration, PROTECTED, hold,
                             hold.citation))
        basis = p.basis.kind.value if p.basis else ""
        purposes.append(CompiledPurpose(
            p.name.value, p.span, basis, basis == "consent",
            p.special_condition.kind.value if p.special_condition else None,
            frozenset(n.value for n in p.names(ast.Subjects)),
            frozenset(n.value for n in p.names(ast.Categories)),
            frozenset(n.value for n in p.names(ast.Recipients)),
            tuple(erase), tuple(keep)))

    erasure = deadline = None
    if respond is not None:
        erasure = rule(RuleKind.ERASURE_REQUEST, "PC104", "erasure_requested", respond.duration, OVERDUE,
                       respond, extension=extend.duration if extend else None)
        deadline = rule(RuleKind.REQUEST_DEADLINE, "PC601", "request_received", respond.duration, OVERDUE,
                        respond, extension=extend.duration if extend else None)
    return CompiledPolicy(
        policy.path, controller.name if controller else "",
        (fye.month, fye.day) if fye else (12, 31),
        tuple(purposes),
        frozenset(s.name.value for s in policy.subjects),
        frozenset(c.name.value for c in policy.categories),
        frozenset(c.name.value for c in policy.categories if c.kind == ast.CategoryKind.SPECIAL),
        tuple(CompiledRecipient(r.name.value, r.country.code.value if r.country else None,
                                r.transfer.safeguard.value if r.transfer else None, r.span)
              for r in policy.recipients),
        erasure, deadline)

"""Findings: what `check` says must be done about one record, each with a stable code.

Codes never change meaning; retire a code rather than reuse it. The table is
documented in docs/check.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# code: (action, short title). The action groups findings in reports.
CODES: dict[str, tuple[str, str]] = {
    "PC101": ("erase", "past maximum retention"),
    "PC102": ("erase", "consent withdrawn, erasure deadline passed"),
    "PC103": ("erase", "backup copy kept past the backup retention"),
    "PC104": ("erase", "erasure requested, deadline passed"),
    "PC201": ("keep", "inside minimum retention: must not be erased yet"),
    "PC202": ("keep", "under legal hold: must not be erased yet"),
    "PC301": ("consent", "consent-based processing with no consent recorded"),
    "PC302": ("consent", "processed after consent was withdrawn"),
    "PC401": ("unknown", "purpose not in the policy"),
    "PC402": ("unknown", "data subject not covered by the purpose"),
    "PC403": ("unknown", "data category not covered by the purpose"),
    "PC404": ("unknown", "recipient not covered by the purpose"),
    "PC501": ("lawfulness", "special-category data without an Art. 9(2) condition"),
    "PC502": ("transfer", "recipient outside the EEA without a transfer safeguard"),
    "PC601": ("request", "data-subject request not answered by the deadline"),
    "PC602": ("request", "data-subject request answered after the deadline"),
    "PC901": ("data", "unreadable date"),
    "PC902": ("data", "date needed by a rule is missing"),
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing to do (or not to do) about one record.

    ``due`` is the day the action became due: for erase and request findings
    the last day the record could lawfully be kept or the request answered;
    for keep findings the day from which the record may be erased. ``days`` is
    how many days overdue (erase, request) or how many days remain (keep).
    """

    code: str
    record: str  # the record's key
    location: str  # where the record is: file:line, or database#table:row
    purpose: str | None
    rule: str | None  # file:line of the policy clause that decided it
    clause: str | None  # that clause as written
    due: date | None
    days: int | None
    message: str

    @property
    def action(self) -> str:
        return CODES[self.code][0]

    @property
    def title(self) -> str:
        return CODES[self.code][1]

    def to_dict(self) -> dict:
        return {
            "code": self.code, "action": self.action, "title": self.title,
            "record": self.record, "location": self.location, "purpose": self.purpose,
            "rule": self.rule, "clause": self.clause,
            "due": self.due.isoformat() if self.due else None, "days": self.days,
            "message": self.message,
        }


def as_tuples(findings: list[Finding]) -> list[tuple]:
    """Findings as plain tuples (cheap to send from a worker process): ``Finding(*t)`` again."""
    return [(f.code, f.record, f.location, f.purpose, f.rule, f.clause, f.due, f.days, f.message)
            for f in findings]

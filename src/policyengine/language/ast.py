"""The policy's abstract syntax: frozen dataclasses, each with its source span.

Spans never take part in equality (``compare=False``), so a policy and its
formatted copy compare equal when they mean the same thing. Labels and
citations stay in the tree: they are what the notice and the Art. 30 record
will be written from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Union

from .kinds import Bound, CategoryKind, RecipientRole, Unit  # noqa: F401 - part of the AST's vocabulary


@dataclass(frozen=True)
class Span:
    """Where a node is in its file: 1-based line and column, end exclusive."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


NO_SPAN = Span("<none>", 0, 0, 0, 0)


def _span() -> Span:
    return field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True)
class Name:
    """An identifier as written, e.g. a reference to a category."""

    value: str
    span: Span = _span()

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Duration:
    """A period as written: ``amount`` calendar units (months and years are calendar months and years)."""

    amount: int
    unit: Unit
    span: Span = _span()

    def __str__(self) -> str:
        return f"{self.amount} {self.unit}{'' if self.amount == 1 else 's'}"

    def approx_days(self) -> float:
        """For comparisons only (min vs max); evaluation uses calendar maths."""
        return self.amount * {"day": 1, "week": 7, "month": 30.44, "year": 365.25}[self.unit]


# ---- controller -------------------------------------------------------------
@dataclass(frozen=True)
class Contact:
    """``contact "..."``: how to reach the controller."""

    value: str
    span: Span = _span()


@dataclass(frozen=True)
class Dpo:
    """``dpo "..."``: the data protection officer."""

    value: str
    span: Span = _span()


@dataclass(frozen=True)
class Authority:
    """``authority NAME``: the supervisory authority (IMY, Datatilsynet, ...)."""

    name: Name
    span: Span = _span()


@dataclass(frozen=True)
class Jurisdiction:
    """``jurisdiction CC``: the controller's country."""

    name: Name
    span: Span = _span()


@dataclass(frozen=True)
class FinancialYearEnd:
    """``financial year ends MM-DD``: the clock of bookkeeping retention."""

    month: int
    day: int
    span: Span = _span()


ControllerStatement = Union[Contact, Dpo, Authority, Jurisdiction, FinancialYearEnd]


@dataclass(frozen=True)
class Controller:
    """``controller "Name" { ... }``: who decides on the processing."""

    name: str
    body: tuple[ControllerStatement, ...]
    span: Span = _span()

    def first(self, kind: type):
        return next((s for s in self.body if isinstance(s, kind)), None)


# ---- vocabulary -------------------------------------------------------------
@dataclass(frozen=True)
class Category:
    """``category NAME "label" [is special KIND | is national identifier]``."""

    name: Name
    label: str | None
    kind: CategoryKind
    special: Name | None = None  # which Art. 9(1) category, when kind == "special"
    span: Span = _span()


@dataclass(frozen=True)
class Subject:
    """``subject NAME "label"``: a kind of data subject."""

    name: Name
    label: str | None
    span: Span = _span()


@dataclass(frozen=True)
class Country:
    """``country CC``: where a recipient is."""

    code: Name
    span: Span = _span()


@dataclass(frozen=True)
class Transfer:
    """``transfer SAFEGUARD "note"``: the safeguard of a transfer out of the EU/EEA."""

    safeguard: Name
    note: str | None
    span: Span = _span()


RecipientStatement = Union[Country, Transfer]


@dataclass(frozen=True)
class Recipient:
    """``recipient|processor NAME "label" { ... }``: who receives the data."""

    role: RecipientRole
    name: Name
    label: str | None
    body: tuple[RecipientStatement, ...]
    span: Span = _span()

    @property
    def country(self) -> Country | None:
        return next((s for s in self.body if isinstance(s, Country)), None)

    @property
    def transfer(self) -> Transfer | None:
        return next((s for s in self.body if isinstance(s, Transfer)), None)


# ---- purposes ---------------------------------------------------------------
@dataclass(frozen=True)
class Subjects:
    """``subjects a, b``: the data subjects of a purpose."""

    names: tuple[Name, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Categories:
    """``categories a, b``: the data categories of a purpose."""

    names: tuple[Name, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Recipients:
    """``recipients a, b``: who a purpose's data goes to."""

    names: tuple[Name, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Basis:
    """``basis KIND ["citation"]``: the lawful basis (GDPR Art. 6(1))."""

    kind: Name  # an Art. 6(1) basis
    citation: str | None  # the law, task or interest relied on
    span: Span = _span()


@dataclass(frozen=True)
class SpecialCondition:
    """``special condition KIND``: the Art. 9(2) condition for special categories."""

    kind: Name  # an Art. 9(2) condition
    note: str | None
    span: Span = _span()


@dataclass(frozen=True)
class Retain:
    """``retain at most|at least D from ANCHOR``: a maximum or minimum retention."""

    bound: Bound
    duration: Duration
    anchor: Name  # what the clock starts from
    span: Span = _span()


@dataclass(frozen=True)
class RetainUntilWithdrawn:
    """``retain until withdrawn``: consent-based data kept until consent is withdrawn."""

    span: Span = _span()


@dataclass(frozen=True)
class LegalHold:
    """``legal hold D from ANCHOR "law"``: kept despite erasure, until ANCHOR + D."""

    duration: Duration
    anchor: Name
    citation: str | None
    span: Span = _span()


@dataclass(frozen=True)
class OnWithdrawal:
    """``on withdrawal erase [within D]``: erasure after consent is withdrawn."""

    within: Duration | None
    span: Span = _span()


@dataclass(frozen=True)
class LogKeep:
    """``keep at most D``: how long log lines are kept."""

    bound: Bound
    duration: Duration
    span: Span = _span()


@dataclass(frozen=True)
class LogTruncate:
    """``truncate ipv4 /N ipv6 /M``: the address prefixes the scrubber keeps."""

    ipv4_prefix: int
    ipv6_prefix: int
    span: Span = _span()
    ipv4_span: Span = _span()
    ipv6_span: Span = _span()


LogStatement = Union[LogKeep, LogTruncate]


@dataclass(frozen=True)
class Logs:
    """``logs KIND, ... { ... }``: the log rules the scrubber applies."""

    kinds: tuple[Name, ...]
    body: tuple[LogStatement, ...]
    span: Span = _span()

    @property
    def keep(self) -> LogKeep | None:
        return next((s for s in self.body if isinstance(s, LogKeep)), None)

    @property
    def truncate(self) -> LogTruncate | None:
        return next((s for s in self.body if isinstance(s, LogTruncate)), None)


PurposeStatement = Union[
    Subjects, Categories, Recipients, Basis, SpecialCondition, Retain,
    RetainUntilWithdrawn, LegalHold, OnWithdrawal, Logs,
]


@dataclass(frozen=True)
class Purpose:
    """``purpose NAME "label" { ... }``: one purpose of processing and its rules."""

    name: Name
    label: str | None
    body: tuple[PurposeStatement, ...]
    span: Span = _span()

    def all(self, kind: type) -> Iterator:
        return (s for s in self.body if isinstance(s, kind))

    def first(self, kind: type):
        return next(self.all(kind), None)

    def names(self, kind: type) -> tuple[Name, ...]:
        return tuple(n for s in self.all(kind) for n in s.names)

    @property
    def basis(self) -> Basis | None:
        return self.first(Basis)

    @property
    def special_condition(self) -> SpecialCondition | None:
        return self.first(SpecialCondition)

    @property
    def retention(self) -> tuple[Retain, ...]:
        return tuple(self.all(Retain))

    @property
    def until_withdrawn(self) -> RetainUntilWithdrawn | None:
        return self.first(RetainUntilWithdrawn)

    @property
    def legal_hold(self) -> LegalHold | None:
        return self.first(LegalHold)

    @property
    def on_withdrawal(self) -> OnWithdrawal | None:
        return self.first(OnWithdrawal)

    @property
    def logs(self) -> tuple[Logs, ...]:
        return tuple(self.all(Logs))


# ---- data-subject requests --------------------------------------------------
@dataclass(frozen=True)
class RespondWithin:
    """``respond within D``: the deadline for data-subject requests (Art. 12(3))."""

    duration: Duration
    span: Span = _span()


@dataclass(frozen=True)
class ExtendableBy:
    """``extendable by D``: how far that deadline may be extended."""

    duration: Duration
    span: Span = _span()


@dataclass(frozen=True)
class Requests:
    """``requests { ... }``: the data-subject request deadlines."""

    body: tuple[RespondWithin | ExtendableBy, ...]
    span: Span = _span()

    @property
    def respond_within(self) -> RespondWithin | None:
        return next((s for s in self.body if isinstance(s, RespondWithin)), None)

    @property
    def extendable_by(self) -> ExtendableBy | None:
        return next((s for s in self.body if isinstance(s, ExtendableBy)), None)


Declaration = Union[Controller, Category, Subject, Recipient, Purpose, Requests]


@dataclass(frozen=True)
class Comment:
    """A ``#`` comment: its text, position, and whether it stands alone on its line."""

    text: str  # including the leading '#'
    line: int
    column: int
    own_line: bool  # nothing but white space before it on its line


@dataclass(frozen=True)
class PolicyFile:
    """One parsed policy file: its declarations, comments and source text."""

    path: str
    declarations: tuple[Declaration, ...]
    comments: tuple[Comment, ...] = field(default=(), compare=False, repr=False)
    source: str = field(default="", compare=False, repr=False)

    def of(self, kind: type) -> tuple:
        return tuple(d for d in self.declarations if isinstance(d, kind))

    @property
    def controller(self) -> Controller | None:
        found = self.of(Controller)
        return found[0] if found else None

    @property
    def purposes(self) -> tuple[Purpose, ...]:
        return self.of(Purpose)

    @property
    def categories(self) -> tuple[Category, ...]:
        return self.of(Category)

    @property
    def subjects(self) -> tuple[Subject, ...]:
        return self.of(Subject)

    @property
    def recipients(self) -> tuple[Recipient, ...]:
        return self.of(Recipient)

    @property
    def requests(self) -> Requests | None:
        found = self.of(Requests)
        return found[0] if found else None

    def purpose(self, name: str) -> Purpose | None:
        return next((p for p in self.purposes if p.name.value == name), None)

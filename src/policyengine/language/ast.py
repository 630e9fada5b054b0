"""The policy's abstract syntax: frozen dataclasses, each with its source span.

Spans never take part in equality (``compare=False``), so a policy and its
formatted copy compare equal when they mean the same thing. Labels and
citations stay in the tree: they are what the notice and the Art. 30 record
will be written from.
"""

from __future__ import annotations

from dataclasses import MISSING, FrozenInstanceError, dataclass, field, fields
from operator import attrgetter
from collections.abc import Iterator

from .kinds import Bound, CategoryKind, RecipientRole, Unit  # noqa: F401 - part of the AST's vocabulary


# The AST's 40 node classes are frozen dataclasses; ``@dataclass`` compiles six functions
# for each (__init__, __repr__, __eq__, __hash__, __setattr__, __delattr__), which was most of
# `policyengine lint`'s import time. ``node`` lets dataclass compile none of them and gives
# every class the same six functions below, written once, that do what the generated ones
# do (fields in order, defaults, spans out of equality and repr, no assignment).
def _init(self, *args, **kwargs):
    names, defaults = self._node_init
    if len(args) > len(names):
        raise TypeError(f"{type(self).__name__}.__init__() takes {len(names) + 1} positional arguments "
                        f"but {len(args) + 1} were given")
    put = object.__setattr__
    for name, value in zip(names, args):
        put(self, name, value)
    for name in names[len(args):]:
        if name in kwargs:
            put(self, name, kwargs.pop(name))
        elif name in defaults:
            put(self, name, defaults[name])
        else:
            raise TypeError(f"{type(self).__name__}.__init__() missing required argument: {name!r}")
    if kwargs:
        name = next(iter(kwargs))
        why = "multiple values for argument" if name in names else "an unexpected keyword argument"
        raise TypeError(f"{type(self).__name__}.__init__() got {why} {name!r}")


def _eq(self, other):
    if other.__class__ is self.__class__:
        return self._node_key(self) == self._node_key(other)
    return NotImplemented


def _hash(self):
    return hash(self._node_key(self))


def _repr(self):
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._node_repr)
    return f"{type(self).__qualname__}({shown})"


def _key_of(names: tuple[str, ...]):
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return attrgetter(*names) if names else (lambda obj: ())


def _setattr(self, name, value):
    if "_node_init" in type(self).__dict__ or name in self._node_init[0]:  # as dataclass's: a plain
        raise FrozenInstanceError(f"cannot assign to field {name!r}")  # subclass may add attributes
    object.__setattr__(self, name, value)


def _delattr(self, name):
    if "_node_init" in type(self).__dict__ or name in self._node_init[0]:
        raise FrozenInstanceError(f"cannot delete field {name!r}")
    object.__delattr__(self, name)


def node(cls):
    """``@dataclass(frozen=True)`` at a fraction of the cost to create (see above)."""
    cls = dataclass(init=False, repr=False, eq=False)(cls)  # nothing compiled: the frozen pair is below
    cls.__dataclass_params__.frozen = True
    cls.__setattr__, cls.__delattr__ = _setattr, _delattr
    own = fields(cls)
    cls._node_init = (tuple(f.name for f in own),
                      {f.name: f.default for f in own if f.default is not MISSING})
    cls._node_key = staticmethod(_key_of(tuple(f.name for f in own if f.compare)))
    cls._node_repr = tuple(f.name for f in own if f.repr)
    cls.__init__, cls.__eq__, cls.__hash__, cls.__repr__ = _init, _eq, _hash, _repr
    return cls


@node
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


@node
class Name:
    """An identifier as written, e.g. a reference to a category."""

    value: str
    span: Span = _span()

    def __str__(self) -> str:
        return self.value


@node
class Duration:
    """A period as written: ``amount`` calendar units (months and years are calendar months
    and years), or, compound, ``7 years 6 months``: the first part is ``amount unit``, the
    others are in ``more`` (largest unit first, each with its span). A compound duration
    is added in one step, as relativedelta(years=7, months=6) adds it: the months first
    with one month-end clamp, then the days (``months``, ``days``)."""

    amount: int
    unit: Unit
    span: Span = _span()
    more: tuple["Duration", ...] = ()

    @property
    def parts(self) -> tuple["Duration", ...]:
        return (Duration(self.amount, self.unit, self.span) if self.more else self,) + self.more

    @property
    def months(self) -> int:
        return sum(p.amount * UNIT_MONTHS.get(p.unit, 0) for p in self.parts)

    @property
    def days(self) -> int:
        return sum(p.amount * UNIT_DAYS.get(p.unit, 0) for p in self.parts)

    def __str__(self) -> str:
        return " ".join(f"{p.amount} {p.unit}{'' if p.amount == 1 else 's'}" for p in self.parts)

    def approx_days(self) -> float:
        """For comparisons only (min vs max); evaluation uses calendar maths."""
        return self.months * 30.44 + self.days


UNITS = ("year", "month", "week", "day")  # largest first: the canonical order of parts
UNIT_MONTHS = {"year": 12, "month": 1}
UNIT_DAYS = {"week": 7, "day": 1}


# ---- controller -------------------------------------------------------------
@node
class Contact:
    """``contact "..."``: how to reach the controller."""

    value: str
    span: Span = _span()


@node
class Dpo:
    """``dpo "..."``: the data protection officer."""

    value: str
    span: Span = _span()


@node
class Authority:
    """``authority NAME``: the supervisory authority (IMY, Datatilsynet, ...)."""

    name: Name
    span: Span = _span()


@node
class Jurisdiction:
    """``jurisdiction CC``: the controller's country."""

    name: Name
    span: Span = _span()


@node
class FinancialYearEnd:
    """``financial year ends MM-DD``: the clock of bookkeeping retention."""

    month: int
    day: int
    span: Span = _span()


# What Art. 13 and Art. 30 need and the first version of the language could not say.
@node
class Address:
    """The controller's postal address, GDPR Art. 13(1)(a)."""

    value: str
    span: Span = _span()


@node
class Representative:
    """GDPR Art. 27: the representative in the Union of a controller outside it."""

    name: str
    contact: str | None
    span: Span = _span()


@node
class DpoContact:
    """How to reach the data protection officer, GDPR Art. 13(1)(b)."""

    value: str
    span: Span = _span()


@node
class AutomatedDecisions:
    """GDPR Art. 13(2)(f), Art. 22: automated decision-making; description None: there is none."""

    description: str | None
    span: Span = _span()


@node
class Security:
    """A general description of the security measures, GDPR Art. 30(1)(g), Art. 32."""

    description: str
    span: Span = _span()


ControllerStatement = (Contact | Dpo | Authority | Jurisdiction | FinancialYearEnd
                       | Address | Representative | DpoContact | AutomatedDecisions | Security)


@node
class Controller:
    """``controller "Name" { ... }``: who decides on the processing."""

    name: str
    body: tuple[ControllerStatement, ...]
    span: Span = _span()

    def first(self, kind: type):
        return next((s for s in self.body if isinstance(s, kind)), None)

    def text(self, kind: type) -> str | None:
        """The string a statement of this kind carries, or None when it is absent."""
        stmt = self.first(kind)
        if stmt is None:
            return None
        return next(getattr(stmt, f) for f in ("value", "description", "name") if hasattr(stmt, f))


# ---- vocabulary -------------------------------------------------------------
@node
class Category:
    """``category NAME "label" [is special KIND | is national identifier]``."""

    name: Name
    label: str | None
    kind: CategoryKind
    special: Name | None = None  # which Art. 9(1) category, when kind == "special"
    span: Span = _span()


@node
class Subject:
    """``subject NAME "label"``: a kind of data subject."""

    name: Name
    label: str | None
    span: Span = _span()


@node
class Country:
    """``country CC``: where a recipient is."""

    code: Name
    span: Span = _span()


@node
class Transfer:
    """``transfer SAFEGUARD "note"``: the safeguard of a transfer out of the EU/EEA."""

    safeguard: Name
    note: str | None
    span: Span = _span()


RecipientStatement = (Country | Transfer)


@node
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
@node
class Subjects:
    """``subjects a, b``: the data subjects of a purpose."""

    names: tuple[Name, ...]
    span: Span = _span()


@node
class Categories:
    """``categories a, b``: the data categories of a purpose."""

    names: tuple[Name, ...]
    span: Span = _span()


@node
class Recipients:
    """``recipients a, b``: who a purpose's data goes to."""

    names: tuple[Name, ...]
    span: Span = _span()


@node
class Basis:
    """``basis KIND [to SCOPE] ["citation"]``: the lawful basis (GDPR Art. 6(1))."""

    kind: Name  # an Art. 6(1) basis
    citation: str | None  # the law, task or interest relied on
    span: Span = _span()
    scope: Name | None = None  # `basis consent to newsletter`: what was consented to (GDPR Art. 4(11))


@node
class SpecialCondition:
    """``special condition KIND``: the Art. 9(2) condition for special categories."""

    kind: Name  # an Art. 9(2) condition
    note: str | None
    span: Span = _span()


@node
class Retain:
    """``retain at most|at least D from ANCHOR``: a maximum or minimum retention."""

    bound: Bound
    duration: Duration
    anchor: Name  # what the clock starts from
    span: Span = _span()


@node
class RetainUntilWithdrawn:
    """``retain until withdrawn``: consent-based data kept until consent is withdrawn."""

    span: Span = _span()


@node
class LegalHold:
    """``legal hold D from ANCHOR "law"``: kept despite erasure, until ANCHOR + D."""

    duration: Duration
    anchor: Name
    citation: str | None
    span: Span = _span()


@node
class OnWithdrawal:
    """``on withdrawal erase [within D]``: erasure after consent is withdrawn."""

    within: Duration | None
    span: Span = _span()


@node
class OnHoldEnd:
    """``on hold end erase within D``: erasure once the legal hold has run; the period
    starts on the hold's last day (an erasure request made during the hold included)."""

    within: Duration
    span: Span = _span()


@node
class LogKeep:
    """``keep at most D``: how long log lines are kept."""

    bound: Bound
    duration: Duration
    span: Span = _span()


@node
class LogTruncate:
    """``truncate ipv4 /N ipv6 /M``: the address prefixes the scrubber keeps."""

    ipv4_prefix: int
    ipv6_prefix: int
    span: Span = _span()
    ipv4_span: Span = _span()
    ipv6_span: Span = _span()


LogStatement = (LogKeep | LogTruncate)


@node
class Provision:
    """GDPR Art. 13(2)(e): must the data subject provide the data, and what if not."""

    kind: Name  # statutory | contractual | contract_precondition | voluntary
    consequence: str | None
    span: Span = _span()


@node
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


PurposeStatement = (Subjects | Categories | Recipients | Basis | SpecialCondition | Retain
                    | RetainUntilWithdrawn | LegalHold | OnWithdrawal | OnHoldEnd | Logs | Provision)


@node
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
    def on_hold_end(self) -> OnHoldEnd | None:
        return self.first(OnHoldEnd)

    @property
    def logs(self) -> tuple[Logs, ...]:
        return tuple(self.all(Logs))

    @property
    def provision(self) -> Provision | None:
        return self.first(Provision)


# ---- data-subject requests --------------------------------------------------
@node
class RespondWithin:
    """``respond within D``: the deadline for data-subject requests (Art. 12(3))."""

    duration: Duration
    span: Span = _span()


@node
class ExtendableBy:
    """``extendable by D``: how far that deadline may be extended."""

    duration: Duration
    span: Span = _span()


@node
class NextWorkingDay:
    """``next working day``: a request deadline that ends on a non-working day moves to the
    next working day, under the controller's jurisdiction (docs/check.md)."""

    span: Span = _span()


@node
class Requests:
    """``requests { ... }``: the data-subject request deadlines."""

    body: tuple[RespondWithin | ExtendableBy | NextWorkingDay, ...]
    span: Span = _span()

    @property
    def next_working_day(self) -> NextWorkingDay | None:
        return next((s for s in self.body if isinstance(s, NextWorkingDay)), None)

    @property
    def respond_within(self) -> RespondWithin | None:
        return next((s for s in self.body if isinstance(s, RespondWithin)), None)

    @property
    def extendable_by(self) -> ExtendableBy | None:
        return next((s for s in self.body if isinstance(s, ExtendableBy)), None)


Declaration = (Controller | Category | Subject | Recipient | Purpose | Requests)


@node
class Comment:
    """A ``#`` comment: its text, position, and whether it stands alone on its line."""

    text: str  # including the leading '#'
    line: int
    column: int
    own_line: bool  # nothing but white space before it on its line


@node
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

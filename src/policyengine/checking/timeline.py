"""Where a run's records stand in each purpose's retention periods: the HTML report's timeline.

For every purpose and every date field its retention rules count from (a *lane*: collected,
consent_withdrawn, the transaction day of a legal hold, ...), the rules' thresholds split
the field's days into *windows*. The thresholds are the evaluator's own
(``LoweredRule.cut``: the first anchor day whose period's last day reaches today), so a
record is in a window by exactly the day rule ``check`` applies: an erase rule's period has
ended for an anchor day before its cut; a keep rule still protects from its cut on.
``Timeline.observe`` tallies one record; it is pure counting, the rendering is elsewhere
(``report_html``).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date

from .compile import OVERDUE, RuleKind
from .dates import FIRST_DAY, LAST_DAY, OutOfCalendar, period_text
from .lower_python import REQUIRED_ANCHORS, LoweredRule

# The request deadline and an erasure request are not retention periods of a purpose.
_NOT_RETENTION = (RuleKind.ERASURE_REQUEST, RuleKind.REQUEST_DEADLINE)


@dataclass(frozen=True)
class Boundary:
    """One rule on a lane: its clause and where its period ends, counted from today."""

    kind: str
    code: str
    clause: str
    where: str
    erase: bool  # an erase rule (overdue before the cut), else a keep rule
    cut: int  # the first anchor day (ordinal) whose period's last day is today or later
    today_text: str  # the period of a record whose anchor day is today, in the checker's words
    last_ended: str | None  # the latest anchor day whose period has ended, or None


@dataclass(frozen=True)
class Window:
    start: int | None  # first anchor day (ordinal), None: unbounded
    end: int | None  # last anchor day, None: unbounded
    state: str  # "erase", "keep", "open" (may be kept or erased)
    label: str
    count: int


@dataclass(frozen=True)
class Lane:
    purpose: str
    field: str
    anchor: str  # the rules' anchor as the policy says it (collected, calendar_year_end_of_...)
    boundaries: tuple[Boundary, ...]
    windows: tuple[Window, ...]
    missing: int  # no date: an event that has not happened, or (required fields) PC902
    unreadable: int  # PC901/PC903
    required: bool
    first_seen: int | None  # the earliest and latest anchor day of a record on the lane
    last_seen: int | None


def _day(n: int) -> str:
    return date.fromordinal(n).isoformat() if FIRST_DAY <= n <= LAST_DAY else \
        ("before 0001-01-01" if n < FIRST_DAY else "after 9999-12-31")


def _boundary(lr: LoweredRule, today: date) -> Boundary:
    rule = lr.rule
    try:
        today_text = period_text(rule, lr.due(today))
    except OutOfCalendar:
        today_text = "its period ends after 9999-12-31"
    last = lr.cut - 1
    return Boundary(str(rule.kind), rule.code, rule.clause, rule.where, rule.comparison == OVERDUE,
                    lr.cut, today_text, _day(last) if FIRST_DAY <= last <= LAST_DAY else None)


def _window_state(start: int | None, end: int | None, rules: list[Boundary]) -> tuple[str, str]:
    """The window's state by the evaluator's precedence: a keep rule in force wins over an
    erase rule whose period has ended (``evaluate``: kept -> nothing overdue)."""
    keeping = [b for b in rules if not b.erase and start is not None and start >= b.cut]
    ended = [b for b in rules if b.erase and end is not None and end < b.cut]
    if keeping:
        return "keep", "must be kept: " + "; ".join(b.clause for b in keeping)
    if ended:
        return "erase", "period ended, erase: " + "; ".join(b.clause for b in ended)
    has_erase = any(b.erase for b in rules)
    has_keep = any(not b.erase for b in rules)
    if has_erase and has_keep:
        return "open", "minimum over, maximum not reached: may be kept or erased"
    if has_erase:
        return "open", "within its period: may be kept"
    return "open", "the period to keep it is over: may be erased"


class _Plan:
    """The lanes of one lowered policy (one source's binding)."""

    def __init__(self, lowered, tallies: dict):
        self.lowered = lowered  # kept alive: plans are found by id()
        self.by_purpose: dict[str, list[tuple[int, str, list[int], "_Tally"]]] = {}
        today = lowered.today
        for name, lp in lowered.purposes.items():
            fields: dict[str, list[LoweredRule]] = {}
            for lr in lp.erase + lp.keep:
                if lr.rule.kind not in _NOT_RETENTION:
                    fields.setdefault(lr.field, []).append(lr)
            lanes = []
            for field, rules in fields.items():
                key = (name, field)
                tally = tallies.get(key)
                if tally is None:
                    bounds = tuple(sorted((_boundary(lr, today) for lr in rules), key=lambda b: b.cut))
                    tally = tallies[key] = _Tally(name, field, rules[0].rule.anchor, bounds)
                lanes.append((rules[0].index, field, tally.cuts, tally))
            self.by_purpose[name] = lanes


class _Tally:
    __slots__ = ("purpose", "field", "anchor", "bounds", "cuts", "counts", "missing", "unreadable",
                 "first", "last")

    def __init__(self, purpose, field, anchor, bounds):
        self.purpose, self.field, self.anchor, self.bounds = purpose, field, anchor, bounds
        self.cuts = sorted({b.cut for b in bounds})
        self.counts = [0] * (len(self.cuts) + 1)
        self.missing = self.unreadable = 0
        self.first = self.last = None

    def lane(self) -> Lane:
        windows = []
        edges = [None, *self.cuts, None]
        for i, count in enumerate(self.counts):
            start = edges[i]
            end = edges[i + 1] - 1 if edges[i + 1] is not None else None
            state, label = _window_state(start, end, list(self.bounds))
            windows.append(Window(start, end, state, label, count))
        return Lane(self.purpose, self.field, self.anchor, self.bounds, tuple(windows), self.missing,
                    self.unreadable, self.field in REQUIRED_ANCHORS, self.first, self.last)


class Timeline:
    """Counts records per purpose and, per lane, per window. ``observe(lowered, values)``
    for every record of a run (``run_check(observe=...)``)."""

    def __init__(self) -> None:
        self.records: dict[str | None, int] = {}  # records per purpose value (None: unknown purpose)
        self._tallies: dict[tuple[str, str], _Tally] = {}
        self._plans: dict[int, _Plan] = {}
        self.today: date | None = None

    def observe(self, lowered, values: tuple) -> None:
        plan = self._plans.get(id(lowered))
        if plan is None:
            plan = self._plans[id(lowered)] = _Plan(lowered, self._tallies)
            self.today = lowered.today
        if lowered.fixed is not None:
            purpose = lowered.fixed.purpose.name
        else:
            purpose = values[lowered.i_purpose]
        lanes = plan.by_purpose.get(purpose) if isinstance(purpose, str) else None
        if lanes is None:
            self.records[None] = self.records.get(None, 0) + 1
            return
        self.records[purpose] = self.records.get(purpose, 0) + 1
        exact = lowered.reader.exact
        for index, _field, cuts, tally in lanes:
            s = values[index]
            if not s:
                tally.missing += 1
                continue
            try:
                day = exact(s)
            except Exception:  # noqa: BLE001 - any unreadable value is PC901/PC903 in the findings
                tally.unreadable += 1
                continue
            tally.counts[bisect_right(cuts, day)] += 1
            if tally.first is None or day < tally.first:
                tally.first = day
            if tally.last is None or day > tally.last:
                tally.last = day

    def lanes(self) -> list[Lane]:
        return [t.lane() for t in self._tallies.values()]

"""Lowering the check IR to Python: each rule becomes a threshold on its anchor's day.

``PythonLowering(compiled, binding, now)`` computes, once per run, with calendar maths, for
every rule ``due = anchor + offset`` the first anchor day whose due date reaches today:
as due grows with the anchor, the rule is overdue exactly when the anchor is before that
day. It also fixes which column of the values tuple holds which field. The evaluator
(``evaluate.LoweredPolicy``) then compares days, without walking the AST or re-reading
durations. A SQL lowering over the same IR stands beside this file (``lower_sql.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from .binding import Binding
from .compile import OVERDUE, CompiledPolicy, CompiledPurpose, Rule
from .dates import DayReader, add_duration, financial_year_end, first_day_reaching, get_zone, parse_now

# Clock starts a rule cannot do without; other anchors are events that may not have happened.
REQUIRED_ANCHORS = frozenset({"collected", "last_activity", "transaction"})


class LoweredRule:
    """One IR rule made executable: thresholds on its anchor's day ordinal."""

    __slots__ = ("rule", "field", "index", "ext_index", "required", "cut", "lo", "hi",
                 "cut_ext", "lo_ext", "hi_ext", "_offset", "_extension", "_fye", "cache")

    def __init__(self, rule: Rule, field: str, index: int, ext_index: int | None, today: int,
                 fye: tuple[int, int]):
        self.rule, self.field, self.index, self.ext_index = rule, field, index, ext_index
        self.required = field in REQUIRED_ANCHORS
        self.cache: dict = {}  # (anchor day, extended) -> (due, days, message) of findings
        self._offset = rule.offset
        self._extension = rule.extension
        self._fye = fye if rule.anchor == "financial_year_end" else None
        self.cut, self.lo, self.hi = self._threshold(today, False)
        self.cut_ext, self.lo_ext, self.hi_ext = (self._threshold(today, True) if self._extension
                                                  else (self.cut, self.lo, self.hi))

    def start(self, anchor_day: date) -> date:
        """The day the clock starts: the anchor, or the end of its financial year."""
        if self._fye is not None:
            return financial_year_end(anchor_day, *self._fye)
        return anchor_day

    def due(self, anchor_day: date, extended: bool = False) -> date:
        day = add_duration(self.start(anchor_day), self._offset)
        if extended and self._extension is not None:
            day = add_duration(day, self._extension)
        return day

    def _threshold(self, today: int, extended: bool) -> tuple[int, int, int]:
        def due(a: int) -> int:
            return self.due(date.fromordinal(a), extended).toordinal()
        target = today if self.rule.comparison == OVERDUE else today + 1
        span = 400 + 3 * 366 * (1 if self.rule.offset.unit != "year" else self.rule.offset.amount)
        cut = first_day_reaching(due, target, max(1, today - span - 800), today + 2)
        return cut, cut - 2, cut + 2

    def to_dict(self) -> dict:
        return {"rule": self.rule.to_dict(), "field": self.field,
                "cut": date.fromordinal(self.cut).isoformat(),
                "cut_extended": date.fromordinal(self.cut_ext).isoformat()}


@dataclass
class LoweredPurpose:
    purpose: CompiledPurpose
    erase: tuple[LoweredRule, ...]
    keep: tuple[LoweredRule, ...]


class PythonLowering:
    """The policy's rules as day thresholds and column indices, for one binding and one `now`."""

    def __init__(self, compiled: CompiledPolicy, binding: Binding, now: datetime):
        self.compiled, self.binding = compiled, binding
        self.zone = get_zone(binding.timezone)
        self.now = now
        self.today = now.astimezone(self.zone).date()
        self.reader = DayReader(self.zone)
        self.columns: list[str] = []  # the columns read, in the order of the values tuple
        self.index: dict[str, int] = {}
        for name, column in binding.columns.items():
            if column not in self.columns:
                self.columns.append(column)
            self.index[name] = self.columns.index(column)
        today = self.today.toordinal()
        ext = self.index.get("request_extended")

        def lower(rule: Rule) -> LoweredRule | None:
            field = binding.anchor_field(rule.anchor)
            if field not in self.index:
                return None  # binding.check_against refuses this for retention rules
            return LoweredRule(rule, field, self.index[field],
                               ext if rule.extension else None, today, compiled.financial_year_end)

        erasure = lower(compiled.erasure_request) if compiled.erasure_request else None
        self.purposes: dict[str, LoweredPurpose] = {}
        for p in compiled.purposes:
            erase = [lr for lr in map(lower, p.erase) if lr is not None]
            if erasure is not None:
                erase.append(erasure)
            keep = tuple(lr for lr in map(lower, p.keep) if lr is not None)
            self.purposes[p.name] = LoweredPurpose(p, tuple(erase), keep)
        self.deadline = lower(compiled.request_deadline) if compiled.request_deadline else None
        self.fixed = self.purposes[binding.purpose_is] if binding.purpose_is else None
        self.recipients = {r.name: r for r in compiled.recipients}
        g = self.index.get
        self.i_key, self.i_purpose, self.i_subject = g("key"), g("purpose"), g("subject")
        self.identity = (self.i_key, self.i_purpose, self.i_subject)
        self.i_categories, self.i_recipients = g("categories"), g("recipients")
        self.i_country, self.i_consent, self.i_withdrawn = g("recipient_country"), g("consent_given"), g("consent_withdrawn")
        self.i_erasure, self.i_activity, self.i_answered = g("erasure_requested"), g("last_activity"), g("request_answered")

    def to_dict(self) -> dict:
        return {"today": self.today.isoformat(), "timezone": self.binding.timezone,
                "columns": self.columns,
                "purposes": {n: {"erase": [r.to_dict() for r in lp.erase],
                                 "keep": [r.to_dict() for r in lp.keep]}
                             for n, lp in self.purposes.items()}}

    def key(self, values: tuple) -> str:
        """The record key as text (empty when the record has none)."""
        k = values[self.i_key]
        return "" if k is None else str(k)

    def day_of(self, s) -> date:
        """The calendar day, in the binding's zone, of a date or timestamp value."""
        return date.fromordinal(self.reader.exact(s))


def as_now(now, zone) -> datetime:
    """``now`` (datetime, date, ISO string or None: the current time) as an aware datetime."""
    if isinstance(now, datetime):
        return now if now.tzinfo else now.replace(tzinfo=zone)
    if isinstance(now, date):
        return datetime(now.year, now.month, now.day, 12, tzinfo=zone)
    return parse_now(now, zone)

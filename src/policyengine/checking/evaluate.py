"""Lowering the check IR to Python, and running it over records.

``lower_to_python(compiled, binding, now)`` turns each rule into a threshold
on its anchor's day, computed once per run with calendar maths: a rule
``due = anchor + offset`` is overdue when today > due, which (as due grows
with the anchor) holds exactly when anchor < the first anchor day whose due
date reaches today. Evaluating a record then compares days, without walking
the AST or re-reading durations; the dates shown in a finding are computed
again, exactly, only for that finding.

Semantics (docs/check.md): every comparison is between calendar days in the
binding's zone. ``due`` is the last day of the period (Regulation 1182/71
Art. 3): an erase rule is overdue from the day after it; a keep rule protects
the record through it, and the record may be erased from the day after. A missing clock-start date (collected,
last_activity, transaction) is finding PC902; a missing event date
(contract_end, consent_withdrawn, deleted, erasure_requested,
request_received) means the event has not happened. An unreadable date is
finding PC901 for that record, not an error for the run.
"""

from __future__ import annotations

import json

import os
from collections import deque
from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable, Iterator, Mapping

from ..language import ast
from .binding import Binding
from .compile import DERIVED_ANCHORS, OVERDUE, CompiledPolicy, CompiledPurpose, Rule, compile_policy
from .dates import (LAST_DAY, ONE_DAY, BadDate, DayReader, OutOfCalendar, add_duration, financial_year_end,
                    first_day_reaching, get_zone, in_calendar, parse_now, period_text)
from .findings import Finding
from .report import render_chunk
from .records import (_JSON_ERRORS, JsonLinesSource, RecordError, Source, _getter, _loads, json_error,
                      line_ranges, read_range)

try:  # the optional native screen (src/policyengine/_screen.c): which lines need attention
    from .. import _screen as _native_screen
except ImportError:  # no compiler when installed: the Python screen alone, same output
    _native_screen = None

# Per-column constraints of the native screen's plan (see _screen.c).
_ANY, _EMPTY, _NONEMPTY, _SUBJECT, _DATE, _DATE_REQ = range(6)

# GDPR Art. 12(3): an extension counts only if the data subject is told within one month.
NOTIFY_EXTENSION_WITHIN = ast.Duration(1, "month")

# Clock starts a rule cannot do without; other anchors are events that may not have happened.
REQUIRED_ANCHORS = frozenset({"collected", "last_activity", "transaction"})


class LoweredRule:
    """One IR rule made executable: thresholds on its anchor's day ordinal."""

    __slots__ = ("rule", "field", "index", "ext_index", "required", "cut", "lo", "hi",
                 "cut_ext", "lo_ext", "hi_ext", "_offset", "_extension", "_fye", "_calendar_year", "cache")

    def __init__(self, rule: Rule, field: str, index: int, ext_index: int | None, today: int,
                 fye: tuple[int, int]):
        self.rule, self.field, self.index, self.ext_index = rule, field, index, ext_index
        self.required = field in REQUIRED_ANCHORS
        self.cache: dict = {}  # (anchor day, extended) -> (due, days, message) of findings
        self._offset = rule.offset
        self._extension = rule.extension
        self._fye = fye if rule.anchor in DERIVED_ANCHORS else None
        self._calendar_year = rule.anchor == "calendar_year_end_of_financial_year"
        self.cut, self.lo, self.hi = self._threshold(today, False)
        self.cut_ext, self.lo_ext, self.hi_ext = (self._threshold(today, True) if self._extension
                                                  else (self.cut, self.lo, self.hi))

    def start(self, anchor_day: date) -> date:
        """The day the clock starts: the anchor, the end of its financial year, or the end
        of the calendar year in which that financial year ended."""
        if self._fye is not None:
            end = financial_year_end(anchor_day, *self._fye)
            return date(end.year, 12, 31) if self._calendar_year else end
        return anchor_day

    def clock(self, anchor_day: date, written=None) -> str:
        """How the clock starts, in words: 'collected 2026-09-21', or the derived day."""
        start = self.start(anchor_day)
        of = f"{self.field} {written if written is not None else anchor_day}"
        if start == anchor_day and not self._fye:
            return of
        if self._calendar_year:
            end = financial_year_end(anchor_day, *self._fye)
            return f"end of calendar year {start} (financial year ended {end}, of {of})"
        return f"financial year end {start} (of {of})"

    def due(self, anchor_day: date, extended: bool = False) -> date:
        try:
            day = add_duration(self.start(anchor_day), self._offset)
            if extended and self._extension is not None:
                day = add_duration(day, self._extension)
        except OutOfCalendar as err:
            raise OutOfCalendar(f"{self.field} {anchor_day}: {err} ('{self.rule.clause}')") from None
        return day

    def _threshold(self, today: int, extended: bool) -> tuple[int, int, int]:
        def due(a: int) -> int:
            try:
                return self.due(date.fromordinal(a), extended).toordinal()
            except OutOfCalendar:  # the period ends beyond 9999-12-31: later than any today
                return LAST_DAY + 1
        # Both kinds compare with the period's last day (docs/check.md): an erase rule is
        # overdue when due < today, a keep rule protects while due >= today.
        target = today
        offset, extension = self.rule.offset, self.rule.extension
        months = offset.months + (extension.months if extended and extension else 0)
        span = 400 + 3 * 366 + 31 * months + offset.days + (extension.days if extended and extension else 0)
        cut = first_day_reaching(due, target, max(1, today - span - 800), today + 2)
        return cut, cut - 2, cut + 2

    def to_dict(self) -> dict:
        def day(n: int) -> str:
            return date.fromordinal(n).isoformat() if n <= LAST_DAY else "after 9999-12-31"
        return {"rule": self.rule.to_dict(), "field": self.field,
                "cut": day(self.cut), "cut_extended": day(self.cut_ext)}


@dataclass
class LoweredPurpose:
    purpose: CompiledPurpose
    erase: tuple[LoweredRule, ...]
    keep: tuple[LoweredRule, ...]


class _Always:
    """Every purpose is the same one (``purpose_is``): its screen whatever the value."""

    def __init__(self, screen):
        self.screen = screen

    def __getitem__(self, _):
        return self.screen


class LineError(RecordError):
    """A JSON line that cannot be read: keeps its number, so a chunk read by a worker
    can be relocated in the file."""

    def __init__(self, where: str, number: int, text: str):
        super().__init__(f"{where}:{number}: {text}")
        self.number, self.text = number, text


class Stats:
    def __init__(self) -> None:
        self.records = 0


class LoweredPolicy:
    """The policy as Python for one binding and one `now`: ``evaluate`` one record."""

    def __init__(self, compiled: CompiledPolicy, binding: Binding, now: datetime):
        self.compiled, self.binding = compiled, binding
        self.zone = get_zone(binding.timezone)
        self.now = in_calendar(now, self.zone)
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
        self.i_received = g("request_received")
        self.i_scope = g("consent_scope")
        self.screens = {name: self._screen(lp) for name, lp in self.purposes.items()}
        self.native = None  # the native screen's compiled plan, made on first use
        self._native_tried = False

    def native_plan(self):
        """The compiled plan of the native screen, or None: no extension, or
        POLICYENGINE_PURE_SCREEN=1, or a binding it does not handle."""
        if not self._native_tried:
            self._native_tried = True
            if _native_screen is not None and os.environ.get("POLICYENGINE_PURE_SCREEN", "") in ("", "0"):
                spec = self.native_spec()
                if spec is not None:
                    self.native = _native_screen.compile(spec)
        return self.native

    def native_spec(self) -> tuple | None:
        """The native screen's plan as plain data: per purpose and column, what a value
        must be for the record to be cleared. Each constraint is at least as strict as the
        Python screen (``_screen``) on that column, so a line the native screen clears is
        one the Python screen clears: nothing to report. A purpose whose constraints do not
        combine simply is left out (its records all go to Python); None when the purpose
        column itself is constrained, or there are too many columns."""
        if len(self.columns) > 64:
            return None
        purposes = []
        fixed = -1
        for name, lp in self.purposes.items():
            cons = self._native_constraints(lp)
            if cons is None:
                continue
            if self.i_purpose is not None and cons[self.i_purpose][0] != _ANY:
                return None
            if self.fixed is lp:
                fixed = len(purposes)
            purposes.append((name.encode("utf-8"), tuple(cons)))
        if self.fixed is not None:
            if fixed < 0:
                return None
            purposes = [purposes[fixed]]
            fixed = 0
        purpose_col = -1 if self.fixed is not None else self.i_purpose
        if purpose_col is None:
            return None
        return (tuple(c.encode("utf-8") for c in self.columns), purpose_col, fixed, tuple(purposes))

    def _native_constraints(self, lp: LoweredPurpose) -> list | None:
        none = b"0000-00-00"
        cons: list = [(_ANY, none, ())] * len(self.columns)

        def add(i, code, threshold=none, allowed=()):
            old, old_thr, _ = cons[i]
            dates = (_DATE, _DATE_REQ)
            if old == _ANY or old == code and code in (_EMPTY, _NONEMPTY):
                cons[i] = (code, threshold, allowed)
            elif old in dates and code in dates:
                cons[i] = (max(old, code), max(old_thr, threshold), ())
            elif {old, code} == {_EMPTY, _DATE}:
                cons[i] = (_EMPTY, none, ())
            elif {old, code} in ({_NONEMPTY, _DATE}, {_NONEMPTY, _DATE_REQ}):
                cons[i] = (_DATE_REQ, old_thr if old != _NONEMPTY else threshold, ())
            else:
                raise ValueError  # e.g. a column both subject and date: left to Python

        p = lp.purpose
        if p.consent_scope:
            return None  # specific consent: left to the Python screen
        try:
            if self.i_subject is not None:
                add(self.i_subject, _SUBJECT, allowed=tuple(s.encode("utf-8") for s in p.subjects))
            for i in (self.i_categories, self.i_recipients):
                if i is not None:
                    add(i, _EMPTY)
            if p.consent:
                add(self.i_consent, _NONEMPTY)
                if self.i_withdrawn is not None and self.i_activity is not None:
                    add(self.i_withdrawn, _EMPTY)  # stricter than "not both"
            for lr in lp.erase:
                day = max(lr.hi, lr.hi_ext) + 1  # a day more than the Python screen asks
                threshold = (date.fromordinal(day).isoformat().encode() if day <= date.max.toordinal()
                             else b"9999-99-99")  # above every date: never cleared
                add(lr.index, _DATE_REQ if lr.required else _DATE, threshold)
            asked = [i for i in (self.i_erasure, self.i_withdrawn) if i is not None] if lp.keep else []
            if self.deadline is not None:
                asked.append(self.deadline.index)
            for i in asked:
                add(i, _EMPTY)
        except ValueError:
            return None
        return cons

    def _screen(self, lp: LoweredPurpose):
        """A function telling, cheaply, that a record of this purpose has nothing to report:
        True only when ``evaluate`` would return no finding (a False, or an exception,
        sends the record to ``evaluate``, which decides). Generated per purpose, with the
        indices and day thresholds written in: nothing asked (erasure, withdrawal, a
        request), no coverage question, consent present and not followed by activity, and
        every erase rule's anchor day, as written, on or after ``hi`` (with or without an
        extension), so not overdue even after the two-day band of ``evaluate``."""
        p = lp.purpose
        code = ["def screen(v):"]
        if self.i_subject is not None:
            code += [f"    s = v[{self.i_subject}]", "    if s and s not in subjects: return False"]
        for i in (self.i_categories, self.i_recipients):
            if i is not None:
                code.append(f"    if v[{i}]: return False")
        if p.consent:
            code.append(f"    if not v[{self.i_consent}]: return False")
            if p.consent_scope:  # only the plain scope itself is cleared; anything else is evaluated
                code.append(f"    if v[{self.i_scope}] != {p.consent_scope!r}: return False"
                            if self.i_scope is not None else "    return False")
            if self.i_withdrawn is not None and self.i_activity is not None:
                code.append(f"    if v[{self.i_withdrawn}] and v[{self.i_activity}]: return False")
        for lr in lp.erase:
            code += [f"    s = v[{lr.index}]",
                     "    if s:",
                     "        d = prefixes.get(s[:10])",
                     "        if d is None or s[10:] not in tails: d = written(s)",
                     f"        if d < {max(lr.hi, lr.hi_ext)}: return False"]
            if lr.required:
                code.append("    else: return False")
        asked = [i for i in (self.i_erasure, self.i_withdrawn) if i is not None] if lp.keep else []
        if self.deadline is not None:
            asked.append(self.deadline.index)
        if asked:
            code.append("    if " + " or ".join(f"v[{i}]" for i in asked) + ": return False")
        code.append("    return True")
        namespace = {"subjects": p.subjects, "prefixes": self.reader.prefixes,
                     "tails": self.reader.tails, "written": self.reader.written}
        exec(compile("\n".join(code), f"<screen {p.name}>", "exec"), namespace)  # noqa: S102
        return namespace["screen"]

    def to_dict(self) -> dict:
        return {"today": self.today.isoformat(), "timezone": self.binding.timezone,
                "columns": self.columns,
                "purposes": {n: {"erase": [r.to_dict() for r in lp.erase],
                                 "keep": [r.to_dict() for r in lp.keep]}
                             for n, lp in self.purposes.items()}}

    # ---- the hot path ------------------------------------------------------
    def evaluate(self, where: str, number: int, values: tuple) -> list[Finding] | None:
        """The findings of one record. A record whose dates cannot take the arithmetic
        (a period ending after 9999-12-31, a day outside the calendar in the zone) gets
        PC903 alone: nothing is reported as erasable from a computation that failed."""
        try:
            return self._evaluate(where, number, values)
        except OutOfCalendar as err:
            if any(i is not None and not isinstance(values[i], (str, type(None))) for i in self.identity):
                values = self._as_text(values)
            purpose = self.fixed.purpose.name if self.fixed else values[self.i_purpose]
            return [self._finding("PC903", values, where, number, purpose, None, None, None,
                                  f"{err}: this record's periods cannot be computed, so nothing is "
                                  "reported erasable for it; check its dates")]

    def _evaluate(self, where: str, number: int, values: tuple) -> list[Finding] | None:
        if any(i is not None and not isinstance(values[i], (str, type(None))) for i in self.identity):
            values = self._as_text(values)
        lp = self.fixed
        if lp is None:
            lp = self.purposes.get(values[self.i_purpose])
            if lp is None:
                out = [self._finding("PC401", values, where, number, None, None, None, None,
                                     f"purpose '{values[self.i_purpose]}' is not in the policy")]
                if self.deadline is not None:
                    self._requests(values, where, number, out)
                return out
        out: list[Finding] = []
        if self.i_subject is not None or self.i_categories is not None or self.i_recipients is not None:
            self._coverage(lp.purpose, values, where, number, out)
        if lp.purpose.consent:
            self._consent(lp.purpose, values, where, number, out)
        overdue = None
        for lr in lp.erase:
            s = values[lr.index]
            day = self._anchor_day(lr, lp, values, where, number, out)
            if day is None:
                continue
            if lr.ext_index is not None and values[lr.ext_index] and self.extension(lr, values)[0]:
                cut, lo, hi = lr.cut_ext, lr.lo_ext, lr.hi_ext
            else:
                cut, lo, hi = lr.cut, lr.lo, lr.hi
            if day < lo or (day < hi and self.reader.exact(s) < cut):
                if overdue is None:
                    overdue = []
                overdue.append(lr)
        if lp.keep and (overdue or (self.i_erasure is not None and values[self.i_erasure])
                        or (self.i_withdrawn is not None and values[self.i_withdrawn])):
            kept = False
            for lr in lp.keep:
                s = values[lr.index]
                day = self._anchor_day(lr, lp, values, where, number, out)
                if day is None:
                    continue
                if day >= lr.hi or (day >= lr.lo and self.reader.exact(s) >= lr.cut):
                    kept = True
                    out.append(self._rule_finding(lr, lp, values, where, number, s))
            if kept:
                overdue = None
        if overdue:
            for lr in overdue:
                out.append(self._rule_finding(lr, lp, values, where, number, values[lr.index]))
        if self.deadline is not None:
            self._requests(values, where, number, out)
        return out

    def _anchor_day(self, lr: LoweredRule, lp: LoweredPurpose, values, where, number, out) -> int | None:
        """The day of the rule's anchor date, or None after reporting it missing or unreadable."""
        s = values[lr.index]
        if not s:
            if lr.required:
                out.append(self._missing(lr, lp, values, where, number))
            return None
        try:
            return self.reader.written(s)
        except BadDate as err:
            out.append(self._bad_date(lr.field, err, lp, values, where, number))
            return None

    def check_lines(self, where: str, number: int, lines: list, restore: int, wanted: list[str],
                    out: list) -> int:
        """Read and check a batch of JSON Lines (``number`` is the first one's line): the
        findings are appended to ``out``; returns how many records there were.

        Each record is first screened: nothing asked, no coverage question, every erase
        rule's date well after its threshold (see ``_screen``). Only a record the screen cannot
        clear goes to ``evaluate``, which decides exactly, so the findings are ``evaluate``'s.
        """
        loads, evaluate = _loads, self.evaluate
        pick = _getter(wanted)
        if self.binding.purpose_is:
            screens, ip = _Always(self.screens[self.binding.purpose_is]), 0
        else:
            screens, ip = self.screens, self.i_purpose
        first, skipped = number, 0
        plan = self.native_plan() if wanted == self.columns else None
        if plan is not None and lines and isinstance(lines[0], bytes):
            # The native screen: only the lines it cannot clear are read in Python, with
            # their own numbers, so the findings (and any error) are the same.
            attention = _native_screen.scan(lines, plan)
            numbered: Iterable = ((first + i, lines[i]) for i in attention)
        else:
            numbered = enumerate(lines, number)
        for number, line in numbered:
            try:  # the common case: a record the screen clears
                values = pick(loads(line))
                if screens[values[ip]](values):
                    continue
            except Exception:  # a missing key, an unknown purpose, an odd value, a bad line...
                values = self._read_line(where, number, line, number - first < restore, wanted)
                if values is None:  # a blank line
                    skipped += 1
                    continue
            found = evaluate(where, number, values)
            if found:
                out.extend(found)
        return len(lines) - skipped

    @staticmethod
    def _read_line(where: str, number: int, line, restore: bool, wanted: list[str]) -> tuple | None:
        """A line's values as the line-by-line reader gives them (None: a blank line), or
        its LineError."""
        try:
            record = _loads(line)
        except _JSON_ERRORS:
            if not line.strip():
                return None
            raise LineError(where, number, json_error(line, restore)) from None
        if not isinstance(record, dict):
            raise LineError(where, number, "a record must be a JSON object")
        try:
            return _getter(wanted)(record)
        except KeyError:
            return tuple(record.get(c) for c in wanted)

    def _as_text(self, values: tuple) -> tuple:
        """Key, purpose and subject as text: JSON and SQLite can hold numbers, lists or
        objects there, which must become findings (an unknown purpose), not a crash."""
        values = list(values)
        for i in self.identity:
            v = values[i] if i is not None else None
            if v is not None and not isinstance(v, str):
                values[i] = json.dumps(v, ensure_ascii=False, separators=(",", ":")) \
                    if isinstance(v, (list, dict)) else str(v)
        return tuple(values)

    # ---- the slow path: only for records that have something to say ----------
    def key(self, values: tuple) -> str:
        k = values[self.i_key]
        return "" if k is None else str(k)

    def _finding(self, code, values, where, number, purpose, rule: Rule | None, due, days, message):
        return Finding(code, self.key(values), f"{where}:{number}", purpose,
                       rule.where if rule else None, rule.clause if rule else None, due, days, message)

    def _missing(self, lr: LoweredRule, lp: LoweredPurpose, values, where, number) -> Finding:
        column = self.binding.columns[lr.field]
        return self._finding("PC902", values, where, number, lp.purpose.name, lr.rule, None, None,
                             f"no {lr.field} date (column '{column}'): cannot tell when "
                             f"'{lr.rule.clause}' is due")

    def _bad_date(self, field, err, lp: LoweredPurpose | None, values, where, number) -> Finding:
        column = self.binding.columns[field]
        return self._finding("PC903" if isinstance(err, OutOfCalendar) else "PC901", values, where, number, lp.purpose.name if lp else None, None,
                             None, None, f"column '{column}' ({field}): {err}")

    def day_of(self, s) -> date:
        return date.fromordinal(self.reader.exact(s))

    def extension(self, lr: LoweredRule, values) -> tuple[bool, str]:
        """Whether a request's deadline is extended, and why not when an extension is
        recorded but does not count. GDPR Art. 12(3): the data subject must be told of
        the extension within one month of receipt of the request (a month, whatever
        ``respond within`` says). The extension column holds the day they were told;
        receipt is ``request_received`` (or, without one, the erasure request's day)."""
        if lr.ext_index is None or not values[lr.ext_index]:
            return False, ""
        told = values[lr.ext_index]
        column = self.binding.columns["request_extended"]
        received = values[self.i_received] if self.i_received is not None and values[self.i_received] \
            else values[lr.index]
        try:
            told_day = self.day_of(told)
        except BadDate:
            return False, (f"; the extension (column '{column}': {told!r}) does not count: not a date "
                           "the data subject was told of it")
        try:
            receipt = self.day_of(received)
            limit = add_duration(receipt, NOTIFY_EXTENSION_WITHIN)
        except BadDate:
            return False, ""  # the receipt itself is reported (PC901/PC903)
        if receipt <= told_day <= limit:
            return True, ""
        when = "after" if told_day > limit else "before the request was received on"
        return False, (f"; the extension does not count: the data subject was told on {told_day}, "
                       f"{when} {limit if told_day > limit else receipt}"
                       + (f" (one month from receipt {receipt}, GDPR Art. 12(3))" if told_day > limit else ""))

    def _rule_finding(self, lr: LoweredRule, lp: LoweredPurpose, values, where, number, s) -> Finding:
        extended, note = self.extension(lr, values)
        anchor = self.reader.exact(s)
        cached = lr.cache.get((anchor, extended))
        if cached is None:
            cached = self._rule_text(lr, date.fromordinal(anchor), extended)
            if len(lr.cache) < 50_000:
                lr.cache[(anchor, extended)] = cached
        due, days, text = cached
        rule = lr.rule
        if rule.comparison != OVERDUE:
            text = text.replace("{why}", self._demand(values))
        return Finding(rule.code, self.key(values), f"{where}:{number}", lp.purpose.name, rule.where,
                       rule.clause, due, days, text + note)

    def _rule_text(self, lr: LoweredRule, anchor_day: date, extended: bool) -> tuple[date, int, str]:
        """(due, days, message) of a rule for one anchor day; cached, as anchor days repeat."""
        due = lr.due(anchor_day, extended)
        rule = lr.rule
        clock = lr.clock(anchor_day)
        offset = str(rule.offset) + (f" + {rule.extension} extension" if extended else "")
        after = period_text(rule, due)
        if rule.comparison == OVERDUE:
            days = (self.today - due).days
            text = f"{clock} + {offset} = {due}: {after}; {days} day{'s' if days != 1 else ''} overdue"
        else:
            days = (due - self.today).days + 1  # today included: 1 on the last day
            text = (f"{after} ({days} day{'s' if days != 1 else ''} left): {clock} + {offset}"
                    + "; {why}" + (f" ({rule.citation})" if rule.citation else ""))
        return due, days, text

    def _demand(self, values) -> str:
        asked = []
        if self.i_erasure is not None and values[self.i_erasure]:
            asked.append(f"erasure requested {values[self.i_erasure]}")
        if self.i_withdrawn is not None and values[self.i_withdrawn]:
            asked.append(f"consent withdrawn {values[self.i_withdrawn]}")
        return ", ".join(asked) or "an erase rule is due"

    def _names(self, value) -> list[str]:
        if isinstance(value, list):
            return [str(v) for v in value]
        return [n.strip() for n in str(value).split(self.binding.separator) if n.strip()]

    def _coverage(self, p: CompiledPurpose, values, where, number, out) -> None:
        c = self.compiled
        if self.i_subject is not None:
            s = values[self.i_subject]
            if s and s not in p.subjects:
                known = "a subject of" if s in c.subjects else "declared in"
                out.append(self._finding("PC402", values, where, number, p.name, None, None, None,
                                         f"data subject '{s}' is not {known} "
                                         f"{'purpose ' + repr(p.name) if s in c.subjects else 'the policy'}"))
        if self.i_categories is not None and values[self.i_categories]:
            for name in self._names(values[self.i_categories]):
                if name not in p.categories:
                    scope = f"purpose '{p.name}'" if name in c.categories else "the policy"
                    out.append(self._finding("PC403", values, where, number, p.name, None, None, None,
                                             f"data category '{name}' is not in {scope}"))
                if name in c.special_categories and p.special_condition is None:
                    out.append(self._finding("PC501", values, where, number, p.name, None, None, None,
                                             f"special category '{name}' under purpose '{p.name}', "
                                             "which states no Art. 9(2) condition"))
        if self.i_recipients is not None and values[self.i_recipients]:
            names = self._names(values[self.i_recipients])
            country = values[self.i_country] if self.i_country is not None else None
            for name in names:
                if name not in p.recipients:
                    scope = f"purpose '{p.name}'" if name in self.recipients else "the policy"
                    out.append(self._finding("PC404", values, where, number, p.name, None, None, None,
                                             f"recipient '{name}' is not in {scope}"))
                r = self.recipients.get(name)
                located = str(country).upper() if country else (r.country if r else None)
                if located and (r is None or located != r.country or not r.transfer_ok):
                    from .compile import CompiledRecipient
                    check = CompiledRecipient(name, located, r.safeguard if r else None,
                                              r.span if r else ast.NO_SPAN)
                    if not check.transfer_ok:
                        out.append(self._finding("PC502", values, where, number, p.name, None, None,
                                                 None, f"recipient '{name}' in {located}, outside the "
                                                 "EEA, with no transfer safeguard in the policy"))

    def _consent(self, p: CompiledPurpose, values, where, number, out) -> None:
        if not values[self.i_consent]:
            out.append(self._finding("PC301", values, where, number, p.name, None, None, None,
                                     f"purpose '{p.name}' is based on consent and the record has none "
                                     f"(column '{self.binding.columns['consent_given']}')"))
            return
        if p.consent_scope and self.i_scope is not None:
            given = values[self.i_scope]
            names = self._names(given) if given else []
            if p.consent_scope not in names:
                what = f"consent to {', '.join(names)}" if names else "no consent scope"
                out.append(self._finding("PC301", values, where, number, p.name, None, None, None,
                                         f"purpose '{p.name}' needs specific consent to {p.consent_scope} "
                                         f"(GDPR Art. 4(11), 6(1)(a)); the record has {what} "
                                         f"(column '{self.binding.columns['consent_scope']}')"))
                return
        if self.i_withdrawn is None or self.i_activity is None:
            return
        withdrawn, activity = values[self.i_withdrawn], values[self.i_activity]
        if not withdrawn or not activity:
            return
        try:
            w, a = self.day_of(withdrawn), self.day_of(activity)
        except BadDate as err:
            field = "consent_withdrawn"
            try:
                self.day_of(withdrawn)
            except BadDate:
                pass
            else:
                field = "last_activity"
            out.append(self._bad_date(field, err, self.purposes[p.name], values, where, number))
            return
        if a > w:
            out.append(self._finding("PC302", values, where, number, p.name, None, a, (a - w).days,
                                     f"last activity {a} is {(a - w).days} days after consent was "
                                     f"withdrawn on {w}"))

    def _requests(self, values, where, number, out) -> None:
        lr = self.deadline
        received = values[lr.index]
        if not received:
            return
        purpose = values[self.i_purpose] if self.i_purpose is not None else self.binding.purpose_is
        extended, note = self.extension(lr, values)
        try:
            due = lr.due(self.day_of(received), extended)
        except BadDate as err:
            out.append(self._bad_date("request_received", err, None, values, where, number))
            return
        answered = values[self.i_answered] if self.i_answered is not None else None
        suffix = f" (deadline extended by {lr.rule.extension})" if extended else ""
        by = period_text(lr.rule, due)
        if answered:
            try:
                day = self.day_of(answered)
            except BadDate as err:
                out.append(self._bad_date("request_answered", err, None, values, where, number))
                return
            if day > due:
                out.append(self._finding("PC602", values, where, number, purpose, lr.rule, due,
                                         (day - due).days, f"request received {received} answered "
                                         f"{day}, {(day - due).days} day{'s' if day - due != ONE_DAY else ''} "
                                         f"late{suffix}: {by}{note}"))
        elif self.today > due:
            days = (self.today - due).days
            out.append(self._finding("PC601", values, where, number, purpose, lr.rule, due, days,
                                     f"request received {received}{suffix}, not answered: {by}; "
                                     f"{days} day{'s' if days != 1 else ''} overdue{note}"))


def _now(now, zone) -> datetime:
    if isinstance(now, datetime):
        return now if now.tzinfo else now.replace(tzinfo=zone)
    if isinstance(now, date):
        return datetime(now.year, now.month, now.day, 12, tzinfo=zone)
    return parse_now(now, zone)


def lower_to_python(compiled: CompiledPolicy, binding: Binding, now=None) -> LoweredPolicy:
    """The IR as Python for one binding and one `now` (datetime, ISO string or None)."""
    return LoweredPolicy(compiled, binding, _now(now, get_zone(binding.timezone)))


def _compiled(policy) -> CompiledPolicy:
    return policy if isinstance(policy, CompiledPolicy) else compile_policy(policy)


def check(policy, records: Iterable[Mapping], now=None, *, binding: Binding | None = None,
          where: str = "<records>") -> Iterator[Finding]:
    """Findings for ``records`` (mappings) against a policy (AST or compiled).

    Without a binding, each field is read from the key of its own name and the
    record key from 'id' (``Binding.identity()``).
    """
    compiled = _compiled(policy)
    binding = binding or Binding.identity()
    binding.check_against(compiled)
    lowered = lower_to_python(compiled, binding, now)
    columns = lowered.columns
    evaluate = lowered.evaluate
    for number, record in enumerate(records, 1):
        out = evaluate(where, number, tuple(record.get(c) for c in columns))
        if out:
            yield from out


def bind_source(policy, source: Source, binding: Binding, now=None) -> LoweredPolicy:
    """The policy lowered for one source: its binding resolved and checked against
    the policy and against the source's columns."""
    compiled = _compiled(policy)
    bound = binding.for_source(source.name)
    bound.check_against(compiled)
    lowered = lower_to_python(compiled, bound, now)
    missing = source.missing(lowered.columns)
    if missing:
        fields = {c: f for f, c in bound.columns.items()}
        named = ", ".join(f"'{c}' (for {fields[c]})" for c in missing)
        raise RecordError(f"{source.label}: the binding ({bound.origin}) names "
                          f"column{'s' if len(missing) > 1 else ''} {named} that the records do not "
                          f"have; they have: {', '.join(source.columns) or 'no columns'}")
    return lowered


def check_source(policy, source: Source, binding: Binding, now=None,
                 stats: Stats | None = None, jobs: int = 1) -> Iterator[Finding]:
    """Findings for one record source, streamed; the binding is resolved for the source.

    A JSON Lines file is checked in ``jobs`` processes when ``jobs`` > 1 (see
    ``check_file_parallel``); the findings are the same, in the same order.
    """
    lowered = bind_source(policy, source, binding, now)
    evaluate, label = lowered.evaluate, source.label
    stats = stats if stats is not None else Stats()
    if isinstance(source, JsonLinesSource):
        path = getattr(source.closer, "name", None)
        if jobs > 1 and isinstance(path, str) and source.first is not None:
            for payload, _ in check_file_parallel(lowered, path, label, jobs, stats):
                yield from (Finding(*t) for t in payload)
            return
        check_lines, columns = lowered.check_lines, lowered.columns
        for number, lines, restore in source.batches():
            out: list[Finding] = []
            try:
                stats.records += check_lines(label, number, lines, restore, columns, out)
            except BaseException:
                yield from out  # what came before the bad line, as when reading line by line
                raise
            yield from out
        return
    if lowered.binding.purpose_is:
        screens, ip = _Always(lowered.screens[lowered.binding.purpose_is]), 0
    else:
        screens, ip = lowered.screens, lowered.i_purpose
    for number, values in source.read(lowered.columns):
        stats.records += 1
        try:  # CSV, stdin CSV, SQLite: the same screen as check_lines
            if screens[values[ip]](values):
                continue
        except Exception:
            pass
        out = evaluate(label, number, values)
        if out:
            yield from out


# ---- several processes over one JSON Lines file --------------------------------------
CHUNK_BYTES = 8 << 20  # the largest piece of a file a worker reads at a time
MIN_CHUNK_BYTES = 1 << 20
_WORKER: LoweredPolicy | None = None


def chunk_bytes(size: int, jobs: int) -> int:
    """How large the pieces of a ``size``-byte file are: at least eight per worker, 1-8 MB
    (POLICYENGINE_CHUNK_BYTES overrides, for tests)."""
    forced = os.environ.get("POLICYENGINE_CHUNK_BYTES")
    if forced:
        return max(1, int(forced))
    return max(MIN_CHUNK_BYTES, min(CHUNK_BYTES, size // (jobs * 8) + 1))


def _start_worker(compiled: CompiledPolicy, binding: Binding, now: datetime) -> None:
    global _WORKER
    _WORKER = lower_to_python(compiled, binding, now)


def _check_chunk(path: str, label: str, start: int, end: int, base: int, render: str | None) -> tuple:
    """In a worker: check the lines in ``[start, end)`` (line ``base + 1`` on), and return
    (findings rendered by ``report.render_chunk``, their counts, records, error message)."""
    lowered = _WORKER
    lines, restore = read_range(path, start, end)
    out: list[Finding] = []
    error = None
    records = 0
    try:
        records = lowered.check_lines(label, base + 1, lines, restore, lowered.columns, out)
    except LineError as err:
        error = str(err)
    counts: dict[str, int] = {}
    for f in out:
        counts[f.code] = counts.get(f.code, 0) + 1
    return render_chunk(render, out), counts, records, error


def _context():
    import multiprocessing  # only when splitting a file: start-up matters for small runs

    method = os.environ.get("POLICYENGINE_MP_CONTEXT") or (
        "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    return multiprocessing.get_context(method)


def check_file_parallel(lowered: LoweredPolicy, path: str, label: str, jobs: int, stats: Stats,
                        render: str | None = None) -> Iterator[tuple]:
    """Check a JSON Lines file in ``jobs`` worker processes: byte ranges cut at newlines
    (``records.line_ranges``), each worker lowering the IR (plain, picklable data) itself.
    Yields, in input order, ``(payload, counts)`` per range: the findings rendered in the
    worker by ``report.render_chunk(render, ...)``; ``report.Reporter.add_chunk`` takes
    them, so the output is the single process's, byte for byte. At most two ranges per
    worker are in flight, so memory stays flat. A bad line raises its RecordError after
    the findings before it, as in one process."""
    size = os.path.getsize(path)
    ranges = line_ranges(path, chunk_bytes(size, jobs))
    window: deque = deque()
    with _context().Pool(jobs, _start_worker, (lowered.compiled, lowered.binding, lowered.now)) as pool:
        def submit() -> None:
            for start, end, base in ranges:
                window.append(pool.apply_async(_check_chunk, (path, label, start, end, base, render)))
                return

        for _ in range(2 * jobs):
            submit()
        while window:
            payload, counts, records, error = window.popleft().get()
            submit()
            stats.records += records
            yield payload, counts
            if error is not None:
                raise RecordError(error)

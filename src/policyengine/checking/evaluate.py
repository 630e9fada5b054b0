"""The exact evaluator: one record's values -> its findings, over the Python lowering.

``lower_to_python(compiled, binding, now)`` gives a ``LoweredPolicy``: the thresholds of
``lower_python`` plus ``evaluate``, which decides exactly, comparing days; the dates shown
in a finding are computed again, exactly, only for that finding. The screens
(``screens``) clear most records before they get here; the readers (``reading``,
``parallel``) feed it; nothing here renders or reports.

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
import operator
from datetime import date, datetime, time
from decimal import Decimal

from ..language import ast
from .binding import Binding
from .compile import OVERDUE, CompiledPolicy, CompiledPurpose, CompiledRecipient, Rule, RuleKind
from .dates import ONE_DAY, BadDate, OutOfCalendar, add_duration, get_zone, period_text
from .findings import Finding
from .records import sql_text
from .lower_python import LoweredPurpose, LoweredRule, PythonLowering, as_now
from .screens import native_plan, python_screen


# Values only SQL engines give (JSON has none of them): evaluated as their ISO text.
_SQL_TYPES = frozenset({date, datetime, time, Decimal})
_TEXT_TYPES = frozenset({str, type(None)})  # key, purpose, subject as they mostly come

def _named(purpose):
    """A purpose value as a finding's ``purpose``: no value ('' from a CSV, null, NULL) is None."""
    return None if purpose == "" else purpose


# GDPR Art. 12(3): an extension counts only if the data subject is told within one month.
NOTIFY_EXTENSION_WITHIN = ast.Duration(1, "month")


class LoweredPolicy(PythonLowering):
    """The policy as Python for one binding and one `now`: ``evaluate`` one record."""

    def __init__(self, compiled: CompiledPolicy, binding: Binding, now):
        super().__init__(compiled, binding, now)
        self.screens = {name: python_screen(self, lp) for name, lp in self.purposes.items()}
        self.native = None  # the native screen's compiled plan, made on first use
        self._native_tried = False
        bound = [i for i in self.identity if i is not None]
        # the bound identity values of a record, as a tuple (itemgetter of one gives the value)
        self._identity_of = (operator.itemgetter(*bound, bound[0]) if bound else (lambda values: ()))

    def native_plan(self):
        """The native screen's compiled plan (``screens.native_plan``), made once, or None."""
        if not self._native_tried:
            self._native_tried = True
            self.native = native_plan(self)
        return self.native

    # ---- the hot path ------------------------------------------------------
    def evaluate(self, where: str, number: int, values: tuple) -> list[Finding] | None:
        """The findings of one record. A record whose dates cannot take the arithmetic
        (a period ending after 9999-12-31, a day outside the calendar in the zone) gets
        PC903 alone: nothing is reported as erasable from a computation that failed."""
        if not _SQL_TYPES.isdisjoint(map(type, values)):  # typed values from a SQL engine
            values = tuple(sql_text(v) if type(v) in _SQL_TYPES else v for v in values)
        try:
            return self._evaluate(where, number, values)
        except OutOfCalendar as err:
            if any(i is not None and not isinstance(values[i], (str, type(None))) for i in self.identity):
                values = self._as_text(values)
            purpose = self.fixed.purpose.name if self.fixed else _named(values[self.i_purpose])
            return [self._finding("PC903", values, where, number, purpose, None, None, None,
                                  f"{err}: this record's periods cannot be computed, so nothing is "
                                  "reported erasable for it; check its dates")]

    def _evaluate(self, where: str, number: int, values: tuple) -> list[Finding] | None:
        # Key, purpose or subject not text (JSON and SQLite hold numbers, lists there):
        # made text by ``_as_text`` (a str subclass passes through it unchanged).
        if not _TEXT_TYPES.issuperset(map(type, self._identity_of(values))):
            values = self._as_text(values)
        lp = self.fixed
        if lp is None:
            lp = self.purposes.get(values[self.i_purpose])
            if lp is None:
                out = [self._finding("PC401", values, where, number, None, None, None, None,
                                     self.unknown_purpose(values[self.i_purpose]))]
                if self.deadline is not None:
                    self._requests(values, where, number, out)
                return out
        out: list[Finding] = []
        if self.i_subject is not None or self.i_categories is not None or self.i_recipients is not None:
            self._coverage(lp.purpose, values, where, number, out)
        if lp.purpose.consent and self.i_consent is not None:  # unbound: see Binding.gaps
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
                if lr.rule.kind == RuleKind.ERASURE_REQUEST and self._during_hold(lp, values):
                    continue  # `on hold end erase within D` decides (PC105), from the hold's last day
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

    def _during_hold(self, lp: LoweredPurpose, values) -> bool:
        """An erasure request made on or before the last day of the purpose's legal hold,
        when the purpose says `on hold end erase within D` (the period then starts on the
        hold's last day, not on the request)."""
        if not any(lr.rule.kind == RuleKind.HOLD_END_ERASE for lr in lp.erase):
            return False
        hold = next(lr for lr in lp.keep if lr.rule.kind == RuleKind.LEGAL_HOLD)
        try:
            return self.day_of(values[self.i_erasure]) <= hold.due(self.day_of(values[hold.index]))
        except (BadDate, TypeError):
            return False  # the hold cannot be computed: PC901/PC902 say so; the request stands

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
    def unknown_purpose(self, value) -> str:
        """PC401's message. No value (an empty CSV cell, a JSON null, SQL NULL: all mean
        the same) is one message whatever the source, not its spelling ('' or 'None')."""
        if value is None or value == "":
            return (f"no purpose: column '{self.binding.columns['purpose']}' has no value "
                    "(a record must name one of the policy's purposes)")
        return f"purpose '{value}' is not in the policy"

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
        if rule.then is not None:
            held = add_duration(lr.start(anchor_day), rule.offset)
            offset += f" (the legal hold's last day {held}) + {rule.then}"
        after = period_text(rule, due) + lr.moved(anchor_day, due, extended)
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
        purpose = _named(values[self.i_purpose]) if self.i_purpose is not None else self.binding.purpose_is
        extended, note = self.extension(lr, values)
        try:
            due = lr.due(self.day_of(received), extended)
        except BadDate as err:
            out.append(self._bad_date("request_received", err, None, values, where, number))
            return
        answered = values[self.i_answered] if self.i_answered is not None else None
        suffix = f" (deadline extended by {lr.rule.extension})" if extended else ""
        by = period_text(lr.rule, due) + lr.moved(self.day_of(received), due, extended)
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


def lower_to_python(compiled: CompiledPolicy, binding: Binding, now=None) -> LoweredPolicy:
    """The IR as Python for one binding and one `now` (datetime, ISO string or None)."""
    return LoweredPolicy(compiled, binding, as_now(now, get_zone(binding.timezone)))

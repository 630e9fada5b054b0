"""The exact evaluator: one record's values -> its findings, over the Python lowering.

``lower_to_python(compiled, binding, now)`` gives a ``LoweredPolicy``: the thresholds of
``lower_python`` plus ``evaluate``, which decides exactly, comparing days; the dates shown
in a finding are computed again, exactly, only for that finding. The screens
(``screens``) clear most records before they get here; the readers (``reading``,
``parallel``) feed it; nothing here renders or reports.

Semantics (docs/check.md): every comparison is between calendar days in the
binding's zone. An erase rule is overdue from the day after its due date; a
keep rule protects the record up to the day before its due date (on the due
day the period has run). A missing clock-start date (collected,
last_activity, transaction) is finding PC902; a missing event date
(contract_end, consent_withdrawn, deleted, erasure_requested,
request_received) means the event has not happened. An unreadable date is
finding PC901 for that record, not an error for the run.
"""

from __future__ import annotations

import json
from datetime import date

from ..language import ast
from .binding import Binding
from .compile import OVERDUE, CompiledPolicy, CompiledPurpose, CompiledRecipient, Rule
from .dates import BadDate, get_zone
from .findings import Finding
from .lower_python import LoweredPurpose, LoweredRule, PythonLowering, as_now
from .screens import native_plan, python_screen


class LoweredPolicy(PythonLowering):
    """The policy as Python for one binding and one `now`: ``evaluate`` one record."""

    def __init__(self, compiled: CompiledPolicy, binding: Binding, now):
        super().__init__(compiled, binding, now)
        self.screens = {name: python_screen(self, lp) for name, lp in self.purposes.items()}
        self.native = None  # the native screen's compiled plan, made on first use
        self._native_tried = False

    def native_plan(self):
        """The native screen's compiled plan (``screens.native_plan``), made once, or None."""
        if not self._native_tried:
            self._native_tried = True
            self.native = native_plan(self)
        return self.native

    # ---- the hot path ------------------------------------------------------
    def evaluate(self, where: str, number: int, values: tuple) -> list[Finding] | None:
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
        if lp.purpose.consent and self.i_consent is not None:  # unbound: see Binding.gaps
            self._consent(lp.purpose, values, where, number, out)
        overdue = None
        for lr in lp.erase:
            s = values[lr.index]
            day = self._anchor_day(lr, lp, values, where, number, out)
            if day is None:
                continue
            if lr.ext_index is not None and values[lr.ext_index]:
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
        return self._finding("PC901", values, where, number, lp.purpose.name if lp else None, None,
                             None, None, f"column '{column}' ({field}): {err}")

    def _rule_finding(self, lr: LoweredRule, lp: LoweredPurpose, values, where, number, s) -> Finding:
        extended = lr.ext_index is not None and bool(values[lr.ext_index])
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
                       rule.clause, due, days, text)

    def _rule_text(self, lr: LoweredRule, anchor_day: date, extended: bool) -> tuple[date, int, str]:
        """(due, days, message) of a rule for one anchor day; cached, as anchor days repeat."""
        due = lr.due(anchor_day, extended)
        rule = lr.rule
        start = lr.start(anchor_day)
        clock = f"{lr.field} {anchor_day}"
        if start != anchor_day:
            clock = f"financial year end {start} (of {lr.field} {anchor_day})"
        offset = str(rule.offset) + (f" + {rule.extension} extension" if extended else "")
        if rule.comparison == OVERDUE:
            days = (self.today - due).days
            text = f"{clock} + {offset} = due {due}; {days} day{'s' if days != 1 else ''} overdue"
        else:
            days = (due - self.today).days
            text = (f"keep until {due} ({days} day{'s' if days != 1 else ''} left): {clock} + {offset}"
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
        extended = lr.ext_index is not None and bool(values[lr.ext_index])
        try:
            due = lr.due(self.day_of(received), extended)
        except BadDate as err:
            out.append(self._bad_date("request_received", err, None, values, where, number))
            return
        answered = values[self.i_answered] if self.i_answered is not None else None
        suffix = f" (with the {lr.rule.extension} extension)" if extended else ""
        if answered:
            try:
                day = self.day_of(answered)
            except BadDate as err:
                out.append(self._bad_date("request_answered", err, None, values, where, number))
                return
            if day > due:
                out.append(self._finding("PC602", values, where, number, purpose, lr.rule, due,
                                         (day - due).days, f"request received {received} answered "
                                         f"{day}, {(day - due).days} days after the deadline {due}{suffix}"))
        elif self.today > due:
            days = (self.today - due).days
            out.append(self._finding("PC601", values, where, number, purpose, lr.rule, due, days,
                                     f"request received {received}, deadline {due}{suffix}, not answered: "
                                     f"{days} day{'s' if days != 1 else ''} overdue"))


def lower_to_python(compiled: CompiledPolicy, binding: Binding, now=None) -> LoweredPolicy:
    """The IR as Python for one binding and one `now` (datetime, ISO string or None)."""
    return LoweredPolicy(compiled, binding, as_now(now, get_zone(binding.timezone)))

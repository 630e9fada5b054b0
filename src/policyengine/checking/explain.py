"""Why: for one record, every rule that applied, the dates it computed and the
clause of the policy (file:line) that decided it.

The verdicts come from the same lowered policy that `check` runs; the trace
recomputes each rule's dates exactly, without the fast path's thresholds.
"""

from __future__ import annotations

from ..escaping import printable
from .compile import OVERDUE
from .dates import BadDate, OutOfCalendar, period_text
from .evaluate import LoweredPolicy
from .lower_python import LoweredRule


def _plural(n: int, word: str = "day") -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _rule_line(lowered: LoweredPolicy, lr: LoweredRule, values: tuple) -> list[str]:
    rule = lr.rule
    head = f"  {rule.where}: {rule.clause}"
    value = values[lr.index]
    column = lowered.binding.columns[lr.field]
    if not value:
        return [head, f"      {lr.field} (column '{column}') is empty: "
                + ("the rule cannot be applied" if lr.required else "the event has not happened, the rule does not apply")]
    try:
        anchor = lowered.day_of(value)
    except BadDate as err:
        return [head, f"      {lr.field} (column '{column}'): {err}"]
    extended, note = lowered.extension(lr, values)
    try:
        due = lr.due(anchor, extended)
    except OutOfCalendar as err:
        return [head, f"      {lr.field} (column '{column}'): {err}"]
    clock = f"{lr.field} {value}" + (f" (day {anchor})" if str(value) != anchor.isoformat() else "")
    if lr.start(anchor) != anchor or lr.clock(anchor) != f"{lr.field} {anchor}":
        clock += " -> " + lr.clock(anchor).split(" (")[0]
    offset = str(rule.offset) + (f" + {rule.extension} extension" if extended else "")
    today = lowered.today
    if rule.comparison == OVERDUE:
        state = (f"overdue by {_plural((today - due).days)}" if today > due
                 else "the last day of the period" if today == due
                 else f"not yet due ({_plural((due - today).days)} left)")
    else:
        state = (f"protected ({_plural((due - today).days + 1)} left, today included)" if today <= due
                 else "the period has run: no longer protected")
    return [head, f"      {clock} + {offset} = {due}: {period_text(rule, due)}; today {today}: {state}{note}"]


def explain_record(lowered: LoweredPolicy, where: str, number: int, values: tuple) -> str:
    """The explanation of one record as text."""
    lines = [f"record {lowered.key(values)!s} at {where}:{number}"]
    lines.append(f"today {lowered.today} (now {lowered.now.isoformat()}, zone {lowered.binding.timezone})")
    lp = lowered.fixed
    if lp is None:
        name = values[lowered.i_purpose]
        lp = lowered.purposes.get(name)
        if lp is None:
            shown = f"purpose '{name}'" if name not in (None, "") else \
                f"no purpose (column '{lowered.binding.columns['purpose']}' has no value)"
            lines.append(f"{shown}: not in the policy {lowered.compiled.path}")
    if lp is not None:
        p = lp.purpose
        lines.append(f"purpose {p.name} ({p.where}), basis {p.basis}"
                     + (f", special condition {p.special_condition}" if p.special_condition else ""))
        rules = list(lp.erase) + list(lp.keep)
        if not rules:
            lines.append("  no retention rule applies to this purpose")
        for lr in rules:
            lines.extend(_rule_line(lowered, lr, values))
    if lowered.deadline is not None and values[lowered.deadline.index]:
        lines.extend(_rule_line(lowered, lowered.deadline, values))
        answered = values[lowered.i_answered] if lowered.i_answered is not None else None
        lines.append(f"      answered: {answered}" if answered else "      not answered")
    findings = lowered.evaluate(where, number, values) or []
    if findings:
        lines.append("findings:")
        for f in findings:
            lines.append(f"  {f.code} {f.action}: {f.title}" + (f"  [{f.rule}]" if f.rule else ""))
            lines.append(f"      {f.message}")
    else:
        lines.append("findings: none; nothing is due for this record")
    # Every line quotes record values: each is escaped whole, so a value cannot add lines.
    return "\n".join(printable(line) for line in lines) + "\n"

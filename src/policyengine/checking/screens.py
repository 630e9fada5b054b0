"""The screens: cheap tests that a record has nothing to report, made from the lowering.

A screen may only say "nothing to report" when the exact evaluator (``evaluate``) would
return no finding; anything else (False, an exception, a line it cannot clear) sends the
record to the evaluator, which decides. Two screens, over the same thresholds:

- ``python_screen``: generated Python per purpose, over a record's values tuple;
- ``native_spec`` / ``native_plan``: the plan of the optional C screen
  (src/policyengine/_screen.c), which clears JSON lines before Python parses them.
"""

from __future__ import annotations

import os
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .lower_python import LoweredPurpose, PythonLowering

try:  # the optional native screen (src/policyengine/_screen.c): which lines need attention
    from .. import _screen as _native_screen
except ImportError:  # no compiler when installed: the Python screen alone, same output
    _native_screen = None

# Per-column constraints of the native screen's plan (see _screen.c).
_ANY, _EMPTY, _NONEMPTY, _SUBJECT, _DATE, _DATE_REQ = range(6)


def python_screen(lowering: PythonLowering, lp: LoweredPurpose):
    """A function telling, cheaply, that a record of this purpose has nothing to report:
    True only when ``evaluate`` would return no finding (a False, or an exception,
    sends the record to ``evaluate``, which decides). Generated per purpose, with the
    indices and day thresholds written in: nothing asked (erasure, withdrawal, a
    request), no coverage question, consent present and not followed by activity, and
    every erase rule's anchor day, as written, on or after ``hi`` (with or without an
    extension), so not overdue even after the two-day band of ``evaluate``."""
    p = lp.purpose
    code = ["def screen(v):"]
    if lowering.i_subject is not None:
        code += [f"    s = v[{lowering.i_subject}]", "    if s and s not in subjects: return False"]
    for i in (lowering.i_categories, lowering.i_recipients):
        if i is not None:
            code.append(f"    if v[{i}]: return False")
    if p.consent and lowering.i_consent is not None:
        code.append(f"    if not v[{lowering.i_consent}]: return False")
        if p.consent_scope:  # only the plain scope itself is cleared; anything else is evaluated
            code.append(f"    if v[{lowering.i_scope}] != {p.consent_scope!r}: return False"
                        if lowering.i_scope is not None else "    return False")
        if lowering.i_withdrawn is not None and lowering.i_activity is not None:
            code.append(f"    if v[{lowering.i_withdrawn}] and v[{lowering.i_activity}]: return False")
    for lr in lp.erase:
        code += [f"    s = v[{lr.index}]",
                 "    if s:",
                 "        d = prefixes.get(s[:10])",
                 "        if d is None or s[10:] not in tails: d = written(s)",
                 f"        if d < {max(lr.hi, lr.hi_ext)}: return False"]
        if lr.required:
            code.append("    else: return False")
    asked = _asked(lowering, lp)
    if asked:
        code.append("    if " + " or ".join(f"v[{i}]" for i in asked) + ": return False")
    code.append("    return True")
    namespace = {"subjects": p.subjects, "prefixes": lowering.reader.prefixes,
                 "tails": lowering.reader.tails, "written": lowering.reader.written}
    exec(compile("\n".join(code), f"<screen {p.name}>", "exec"), namespace)  # noqa: S102
    return namespace["screen"]


def _asked(lowering: PythonLowering, lp: LoweredPurpose) -> list[int]:
    """The columns that, filled in, ask something of a record of this purpose: an erasure
    request or a withdrawal (when a keep rule could answer it), a data-subject request."""
    asked = [i for i in (lowering.i_erasure, lowering.i_withdrawn) if i is not None] if lp.keep else []
    if lowering.deadline is not None:
        asked.append(lowering.deadline.index)
    return asked


def native_plan(lowering: PythonLowering):
    """The compiled plan of the native screen, or None: no extension, or
    POLICYENGINE_PURE_SCREEN=1, or a binding it does not handle."""
    if _native_screen is not None and os.environ.get("POLICYENGINE_PURE_SCREEN", "") in ("", "0"):
        spec = native_spec(lowering)
        if spec is not None:
            return _native_screen.compile(spec)
    return None


def native_spec(lowering: PythonLowering) -> tuple | None:
    """The native screen's plan as plain data: per purpose and column, what a value
    must be for the record to be cleared. Each constraint is at least as strict as the
    Python screen (``python_screen``) on that column, so a line the native screen clears is
    one the Python screen clears: nothing to report. A purpose whose constraints do not
    combine simply is left out (its records all go to Python); None when the purpose
    column itself is constrained, or there are too many columns."""
    if len(lowering.columns) > 64:
        return None
    purposes = []
    fixed = -1
    for name, lp in lowering.purposes.items():
        cons = _native_constraints(lowering, lp)
        if cons is None:
            continue
        if lowering.i_purpose is not None and cons[lowering.i_purpose][0] != _ANY:
            return None
        if lowering.fixed is lp:
            fixed = len(purposes)
        purposes.append((name.encode("utf-8"), tuple(cons)))
    if lowering.fixed is not None:
        if fixed < 0:
            return None
        purposes = [purposes[fixed]]
        fixed = 0
    purpose_col = -1 if lowering.fixed is not None else lowering.i_purpose
    if purpose_col is None:
        return None
    return (tuple(c.encode("utf-8") for c in lowering.columns), purpose_col, fixed, tuple(purposes))


def _native_constraints(lowering: PythonLowering, lp: LoweredPurpose) -> list | None:
    none = b"0000-00-00"
    cons: list = [(_ANY, none, ())] * len(lowering.columns)

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
        if lowering.i_subject is not None:
            add(lowering.i_subject, _SUBJECT, allowed=tuple(s.encode("utf-8") for s in p.subjects))
        for i in (lowering.i_categories, lowering.i_recipients):
            if i is not None:
                add(i, _EMPTY)
        if p.consent and lowering.i_consent is not None:
            add(lowering.i_consent, _NONEMPTY)
            if lowering.i_withdrawn is not None and lowering.i_activity is not None:
                add(lowering.i_withdrawn, _EMPTY)  # stricter than "not both"
        for lr in lp.erase:
            day = max(lr.hi, lr.hi_ext) + 1  # a day more than the Python screen asks
            threshold = (date.fromordinal(day).isoformat().encode() if day <= date.max.toordinal()
                         else b"9999-99-99")  # above every date: never cleared
            add(lr.index, _DATE_REQ if lr.required else _DATE, threshold)
        for i in _asked(lowering, lp):
            add(i, _EMPTY)
    except ValueError:
        return None
    return cons


def native_scan(lines: list, plan) -> list[int]:
    """The indices of the lines the native screen cannot clear (``plan`` from ``native_plan``)."""
    return _native_screen.scan(lines, plan)

"""Two parsed policies -> the list of changes in meaning, each material or minor.

Declarations are matched by name (a renamed purpose is one removed and one
added: its promises may have changed with the name). Spans take no part in
AST equality, so formatting alone yields no change at all; anything that
changes the syntax tree yet matches no known kind is reported as material
`other_change`, so nothing slips through unclassified.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

from ..language import ast
from ..language.vocabulary import EEA_COUNTRIES
from .change import Change, Recorder, title
from .compare_purposes import compare_purpose
from .durations import LONGER, SHORTER, compare_durations, duration_parts

# Transfer safeguards, strongest first (GDPR Arts. 45, 47, 46(2)(c), 49).
SAFEGUARD_RANK = {"adequacy": 0, "dpf": 0, "bcr": 1, "scc": 2, "derogation": 3}
NO_SAFEGUARD = len(set(SAFEGUARD_RANK.values()))


def compare(old: ast.PolicyFile, new: ast.PolicyFile,
            reclassify: dict[str, bool] | None = None) -> list[Change]:
    """Every change from OLD to NEW, in the order of the new file (removals last)."""
    rec = Recorder(dict(reclassify or {}))
    _controller(rec, old.controller, new.controller)
    _categories(rec, old, new)
    _subjects(rec, old, new)
    _recipients(rec, old, new)
    _purposes(rec, old, new)
    _requests(rec, old.requests, new.requests)
    _order(rec, old, new)
    _comments(rec, old, new)
    _unclassified(rec, old, new)
    return sorted(rec.changes, key=lambda c: c.sort_key)


_NOT_MEANING = frozenset({"order_changed", "comments_changed"})


def _unclassified(rec: Recorder, old: ast.PolicyFile, new: ast.PolicyFile) -> None:
    """The safety net, per declaration: one that changed in meaning but holds no
    reported change is `other_change`; so is a policy that changed with nothing reported."""
    explained = [c for c in rec.changes if c.kind not in _NOT_MEANING]
    spans = [s for c in explained for s in (c.old, c.new)] + rec.covered
    for (kind, name), o, n in _pairs(old, new):
        if _unordered(o) != _unordered(n) and not any(_within(s, o) or _within(s, n) for s in spans):
            what = f"{kind.lower()} '{name}'" if name else kind.lower()
            rec.add("other_change", f"{what} changed in a way no rule classifies", o.span, n.span, what)
    if not explained and _unordered(old.declarations) != _unordered(new.declarations) and \
            not any(c.kind == "other_change" for c in rec.changes):
        rec.add("other_change", "the policy's syntax tree differs in a way no rule classifies",
                None, None, "the policy")


def _within(span: ast.Span | None, node) -> bool:
    outer = node.span
    return (span is not None and outer is not None and span.file == outer.file
            and outer.line <= span.line <= outer.end_line)


def _pairs(old: ast.PolicyFile, new: ast.PolicyFile):
    """(key, old, new) for each declaration both versions hold (the first of a name)."""
    before: dict = {}
    for key, d in zip(_keys(old.declarations), old.declarations):
        before.setdefault(key, d)
    seen = set()
    for key, n in zip(_keys(new.declarations), new.declarations):
        if key in before and key not in seen:
            seen.add(key)
            yield key, before[key], n


def _named(decls) -> dict[str, object]:
    found: dict[str, object] = {}
    for d in decls:
        found.setdefault(d.name.value, d)  # a duplicate is a lint error; the first counts
    return found


def _span(node) -> ast.Span | None:
    return node.span if node is not None else None


# ---- controller ---------------------------------------------------------------
_CONTROLLER_FIELDS = ((ast.Contact, "contact", lambda s: s.value), (ast.Dpo, "data protection officer",
                      lambda s: s.value), (ast.Authority, "supervisory authority", lambda s: s.name.value),
                      (ast.Jurisdiction, "jurisdiction", lambda s: s.name.value))


def _controller(rec: Recorder, old: ast.Controller | None, new: ast.Controller | None) -> None:
    if old is None or new is None:
        if old is not new:
            rec.add("controller_changed", f"the controller is {'declared' if old is None else 'no longer declared'}",
                    _span(old), _span(new), "controller", before=old and old.name, after=new and new.name)
        return
    if old.name != new.name:
        rec.add("controller_changed", f"the controller '{old.name}' is now '{new.name}'",
                old.span, new.span, "controller", before=old.name, after=new.name)
    for kind, what, value in _CONTROLLER_FIELDS:
        o, n = old.first(kind), new.first(kind)
        ov, nv = (value(o) if o else None), (value(n) if n else None)
        if ov != nv:
            rec.add("controller_changed", f"the controller's {what} {_was(ov)} is now {_was(nv)}",
                    _span(o) or old.span, _span(n) or new.span, what, before=ov, after=nv)
    o, n = old.first(ast.FinancialYearEnd), new.first(ast.FinancialYearEnd)
    ov = f"{o.month:02d}-{o.day:02d}" if o else None
    nv = f"{n.month:02d}-{n.day:02d}" if n else None
    if ov != nv:
        rec.add("financial_year_changed", f"the financial year ends {_was(nv)} (was {_was(ov)})",
                _span(o) or old.span, _span(n) or new.span, "financial year", before=ov, after=nv)


def _was(value: str | None) -> str:
    return f"'{value}'" if value is not None else "(none)"


# ---- categories, subjects -----------------------------------------------------
def _categories(rec: Recorder, old: ast.PolicyFile, new: ast.PolicyFile) -> None:
    before, after = _named(old.categories), _named(new.categories)
    for name, n in after.items():
        o = before.get(name)
        if o is None:
            kind = {"special": "special_category_added",
                    "national_identifier": "national_identifier_added"}.get(n.kind, "category_added")
            rec.add(kind, f"new category '{name}' ({title(n)}){_category_kind(n)}", None, n.span, title(n))
            continue
        _label(rec, "category", o, n)
        if (o.kind, o.special) == (n.kind, n.special):
            continue
        if n.kind == "special":
            kind = "special_category_added"
        elif n.kind == "national_identifier":
            kind = "national_identifier_added"
        else:
            kind = "category_protection_lowered"
        rec.add(kind, f"category '{name}' was{_category_kind(o) or ' plain'}, is now"
                      f"{_category_kind(n) or ' plain'}", o.span, n.span, title(n))
    for name, o in before.items():
        if name not in after:
            rec.add("category_removed", f"category '{name}' ({title(o)}) removed", o.span, None, title(o))


def _category_kind(c: ast.Category) -> str:
    if c.kind == "special":
        return f" special ({c.special.value if c.special else '?'})"
    return " national identifier" if c.kind == "national_identifier" else ""


def _subjects(rec: Recorder, old: ast.PolicyFile, new: ast.PolicyFile) -> None:
    before, after = _named(old.subjects), _named(new.subjects)
    for name, n in after.items():
        if name not in before:
            rec.add("subject_added", f"new data subjects '{name}' ({title(n)})", None, n.span, title(n))
        else:
            _label(rec, "subject", before[name], n)
    for name, o in before.items():
        if name not in after:
            rec.add("subject_removed", f"data subjects '{name}' ({title(o)}) removed", o.span, None, title(o))


def _label(rec: Recorder, what: str, old, new) -> None:
    if old.label != new.label:
        rec.add("label_changed", f"{what} '{new.name.value}': label {_was(old.label)} is now {_was(new.label)}",
                old.span, new.span, title(new), before=old.label, after=new.label)


# ---- recipients and transfers -------------------------------------------------
def _recipients(rec: Recorder, old: ast.PolicyFile, new: ast.PolicyFile) -> None:
    before, after = _named(old.recipients), _named(new.recipients)
    for name, n in after.items():
        o = before.get(name)
        if o is None:
            rec.add("recipient_added", f"new {n.role} '{name}' ({title(n)})", None, n.span, title(n))
            _location(rec, None, n)
            continue
        _label(rec, n.role, o, n)
        if o.role != n.role:
            rec.add("recipient_role_changed", f"'{name}' was a {o.role}, is now a {n.role}",
                    o.span, n.span, title(n), before=o.role, after=n.role)
        _location(rec, o, n)
    for name, o in before.items():
        if name not in after:
            rec.add("recipient_removed", f"{o.role} '{name}' ({title(o)}) removed", o.span, None, title(o))


def _outside(country: str | None) -> bool:
    return country is not None and country not in EEA_COUNTRIES


def _rank(transfer: ast.Transfer | None) -> int:
    return SAFEGUARD_RANK.get(transfer.safeguard.value, NO_SAFEGUARD) if transfer else NO_SAFEGUARD


def _safeguard(transfer: ast.Transfer | None) -> str:
    return transfer.safeguard.value if transfer else "no safeguard"


def _location(rec: Recorder, old: ast.Recipient | None, new: ast.Recipient) -> None:
    oc = old.country.code.value if old and old.country else None
    nc = new.country.code.value if new.country else None
    ospan = (_span(old.country) or old.span) if old else None
    nspan = _span(new.country) or new.span
    name = new.name.value
    if oc != nc:
        if _outside(nc):
            rec.add("transfer_added", f"'{name}' now processes data in {nc}, outside the EU/EEA "
                                      f"({_safeguard(new.transfer)})", ospan, nspan, title(new),
                    before=oc, after=nc)
        elif old is None:
            return
        elif nc is None:
            rec.add("recipient_country_unstated", f"'{name}': the country {oc} is no longer stated",
                    ospan, nspan, title(new), before=oc)
        elif _outside(oc):
            rec.add("transfer_removed", f"'{name}' moves from {oc} to {nc}, inside the EU/EEA",
                    ospan, nspan, title(new), before=oc, after=nc)
        else:
            rec.add("recipient_country_changed", f"'{name}' moves from {oc or '(none)'} to {nc}",
                    ospan, nspan, title(new), before=oc, after=nc)
        return
    if old is None or not _outside(nc):
        return
    ot, nt = old.transfer, new.transfer
    ospan, nspan = _span(ot) or old.span, _span(nt) or new.span
    if _safeguard(ot) != _safeguard(nt):
        kind = "transfer_safeguard_weakened" if _rank(nt) > _rank(ot) else "transfer_safeguard_strengthened"
        rec.add(kind, f"transfer to {nc} by '{name}': {_safeguard(ot)} is now {_safeguard(nt)}",
                ospan, nspan, title(new), before=_safeguard(ot), after=_safeguard(nt))
    elif ot and nt and ot.note != nt.note:
        rec.add("note_changed", f"transfer by '{name}': note {_was(ot.note)} is now {_was(nt.note)}",
                ospan, nspan, title(new), before=ot.note, after=nt.note)


# ---- purposes -----------------------------------------------------------------
def _purposes(rec: Recorder, old: ast.PolicyFile, new: ast.PolicyFile) -> None:
    before, after = _named(old.purposes), _named(new.purposes)
    for name, n in after.items():
        if name in before:
            compare_purpose(rec, old, new, before[name], n)
        else:
            rec.add("purpose_added", f"new purpose '{name}' ({title(n)})", None, n.span, title(n))
    for name, o in before.items():
        if name not in after:
            rec.add("purpose_removed", f"purpose '{name}' ({title(o)}) removed", o.span, None, title(o))


# ---- requests -----------------------------------------------------------------
def _requests(rec: Recorder, old: ast.Requests | None, new: ast.Requests | None) -> None:
    for attr, what, kinds in (("respond_within", "the deadline for requests",
                               ("request_deadline_lengthened", "request_deadline_shortened")),
                              ("extendable_by", "the extension of that deadline",
                               ("request_extension_lengthened", "request_extension_shortened"))):
        o = getattr(old, attr) if old else None
        n = getattr(new, attr) if new else None
        od, nd = (o.duration if o else None), (n.duration if n else None)
        verdict = compare_durations(od, nd)
        if verdict == LONGER:
            kind = kinds[0]
        elif verdict == SHORTER:
            kind = kinds[1]
        else:
            continue
        rec.add(kind, f"{what}: {_period(od)} is now {_period(nd)}", _span(o) or _span(old),
                _span(n) or _span(new), what, before=od, after=nd)


def _period(d: ast.Duration | None) -> str:
    return str(d) if d is not None else "(none stated)"


# ---- order and comments -------------------------------------------------------
def _keys(decls) -> list[tuple[str, str]]:
    return [(type(d).__name__, getattr(getattr(d, "name", None), "value", "")) for d in decls]


def _order(rec: Recorder, old: ast.PolicyFile, new: ast.PolicyFile) -> None:
    ok, nk = _keys(old.declarations), _keys(new.declarations)
    common = set(ok) & set(nk)
    if [k for k in ok if k in common] != [k for k in nk if k in common]:
        rec.add("order_changed", "declarations are in a different order", None, None, "order")
    for key, o, n in _pairs(old, new):
        if _unordered(o, False) != _unordered(n, False) and _unordered(o) == _unordered(n):
            rec.add("order_changed", f"{key[0].lower()} '{key[1]}': statements or names in a different order"
                    if key[1] else f"{key[0].lower()}: statements in a different order",
                    o.span, n.span, title(n) if key[1] else key[0].lower())


def _unordered(node, ignore_order: bool = True):
    """The node with every sequence sorted and every period in (months, days):
    equal when two nodes differ only in order or in how a period is written."""
    if isinstance(node, ast.Duration):
        return duration_parts(node)
    if dataclasses.is_dataclass(node):
        return (type(node).__name__,) + tuple(_unordered(getattr(node, f.name), ignore_order)
                                              for f in dataclasses.fields(node) if f.compare)
    if isinstance(node, tuple):
        parts = (_unordered(x, ignore_order) for x in node)
        return tuple(sorted(parts, key=repr)) if ignore_order else tuple(parts)
    return node


def _comments(rec: Recorder, old: ast.PolicyFile, new: ast.PolicyFile) -> None:
    ot, nt = Counter(c.text for c in old.comments), Counter(c.text for c in new.comments)
    if ot == nt:
        return
    added = [c for c in new.comments if (nt - ot)[c.text]]
    removed = [c for c in old.comments if (ot - nt)[c.text]]
    first_new = _comment_span(new.path, added[0]) if added else None
    first_old = _comment_span(old.path, removed[0]) if removed else None
    rec.add("comments_changed", f"{len(added)} comment(s) added or changed, {len(removed)} removed",
            first_old, first_new, "comments")


def _comment_span(path: str, c: ast.Comment) -> ast.Span:
    return ast.Span(path, c.line, c.column, c.line, c.column + len(c.text))

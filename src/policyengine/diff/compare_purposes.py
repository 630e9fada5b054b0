"""The changes inside one purpose that both versions declare."""

from __future__ import annotations

from ..language import ast
from .change import Recorder, title
from .durations import LONGER, NO_TIME, SAME, SHORTER, compare_durations

UNTIL_WITHDRAWN = "until consent is withdrawn"


def compare_purpose(rec: Recorder, old_file: ast.PolicyFile, new_file: ast.PolicyFile,
                    old: ast.Purpose, new: ast.Purpose) -> None:
    ctx = title(new)
    if old.label != new.label:
        rec.add("label_changed", f"purpose '{new.name.value}': label '{old.label}' is now '{new.label}'",
                old.span, new.span, ctx, before=old.label, after=new.label)
    for kind, declared_old, declared_new, noun in (
            (ast.Categories, old_file.categories, new_file.categories, "category"),
            (ast.Subjects, old_file.subjects, new_file.subjects, "subject"),
            (ast.Recipients, old_file.recipients, new_file.recipients, "recipient")):
        _uses(rec, old, new, kind, {d.name.value: d for d in declared_old},
              {d.name.value: d for d in declared_new}, noun)
    _basis(rec, old, new, ctx)
    _maxima(rec, old, new, ctx)
    _minima(rec, old, new, ctx)
    _legal_hold(rec, old, new, ctx)
    _withdrawal(rec, old, new, ctx)
    _logs(rec, old, new, ctx)


def _uses(rec: Recorder, old: ast.Purpose, new: ast.Purpose, kind: type, declared_old: dict,
          declared_new: dict, noun: str) -> None:
    """Names a purpose newly uses or stops using; a brand-new (or wholly removed)
    declaration is reported once, at the declaration, not again here."""
    o_names = {n.value: n for n in old.names(kind)}
    n_names = {n.value: n for n in new.names(kind)}
    o_stmt, n_stmt = old.first(kind), new.first(kind)
    for name, n in n_names.items():
        if name in declared_new and name not in declared_old:
            rec.cover(n.span)
        elif name not in o_names:
            thing = title(declared_new[name]) if name in declared_new else name
            rec.add(f"purpose_{noun}_added", f"purpose '{new.name.value}' now uses {noun} '{name}'",
                    _span(o_stmt) or old.span, n.span, thing, context=title(new))
    for name, o in o_names.items():
        if name in declared_old and name not in declared_new:
            rec.cover(o.span)
        elif name not in n_names:
            thing = title(declared_old[name]) if name in declared_old else name
            rec.add(f"purpose_{noun}_removed", f"purpose '{new.name.value}' no longer uses {noun} '{name}'",
                    o.span, _span(n_stmt) or new.span, thing, context=title(new))


def _span(node) -> ast.Span | None:
    return node.span if node is not None else None


def _basis(rec: Recorder, old: ast.Purpose, new: ast.Purpose, ctx: str) -> None:
    for attr, kind, what in (("basis", "basis_changed", "lawful basis"),
                             ("special_condition", "special_condition_changed", "Art. 9(2) condition")):
        o, n = getattr(old, attr), getattr(new, attr)
        ok, nk = (o.kind.value if o else None), (n.kind.value if n else None)
        ospan, nspan = _span(o) or old.span, _span(n) or new.span
        if ok != nk:
            rec.add(kind, f"purpose '{new.name.value}': {what} {ok or '(none)'} is now {nk or '(none)'}",
                    ospan, nspan, what, context=ctx, before=ok, after=nk)
            continue
        on, nn = (getattr(o, "citation", None) or getattr(o, "note", None)), \
                 (getattr(n, "citation", None) or getattr(n, "note", None))
        if on != nn:
            rec.add("note_changed", f"purpose '{new.name.value}': the {what}'s citation '{on}' is now '{nn}'",
                    ospan, nspan, what, context=ctx, before=on, after=nn)


def _limits(purpose: ast.Purpose, bound: str) -> dict[str, tuple[ast.Duration, ast.Span]]:
    """Per clock anchor, the limit that binds: the shortest maximum, the longest minimum."""
    found: dict[str, tuple[ast.Duration, ast.Span]] = {}
    for r in purpose.retention:
        if r.bound != bound:
            continue
        held = found.get(r.anchor.value)
        if held is None or compare_durations(held[0], r.duration) == (SHORTER if bound == "at_most" else LONGER):
            found[r.anchor.value] = (r.duration, r.span)
    if bound == "at_most" and purpose.until_withdrawn is not None:
        found[UNTIL_WITHDRAWN] = (NO_TIME, purpose.until_withdrawn.span)
    return found


def _from(anchor: str) -> str:
    return anchor if anchor == UNTIL_WITHDRAWN else f"from {anchor}"


def _maxima(rec: Recorder, old: ast.Purpose, new: ast.Purpose, ctx: str) -> None:
    """Each maximum is a limit: removing one or lengthening it lets data be kept longer."""
    o, n = _limits(old, "at_most"), _limits(new, "at_most")
    name = new.name.value
    for anchor, (nd, nspan) in n.items():
        if anchor not in o:
            rec.add("retention_maximum_shortened", f"purpose '{name}': new maximum {_kept(nd, anchor)}",
                    old.span, nspan, "retention", context=ctx, after=nd)
            continue
        od, ospan = o[anchor]
        verdict = compare_durations(od, nd)
        if verdict != SAME:
            kind = "retention_maximum_lengthened" if verdict == LONGER else "retention_maximum_shortened"
            rec.add(kind, f"purpose '{name}': maximum {_kept(od, anchor)} is now {nd}", ospan, nspan,
                    "retention", context=ctx, before=od, after=nd, detail=_bounds_note(od, nd))
    for anchor, (od, ospan) in o.items():
        if anchor not in n:
            rest = "; no maximum remains" if not n else ""
            rec.add("retention_maximum_lengthened", f"purpose '{name}': maximum {_kept(od, anchor)} "
                    f"removed{rest}", ospan, new.span, "retention", context=ctx, before=od)


def _kept(d: ast.Duration, anchor: str) -> str:
    return UNTIL_WITHDRAWN if anchor == UNTIL_WITHDRAWN else f"{d} from {anchor}"


def _bounds_note(old: ast.Duration, new: ast.Duration) -> str | None:
    from .durations import describe_bounds, duration_parts

    (om, od), (nm, nd) = duration_parts(old), duration_parts(new)
    if not ((om and nd) or (od and nm)):  # both in days, or both in whole months: plain
        return None
    return f"{describe_bounds(old)} against {describe_bounds(new)}, from the same start day"


def _minima(rec: Recorder, old: ast.Purpose, new: ast.Purpose, ctx: str) -> None:
    o, n = _limits(old, "at_least"), _limits(new, "at_least")
    name = new.name.value
    for anchor in sorted(set(o) | set(n)):
        od, ospan = o.get(anchor, (None, old.span))
        nd, nspan = n.get(anchor, (None, new.span))
        if od is not None and nd is not None and compare_durations(od, nd) == SAME:
            continue
        rec.add("retention_minimum_changed", f"purpose '{name}': minimum retention from {anchor}: "
                f"{od or '(none)'} is now {nd or '(none)'}", ospan, nspan, "retention",
                context=ctx, before=od, after=nd)


def _legal_hold(rec: Recorder, old: ast.Purpose, new: ast.Purpose, ctx: str) -> None:
    o, n = old.legal_hold, new.legal_hold
    ospan, nspan = _span(o) or old.span, _span(n) or new.span
    ov = (o.duration, o.anchor.value) if o else None
    nv = (n.duration, n.anchor.value) if n else None
    same = ov is not None and nv is not None and ov[1] == nv[1] and compare_durations(ov[0], nv[0]) == SAME
    if not same and ov != nv:
        shown = [f"{v[0]} from {v[1]}" if v else "(none)" for v in (ov, nv)]
        rec.add("legal_hold_changed", f"purpose '{new.name.value}': legal hold {shown[0]} is now {shown[1]}",
                ospan, nspan, "legal hold", context=ctx, before=o and o.duration, after=n and n.duration)
    elif o and n and o.citation != n.citation:
        rec.add("note_changed", f"purpose '{new.name.value}': the legal hold's citation '{o.citation}' "
                f"is now '{n.citation}'", ospan, nspan, "legal hold", context=ctx)


def _withdrawal(rec: Recorder, old: ast.Purpose, new: ast.Purpose, ctx: str) -> None:
    o, n = old.on_withdrawal, new.on_withdrawal
    if o is None and n is None:
        return
    name = new.name.value
    if n is None:
        verdict, shown = LONGER, "no erasure on withdrawal is promised any more"
    elif o is None:
        verdict, shown = SHORTER, f"erasure on withdrawal {_within(n.within)} is newly promised"
    else:
        verdict = compare_durations(o.within, n.within)
        shown = f"erasure on withdrawal {_within(o.within)} is now {_within(n.within)}"
    if verdict == SAME:
        return
    kind = "withdrawal_erasure_lengthened" if verdict == LONGER else "withdrawal_erasure_shortened"
    rec.add(kind, f"purpose '{name}': {shown}", _span(o) or old.span, _span(n) or new.span,
            "erasure on withdrawal", context=ctx, before=o and o.within, after=n and n.within)


def _within(d: ast.Duration | None) -> str:
    return f"within {d}" if d is not None else "(no period stated)"


# ---- logs ---------------------------------------------------------------------
def _log_rules(purpose: ast.Purpose) -> dict[str, ast.Logs]:
    found: dict[str, ast.Logs] = {}
    for block in purpose.logs:
        for kind in block.kinds:
            found.setdefault(kind.value, block)
    return found


def _log_keep(purpose: ast.Purpose, block: ast.Logs) -> ast.Duration | None:
    """How long the logs are kept: the block's maximum, else the purpose's from
    collection (what the scrubber takes), else no limit."""
    keep = block.keep
    if keep is not None and keep.bound == "at_most":
        return keep.duration
    limit = _limits(purpose, "at_most").get("collected")
    return limit[0] if limit else None


def _logs(rec: Recorder, old: ast.Purpose, new: ast.Purpose, ctx: str) -> None:
    o, n = _log_rules(old), _log_rules(new)
    found: dict[tuple, list[str]] = {}  # one change for all log kinds that changed alike
    for kind in list(n) + [k for k in o if k not in n]:
        ob, nb = o.get(kind), n.get(kind)
        if ob is None or nb is None:
            change = ("logs_added" if ob is None else "logs_removed",
                      "kept under this purpose" if ob is None else "no longer kept under this purpose",
                      _span(ob) or old.span, _span(nb) or new.span, None, None)
            found.setdefault(change, []).append(kind)
            continue
        for change in _log_pair(old, new, ob, nb):
            found.setdefault(change, []).append(kind)
    for (change, text, ospan, nspan, before, after), kinds in found.items():
        rec.add(change, f"purpose '{new.name.value}': {', '.join(kinds)} log(s) {text}", ospan, nspan,
                "logs", context=ctx, before=before, after=after)


def _log_pair(old: ast.Purpose, new: ast.Purpose, ob: ast.Logs, nb: ast.Logs):
    ok, nk = _log_keep(old, ob), _log_keep(new, nb)
    verdict = compare_durations(ok, nk)
    kspan_o, kspan_n = _span(ob.keep) or ob.span, _span(nb.keep) or nb.span
    if verdict != SAME:
        yield ("log_retention_lengthened" if verdict == LONGER else "log_retention_shortened",
               f"kept {_limit(ok)}, now {_limit(nk)}", kspan_o, kspan_n, ok, nk)
    o_min = ob.keep.duration if ob.keep and ob.keep.bound == "at_least" else None
    n_min = nb.keep.duration if nb.keep and nb.keep.bound == "at_least" else None
    if (o_min is None) != (n_min is None) or compare_durations(o_min, n_min) != SAME:
        yield ("retention_minimum_changed", f"kept at least {o_min or '(none)'}, now {n_min or '(none)'}",
               kspan_o, kspan_n, o_min, n_min)
    ot, nt = ob.truncate, nb.truncate
    o_bits = (ot.ipv4_prefix, ot.ipv6_prefix) if ot else (32, 128)  # no truncation keeps every bit
    n_bits = (nt.ipv4_prefix, nt.ipv6_prefix) if nt else (32, 128)
    if o_bits != n_bits:
        weaker = n_bits[0] > o_bits[0] or n_bits[1] > o_bits[1]
        yield ("log_truncation_weakened" if weaker else "log_truncation_strengthened",
               f"truncated to {_bits(ot)}, now {_bits(nt)}", _span(ot) or ob.span, _span(nt) or nb.span,
               _bits(ot), _bits(nt))


def _limit(d: ast.Duration | None) -> str:
    return f"at most {d}" if d is not None else "with no limit"


def _bits(t: ast.LogTruncate | None) -> str:
    return f"IPv4 /{t.ipv4_prefix}, IPv6 /{t.ipv6_prefix}" if t else "no truncation (whole addresses)"

"""Validation of one purpose block, by concern: what it covers, its lawfulness (basis,
consent, Art. 9, national identifiers), its retention, its log rules."""

from __future__ import annotations

from collections import Counter

from . import ast
from . import vocabulary as vocab
from .checker import Checker, min_days, surely_longer


def check_purpose(checker: Checker, p: ast.Purpose, used: Counter) -> None:
    """Every check of one purpose; ``used`` counts the declared names it uses (for PE212)."""
    where = f"purpose '{p.name.value}'"
    checker.once(p.body, (ast.Basis, ast.SpecialCondition, ast.Retain, ast.RetainUntilWithdrawn,
                          ast.LegalHold, ast.OnWithdrawal), where)
    _coverage(checker, p, where, used)
    _lawfulness(checker, p, where)
    _retention(checker, p, where)
    for logs in p.logs:
        _logs(checker, logs, where)


def _coverage(checker: Checker, p: ast.Purpose, where: str, used: Counter) -> None:
    """The subjects, categories and recipients named are declared (PE101); some are named (PE211)."""
    for table, kind, what in ((checker.categories, ast.Categories, "category"),
                              (checker.subjects, ast.Subjects, "data subject"),
                              (checker.recipients, ast.Recipients, "recipient")):
        for name in p.names(kind):
            if checker.known(name, table, what, f"declare it: {what.split()[-1]} {name.value} \"...\""):
                used[(what, name.value)] += 1

    if not p.names(ast.Subjects) or not p.names(ast.Categories):
        missing = "data subjects" if not p.names(ast.Subjects) else "data categories"
        checker.report("PE211", f"{where} names no {missing}", p.name.span)


def _lawfulness(checker: Checker, p: ast.Purpose, where: str) -> None:
    """A lawful basis (PE208, PE205), consent withdrawal (PE202, PE213), an Art. 9(2) condition
    for special categories (PE201, PE210), a justification for national identifiers (PE209)."""
    basis = p.basis
    if basis is None:
        checker.report("PE208", f"{where} has no lawful basis", p.name.span,
                    "add: basis consent | contract | legal_obligation \"law\" | "
                    "vital_interests | public_task \"law\" | legitimate_interests \"interest\"")
    elif checker.known(basis.kind, vocab.LAWFUL_BASES, "lawful basis (GDPR Art. 6(1))"):
        if basis.kind.value in vocab.BASES_NEEDING_CITATION and not (basis.citation or "").strip():
            checker.report("PE205", f"{where}: {basis.kind.value} cites no law", basis.span,
                        f'add the law after the basis: basis {basis.kind.value} "Bokföringslagen (1999:1078)"')

    consent = basis is not None and basis.kind.value == "consent"
    withdrawal = p.until_withdrawn or p.on_withdrawal
    if consent and withdrawal is None:
        checker.report("PE202", f"{where} relies on consent but says nothing of its withdrawal",
                    basis.span, "add: retain until withdrawn, or: on withdrawal erase within 30 days")
    if withdrawal is not None and basis is not None and not consent:
        checker.report("PE213", f"{where} handles consent withdrawal but its basis is "
                    f"{basis.kind.value}", withdrawal.span)

    special = [n for n in p.names(ast.Categories)
               if n.value in checker.categories and checker.categories[n.value].kind == "special"]
    condition = p.special_condition
    if condition is not None:
        checker.known(condition.kind, vocab.SPECIAL_CONDITIONS, "Art. 9(2) condition")
        if not special:
            checker.report("PE210", f"{where} states an Art. 9(2) condition but processes no "
                        "special category", condition.span)
    else:
        for name in special:
            checker.report("PE201", f"{where} processes special category '{name.value}' "
                        "without an Art. 9(2) condition", name.span,
                        "add: special condition explicit_consent (or another Art. 9(2) condition)")

    national = [n for n in p.names(ast.Categories) if n.value in checker.categories
                and checker.categories[n.value].kind == "national_identifier"]
    if national and basis is not None and not (basis.citation or "").strip():
        checker.report("PE209", f"{where} processes national identity number '{national[0].value}' "
                    "and states no justification", national[0].span,
                    'say why after the basis: basis contract "secure identification of the customer"')


def _retention(checker: Checker, p: ast.Purpose, where: str) -> None:
    """Some retention (PE206); possible durations and known clock starts; minimum, legal hold
    and maximum consistent (PE203); a legal hold cites its law (PE205)."""
    if not p.retention and p.until_withdrawn is None and p.legal_hold is None:
        checker.report("PE206", f"{where} has no retention", p.name.span,
                    "add: retain at most 2 years from last_activity")
    limits: dict[tuple[str, str], ast.Retain] = {}
    for r in p.retention:
        ok = checker.duration(r.duration)
        if checker.known(r.anchor, vocab.CLOCK_ANCHORS, "retention clock start") and ok:
            limits[(r.bound, r.anchor.value)] = r
    hold = p.legal_hold
    if hold is not None:
        checker.duration(hold.duration)
        checker.known(hold.anchor, vocab.CLOCK_ANCHORS, "retention clock start")
        if not (hold.citation or "").strip():
            checker.report("PE205", f"{where}: the legal hold cites no law", hold.span,
                        'add the law: legal hold 7 years from financial_year_end "Bokföringslagen (1999:1078) 7 kap. 2 §"')
    if p.on_withdrawal is not None and p.on_withdrawal.within is not None:
        checker.duration(p.on_withdrawal.within)
    for (bound, anchor), low in limits.items():
        high = limits.get((ast.Bound.AT_MOST, anchor))
        if bound == ast.Bound.AT_LEAST and high is not None and surely_longer(low.duration, high.duration):
            checker.report("PE203", f"{where} keeps at least {low.duration} but at most "
                        f"{high.duration} from {anchor}", low.duration.span,
                        f"the maximum is at line {high.span.line}")
    if hold is not None:
        high = limits.get((ast.Bound.AT_MOST, hold.anchor.value))
        if high is not None and surely_longer(hold.duration, high.duration):
            checker.report("PE203", f"{where}: the legal hold of {hold.duration} is longer than the "
                        f"maximum retention of {high.duration}", hold.duration.span,
                        f"the maximum is at line {high.span.line}")


def _logs(checker: Checker, logs: ast.Logs, where: str) -> None:
    """Known log kinds, a possible keep period, address prefixes in range (PE207)."""
    checker.once(logs.body, (ast.LogKeep, ast.LogTruncate), f"the log rules of {where}")
    for kind in logs.kinds:
        checker.known(kind, vocab.LOG_KINDS, "log kind")
    keep = logs.keep
    if keep is not None:
        checker.duration(keep.duration)
    truncate = logs.truncate
    if truncate is not None:
        if not 0 <= truncate.ipv4_prefix <= 32:
            checker.report("PE207", f"an IPv4 prefix of /{truncate.ipv4_prefix}", truncate.ipv4_span,
                        "IPv4 prefixes are 0 to 32; /24 drops the last octet")
        elif truncate.ipv4_prefix == 32:
            checker.report("PE207", "an IPv4 prefix of /32 keeps the whole address", truncate.ipv4_span,
                        "/24 drops the last octet")
        if not 0 <= truncate.ipv6_prefix <= 128:
            checker.report("PE207", f"an IPv6 prefix of /{truncate.ipv6_prefix}", truncate.ipv6_span,
                        "IPv6 prefixes are 0 to 128; /48 keeps the site prefix")
        elif truncate.ipv6_prefix == 128:
            checker.report("PE207", "an IPv6 prefix of /128 keeps the whole address", truncate.ipv6_span,
                        "/48 keeps the site prefix only")

"""Semantic validation: what the grammar cannot say. Every problem is a Diagnostic."""

from __future__ import annotations

from collections import Counter
from datetime import date

from . import ast, periods
from . import vocabulary as vocab
from .diagnostics import Diagnostic, did_you_mean

LONGEST_RETENTION_YEARS = 150  # past any statutory period: a typo, not a policy
_MOST_DAYS = {"day": 1, "week": 7, "month": 31, "year": 366}


def surely_longer(a: ast.Duration, b: ast.Duration) -> bool:
    """a can end later than b from the same start day (exact over the calendar:
    ``legal hold 2558 days`` can outlast ``retain at most 7 years``)."""
    return periods.can_exceed(a, b)


def _lengths(*durations: ast.Duration) -> str:
    """' (2558 days against 2556-2557 days)' when a part is not whole months."""
    if all(not d.days for d in durations):
        return ""
    def days(d):
        low, high = periods.shortest(d), periods.longest(d)
        return f"{low} days" if low == high else f"{low}-{high} days"
    return " (" + " against ".join(days(d) for d in durations) + ")"


def min_days(d: ast.Duration) -> int:
    return periods.shortest(d)


class _Checker:
    def __init__(self, policy: ast.PolicyFile):
        self.policy = policy
        self.found: list[Diagnostic] = []

    def report(self, code: str, message: str, span: ast.Span, hint: str | None = None) -> None:
        self.found.append(Diagnostic(code, message, span, hint))

    def known(self, name: ast.Name, table, what: str, extra_hint: str | None = None) -> bool:
        if name.value in table:
            return True
        hint = did_you_mean(name.value, table) or extra_hint
        if hint is None:
            hint = "known: " + ", ".join(sorted(table)[:12])
        self.report("PE101", f"unknown {what} '{name.value}'", name.span, hint)
        return False

    # ---- declarations ------------------------------------------------------
    def run(self) -> list[Diagnostic]:
        p = self.policy
        self.categories = self._declared(p.categories, "category")
        self.subjects = self._declared(p.subjects, "data subject")
        self.recipients = self._declared(p.recipients, "recipient")
        self._declared(p.purposes, "purpose")

        controllers = p.of(ast.Controller)
        if not controllers:
            self.report("PE103", "the policy declares no controller",
                        ast.Span(p.path, 1, 1, 1, 2), 'add: controller "Name" { ... }')
        for extra in controllers[1:]:
            self.report("PE102", "a second controller; a policy file is for one controller", extra.span)
        for c in controllers:
            self.controller(c)
        for requests in p.of(ast.Requests)[1:]:
            self.report("PE102", "a second 'requests' block", requests.span)
        if p.requests:
            self.requests(p.requests)
        elif controllers:
            self.report("PE214", "no deadline for data-subject requests", controllers[0].span,
                        "add: requests { respond within 1 month  extendable by 2 months }")
        for c in p.categories:
            if c.kind == "special" and c.special is not None:
                self.known(c.special, vocab.SPECIAL_CATEGORIES, "special category (GDPR Art. 9(1))")
        for r in p.recipients:
            self.recipient(r)
        used: Counter[str] = Counter()
        for purpose in p.purposes:
            self.purpose(purpose, used)
        for table, what in ((self.categories, "category"), (self.subjects, "data subject"),
                            (self.recipients, "recipient")):
            for name, decl in table.items():
                if used[(what, name)] == 0:
                    self.report("PE212", f"{what} '{name}' is declared but no purpose uses it",
                                decl.name.span)
        return sorted(self.found, key=lambda d: d.sort_key)

    def _declared(self, declarations, what: str) -> dict:
        table: dict = {}
        for d in declarations:
            if d.name.value in table:
                first = table[d.name.value]
                self.report("PE102", f"{what} '{d.name.value}' is declared twice", d.name.span,
                            f"first declared at line {first.name.span.line}")
            else:
                table[d.name.value] = d
        return table

    def _once(self, body, kinds: tuple[type, ...], where: str) -> None:
        seen: dict[str, ast.Span] = {}
        for stmt in body:
            key = type(stmt).__name__
            if isinstance(stmt, ast.Retain):  # one maximum and one minimum per clock start
                key += f"{stmt.bound}/{stmt.anchor.value}"
            if not isinstance(stmt, kinds):
                continue
            if key in seen:
                self.report("PE104", f"{_stmt_title(stmt)} is given twice in {where}", stmt.span,
                            f"first given at line {seen[key].line}; keep one")
            else:
                seen[key] = stmt.span

    def controller(self, c: ast.Controller) -> None:
        self._once(c.body, (ast.Contact, ast.Dpo, ast.Authority, ast.Jurisdiction,
                            ast.FinancialYearEnd), "the controller")
        for stmt in c.body:
            if isinstance(stmt, ast.Authority):
                self.known(stmt.name, vocab.AUTHORITIES, "supervisory authority")
            elif isinstance(stmt, ast.Jurisdiction):
                self.known(stmt.name, vocab.KNOWN_COUNTRIES, "country code")
            elif isinstance(stmt, ast.FinancialYearEnd):
                try:
                    date(2001, stmt.month, stmt.day)  # a non-leap year: 02-29 would move
                except ValueError:
                    self.report("PE207", f"{stmt.month:02d}-{stmt.day:02d} is not a day of the year",
                                stmt.span, "write month-day, e.g. 12-31 or 06-30")

    def requests(self, r: ast.Requests) -> None:
        self._once(r.body, (ast.RespondWithin, ast.ExtendableBy), "the requests block")
        for stmt in r.body:
            if not self.duration(stmt.duration):
                continue
            if isinstance(stmt, ast.RespondWithin) and min_days(stmt.duration) > 31:
                self.report("PE207", f"respond within {stmt.duration}: GDPR Art. 12(3) allows one month",
                            stmt.duration.span, "write: respond within 1 month")
            if isinstance(stmt, ast.ExtendableBy) and min_days(stmt.duration) > 62:
                self.report("PE207", f"extendable by {stmt.duration}: GDPR Art. 12(3) allows two further months",
                            stmt.duration.span, "write: extendable by 2 months")

    def recipient(self, r: ast.Recipient) -> None:
        self._once(r.body, (ast.Country, ast.Transfer), f"{r.role} '{r.name.value}'")
        country = r.country
        transfer = r.transfer
        if transfer is not None:
            self.known(transfer.safeguard, vocab.SAFEGUARDS, "transfer safeguard")
        if country is None or not self.known(country.code, vocab.KNOWN_COUNTRIES, "country code"):
            return
        code = country.code.value
        if code in vocab.EEA_COUNTRIES or code in vocab.ADEQUATE_COUNTRIES:
            return
        if transfer is None:
            self.report("PE204", f"{r.role} '{r.name.value}' is in {code}, outside the EU/EEA, "
                        "and no transfer safeguard is stated", country.span,
                        "add: transfer scc (or adequacy, dpf, bcr, derogation)")
        elif transfer.safeguard.value == "adequacy":
            self.report("PE204", f"{code} has no EU adequacy decision", transfer.safeguard.span,
                        "use scc, bcr, dpf (US) or derogation")

    def duration(self, d: ast.Duration) -> bool:
        seen = set()
        for part in d.parts:
            if part.amount == 0:
                self.report("PE207", f"a duration of {part}" + (f" (in {d})" if d.more else ""), part.span,
                            "a duration is at least 1" if not d.more else "leave the zero part out")
                return False
            if part.unit in seen:
                self.report("PE207", f"{d} gives {part.unit}s twice", part.span,
                            "write each unit once: 1 year 6 months")
                return False
            seen.add(part.unit)
            if part.amount * _MOST_DAYS[part.unit] > LONGEST_RETENTION_YEARS * 366:  # before any arithmetic
                self.report("PE207", f"a duration of {part} is longer than {LONGEST_RETENTION_YEARS} years",
                            part.span)
                return False
        if min_days(d) > LONGEST_RETENTION_YEARS * 365:
            self.report("PE207", f"a duration of {d} is longer than {LONGEST_RETENTION_YEARS} years",
                        d.span)
            return False
        return True

    # ---- purposes ------------------------------------------------------------
    def purpose(self, p: ast.Purpose, used: Counter) -> None:
        where = f"purpose '{p.name.value}'"
        self._once(p.body, (ast.Basis, ast.SpecialCondition, ast.Retain, ast.RetainUntilWithdrawn,
                            ast.LegalHold, ast.OnWithdrawal), where)
        for table, kind, what in ((self.categories, ast.Categories, "category"),
                                  (self.subjects, ast.Subjects, "data subject"),
                                  (self.recipients, ast.Recipients, "recipient")):
            for name in p.names(kind):
                if self.known(name, table, what, f"declare it: {what.split()[-1]} {name.value} \"...\""):
                    used[(what, name.value)] += 1

        if not p.names(ast.Subjects) or not p.names(ast.Categories):
            missing = "data subjects" if not p.names(ast.Subjects) else "data categories"
            self.report("PE211", f"{where} names no {missing}", p.name.span)

        basis = p.basis
        if basis is None:
            self.report("PE208", f"{where} has no lawful basis", p.name.span,
                        "add: basis consent | contract | legal_obligation \"law\" | "
                        "vital_interests | public_task \"law\" | legitimate_interests \"interest\"")
        elif self.known(basis.kind, vocab.LAWFUL_BASES, "lawful basis (GDPR Art. 6(1))"):
            if basis.kind.value in vocab.BASES_NEEDING_CITATION and not (basis.citation or "").strip():
                self.report("PE205", f"{where}: {basis.kind.value} cites no law", basis.span,
                            f'add the law after the basis: basis {basis.kind.value} "Bokföringslagen (1999:1078)"')

        consent = basis is not None and basis.kind.value == "consent"
        if basis is not None and basis.scope is not None and not consent:
            self.report("PE215", f"{where}: only consent names what was consented to, and the basis is "
                        f"{basis.kind.value}", basis.scope.span,
                        f"drop 'to {basis.scope.value}', or: basis consent to {basis.scope.value}")
        withdrawal = p.until_withdrawn or p.on_withdrawal
        if consent and withdrawal is None:
            self.report("PE202", f"{where} relies on consent but says nothing of its withdrawal",
                        basis.span, "add: retain until withdrawn, or: on withdrawal erase within 30 days")
        if withdrawal is not None and basis is not None and not consent:
            self.report("PE213", f"{where} handles consent withdrawal but its basis is "
                        f"{basis.kind.value}", withdrawal.span)

        special = [n for n in p.names(ast.Categories)
                   if n.value in self.categories and self.categories[n.value].kind == "special"]
        condition = p.special_condition
        if condition is not None:
            self.known(condition.kind, vocab.SPECIAL_CONDITIONS, "Art. 9(2) condition")
            if not special:
                self.report("PE210", f"{where} states an Art. 9(2) condition but processes no "
                            "special category", condition.span)
        else:
            for name in special:
                self.report("PE201", f"{where} processes special category '{name.value}' "
                            "without an Art. 9(2) condition", name.span,
                            "add: special condition explicit_consent (or another Art. 9(2) condition)")

        national = [n for n in p.names(ast.Categories) if n.value in self.categories
                    and self.categories[n.value].kind == "national_identifier"]
        if national and basis is not None and not (basis.citation or "").strip():
            self.report("PE209", f"{where} processes national identity number '{national[0].value}' "
                        "and states no justification", national[0].span,
                        'say why after the basis: basis contract "secure identification of the customer"')

        if not p.retention and p.until_withdrawn is None and p.legal_hold is None:
            self.report("PE206", f"{where} has no retention", p.name.span,
                        "add: retain at most 2 years from last_activity")
        limits: dict[tuple[str, str], ast.Retain] = {}
        for r in p.retention:
            ok = self.duration(r.duration)
            if self.known(r.anchor, vocab.CLOCK_ANCHORS, "retention clock start") and ok:
                limits[(r.bound, r.anchor.value)] = r
        hold = p.legal_hold
        hold_ok = hold is not None and self.duration(hold.duration)
        if hold is not None:
            self.known(hold.anchor, vocab.CLOCK_ANCHORS, "retention clock start")
            if not (hold.citation or "").strip():
                self.report("PE205", f"{where}: the legal hold cites no law", hold.span,
                            'add the law: legal hold 7 years from financial_year_end "Bokföringslagen (1999:1078) 7 kap. 2 §"')
        if p.on_withdrawal is not None and p.on_withdrawal.within is not None:
            self.duration(p.on_withdrawal.within)
        for (bound, anchor), low in limits.items():
            high = limits.get(("at_most", anchor))
            if bound == "at_least" and high is not None and surely_longer(low.duration, high.duration):
                self.report("PE203", f"{where} keeps at least {low.duration} but at most "
                            f"{high.duration} from {anchor}{_lengths(low.duration, high.duration)}",
                            low.duration.span,
                            f"the maximum is at line {high.span.line}")
        if hold_ok:
            high = limits.get(("at_most", hold.anchor.value))
            if high is not None and surely_longer(hold.duration, high.duration):
                self.report("PE203", f"{where}: the legal hold of {hold.duration} can end after the "
                            f"maximum retention of {high.duration}{_lengths(hold.duration, high.duration)}",
                            hold.duration.span,
                            f"the maximum is at line {high.span.line}")
        for logs in p.logs:
            self.logs(logs, where)

    def logs(self, logs: ast.Logs, where: str) -> None:
        self._once(logs.body, (ast.LogKeep, ast.LogTruncate), f"the log rules of {where}")
        for kind in logs.kinds:
            self.known(kind, vocab.LOG_KINDS, "log kind")
        keep = logs.keep
        if keep is not None:
            self.duration(keep.duration)
        truncate = logs.truncate
        if truncate is not None:
            if not 0 <= truncate.ipv4_prefix <= 32:
                self.report("PE207", f"an IPv4 prefix of /{truncate.ipv4_prefix}", truncate.ipv4_span,
                            "IPv4 prefixes are 0 to 32; /24 drops the last octet")
            elif truncate.ipv4_prefix == 32:
                self.report("PE207", "an IPv4 prefix of /32 keeps the whole address", truncate.ipv4_span,
                            "/24 drops the last octet")
            if not 0 <= truncate.ipv6_prefix <= 128:
                self.report("PE207", f"an IPv6 prefix of /{truncate.ipv6_prefix}", truncate.ipv6_span,
                            "IPv6 prefixes are 0 to 128; /48 keeps the site prefix")
            elif truncate.ipv6_prefix == 128:
                self.report("PE207", "an IPv6 prefix of /128 keeps the whole address", truncate.ipv6_span,
                            "/48 keeps the site prefix only")


def _stmt_title(stmt) -> str:
    if isinstance(stmt, ast.Retain):
        return f"'retain {stmt.bound.replace('_', ' ')} ... from {stmt.anchor.value}'"
    words = {"RetainUntilWithdrawn": "retain until withdrawn", "OnWithdrawal": "on withdrawal",
             "LegalHold": "legal hold", "SpecialCondition": "special condition",
             "FinancialYearEnd": "financial year ends", "RespondWithin": "respond within",
             "ExtendableBy": "extendable by", "LogKeep": "keep", "LogTruncate": "truncate"}
    name = type(stmt).__name__
    return "'" + words.get(name, name.lower()) + "'"


def validate(policy: ast.PolicyFile) -> list[Diagnostic]:
    """Every semantic problem in a parsed policy, sorted by location."""
    return _Checker(policy).run()

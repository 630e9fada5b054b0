"""Semantic validation: what the grammar cannot say. Every problem is a Diagnostic.

The declarations are checked here (controller, requests, recipients, categories, names
used); each purpose block in ``validate_purpose``; the shared checks in ``checker``.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from . import ast
from . import vocabulary as vocab
from .checker import Checker, min_days
from .diagnostics import Diagnostic
from .validate_purpose import check_purpose


class _Validator(Checker):
    def __init__(self, policy: ast.PolicyFile):
        super().__init__()
        self.policy = policy

    # ---- declarations ------------------------------------------------------
    def run(self) -> list[Diagnostic]:
        p = self.policy
        self.categories = self.declared(p.categories, "category")
        self.subjects = self.declared(p.subjects, "data subject")
        self.recipients = self.declared(p.recipients, "recipient")
        self.declared(p.purposes, "purpose")

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
            check_purpose(self, purpose, used)
        for table, what in ((self.categories, "category"), (self.subjects, "data subject"),
                            (self.recipients, "recipient")):
            for name, decl in table.items():
                if used[(what, name)] == 0:
                    self.report("PE212", f"{what} '{name}' is declared but no purpose uses it",
                                decl.name.span)
        return sorted(self.found, key=lambda d: d.sort_key)

    def controller(self, c: ast.Controller) -> None:
        self.once(c.body, (ast.Contact, ast.Dpo, ast.Authority, ast.Jurisdiction,
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
        self.once(r.body, (ast.RespondWithin, ast.ExtendableBy), "the requests block")
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
        self.once(r.body, (ast.Country, ast.Transfer), f"{r.role} '{r.name.value}'")
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


def validate(policy: ast.PolicyFile) -> list[Diagnostic]:
    """Every semantic problem in a parsed policy, sorted by location."""
    return _Validator(policy).run()

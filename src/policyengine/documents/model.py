"""What the notice and the record say, taken from the policy: language-neutral views.

Every fact comes from the AST; nothing is invented. Where the policy is silent the view
holds None, and the templates say plainly that the policy states nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ..language import ast
from ..language import vocabulary as vocab


@dataclass(frozen=True)
class RecipientView:
    name: str
    label: str
    role: str  # recipient | processor
    country: str | None
    safeguard: str | None  # a key of vocabulary.SAFEGUARDS
    safeguard_note: str | None

    @property
    def third_country(self) -> bool:
        """Outside the EU/EEA (adequacy countries included: still a transfer, Art. 45)."""
        return self.country is not None and self.country not in vocab.EEA_COUNTRIES

    @property
    def country_unknown(self) -> bool:
        return self.country is None


@dataclass(frozen=True)
class CategoryView:
    label: str
    special: str | None  # the Art. 9(1) kind
    national_identifier: bool


@dataclass(frozen=True)
class PurposeView:
    name: str
    label: str
    subjects: tuple[str, ...]
    categories: tuple[CategoryView, ...]
    basis: str | None  # a key of vocabulary.LAWFUL_BASES
    basis_citation: str | None  # the law, task or legitimate interest
    special_condition: str | None
    provision: ast.Provision | None
    recipients: tuple[RecipientView, ...]
    retention: tuple[ast.Retain, ...]  # at_most first, then at_least
    until_withdrawn: bool
    on_withdrawal: ast.OnWithdrawal | None
    legal_hold: ast.LegalHold | None
    logs: tuple[ast.Logs, ...]

    @property
    def collected_maximum(self) -> ast.Duration | None:
        """The maximum from collection: what the scrubber keeps log lines for when the log
        rules state no period of their own (see language.loading.scrubber_settings)."""
        return next((r.duration for r in self.retention
                     if r.bound == "at_most" and r.anchor.value == "collected"), None)

    @property
    def states_retention(self) -> bool:
        return bool(self.retention or self.until_withdrawn or self.legal_hold)


@dataclass(frozen=True)
class PolicyView:
    source_path: str
    sha256: str
    controller: str
    address: str | None
    contact: str | None
    representative: ast.Representative | None
    dpo: str | None
    dpo_contact: str | None
    authority: str | None  # a key of vocabulary.AUTHORITIES
    jurisdiction: str | None
    automated_decisions: ast.AutomatedDecisions | None
    security: str | None
    purposes: tuple[PurposeView, ...]
    recipients: tuple[RecipientView, ...]  # those some purpose names, in declaration order
    respond_within: ast.Duration | None
    extendable_by: ast.Duration | None

    @property
    def transfers(self) -> tuple[RecipientView, ...]:
        return tuple(r for r in self.recipients if r.third_country or r.country_unknown)

    def any_basis(self, *kinds: str) -> bool:
        return any(p.basis in kinds for p in self.purposes)

    @property
    def logs(self) -> tuple[tuple[PurposeView, ast.Logs], ...]:
        return tuple((p, logs) for p in self.purposes for logs in p.logs)


def _recipient(r: ast.Recipient) -> RecipientView:
    country = r.country.code.value if r.country else None
    transfer = r.transfer
    return RecipientView(r.name.value, r.label or r.name.value, r.role, country,
                         transfer.safeguard.value if transfer else None, transfer.note if transfer else None)


def build(policy: ast.PolicyFile) -> PolicyView:
    """The view of a policy that load_policy accepted (names resolve)."""
    c = policy.controller
    categories = {x.name.value: x for x in policy.categories}
    subjects = {x.name.value: x for x in policy.subjects}
    recipients = {x.name.value: _recipient(x) for x in policy.recipients}
    purposes = []
    for p in policy.purposes:
        basis = p.basis
        retention = tuple(sorted(p.retention, key=lambda r: r.bound != "at_most"))
        purposes.append(PurposeView(
            p.name.value, p.label or p.name.value,
            tuple(subjects[n.value].label or n.value for n in p.names(ast.Subjects)),
            tuple(CategoryView(categories[n.value].label or n.value,
                               categories[n.value].special.value if categories[n.value].special else None,
                               categories[n.value].kind == "national_identifier")
                  for n in p.names(ast.Categories)),
            basis.kind.value if basis else None, basis.citation if basis else None,
            p.special_condition.kind.value if p.special_condition else None,
            p.provision, tuple(recipients[n.value] for n in p.names(ast.Recipients)),
            retention, p.until_withdrawn is not None, p.on_withdrawal, p.legal_hold, p.logs))
    used = {r.name for p in purposes for r in p.recipients}
    requests = policy.requests
    respond = requests.respond_within if requests else None
    extend = requests.extendable_by if requests else None
    authority = c.first(ast.Authority) if c else None
    jurisdiction = c.first(ast.Jurisdiction) if c else None
    return PolicyView(
        policy.path, hashlib.sha256(policy.source.encode("utf-8")).hexdigest(),
        c.name if c else "", c.text(ast.Address) if c else None, c.text(ast.Contact) if c else None,
        c.first(ast.Representative) if c else None, c.text(ast.Dpo) if c else None,
        c.text(ast.DpoContact) if c else None, authority.name.value if authority else None,
        jurisdiction.name.value if jurisdiction else None,
        c.first(ast.AutomatedDecisions) if c else None, c.text(ast.Security) if c else None,
        tuple(purposes), tuple(r for name, r in recipients.items() if name in used),
        respond.duration if respond else None, extend.duration if extend else None)

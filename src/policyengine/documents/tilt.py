"""A TILT document (Transparency Information Language, a JSON Schema for Art. 13/14).

What the policy states is mapped field by field; ``meta`` is generated (created, version,
language, the SHA-256 of the policy text). TILT requires some fields a policy may not
state (a DPO, a representative, a URL): they are filled with empty strings, never with
guesses, so a reader of the export sees the gap.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from ..language import ast
from ..language import vocabulary as vocab
from .model import PolicyView, build
from .render import phrases
from .words import iso_duration

_BASIS_REFERENCE = {"consent": "GDPR-6-1-a", "contract": "GDPR-6-1-b", "legal_obligation": "GDPR-6-1-c",
                    "vital_interests": "GDPR-6-1-d", "public_task": "GDPR-6-1-e",
                    "legitimate_interests": "GDPR-6-1-f"}
_ID_NAMESPACE = uuid.UUID("6f1c2a57-3c2e-4d59-9a4e-2b3d8f1e7c10")  # fixed: same policy, same _id


def _rights(description: str, contact: str) -> dict:
    right = {"available": True, "description": description}
    if "@" in contact:
        right["email"] = contact.split()[0].strip(",;")
    return right


def _data_disclosed(v: PolicyView, lang: str) -> list[dict]:
    t = phrases(lang)
    by_category: dict[str, list] = {}
    for p in v.purposes:
        for c in p.categories:
            by_category.setdefault(c.label, []).append(p)
    out = []
    for i, (category, purposes) in enumerate(by_category.items(), 1):
        temporal = []
        for p in purposes:
            for r in p.retention:
                temporal.append({"description": t.period(r), "ttl": iso_duration(r.duration)})
            if p.legal_hold:
                temporal.append({"description": t.hold(p.legal_hold), "ttl": iso_duration(p.legal_hold.duration)})
        kinds = {p.provision.kind.value for p in purposes if p.provision}
        consequences = "; ".join(p.provision.consequence for p in purposes
                                 if p.provision and p.provision.consequence)
        out.append({
            "_id": f"category-{i}",
            "category": category,
            "purposes": [{"purpose": p.label, "description": t.basis(p)} for p in purposes],
            "legalBases": [{"reference": _BASIS_REFERENCE[p.basis], "description": p.basis_citation or ""}
                           for p in purposes if p.basis],
            "legitimateInterests": [{"exists": True, "reasoning": p.basis_citation or ""}
                                    for p in purposes if p.basis == "legitimate_interests"],
            "recipients": [{"name": r.label, "category": r.role, **({"country": r.country} if r.country else {})}
                           for p in purposes for r in p.recipients],
            "storage": [{"temporal": temporal,
                         "purposeConditional": [t.withdrawal(p) for p in purposes
                                                if p.until_withdrawn or p.on_withdrawal],
                         "aggregationFunction": "max"}],
            "nonDisclosure": {"legalRequirement": "statutory" in kinds,
                              "contractualRegulation": bool(kinds & {"contractual", "contract_precondition"}),
                              "obligationToProvide": bool(kinds - {"voluntary"}),
                              "consequences": consequences},
        })
    return out


def tilt_document(policy: ast.PolicyFile, lang: str, created: datetime, url: str = "") -> dict:
    v = build(policy)
    t = phrases(lang)
    country = v.jurisdiction or ""
    contact = v.contact or ""
    stamp = created.isoformat(timespec="seconds")
    rep = v.representative
    authority = vocab.AUTHORITIES.get(v.authority or "")
    transfers = []
    for r in v.transfers:
        entry = {"country": r.country} if r.country else {}
        if r.safeguard in ("adequacy", "dpf"):
            entry["adequacyDecision"] = {"available": True, "description": t.transfer(r, v)}
        elif r.safeguard:
            entry["appropriateGuarantees"] = {"available": True, "description": t.transfer(r, v)}
            if r.safeguard == "scc":
                entry["standardDataProtectionClause"] = {"available": True, "description": t.transfer(r, v)}
        else:
            entry["appropriateGuarantees"] = {"available": False}
        transfers.append(entry)
    rights = " ".join(t.rights)
    return {
        "meta": {"_id": str(uuid.uuid5(_ID_NAMESPACE, v.sha256)), "name": v.controller, "created": stamp,
                 "modified": stamp, "version": 1, "language": lang, "status": "active",
                 "url": url or v.source_path, "_hash": v.sha256},
        "controller": {"name": v.controller, "address": v.address or "", "country": country,
                       "representative": {"name": rep.name if rep else "", "email": (rep.contact or "") if rep else ""}},
        "dataProtectionOfficer": {"name": v.dpo or "", "address": "", "country": country,
                                  "email": v.dpo_contact or ""},
        "dataDisclosed": _data_disclosed(v, lang),
        "thirdCountryTransfers": transfers,
        "accessAndDataPortability": {"available": True, "description": t.requests(v)},
        "sources": [],
        "rightToInformation": _rights(rights, contact),
        "rightToRectificationOrDeletion": _rights(rights, contact),
        "rightToDataPortability": _rights(rights, contact),
        "rightToWithdrawConsent": _rights(t.consent(), contact),
        "rightToComplain": {**_rights(t.complaint(v), contact),
                            "supervisoryAuthority": {"name": authority.title if authority else "",
                                                     **({"country": authority.citation} if authority else {})}},
        "automatedDecisionMaking": (
            {"inUse": False} if v.automated_decisions and v.automated_decisions.description is None
            else {"inUse": True, "logicInvolved": v.automated_decisions.description,
                  "scopeAndIntendedEffects": v.automated_decisions.description}
            if v.automated_decisions else {"inUse": False, "description": t.automated(v)}),
        "changesOfPurpose": [],
    }


def render_tilt(policy: ast.PolicyFile, lang: str, created: datetime, url: str = "") -> str:
    return json.dumps(tilt_document(policy, lang, created, url), ensure_ascii=False, indent=2) + "\n"

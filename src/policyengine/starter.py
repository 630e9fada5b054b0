"""A first policy and its binding (`policyengine init`): lint-clean, with a `DECIDE:` comment
wherever the notice's author must choose, the authority and the bookkeeping rule taken
from the jurisdiction.

The bookkeeping periods are each law's retention of accounting records, counted from the
end of the financial year (the policy language's `financial_year_end`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .language.diagnostics import PolicyError


@dataclass(frozen=True)
class Jurisdiction:
    code: str
    authority: str  # a name from the vocabulary's AUTHORITIES
    bookkeeping_years: int
    bookkeeping_law: str
    note: str = ""  # a comment for the legal hold line
    anchor: str = "financial_year_end"  # where the law starts the period


# Checked against the statute texts (or, where marked, not) on 2026-12-03; docs/writing-a-policy.md
# says how to check them for your own organisation. The anchor is where each law starts counting:
# from the end of the financial year, or from the end of the calendar year in which it ended.
JURISDICTIONS = {j.code: j for j in (
    # 7 kap. 2 §: "till och med det sjunde året efter utgången av det kalenderår då räkenskapsåret
    # avslutades": from the calendar year's end, as rules/binero.policy says it.
    Jurisdiction("SE", "IMY", 7, "Bokföringslagen (1999:1078) 7 kap. 2 §",
                 anchor="calendar_year_end_of_financial_year"),
    Jurisdiction("NO", "Datatilsynet", 5, "Bokføringsloven § 13"),
    # "5 år fra udgangen af det regnskabsår, materialet vedrører" (Bogføringsloven; § 10, stk. 1 in
    # lovbekendtgørelse nr. 648 af 15. juni 2006). The section of the 2022 act was not verified.
    Jurisdiction("DK", "Datatilsynet_DK", 5, "Bogføringsloven (lov nr. 700 af 24. maj 2022)",
                 "DECIDE: the section of lov nr. 700/2022 on keeping accounting material (5 years from "
                 "the end of the financial year) was not verified by init: check it and cite it"),
    # 2 luku 10 § (1336/1997): vouchers (tositteet) and correspondence 6 years "sen vuoden lopusta,
    # jonka aikana tilikausi on päättynyt"; the books and the financial statements 10 years from
    # the end of the financial year.
    Jurisdiction("FI", "Tietosuojavaltuutettu", 6, "Kirjanpitolaki (1336/1997) 2 luku 10 §",
                 "vouchers (tositteet) 6 years from the end of the calendar year in which the financial "
                 "year ended; the books and financial statements 10 years from the financial year's end",
                 anchor="calendar_year_end_of_financial_year"),
    # s. 285: "at least 6 years after the end of the financial year containing the latest date to
    # which the record ... relates"; tax records: Taxes Consolidation Act 1997 s. 886(4), 6 years
    # from the completion of the transaction (longer while a Revenue inquiry is open).
    Jurisdiction("IE", "DPC", 6, "Companies Act 2014, s. 285",
                 "tax records too: Taxes Consolidation Act 1997, s. 886(4), 6 years from the "
                 "transaction's completion, longer while a Revenue inquiry is open"),
)}


@dataclass(frozen=True)
class PurposeTemplate:
    label: str
    subjects: tuple[tuple[str, str], ...]  # (name, label)
    categories: tuple[tuple[str, str], ...]
    body: tuple[str, ...]  # statement lines after subjects and categories; {law}, {years}


_GENERIC = PurposeTemplate(
    "DECIDE: what this purpose is, as the notice says it",
    (("data_subject", "DECIDE: whose data"),), (("personal_data", "DECIDE: which data"),),
    ('basis legitimate_interests "DECIDE: the interest, or another basis"',
     "retain at most 1 year from collected  # DECIDE: the period the notice promises"))

TEMPLATES = {
    "newsletter": PurposeTemplate(
        "Newsletter", (("newsletter_subscriber", "Newsletter subscriber"),),
        (("contact_details", "Name and e-mail address"),),
        ("basis consent", "retain until withdrawn",
         "on withdrawal erase within 30 days  # DECIDE: how soon after unsubscribing")),
    "web_logs": PurposeTemplate(
        "Web server logs: troubleshooting and blocking attacks", (("website_visitor", "Website visitor"),),
        (("online_identifiers", "IP address and time"),),
        ('basis legitimate_interests "troubleshooting and blocking attacks"',
         "retain at most 30 days from collected  # DECIDE: as the notice says",
         "logs access, error {  # what the scrubber reads",
         "  keep at most 14 days  # DECIDE",
         "  truncate ipv4 /24 ipv6 /48",
         "}")),
    "bookkeeping": PurposeTemplate(
        "Bookkeeping", (("customer", "Customer"),),
        (("contact_details", "Name and e-mail address"), ("billing", "Invoices and payments")),
        ('basis legal_obligation "{law}"',
         'legal hold {years} years from {anchor} "{law}"{note}')),
    "cctv": PurposeTemplate(
        "Camera surveillance", (("premises_visitor", "Visitor to our premises"),),
        (("cctv_footage", "Camera footage"),),
        ('basis legitimate_interests "safety in our premises"',
         "retain at most 1 month from collected  # DECIDE: as the notice says")),
    "recruitment": PurposeTemplate(
        "Recruitment", (("job_applicant", "Job applicant"),),
        (("contact_details", "Name and e-mail address"), ("application", "CV and cover letter")),
        ('basis legitimate_interests "assessing applications"',
         "retain at most 6 months from last_activity  # DECIDE: as the notice says")),
    "customer_account": PurposeTemplate(
        "Customer account and the contract", (("customer", "Customer"),),
        (("contact_details", "Name and e-mail address"),),
        ('basis contract "delivering what the contract promises"',
         "retain at most 3 years from contract_end  # DECIDE: as the notice says")),
}

NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
# which binding fields each kind of purpose needs (the clock starts of its rules)
_ANCHORS = re.compile(r"from (collected|last_activity|contract_end|financial_year_end|\{anchor\})|(withdrawal)")


def quoted(text: str, what: str) -> str:
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        raise PolicyError(f"{what}: control characters (a newline, a tab ...) cannot be in a policy string")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def check_purposes(purposes: list[str]) -> list[str]:
    if not purposes:
        raise PolicyError("--purposes: name at least one purpose (e.g. newsletter,web_logs,bookkeeping)")
    for p in purposes:
        if not NAME.match(p):
            raise PolicyError(f"--purposes: '{p}' is not a name (a letter, then letters, digits or _)")
    if len(set(purposes)) != len(purposes):
        raise PolicyError("--purposes: a purpose is named twice")
    return purposes


# Whether the data subject must provide the data (GDPR Art. 13(2)(e)), where the purpose says.
PROVISION = {"bookkeeping": "statutory", "customer_account": "contractual"}


def render_policy(controller: str, jurisdiction: str, purposes: list[str]) -> str:
    j = JURISDICTIONS.get(jurisdiction.upper())
    if j is None:
        raise PolicyError(f"--jurisdiction: '{jurisdiction}' is not one init knows "
                          f"(known: {', '.join(JURISDICTIONS)})")
    check_purposes(purposes)
    name = quoted(controller, "--controller")
    templates = [(p, TEMPLATES.get(p, _GENERIC)) for p in purposes]
    out = [f"# The privacy policy of {controller}, written by `policyengine init`.",
           "# Every `DECIDE:` marks a choice only you can make: write what your notice promises.",
           "# Then: policyengine lint FILE, and policyengine check FILE --records ... (README.md).",
           "",
           f"controller {name} {{",
           '  contact "DECIDE: where people reach you, e.g. privacy@example.org"',
           f"  authority {j.authority}",
           f"  jurisdiction {j.code}",
           "  financial year ends 12-31  # DECIDE: for bookkeeping retention",
           '  address "DECIDE: your postal address"  # GDPR Art. 13(1)(a)',
           "  automated decisions none  # DECIDE: or a description (GDPR Art. 13(2)(f))",
           '  security "DECIDE: a general description of your security measures"  # GDPR Art. 32',
           "}", ""]
    seen: set[str] = set()
    for kind in ("categories", "subjects"):
        keyword = "category" if kind == "categories" else "subject"
        for _, t in templates:
            for name, label in getattr(t, kind):
                if (keyword, name) not in seen:
                    seen.add((keyword, name))
                    out.append(f"{keyword} {name} {quoted(label, name)}")
        out.append("")
    note = f"  # {j.note}" if j.note else ""
    for name, t in templates:
        out.append(f"purpose {name} {quoted(t.label, name)} {{")
        out.append(f"  subjects {', '.join(n for n, _ in t.subjects)}")
        out.append(f"  categories {', '.join(n for n, _ in t.categories)}")
        out.append(f"  provision {PROVISION.get(name, 'voluntary')}  # DECIDE: statutory | contractual | "
                   "contract_precondition | voluntary (GDPR Art. 13(2)(e))")
        for line in t.body:
            out.append("  " + line.replace("{law}", j.bookkeeping_law).replace("{years}", str(j.bookkeeping_years))
                       .replace("{anchor}", j.anchor).replace("{note}", note))
        out += ["}", ""]
    out += ["requests {", "  respond within 1 month  # GDPR Art. 12(3)", "  extendable by 2 months", "}"]
    return "\n".join(out) + "\n"


def render_binding(policy_name: str, purposes: list[str]) -> str:
    """The binding for the policy: the record columns its rules need, named as the fields."""
    fields = ["key: id", "purpose: purpose", "subject: subject", "categories: categories"]
    needed: list[str] = []
    for p in purposes:
        for line in TEMPLATES.get(p, _GENERIC).body:
            for m in _ANCHORS.finditer(line):
                anchor = m.group(1)
                if anchor in ("financial_year_end", "{anchor}"):
                    needed.append("transaction")  # the financial year is the transaction's
                elif anchor:
                    needed.append(anchor)
                else:
                    needed += ["consent_given", "consent_withdrawn"]
    needed += ["erasure_requested", "request_received", "request_extended", "request_answered"]
    for f in dict.fromkeys(needed):
        fields.append(f"{f}: {f}")
    lines = [f"# Which column of your records holds what, for {policy_name} (format: docs/check.md).",
             "# DECIDE: change each right-hand side to your column's name.",
             "timezone: UTC  # DECIDE: the zone of timestamps written without one, e.g. Europe/Stockholm",
             'separator: ";"  # between names in the categories column', "columns:"]
    return "\n".join(lines + [f"  {f}" for f in fields]) + "\n"

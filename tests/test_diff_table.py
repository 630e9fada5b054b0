"""The classification table: one change to a policy, before and after, and what diff calls it.

Each row edits tests/diff/base.policy (text replacements, each of which must
apply exactly once) and lists every change the diff must report as
`kind:material` or `kind:minor`; `back` is what the reverse edit must report.
Every kind in KINDS appears in some row.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from policyengine.diff import KINDS, compare
from policyengine.language.parser import parse

BASE = (Path(__file__).parent / "diff" / "base.policy").read_text(encoding="utf-8")

NEW_PURPOSE = '''
purpose support "Support" {
  subjects customer
  categories contact_details
  basis contract
  retain at most 1 year from last_activity
}
'''

# (id, edits, forward, back)
ROWS = [
    # ---- material, with the minor reverse -------------------------------------
    ("new purpose", [("\nrequests {", NEW_PURPOSE + "\nrequests {")],
     ["purpose_added:material"], ["purpose_removed:minor"]),
    ("new category, used", [('category ips "IP addresses"', 'category ips "IP addresses"\ncategory chat "Chat"'),
                            ("categories contact_details, billing", "categories contact_details, billing, chat")],
     ["category_added:material"], ["category_removed:minor"]),
    ("purpose uses a category it did not", [("  categories billing\n", "  categories billing, contact_details\n")],
     ["purpose_category_added:material"], ["purpose_category_removed:minor"]),
    ("new data subjects", [('subject visitor "Visitor"', 'subject visitor "Visitor"\nsubject employee "Employee"')],
     ["subject_added:material"], ["subject_removed:minor"]),
    ("purpose covers more people", [("  subjects customer\n  categories billing\n",
                                     "  subjects customer, visitor\n  categories billing\n")],
     ["purpose_subject_added:material"], ["purpose_subject_removed:minor"]),
    ("category becomes special", [('category ips "IP addresses"', 'category ips "IP addresses" is special biometric')],
     ["special_category_added:material"], ["category_protection_lowered:material"]),
    ("new special category", [('category ips "IP addresses"',
                               'category ips "IP addresses"\ncategory genes "DNA" is special genetic')],
     ["special_category_added:material"], ["category_removed:minor"]),
    ("another special category", [('"Health" is special health', '"Health" is special genetic')],
     ["special_category_added:material"], ["special_category_added:material"]),
    ("category becomes a national identifier", [('category billing "Billing"',
                                                 'category billing "Billing" is national identifier')],
     ["national_identifier_added:material"], ["category_protection_lowered:material"]),
    ("new national identifier", [('category ips "IP addresses"',
                                  'category ips "IP addresses"\ncategory fnr "Fødselsnummer" is national identifier')],
     ["national_identifier_added:material"], ["category_removed:minor"]),
    ("lawful basis", [("  basis consent\n", '  basis legitimate_interests "marketing to customers"\n')],
     ["basis_changed:material"], ["basis_changed:material"]),
    ("Art. 9(2) condition", [("special condition health_care", "special condition explicit_consent")],
     ["special_condition_changed:material"], ["special_condition_changed:material"]),
    ("maximum lengthened", [("retain at most 2 years from contract_end", "retain at most 3 years from contract_end")],
     ["retention_maximum_lengthened:material"], ["retention_maximum_shortened:minor"]),
    ("30 days -> 1 month: longer from the 1st of a 31-day month",
     [("retain at most 30 days from collected", "retain at most 1 month from collected")],
     ["retention_maximum_lengthened:material"], ["retention_maximum_lengthened:material"]),
    ("1 year -> 365 days: never longer, shorter across a 29 February",
     [("retain at most 1 year from collected", "retain at most 365 days from collected")],
     ["retention_maximum_shortened:minor"], ["retention_maximum_lengthened:material"]),
    ("1 year -> 366 days: longer when no 29 February falls in the year",
     [("retain at most 1 year from collected", "retain at most 366 days from collected")],
     ["retention_maximum_lengthened:material"], ["retention_maximum_shortened:minor"]),
    ("52 weeks -> 1 year: longer by a day or two",
     [("retain at most 1 year from collected", "retain at most 52 weeks from collected")],
     ["retention_maximum_shortened:minor"], ["retention_maximum_lengthened:material"]),
    ("12 months is 1 year", [("retain at most 1 year from collected", "retain at most 12 months from collected")],
     [], []),
    ("maximum from another clock", [("retain at most 2 years from contract_end",
                                     "retain at most 2 years from last_activity")],
     ["retention_maximum_lengthened:material", "retention_maximum_shortened:minor"],
     ["retention_maximum_lengthened:material", "retention_maximum_shortened:minor"]),
    ("maximum removed", [("  retain at most 1 year from collected\n", "")],
     ["retention_maximum_lengthened:material"], ["retention_maximum_shortened:minor"]),
    ("kept until withdrawn no more", [("  retain until withdrawn\n", "  retain at most 5 years from collected\n")],
     ["retention_maximum_lengthened:material", "retention_maximum_shortened:minor"],
     ["retention_maximum_lengthened:material", "retention_maximum_shortened:minor"]),
    ("minimum shortened", [("retain at least 6 months", "retain at least 3 months")],
     ["retention_minimum_changed:material"], ["retention_minimum_changed:material"]),
    ("minimum removed", [("  retain at least 6 months from collected\n", "")],
     ["retention_minimum_changed:material"], ["retention_minimum_changed:material"]),
    ("legal hold lengthened", [("legal hold 7 years", "legal hold 10 years")],
     ["legal_hold_changed:material"], ["legal_hold_changed:material"]),
    ("legal hold from another clock", [("legal hold 7 years from financial_year_end", "legal hold 7 years from collected")],
     ["legal_hold_changed:material"], ["legal_hold_changed:material"]),
    ("erasure on withdrawal later", [("erase within 30 days", "erase within 60 days")],
     ["withdrawal_erasure_lengthened:material"], ["withdrawal_erasure_shortened:minor"]),
    ("erasure on withdrawal without a period", [("erase within 30 days", "erase")],
     ["withdrawal_erasure_lengthened:material"], ["withdrawal_erasure_shortened:minor"]),
    ("new recipient", [('recipient police "Police"', 'recipient auditor "Auditor" {\n  country SE\n}\n\n'
                                                     'recipient police "Police"')],
     ["recipient_added:material"], ["recipient_removed:minor"]),
    ("new recipient outside the EEA", [('recipient police "Police"', 'processor crm "CRM" {\n  country IN\n'
                                                                     '  transfer scc\n}\n\nrecipient police "Police"')],
     ["recipient_added:material", "transfer_added:material"], ["recipient_removed:minor"]),
    ("purpose shares with a recipient it did not", [("  recipients mailer\n", "  recipients mailer, police\n")],
     ["purpose_recipient_added:material"], ["purpose_recipient_removed:minor"]),
    ("processor becomes a recipient", [('processor host "Hosting"', 'recipient host "Hosting"')],
     ["recipient_role_changed:material"], ["recipient_role_changed:material"]),
    ("transfer outside the EEA", [("processor host \"Hosting\" {\n  country SE\n}",
                                   "processor host \"Hosting\" {\n  country US\n  transfer dpf\n}")],
     ["transfer_added:material"], ["transfer_removed:minor"]),
    ("to another country outside the EEA", [("  country US\n  transfer scc", "  country IN\n  transfer scc")],
     ["transfer_added:material"], ["transfer_added:material"]),
    ("country no longer stated", [("processor host \"Hosting\" {\n  country SE\n}", "processor host \"Hosting\"")],
     ["recipient_country_unstated:material"], ["recipient_country_changed:minor"]),
    ("within the EEA", [("processor host \"Hosting\" {\n  country SE\n}", "processor host \"Hosting\" {\n  country DE\n}")],
     ["recipient_country_changed:minor"], ["recipient_country_changed:minor"]),
    ("SCCs -> Art. 49 derogation", [("transfer scc", "transfer derogation")],
     ["transfer_safeguard_weakened:material"], ["transfer_safeguard_strengthened:minor"]),
    ("SCCs -> BCRs", [("transfer scc", "transfer bcr")],
     ["transfer_safeguard_strengthened:minor"], ["transfer_safeguard_weakened:material"]),
    ("SCCs -> adequacy (DPF)", [("transfer scc", "transfer dpf")],
     ["transfer_safeguard_strengthened:minor"], ["transfer_safeguard_weakened:material"]),
    ("SCCs -> no safeguard", [('  transfer scc "SCCs 2021/914, module 2"\n', "")],
     ["transfer_safeguard_weakened:material"], ["transfer_safeguard_strengthened:minor"]),
    ("request deadline 1 month -> 30 days: longer in February",
     [("respond within 1 month", "respond within 30 days")],
     ["request_deadline_lengthened:material"], ["request_deadline_lengthened:material"]),
    ("request deadline 1 month -> 28 days", [("respond within 1 month", "respond within 28 days")],
     ["request_deadline_shortened:minor"], ["request_deadline_lengthened:material"]),
    ("request deadline no longer stated", [("  respond within 1 month\n", "")],
     ["request_deadline_lengthened:material"], ["request_deadline_shortened:minor"]),
    ("request extension", [("extendable by 2 months", "extendable by 3 months")],
     ["request_extension_lengthened:material"], ["request_extension_shortened:minor"]),
    ("controller's contact", [('contact "privacy@acme.example"', 'contact "dpo@acme.example"')],
     ["controller_changed:material"], ["controller_changed:material"]),
    ("controller's name", [('controller "Acme AB"', 'controller "Acme Holding AB"')],
     ["controller_changed:material"], ["controller_changed:material"]),
    ("no DPO named", [('  dpo "Dataskyddsombudet"\n', "")],
     ["controller_changed:material"], ["controller_changed:material"]),
    ("financial year", [("financial year ends 12-31", "financial year ends 06-30")],
     ["financial_year_changed:material"], ["financial_year_changed:material"]),
    ("log truncation weakened", [("truncate ipv4 /24 ipv6 /48", "truncate ipv4 /24 ipv6 /64")],
     ["log_truncation_weakened:material"], ["log_truncation_strengthened:minor"]),
    ("log truncation removed", [("    truncate ipv4 /24 ipv6 /48\n", "")],
     ["log_truncation_weakened:material"], ["log_truncation_strengthened:minor"]),
    ("log retention lengthened", [("keep at most 14 days", "keep at most 3 weeks")],
     ["log_retention_lengthened:material"], ["log_retention_shortened:minor"]),
    ("log keep removed: the purpose's 30 days apply", [("    keep at most 14 days\n", "")],
     ["log_retention_lengthened:material"], ["log_retention_shortened:minor"]),
    ("new kind of log", [("logs access, error {", "logs access, error, application {")],
     ["logs_added:material"], ["logs_removed:minor"]),
    ("a statement the diff does not classify", [("processor host \"Hosting\" {\n  country SE\n}",
                                                 "processor host \"Hosting\" {\n  country SE\n  transfer scc\n}")],
     ["other_change:material"], ["other_change:material"]),
    ("an unclassified statement beside a classified change",
     [("processor host \"Hosting\" {\n  country SE\n}", "processor host \"Hosting\" {\n  country SE\n  transfer scc\n}"),
      ('purpose care "Care"', 'purpose care "Health care"')],
     ["label_changed:minor", "other_change:material"], ["label_changed:minor", "other_change:material"]),
    # ---- minor ------------------------------------------------------------------
    ("purpose label", [('purpose care "Care"', 'purpose care "Health care"')],
     ["label_changed:minor"], ["label_changed:minor"]),
    ("category label", [('category billing "Billing"', 'category billing "Invoices"')],
     ["label_changed:minor"], ["label_changed:minor"]),
    ("basis citation wording", [('"care of our customers"', '"the care of our customers"')],
     ["note_changed:minor"], ["note_changed:minor"]),
    ("legal hold citation wording", [('financial_year_end "Bokföringslagen (1999:1078) 7 kap. 2 §"',
                                      'financial_year_end "BFL 7:2"')],
     ["note_changed:minor"], ["note_changed:minor"]),
    ("transfer note", [('"SCCs 2021/914, module 2"', '"SCCs 2021/914, module 3"')],
     ["note_changed:minor"], ["note_changed:minor"]),
    ("a comment", [("purpose care", "# reviewed 2026\npurpose care")],
     ["comments_changed:minor"], ["comments_changed:minor"]),
    ("declaration order", [('category contact_details "Contact details"\ncategory billing "Billing"',
                            'category billing "Billing"\ncategory contact_details "Contact details"')],
     ["order_changed:minor"], ["order_changed:minor"]),
    ("names in another order", [("categories contact_details, billing", "categories billing, contact_details")],
     ["order_changed:minor"], ["order_changed:minor"]),
    ("statements in another order", [("  basis contract\n  recipients mailer\n", "  recipients mailer\n  basis contract\n")],
     ["order_changed:minor"], ["order_changed:minor"]),
    ("formatting only", [("purpose care \"Care\" {\n  subjects customer", "purpose   care \"Care\"{subjects customer"),
                         ("\n\nrequests", "\n\n\n\nrequests")],
     [], []),
]


def edited(edits: list[tuple[str, str]]) -> str:
    text = BASE
    for old, new in edits:
        assert text.count(old) == 1, f"the edit {old!r} must match exactly once"
        text = text.replace(old, new)
    return text


def found(old_text: str, new_text: str) -> list[str]:
    changes = compare(parse(old_text, "old.policy"), parse(new_text, "new.policy"))
    return sorted(f"{c.kind}:{'material' if c.material else 'minor'}" for c in changes)


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_change_is_classified(row) -> None:
    _, edits, forward, back = row
    after = edited(edits)
    assert found(BASE, after) == sorted(forward)
    assert found(after, BASE) == sorted(back)


def test_every_kind_has_a_row() -> None:
    seen = {entry.split(":")[0] for row in ROWS for entry in row[2] + row[3]}
    assert set(KINDS) - seen == set()


def test_the_table_agrees_with_the_defaults() -> None:
    for row in ROWS:
        for entry in row[2] + row[3]:
            kind, level = entry.split(":")
            assert KINDS[kind].material == (level == "material"), entry


def test_base_is_unchanged_against_itself() -> None:
    assert found(BASE, BASE) == []


def test_reclassify() -> None:
    old, new = parse(BASE, "old.policy"), parse(edited([("transfer scc", "transfer bcr")]), "new.policy")
    (change,) = compare(old, new, {"transfer_safeguard_strengthened": True})
    assert change.material and "reclassified by the config" in change.reason


def test_locations_in_both_files() -> None:
    after = edited([("retain at most 2 years from contract_end", "retain at most 3 years from contract_end")])
    after = "# one line more\n" + after
    (lengthened, _comment) = sorted(compare(parse(BASE, "old.policy"), parse(after, "new.policy")),
                                    key=lambda c: c.kind != "retention_maximum_lengthened")
    line = BASE.splitlines().index("  retain at most 2 years from contract_end") + 1
    assert (lengthened.old.file, lengthened.old.line) == ("old.policy", line)
    assert (lengthened.new.file, lengthened.new.line) == ("new.policy", line + 1)


def test_docs_list_every_kind_with_its_default() -> None:
    docs = (Path(__file__).resolve().parents[1] / "docs" / "diff.md").read_text(encoding="utf-8")
    for kind in KINDS.values():
        level = "**material**" if kind.material else "minor"
        assert f"| `{kind.name}` | {level} | {kind.why} |" in docs, kind.name

"""What the notice (GDPR Art. 13) and the record (Art. 30) need and a policy may not state:
warnings PE230-PE236, one per missing piece, so the generated documents are complete."""

from __future__ import annotations

from . import ast
from . import vocabulary as vocab
from .checker import Checker

CONTROLLER_STATEMENTS = (ast.Address, ast.Representative, ast.DpoContact, ast.AutomatedDecisions, ast.Security)


def check_controller_art13(checker: Checker, c: ast.Controller) -> None:
    at = c.span
    if c.first(ast.Address) is None:
        checker.report("PE230", "the controller states no postal address (GDPR Art. 13(1)(a))", at,
                       'add: address "Street 1, 123 45 Town"')
    if c.first(ast.Dpo) is not None and c.first(ast.DpoContact) is None:
        checker.report("PE231", "a data protection officer is named without contact details "
                       "(GDPR Art. 13(1)(b))", c.first(ast.Dpo).span, 'add: dpo contact "dpo@example.org"')
    if c.first(ast.AutomatedDecisions) is None:
        checker.report("PE233", "nothing is stated about automated decision-making "
                       "(GDPR Art. 13(2)(f))", at, 'add: automated decisions none (or a description)')
    if c.first(ast.Security) is None:
        checker.report("PE234", "no general description of security measures "
                       "(GDPR Art. 30(1)(g), Art. 32)", at, 'add: security "encryption in transit, ..."')
    where = c.first(ast.Jurisdiction)
    if (where is not None and where.name.value in vocab.KNOWN_COUNTRIES
            and where.name.value not in vocab.EEA_COUNTRIES and c.first(ast.Representative) is None):
        checker.report("PE235", f"the controller is in {where.name.value}, outside the EU/EEA, and names "
                       "no representative (GDPR Art. 27)", where.span,
                       'add: representative "Name" "contact details"')
    if c.first(ast.Authority) is None:
        checker.report("PE236", "no supervisory authority is named for complaints (GDPR Art. 13(2)(d))",
                       at, "add: authority IMY (or Datatilsynet, ...)")


def check_purpose_art13(checker: Checker, p: ast.Purpose, where: str) -> None:
    if p.provision is None:
        checker.report("PE232", f"{where} does not say whether providing the data is a statutory or "
                       "contractual requirement (GDPR Art. 13(2)(e))", p.name.span,
                       'add: provision voluntary (or statutory, contractual, contract_precondition) '
                       '"what follows from not providing it"')
    else:
        checker.known(p.provision.kind, vocab.PROVISIONS, "provision requirement (GDPR Art. 13(2)(e))")

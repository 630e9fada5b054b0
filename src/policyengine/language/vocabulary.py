"""What the language knows by name: GDPR articles, authorities, countries.

Each entry keeps its human-readable title and its legal citation, because the
same tables will later write the Art. 30 record and the notice text.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    name: str
    title: str
    citation: str


def _table(*terms: Term) -> dict[str, Term]:
    return {t.name: t for t in terms}


# GDPR Art. 6(1): the lawful bases.
LAWFUL_BASES = _table(
    Term("consent", "Consent", "GDPR Art. 6(1)(a)"),
    Term("contract", "Performance of a contract", "GDPR Art. 6(1)(b)"),
    Term("legal_obligation", "Compliance with a legal obligation", "GDPR Art. 6(1)(c)"),
    Term("vital_interests", "Vital interests", "GDPR Art. 6(1)(d)"),
    Term("public_task", "Public task or official authority", "GDPR Art. 6(1)(e)"),
    Term("legitimate_interests", "Legitimate interests", "GDPR Art. 6(1)(f)"),
)

# Bases whose statement must name the law or interest that carries it.
BASES_NEEDING_CITATION = frozenset({"legal_obligation", "public_task"})

# GDPR Art. 9(1): the special categories of personal data.
SPECIAL_CATEGORIES = _table(
    Term("racial_or_ethnic_origin", "Racial or ethnic origin", "GDPR Art. 9(1)"),
    Term("political_opinions", "Political opinions", "GDPR Art. 9(1)"),
    Term("religious_or_philosophical_beliefs", "Religious or philosophical beliefs", "GDPR Art. 9(1)"),
    Term("trade_union_membership", "Trade-union membership", "GDPR Art. 9(1)"),
    Term("genetic", "Genetic data", "GDPR Art. 9(1)"),
    Term("biometric", "Biometric data for unique identification", "GDPR Art. 9(1)"),
    Term("health", "Data concerning health", "GDPR Art. 9(1)"),
    Term("sex_life_or_orientation", "Sex life or sexual orientation", "GDPR Art. 9(1)"),
)

# GDPR Art. 9(2): the conditions that lift the Art. 9(1) prohibition.
SPECIAL_CONDITIONS = _table(
    Term("explicit_consent", "Explicit consent", "GDPR Art. 9(2)(a)"),
    Term("employment_law", "Employment and social security law", "GDPR Art. 9(2)(b)"),
    Term("vital_interests", "Vital interests, subject incapable of consent", "GDPR Art. 9(2)(c)"),
    Term("not_for_profit_body", "Not-for-profit body, its members", "GDPR Art. 9(2)(d)"),
    Term("made_public", "Manifestly made public by the data subject", "GDPR Art. 9(2)(e)"),
    Term("legal_claims", "Legal claims or courts", "GDPR Art. 9(2)(f)"),
    Term("substantial_public_interest", "Substantial public interest", "GDPR Art. 9(2)(g)"),
    Term("health_care", "Preventive or occupational medicine, health care", "GDPR Art. 9(2)(h)"),
    Term("public_health", "Public interest in public health", "GDPR Art. 9(2)(i)"),
    Term("archiving_research", "Archiving, research or statistics", "GDPR Art. 9(2)(j)"),
)

# GDPR Art. 87 and national law: identity numbers that need care.
NATIONAL_IDENTIFIER_CITATIONS = {
    "SE": "Dataskyddslagen (2018:218) 3 kap. 10 §",
    "NO": "Personopplysningsloven § 12",
}

# GDPR Art. 13(2)(e): whether the data subject must provide the data.
PROVISIONS = _table(
    Term("statutory", "A statutory requirement", "GDPR Art. 13(2)(e)"),
    Term("contractual", "A contractual requirement", "GDPR Art. 13(2)(e)"),
    Term("contract_precondition", "A requirement necessary to enter into a contract", "GDPR Art. 13(2)(e)"),
    Term("voluntary", "Voluntary: no obligation to provide the data", "GDPR Art. 13(2)(e)"),
)

# Supervisory authorities (GDPR Art. 51).
AUTHORITIES = _table(
    Term("IMY", "Integritetsskyddsmyndigheten", "SE"),
    Term("Datatilsynet", "Datatilsynet", "NO"),
    Term("Datatilsynet_DK", "Datatilsynet (Denmark)", "DK"),
    Term("Tietosuojavaltuutettu", "Tietosuojavaltuutetun toimisto", "FI"),
    Term("DPC", "Data Protection Commission", "IE"),
    Term("ICO", "Information Commissioner's Office", "GB"),
)

# EU member states plus the EEA EFTA states (Iceland, Liechtenstein, Norway).
EEA_COUNTRIES = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE "
    "IS LI NO".split()
)

# Countries with an EU adequacy decision (GDPR Art. 45); US only under the
# EU-US Data Privacy Framework, which a transfer must still name.
ADEQUATE_COUNTRIES = frozenset("AD AR CA FO GG IL IM JP JE NZ KR CH GB UY".split())

OTHER_COUNTRIES = frozenset("US IN CN AU BR SG ZA RU UA TR AE".split())

KNOWN_COUNTRIES = EEA_COUNTRIES | ADEQUATE_COUNTRIES | OTHER_COUNTRIES

# Transfer safeguards (GDPR Chapter V).
SAFEGUARDS = _table(
    Term("adequacy", "Adequacy decision", "GDPR Art. 45"),
    Term("dpf", "EU-US Data Privacy Framework (adequacy decision)", "GDPR Art. 45"),
    Term("scc", "Standard contractual clauses", "GDPR Art. 46(2)(c)"),
    Term("bcr", "Binding corporate rules", "GDPR Art. 47"),
    Term("derogation", "Derogation for a specific situation", "GDPR Art. 49"),
)

# The closed sets a policy names, as types (tests check they match the tables below):
# Basis, ClockAnchor and RuleAnchor (a clock start, or the day a data-subject request was
# made), defined on first use by ``__getattr__`` below, as they import typing, which
# nothing else `policyengine lint` runs needs.
def _literal_types() -> dict:
    from typing import Literal

    clock = Literal["collected", "last_activity", "contract_end", "consent_withdrawn", "deleted",
                    "financial_year_end", "calendar_year_end_of_financial_year", "erasure_requested"]
    return {"Basis": Literal["consent", "contract", "legal_obligation", "vital_interests", "public_task",
                             "legitimate_interests"],
            "ClockAnchor": clock, "RuleAnchor": Literal[clock, "request_received"]}


def __getattr__(name: str):
    if name in ("Basis", "ClockAnchor", "RuleAnchor"):
        globals().update(_literal_types())
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# What a retention clock can start from.
CLOCK_ANCHORS = _table(
    Term("collected", "when the data was collected", ""),
    Term("last_activity", "the data subject's last activity", ""),
    Term("contract_end", "the end of the contract", ""),
    Term("consent_withdrawn", "withdrawal of consent", "GDPR Art. 7(3)"),
    Term("deleted", "deletion from the live system (backups)", ""),
    Term("financial_year_end", "the end of the financial year", ""),
    # Bokföringslagen (1999:1078) 7 kap. 2 §: "till och med det sjunde året efter utgången
    # av det kalenderår då räkenskapsåret avslutades": 31 December of the year the
    # financial year ended in (a year ending 2019-06-30 counts from 2019-12-31).
    Term("calendar_year_end_of_financial_year", "31 December of the calendar year in which the "
         "financial year ended", "Bokföringslagen (1999:1078) 7 kap. 2 §"),
    Term("erasure_requested", "the data subject's request for erasure", "GDPR Art. 17"),
)

# Log kinds a purpose's log rules may name.
LOG_KINDS = _table(
    Term("access", "web server access log", ""),
    Term("error", "web server error log", ""),
    Term("syslog", "system log", ""),
    Term("application", "application log", ""),
    Term("analytics", "web analytics data", ""),
)

DURATION_UNITS = ("day", "week", "month", "year")


def literal_names(kind) -> tuple[str, ...]:
    """The strings of a Literal type above (nested Literals flattened)."""
    from typing import get_args

    out: list[str] = []
    for arg in get_args(kind):
        out.extend(literal_names(arg) if get_args(arg) else [arg])
    return tuple(out)

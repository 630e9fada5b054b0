"""`--notice`: the short message an organisation sends its users about material changes.

Plain language, one line per material change, from the string tables below
(one per language: sv, nb, en). Labels come from the new policy and are
escaped like every other human-readable output. Minor changes are not
mentioned: they change no promise.
"""

from __future__ import annotations

from ..language import ast
from .change import Change
from .durations import duration_parts
from .render import printable

LANGUAGES = ("en", "sv", "nb")

_EN = {
    "header": "{controller}: changes to our privacy policy",
    "intro": "We are changing how we handle your personal data. What changes for you:",
    "footer": "Questions? Contact us: {contact}.",
    "none": "no limit",
    "units": {"day": ("day", "days"), "week": ("week", "weeks"), "month": ("month", "months"),
              "year": ("year", "years")},
    "words": {"processor": "a processor acting for us", "recipient": "a recipient using the data for its own purposes",
              "consent": "your consent", "contract": "a contract with you", "legal_obligation": "a legal obligation",
              "vital_interests": "vital interests", "public_task": "a task in the public interest",
              "legitimate_interests": "our legitimate interests",
              "adequacy": "an adequacy decision of the European Commission",
              "dpf": "the EU-US Data Privacy Framework (an adequacy decision)",
              "bcr": "binding corporate rules", "scc": "standard contractual clauses",
              "derogation": "an exception for specific situations (GDPR Art. 49)", "no safeguard": "no safeguard",
              "controller": "data controller", "contact": "contact details",
              "data protection officer": "data protection officer", "supervisory authority": "supervisory authority",
              "jurisdiction": "the country whose law applies"},
    "kinds": {
        "purpose_added": "We will use personal data for a new purpose: {what}.",
        "category_added": "We will process a new kind of data: {what}.",
        "purpose_category_added": "{purpose}: we will also use {what}.",
        "subject_added": "We will also process data about: {what}.",
        "purpose_subject_added": "{purpose}: now also covers {what}.",
        "special_category_added": "We will process sensitive data (a special category under the GDPR): {what}.",
        "national_identifier_added": "We will process national identity numbers: {what}.",
        "category_protection_lowered": "{what} will no longer be handled as sensitive data.",
        "basis_changed": "{purpose}: the legal ground we rely on changes from {before} to {after}.",
        "special_condition_changed": "{purpose}: the legal condition that allows us to process sensitive "
                                     "data changes.",
        "retention_maximum_lengthened": "{purpose}: we may keep your data longer{period}.",
        "retention_minimum_changed": "{purpose}: the time we keep your data before it can be erased "
                                     "changes{period}.",
        "legal_hold_changed": "{purpose}: the time we keep your data because the law requires it changes{period}.",
        "withdrawal_erasure_lengthened": "{purpose}: after you withdraw your consent, we may take longer "
                                         "to erase your data{period}.",
        "recipient_added": "We will share data with a new recipient: {what}.",
        "purpose_recipient_added": "{purpose}: we will share data with {what}.",
        "recipient_role_changed": "{what} will be {after} (before: {before}).",
        "transfer_added": "{what} will process your data outside the EU/EEA ({after}).",
        "recipient_country_unstated": "We no longer state in which country {what} processes your data.",
        "transfer_safeguard_weakened": "Transfers of your data outside the EU/EEA to {what} will rely on "
                                       "{after} instead of {before}.",
        "request_deadline_lengthened": "We may take longer to answer your requests (for example for a copy "
                                       "of your data or its erasure){period}.",
        "request_extension_lengthened": "The time we take to answer your requests may be extended "
                                        "further{period}.",
        "controller_changed": "New {what}: {after}.",
        "controller_unstated": "Our {what} is no longer stated in the policy.",
        "financial_year_changed": "Our financial year will end on another date, which moves the dates "
                                  "until which we keep bookkeeping records.",
        "log_truncation_weakened": "{purpose}: our logs will keep more of your IP address.",
        "log_retention_lengthened": "{purpose}: logs with your IP address are kept longer{period}.",
        "logs_added": "{purpose}: we will keep a new log with your data.",
        "other_change": "Other changes to how we handle your data: please read the updated policy.",
    },
}

_SV = {
    "header": "{controller}: ändringar i vår integritetspolicy",
    "intro": "Vi ändrar hur vi behandlar dina personuppgifter. Det här ändras för dig:",
    "footer": "Frågor? Kontakta oss: {contact}.",
    "none": "ingen gräns",
    "units": {"day": ("dag", "dagar"), "week": ("vecka", "veckor"), "month": ("månad", "månader"),
              "year": ("år", "år")},
    "words": {"processor": "ett personuppgiftsbiträde som arbetar för oss",
              "recipient": "en mottagare som använder uppgifterna för egna syften",
              "consent": "ditt samtycke", "contract": "ett avtal med dig", "legal_obligation": "en rättslig förpliktelse",
              "vital_interests": "grundläggande intressen", "public_task": "en uppgift av allmänt intresse",
              "legitimate_interests": "vårt berättigade intresse",
              "adequacy": "ett beslut om adekvat skyddsnivå från EU-kommissionen",
              "dpf": "EU-US Data Privacy Framework (ett beslut om adekvat skyddsnivå)",
              "bcr": "bindande företagsbestämmelser", "scc": "standardavtalsklausuler",
              "derogation": "ett undantag för särskilda situationer (artikel 49 i dataskyddsförordningen)",
              "no safeguard": "ingen skyddsåtgärd", "controller": "personuppgiftsansvarig",
              "contact": "kontaktuppgifter", "data protection officer": "dataskyddsombud",
              "supervisory authority": "tillsynsmyndighet", "jurisdiction": "land vars lag gäller"},
    "kinds": {
        "purpose_added": "Vi kommer att använda personuppgifter för ett nytt ändamål: {what}.",
        "category_added": "Vi kommer att behandla en ny typ av uppgifter: {what}.",
        "purpose_category_added": "{purpose}: vi kommer också att använda {what}.",
        "subject_added": "Vi kommer också att behandla uppgifter om: {what}.",
        "purpose_subject_added": "{purpose}: gäller nu också {what}.",
        "special_category_added": "Vi kommer att behandla känsliga personuppgifter (en särskild kategori "
                                  "enligt dataskyddsförordningen): {what}.",
        "national_identifier_added": "Vi kommer att behandla personnummer: {what}.",
        "category_protection_lowered": "{what} kommer inte längre att hanteras som känsliga uppgifter.",
        "basis_changed": "{purpose}: den rättsliga grunden ändras från {before} till {after}.",
        "special_condition_changed": "{purpose}: det lagliga undantag som tillåter oss att behandla "
                                     "känsliga uppgifter ändras.",
        "retention_maximum_lengthened": "{purpose}: vi kan komma att spara dina uppgifter längre{period}.",
        "retention_minimum_changed": "{purpose}: tiden vi sparar dina uppgifter innan de kan raderas "
                                     "ändras{period}.",
        "legal_hold_changed": "{purpose}: tiden vi sparar dina uppgifter för att lagen kräver det ändras{period}.",
        "withdrawal_erasure_lengthened": "{purpose}: när du återkallar ditt samtycke kan det ta längre tid "
                                         "innan vi raderar dina uppgifter{period}.",
        "recipient_added": "Vi kommer att lämna ut uppgifter till en ny mottagare: {what}.",
        "purpose_recipient_added": "{purpose}: vi kommer att lämna ut uppgifter till {what}.",
        "recipient_role_changed": "{what} blir {after} (tidigare: {before}).",
        "transfer_added": "{what} kommer att behandla dina uppgifter utanför EU/EES ({after}).",
        "recipient_country_unstated": "Vi anger inte längre i vilket land {what} behandlar dina uppgifter.",
        "transfer_safeguard_weakened": "Överföringar av dina uppgifter utanför EU/EES till {what} kommer att "
                                       "bygga på {after} i stället för {before}.",
        "request_deadline_lengthened": "Det kan ta längre tid innan vi svarar på dina begäranden (till "
                                       "exempel om en kopia av dina uppgifter eller radering){period}.",
        "request_extension_lengthened": "Tiden för att svara på dina begäranden kan förlängas mer{period}.",
        "controller_changed": "Ny uppgift om {what}: {after}.",
        "controller_unstated": "Uppgiften om {what} finns inte längre i policyn.",
        "financial_year_changed": "Vårt räkenskapsår slutar ett annat datum, vilket flyttar datumen till "
                                  "vilka vi sparar bokföringsuppgifter.",
        "log_truncation_weakened": "{purpose}: våra loggar kommer att spara mer av din IP-adress.",
        "log_retention_lengthened": "{purpose}: loggar med din IP-adress sparas längre{period}.",
        "logs_added": "{purpose}: vi kommer att föra en ny logg med dina uppgifter.",
        "other_change": "Andra ändringar i hur vi behandlar dina uppgifter: läs den uppdaterade policyn.",
    },
}

_NB = {
    "header": "{controller}: endringer i personvernerklæringen vår",
    "intro": "Vi endrer hvordan vi behandler personopplysningene dine. Dette endres for deg:",
    "footer": "Spørsmål? Kontakt oss: {contact}.",
    "none": "ingen grense",
    "units": {"day": ("dag", "dager"), "week": ("uke", "uker"), "month": ("måned", "måneder"),
              "year": ("år", "år")},
    "words": {"processor": "en databehandler som arbeider for oss",
              "recipient": "en mottaker som bruker opplysningene til egne formål",
              "consent": "samtykket ditt", "contract": "en avtale med deg", "legal_obligation": "en rettslig forpliktelse",
              "vital_interests": "vitale interesser", "public_task": "en oppgave i allmennhetens interesse",
              "legitimate_interests": "vår berettigede interesse",
              "adequacy": "en beslutning om tilstrekkelig beskyttelsesnivå fra EU-kommisjonen",
              "dpf": "EU-US Data Privacy Framework (en beslutning om tilstrekkelig beskyttelsesnivå)",
              "bcr": "bindende virksomhetsregler", "scc": "standard personvernbestemmelser",
              "derogation": "et unntak for særlige situasjoner (personvernforordningen artikkel 49)",
              "no safeguard": "ingen garanti", "controller": "behandlingsansvarlig",
              "contact": "kontaktopplysninger", "data protection officer": "personvernombud",
              "supervisory authority": "tilsynsmyndighet", "jurisdiction": "land der loven gjelder"},
    "kinds": {
        "purpose_added": "Vi vil bruke personopplysninger til et nytt formål: {what}.",
        "category_added": "Vi vil behandle en ny type opplysninger: {what}.",
        "purpose_category_added": "{purpose}: vi vil også bruke {what}.",
        "subject_added": "Vi vil også behandle opplysninger om: {what}.",
        "purpose_subject_added": "{purpose}: gjelder nå også {what}.",
        "special_category_added": "Vi vil behandle sensitive personopplysninger (en særlig kategori etter "
                                  "personvernforordningen): {what}.",
        "national_identifier_added": "Vi vil behandle fødselsnummer: {what}.",
        "category_protection_lowered": "{what} vil ikke lenger bli behandlet som sensitive opplysninger.",
        "basis_changed": "{purpose}: behandlingsgrunnlaget endres fra {before} til {after}.",
        "special_condition_changed": "{purpose}: unntaket som gir oss lov til å behandle sensitive "
                                     "opplysninger, endres.",
        "retention_maximum_lengthened": "{purpose}: vi kan lagre opplysningene dine lenger{period}.",
        "retention_minimum_changed": "{purpose}: tiden vi lagrer opplysningene dine før de kan slettes, "
                                     "endres{period}.",
        "legal_hold_changed": "{purpose}: tiden vi lagrer opplysningene dine fordi loven krever det, endres{period}.",
        "withdrawal_erasure_lengthened": "{purpose}: når du trekker tilbake samtykket, kan det ta lenger tid "
                                         "før vi sletter opplysningene dine{period}.",
        "recipient_added": "Vi vil dele opplysninger med en ny mottaker: {what}.",
        "purpose_recipient_added": "{purpose}: vi vil dele opplysninger med {what}.",
        "recipient_role_changed": "{what} blir {after} (før: {before}).",
        "transfer_added": "{what} vil behandle opplysningene dine utenfor EU/EØS ({after}).",
        "recipient_country_unstated": "Vi oppgir ikke lenger i hvilket land {what} behandler opplysningene dine.",
        "transfer_safeguard_weakened": "Overføringer av opplysningene dine utenfor EU/EØS til {what} vil bygge "
                                       "på {after} i stedet for {before}.",
        "request_deadline_lengthened": "Det kan ta lenger tid før vi svarer på henvendelsene dine (for "
                                       "eksempel om innsyn eller sletting){period}.",
        "request_extension_lengthened": "Fristen for å svare på henvendelsene dine kan forlenges mer{period}.",
        "controller_changed": "Ny opplysning om {what}: {after}.",
        "controller_unstated": "Opplysningen om {what} står ikke lenger i erklæringen.",
        "financial_year_changed": "Regnskapsåret vårt slutter på en annen dato, noe som flytter datoene vi "
                                  "lagrer regnskapsopplysninger til.",
        "log_truncation_weakened": "{purpose}: loggene våre vil lagre mer av IP-adressen din.",
        "log_retention_lengthened": "{purpose}: logger med IP-adressen din lagres lenger{period}.",
        "logs_added": "{purpose}: vi vil føre en ny logg med opplysningene dine.",
        "other_change": "Andre endringer i hvordan vi behandler opplysningene dine: les den oppdaterte erklæringen.",
    },
}

TEMPLATES = {"en": _EN, "sv": _SV, "nb": _NB}


def _duration(d: ast.Duration, table: dict) -> str:
    """A period in the notice's language, from its (months, days): `7 år 6 månader`."""
    months, days = duration_parts(d)
    amounts = [(months // 12, "year"), (months % 12, "month")]
    amounts += [(days // 7, "week"), (days % 7, "day")] if days % 7 == 0 else [(days, "day")]
    words = [f"{n} {table['units'][unit][n != 1]}" for n, unit in amounts if n]
    return " ".join(words) or f"0 {table['units']['day'][1]}"


def _word(value: object, table: dict) -> str:
    if value is None:
        return table["none"]
    if isinstance(value, ast.Duration):
        return _duration(value, table)
    return table["words"].get(str(value), str(value))


def _period(change: Change, table: dict) -> str:
    durations = [v for v in (change.before, change.after) if isinstance(v, ast.Duration)]
    if not durations:
        return ""
    return f" ({_word(change.before, table)} → {_word(change.after, table)})"


def sentence(change: Change, lang: str) -> str:
    table = TEMPLATES[lang]
    kind = "controller_unstated" if change.kind == "controller_changed" and change.after is None else change.kind
    template = table["kinds"].get(kind, table["kinds"]["other_change"])
    return template.format(what=table["words"].get(change.what, change.what), purpose=change.context or "",
                           before=_word(change.before, table), after=_word(change.after, table),
                           period=_period(change, table))


def notice(changes: list[Change], policy: ast.PolicyFile, lang: str) -> str:
    """The message, or "" when nothing material changed (there is nothing to tell)."""
    table = TEMPLATES[lang]
    lines: list[str] = []
    for change in changes:
        if change.material:
            line = "- " + printable(sentence(change, lang))
            if line not in lines:
                lines.append(line)
    if not lines:
        return ""
    controller = policy.controller
    name = controller.name if controller else ""
    contact = controller.first(ast.Contact) if controller else None
    out = [printable(table["header"].format(controller=name)).lstrip(": "), "", table["intro"], *lines]
    if contact is not None:
        out += ["", printable(table["footer"].format(contact=contact.value))]
    return "\n".join(out) + "\n"

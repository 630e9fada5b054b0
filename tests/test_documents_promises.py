"""Every promise a seed notice makes about retention, recipients, transfers and logs appears
in the notice generated from its policy.

Each row: the seed notice, a quotation from it (checked to be there, so the table stays
anchored to the real text), and what the generated notice must say for the same promise.
The seeds are read from ../shared/seeds/ beside the project; without them the quotation
check is skipped with that reason, the generated-notice check still runs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from policyengine.documents.notice import render_notice
from policyengine.language.loading import load_policy

ROOT = Path(__file__).resolve().parents[1]
# In CI shared/ lies beside the clone; a git worktree under wt/ finds it one level up.
SEEDS = next((p / "shared" / "seeds" for p in (ROOT.parent, ROOT.parent.parent)
              if (p / "shared" / "seeds").is_dir()), ROOT.parent / "shared" / "seeds")

PROMISES = [
    # Bano (seed 000, Swedish)
    ("bano", "sv", "000", "lagras i en säkerhetskopia i upp till en månad efter att informationen har raderats",
     "högst till och med den dag då 1 månad har gått sedan uppgifterna raderades ur de aktiva systemen"),
    ("bano", "sv", "000", "ett skript har lagts till som tar bort de sista siffrorna från IP-adressen innan "
                          "informationen lagras av vårt analysverktyg",
     "sparas i vårt analysverktyg. IP-adressen förkortas: av en IPv4-adress behålls de första 24 av 32 "
     "bitarna (den sista delen av adressen tas bort)"),
    ("bano", "sv", "000", "alla besök lagras i en besökarlogg och en felmeddelandelogg där din IP-adress är "
                          "kopplad till besöket och tiden för besöket",
     "Din IP-adress och tidpunkten sparas i webbserverns åtkomstlogg och webbserverns fellogg"),
    ("bano", "sv", "000", "databehandlare som arbetar som underleverantör hos oss",
     "Underleverantörer som databehandlare (personuppgiftsbiträde)"),
    ("bano", "sv", "000", "tillhandahålla information till myndigheter i händelse av en framställning",
     "Myndigheter, i händelse av en framställning (mottagare"),
    ("bano", "sv", "000", "Du kan enkelt begära radering",
     "När du har återkallat ditt samtycke raderar vi uppgifterna"),
    # Binero (seed 004, Swedish)
    ("binero", "sv", "004", "som lägst sparas inspelat material samt information om användning av "
                            "passerbricka i två (2) månader",
     "minst till och med den dag då 2 månader har gått sedan uppgifterna samlades in"),
    ("binero", "sv", "004", "bokföringslagen och andra relevanta lagar måste spara informationen även efter "
                            "att en begäran om radering har hanterats",
     "Enligt Bokföringslagen (1999:1078) 7 kap. 2 § sparar vi uppgifterna till och med den dag då 7 år har "
     "gått sedan utgången av det kalenderår då räkenskapsåret avslutades, även om du begär att de raderas"),
    ("binero", "sv", "004", "använder vi oss av en tredjepartsservice som samlar in namn och e-post samt chatthistorik",
     "Tredjepartstjänst för chatt på webbplatsen (personuppgiftsbiträde)"),
    ("binero", "sv", "004", "berörda brottsbekämpande myndigheter när detta krävs",
     "Myndigheter och brottsbekämpande myndigheter, när lag kräver det (mottagare i SE)"),
    # Arnpro (seed 002, Swedish)
    ("arnpro", "sv", "002", "både inom och utanför EES- och EU-området",
     "Tredje part som Arnpro AS samarbetar med, inom och utanför EES: var uppgifterna behandlas anges inte, "
     "och ingen skyddsåtgärd anges."),
    ("arnpro", "sv", "002", "lokaliserade i Norge och/eller EU",
     "Pro IPS i samarbete med Responsiv Media AS (servrar) (personuppgiftsbiträde i NO)"),
    ("arnpro", "sv", "002", "statistikverktyget Google Analytics",
     "Google Analytics och Google Ads (cookies) (personuppgiftsbiträde)"),
    ("arnpro", "sv", "002", "att förbli i vårt register i den utsträckning som är nödvändig",
     "även om du begär att de raderas eller återkallar ditt samtycke"),
    # Balcoo (seed 003, Norwegian)
    ("balcoo", "nb", "003", "Databehandler er Siteground ltd hvor Balcoo AS leier serverkapasitet og webløsning",
     "Siteground ltd: serverkapasitet og webløsning (databehandler)"),
    ("balcoo", "nb", "003", "Det er kun Balcoo AS, YouMedia og Siteground som har tilgang",
     "Youmedia: webredaktør (databehandler)"),
    ("balcoo", "nb", "003", "senest innen 30 dager", "senest innen 30 dager"),
    # personvern (seed 001, Norwegian)
    ("personvern-seed001", "nb", "001", "Du har rett til å trekke tilbake samtykket ditt når som helst",
     "Du kan når som helst trekke tilbake et samtykke du har gitt"),
    ("personvern-seed001", "nb", "001", "du har rett til å protestere mot at vi bruker personopplysninger til "
                                        "direkte markedsføring",
     "Du kan når som helst protestere mot at personopplysningene dine brukes til direkte markedsføring"),
]


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("policy, lang, seed, quote, generated", PROMISES,
                         ids=[f"{p[0]}-{i}" for i, p in enumerate(PROMISES)])
def test_the_seed_promise_appears_in_the_generated_notice(policy, lang, seed, quote, generated) -> None:
    for fmt in ("md", "html"):
        text = render_notice(load_policy(str(ROOT / "rules" / f"{policy}.policy")), lang, fmt)
        assert generated in _flat(text), (fmt, generated)


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"the seed notices are not beside the project ({SEEDS})")
@pytest.mark.parametrize("seed, quote", sorted({(p[2], p[3]) for p in PROMISES}))
def test_the_quotation_is_in_the_seed_notice(seed: str, quote: str) -> None:
    notice = next(SEEDS.glob(f"{seed}_*.txt"))
    assert quote in _flat(notice.read_text("utf-8"))

"""The wording rules of the maintainer emails, pinned on hand-built digests in both
languages: what is claimed (no "no longer" without an earlier licence), readable
licence names with the reason they are a problem, advice that follows the agreed or
allowed licences, the material's own platform, and a real address to turn to."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from oermonitor.models import Assessment, Problem
from oermonitor.notify import Digest, DigestItem, compose, licence_name, plan, render
from oermonitor.settings import PolicySettings, Settings, SmtpSettings

TODAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def item(problem: str, n: int = 1, **fields) -> DigestItem:
    values = {"material_id": n, "problem": problem, "kind": "new", "title": f"Les {n}",
              "url": f"https://maken.wikiwijs.nl/{n}/Les", "pilot": "Rekenen",
              "platform": "Wikiwijs", "since": "2026-03-01",
              "maintainer_email": "anne@school.nl", "coordinator_email": "co@school.nl"}
    return DigestItem(**(values | fields))


def mail(*items: DigestItem, language: str = "nl", allowed: tuple[str, ...] | None = None,
         sender: str = "oermonitor@school.nl") -> tuple[str, str, str]:
    policy = PolicySettings(allowed_licences=allowed) if allowed else PolicySettings()
    settings = Settings(language=language, policy=policy, smtp=SmtpSettings(from_=sender))
    return render(Digest("anne@school.nl", "maintainer", list(items)), settings, TODAY)


def text(*items: DigestItem, **options) -> str:
    return mail(*items, **options)[1]


@pytest.mark.parametrize("language, no_longer, none_found", [
    ("nl", "Op de pagina staat geen licentie meer; eerder was dat CC BY 4.0 (Naamsvermelding).",
     "Op de pagina staat geen licentie, dus"),
    ("en", "The page no longer states a licence; it used to be CC BY 4.0 (Attribution).",
     "The page states no licence, so"),
])
def test_no_longer_only_when_there_was_a_licence(language, no_longer, none_found):
    assert no_longer in text(item("licence_missing", licence_was="CC-BY-4.0"), language=language)
    first = text(item("licence_missing"), language=language)
    assert none_found in first
    assert " meer" not in first.split("Wat kun je doen")[0].split("==")[-1]
    assert "no longer states" not in first


@pytest.mark.parametrize("language, since", [
    ("nl", "Dit zien we sinds 1 maart 2026."), ("en", "We have seen this since 1 March 2026.")])
def test_since_is_what_we_saw(language, since):
    assert since in text(item("broken", availability="missing"), language=language)


@pytest.mark.parametrize("licence, language, expected", [
    ("CC-BY-NC-SA-4.0", "nl", "Op de pagina staat CC BY-NC-SA 4.0 (Naamsvermelding-NietCommercieel-"
     "GelijkDelen). Dat is geen open licentie: NC verbiedt commercieel hergebruik."),
    ("CC-BY-NC-ND-3.0-NL", "nl", "CC BY-NC-ND 3.0 Nederland (Naamsvermelding-NietCommercieel-"
     "GeenAfgeleideWerken). Dat is geen open licentie: NC verbiedt commercieel hergebruik; "
     "ND verbiedt bewerken."),
    ("all-rights-reserved", "nl", 'Op de pagina staat "alle rechten voorbehouden". Dat is geen '
     "open licentie: niemand mag"),
    ("CC-BY-ND-4.0", "en", "The page states CC BY-ND 4.0 (Attribution-NoDerivatives). That is "
     "not an open licence: ND forbids adaptations."),
    ("CC-BY-NC-4.0", "en", "CC BY-NC 4.0 (Attribution-NonCommercial). That is not an open "
     "licence: NC forbids commercial reuse."),
])
def test_licences_by_readable_name_and_why_they_are_a_problem(licence, language, expected):
    body, html = mail(item("licence_not_open", licence=licence, licence_openness=(
        "closed" if licence == "all-rights-reserved" else "restricted")), language=language)[1:]
    assert expected in body
    assert licence not in body  # the raw id never reaches the teacher
    assert "CC BY-" in html or "rechten" in html


def test_licence_names_from_the_canonical_id():
    assert licence_name("CC-BY-SA-4.0", "nl") == "CC BY-SA 4.0 (Naamsvermelding-GelijkDelen)"
    assert licence_name("CC-BY-3.0-NL", "en") == "CC BY 3.0 Netherlands (Attribution)"
    assert licence_name("CC0-1.0", "nl") == "CC0 1.0 (publiek domein)"
    assert licence_name("CC-PDM-1.0", "en") == "Public Domain Mark 1.0 (public domain)"
    assert licence_name("public-domain", "nl") == "publiek domein"
    assert licence_name("CC-SAMPLING-PLUS-1.0", "en") == "CC SAMPLING-PLUS 1.0 (retired licence)"
    assert licence_name("cc-by", "nl") == "CC BY (Naamsvermelding)"
    assert licence_name("geen-licentie", "nl") == "geen-licentie"


@pytest.mark.parametrize("language, agreed", [
    ("nl", "Zet de licentie op Wikiwijs terug naar CC BY 4.0 (Naamsvermelding), zoals "
     "afgesproken, en publiceer het materiaal opnieuw."),
    ("en", "Set the licence on Wikiwijs back to CC BY 4.0 (Attribution), as agreed, and publish "
     "the material again."),
])
def test_advice_follows_the_agreed_licence(language, agreed):
    for problem in ("licence_not_open", "licence_missing"):
        body = text(item(problem, licence="CC-BY-NC-4.0" if problem == "licence_not_open"
                         else None, licence_openness="restricted", expected_licence="CC-BY-4.0"),
                    language=language)
        assert agreed in body, problem


@pytest.mark.parametrize("language, advice", [
    ("nl", "Kies op Wikiwijs een open licentie, zoals CC BY (Naamsvermelding) of publiek domein "
     "(CC0) en publiceer het materiaal opnieuw."),
    ("en", "Choose an open licence on Wikiwijs, such as CC BY (Attribution) or public domain "
     "(CC0), and publish the material again."),
])
def test_advice_names_the_allowed_licences_otherwise(language, advice):
    body = text(item("licence_not_open", licence="CC-BY-NC-4.0", licence_openness="restricted"),
                language=language, allowed=("CC-BY", "CC0"))
    assert advice in body and "BY-SA" not in body
    default = text(item("licence_missing"), language=language)
    assert "CC BY-SA" in default and "CC0 of Public Domain Mark" in default.replace(" or ", " of ")


@pytest.mark.parametrize("language, elsewhere", [
    ("nl", "op de website waar het staat"), ("en", "on the website where it is published")])
def test_the_material_s_own_platform_not_always_wikiwijs(language, elsewhere):
    outside = dict(platform=None, url="https://school.example/les")
    subject, body, html = mail(item("licence_missing", **outside),
                               item("licence_changed", 2, licence_was="CC-BY-4.0",
                                    licence="CC-BY-NC-4.0", **outside),
                               item("stale", 3, last_maintained="2024-06-13", **outside),
                               item("broken", 4, availability="login_required", **outside),
                               language=language)
    assert "Wikiwijs" not in subject + body + html
    assert body.count(elsewhere) == 4
    on_wikiwijs = text(item("licence_missing"), language=language)
    assert ("op Wikiwijs" if language == "nl" else "on Wikiwijs") in on_wikiwijs


def test_platform_comes_from_the_check_the_identity_or_the_url():
    rows = [{"id": n, "url": url, "title": f"Les {n}", "pilot": "P", "pilot_id": 1,
             "maintainer_email": "anne@school.nl", "coordinator_email": None,
             "platform_id": platform_id, "identity": identity}
            for n, url, platform_id, identity in (
                (1, "https://school.example/a", "wikiwijs:1", None),
                (2, "https://school.example/b", None, "wikiwijs:2"),
                (3, "https://maken.wikiwijs.nl/3/Les", None, None),
                (4, "https://school.example/d", None, "https://school.example/d"))]
    broken = Assessment("broken", [Problem("broken", "2026-03-01", {"availability": "missing"})])
    [digest] = plan([(row, broken) for row in rows], [], TODAY, Settings())
    assert [i.platform for i in digest.items] == ["Wikiwijs", "Wikiwijs", "Wikiwijs", None]


@pytest.mark.parametrize("language, via_coordinator, no_coordinator", [
    ("nl", "Klopt het materiaal nog zonder aanpassingen? Beantwoord dan deze e-mail; de "
     "coördinator legt "
     "dat vast.", "Beantwoord dan deze e-mail (aan oermonitor@school.nl) of laat het de "
     "coördinator van je school weten"),
    ("en", "Is it still current as it is? Then reply to this email; the coordinator will "
     "record that.", "Then reply to this email (to oermonitor@school.nl) or tell your school's "
     "coordinator"),
])
def test_stale_advice_never_names_the_cli_and_always_gives_an_address(
        language, via_coordinator, no_coordinator):
    stale = item("stale", last_maintained="2024-06-13", pilot_end_date="2025-04-09")
    body = text(stale, language=language)
    assert via_coordinator in body and "oermonitor confirm" not in body
    assert ("Het materiaal is sinds 13 juni 2024 niet meer bijgewerkt, en niemand heeft ons "
            "laten weten dat het nog actueel is." in body
            or "The material has not been updated since 13 June 2024, and nobody has told us "
            "it is still current." in body)
    assert "9 april 2025" in body or "9 April 2025" in body
    alone = text(item("stale", coordinator_email=None), item("moved", 2, coordinator_email=None,
                                                            new_url="https://x.example/n"),
                 language=language)
    assert no_coordinator in alone and "oermonitor confirm" not in alone
    assert "antwoord gaat naar de coördinator" not in alone
    assert "answer goes to the coordinator" not in alone
    assert "coördinator legt dat vast" not in alone and "coordinator will record" not in alone


@pytest.mark.parametrize("availability, status, expected", [
    ("missing", 404, "De pagina is niet meer te vinden: de website meldt dat deze niet bestaat "
     "(foutcode 404)."),
    ("login_required", 200, "De pagina vraagt om in te loggen"),
    ("server_error", 503, "De website geeft een foutmelding in plaats van de pagina "
     "(foutcode 503)."),
    ("unreachable", None, "De website is niet bereikbaar: we krijgen geen verbinding."),
])
def test_availability_in_plain_words(availability, status, expected):
    body = text(item("broken", availability=availability, status_code=status))
    assert expected in body and availability not in body.replace("https://", "")


def test_subjects_name_the_material_and_stay_short():
    assert mail(item("broken", title="Breuken"))[0] == (
        "Wikiwijs-materiaal 'Breuken' vraagt je aandacht")
    assert mail(item("broken", title="Breuken", platform=None), language="en")[0] == (
        "Learning material 'Breuken' needs your attention")
    assert mail(item("broken", title="Kommagetallen oefenen"),
                item("stale", 2, title="Procenten"))[0] == (
        "2 lesmaterialen vragen je aandacht: Kommagetallen oefenen en 1 ander")
    assert mail(*(item("broken", n, title=f"Les {n}") for n in range(3)), language="en")[0] == (
        "3 of your learning materials need attention: Les 0 and 2 others")
    reminder = mail(item("broken", kind="reminder", title="Breuken"))[0]
    assert reminder == "Herinnering: Wikiwijs-materiaal 'Breuken' vraagt je aandacht"


def test_a_title_that_does_not_fit_is_left_out_not_cut_off():
    long = mail(*(item("broken", n, title=f"Een heel lange titel over kommagetallen nummer {n}")
                  for n in range(5)))[0]
    assert long == "5 lesmaterialen vragen je aandacht"
    one = mail(item("broken", title="Een heel lange titel over kommagetallen en procenten in "
                                    "de brugklas, deel één"))[0]
    assert one.endswith("deel één' vraagt je aandacht") and "…" not in one


def test_from_header_gets_a_display_name_unless_configured():
    digest = Digest("anne@school.nl", "maintainer", [item("broken", availability="missing")])
    plain = compose(digest, Settings(smtp=SmtpSettings(from_="noreply@school.nl")), TODAY, NOW)
    assert str(plain["From"]) == "oermonitor <noreply@school.nl>"
    named = compose(digest, Settings(smtp=SmtpSettings(from_="OER-team <oer@school.nl>")),
                    TODAY, NOW)
    assert str(named["From"]) == "OER-team <oer@school.nl>"


def test_intro_says_it_once_and_in_good_dutch():
    body = text(item("broken", availability="missing"))
    assert "iets waar jij iets" not in body and "Bij de laatste controle viel ons het volgende op:" in body
    assert "meldt dat ze" not in body


@pytest.mark.parametrize("language, said, todo", [
    ("nl", "Bij het materiaal zelf staat geen licentie; de website als geheel valt wel onder "
     "CC BY 4.0 (Naamsvermelding).",
     "Zet de licentie ook bij het materiaal zelf (in het colofon) en publiceer het materiaal opnieuw"),
    ("en", "The material itself states no licence; the website as a whole is under "
     "CC BY 4.0 (Attribution).",
     "Add the licence to the material itself (in the colophon) and publish the material again"),
])
def test_a_site_wide_licence_is_never_called_no_licence_on_the_page(language, said, todo):
    body = text(item("licence_missing", site_licence="CC-BY-4.0"), language=language)
    assert said in body and todo in body
    assert "Op de pagina staat geen licentie" not in body
    assert "The page states no licence" not in body
    gone = text(item("licence_missing", licence_was="CC-BY-SA-4.0", site_licence="CC-BY-4.0"),
                language=language)
    assert ("eerder was dat CC BY-SA 4.0" in gone) or ("it used to be CC BY-SA 4.0" in gone)
    assert "Op de pagina staat geen licentie" not in gone

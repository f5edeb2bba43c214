"""The words of the web pages, Dutch and English, by key: `{{ t.key }}` in a template.

Each part of the site registers its own keys (`register`); a key missing in one
language is an error at start-up, not a blank on a page.
"""

from __future__ import annotations

LANGUAGES = ("nl", "en")
_TEXTS: dict[str, dict[str, str]] = {"nl": {}, "en": {}}


def register(nl: dict[str, str], en: dict[str, str]) -> None:
    """Add the words of one part of the site; both languages must have the same keys."""
    missing = set(nl) ^ set(en)
    if missing:
        raise ValueError(f"web texts without a translation: {', '.join(sorted(missing))}")
    clash = set(nl) & set(_TEXTS["nl"])
    if clash and any(_TEXTS["nl"][k] != nl[k] for k in clash):
        raise ValueError(f"web texts registered twice: {', '.join(sorted(clash))}")
    _TEXTS["nl"].update(nl)
    _TEXTS["en"].update(en)


def texts(language: str) -> dict[str, str]:
    return _TEXTS["en" if language == "en" else "nl"]


register(
    nl={
        "site": "oermonitor",
        "tagline": "Open lesmateriaal online, open gelicenseerd en actueel",
        "home_title": "Welkom",
        "home_text": "Hier handel je af wat oermonitor je per e-mail vroeg. Open daarvoor de "
                     "link in die e-mail: die brengt je meteen naar je eigen lesmateriaal.",
        "footer": "oermonitor controleert elke nacht of open lesmateriaal uit de pilots "
                  "online staat, een open licentie heeft en actueel is.",
        "error_title": "Dat lukte niet",
        "error_bad_request": "Het verzoek was niet compleet. Ga terug en probeer het opnieuw.",
        "error_csrf": "Deze pagina stond te lang open, of je browser bewaart geen cookies "
                      "voor deze site. Open de link uit je e-mail opnieuw en probeer het "
                      "nog een keer.",
        "error_forbidden": "Deze pagina is niet voor jou bedoeld.",
        "error_not_found": "Deze pagina bestaat niet. Gebruik de link uit je e-mail.",
        "error_not_allowed": "Zo werkt deze pagina niet. Gebruik de knoppen op de pagina.",
        "error_busy": "Dat is nu even te vaak gevraagd. Probeer het over een paar minuten "
                      "opnieuw.",
        "error_internal": "Er ging bij ons iets mis. Probeer het later nog eens; blijft het "
                          "misgaan, beantwoord dan de e-mail van oermonitor.",
        "link_invalid": "Deze link klopt niet: misschien is hij bij het kopiëren afgebroken. "
                        "Klik op de link in de e-mail zelf, of kopieer hem helemaal.",
        "link_expired": "Deze link is verlopen: links in e-mails van oermonitor werken een "
                        "beperkte tijd. Je krijgt een nieuwe link bij de volgende e-mail over "
                        "dit materiaal. Wil je nu al iets doorgeven, beantwoord dan de "
                        "e-mail; je antwoord komt bij de coördinator.",
        "link_reassigned": "Deze link werkt niet meer: het lesmateriaal heeft nu een andere "
                           "beheerder. Je hoeft er niets meer mee te doen.",
        "link_gone": "Dit lesmateriaal staat niet meer in oermonitor. Je hoeft er niets "
                     "meer mee te doen.",
        "link_taken": "Deze vraag is niet meer open: het lesmateriaal heeft inmiddels een "
                      "beheerder. Je hoeft niets te doen.",
    },
    en={
        "site": "oermonitor",
        "tagline": "Open learning materials online, openly licensed and current",
        "home_title": "Welcome",
        "home_text": "Here you deal with what oermonitor asked you by email. Open the link "
                     "in that email: it takes you straight to your own material.",
        "footer": "Every night oermonitor checks that open learning materials from the "
                  "pilots are online, openly licensed and current.",
        "error_title": "That did not work",
        "error_bad_request": "The request was incomplete. Go back and try again.",
        "error_csrf": "This page was open too long, or your browser keeps no cookies for "
                      "this site. Open the link from your email again and retry.",
        "error_forbidden": "This page is not meant for you.",
        "error_not_found": "This page does not exist. Use the link from your email.",
        "error_not_allowed": "This page does not work that way. Use the buttons on the page.",
        "error_busy": "That was asked a few times too often just now. Please try again in a "
                      "few minutes.",
        "error_internal": "Something went wrong on our side. Please try again later; if it "
                          "keeps failing, reply to the email from oermonitor.",
        "link_invalid": "This link is not right: perhaps it was cut off when copied. Click "
                        "the link in the email itself, or copy all of it.",
        "link_expired": "This link has expired: links in oermonitor's emails work for a "
                        "limited time. You get a new link with the next email about this "
                        "material. To tell us something now, reply to the email; your reply "
                        "reaches the coordinator.",
        "link_reassigned": "This link no longer works: the material now has another "
                           "maintainer. There is nothing more for you to do.",
        "link_gone": "This material is no longer in oermonitor. There is nothing more for "
                     "you to do.",
        "link_taken": "This request is no longer open: the material has a maintainer by now. "
                      "There is nothing for you to do.",
    },
)

"""What people read, in one place: dates, licence names, states and problems in
Dutch (`nl`) and English (`en`).

The maintainer emails, the HTML report, `status --csv`, the CLI and a web layer
all describe a problem with the functions here, so a teacher and a coordinator
read the same words for the same thing:

    sentence(finding, "nl")   # the email's full sentence: "De pagina is niet meer te vinden: ..."
    headline(finding, "en")   # one short line: "not openly licensed (CC BY-NC 4.0: NC forbids ...)"
    describe(problem, record, "nl")   # headline + since, straight from an overview record
    state_name("stale", "nl"), state_meaning("stale", "nl")   # "verouderd", "niet bijgewerkt ..."

A *finding* is any object with the attributes of `Finding` (the emails pass
their `DigestItem`s). Everything here is pure: no settings, no clock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from oermonitor import licences

LANGUAGES = ("nl", "en")

MONTHS = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}
NUMBERS = {
    "nl": ("nul", "één", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen",
           "tien", "elf", "twaalf"),
    "en": ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
           "ten", "eleven", "twelve"),
}

# The official names of the licence elements (Dutch as on creativecommons.org/licenses/?lang=nl).
LICENCE_WORDS = {
    "nl": {"BY": "Naamsvermelding", "NC": "NietCommercieel", "ND": "GeenAfgeleideWerken",
           "SA": "GelijkDelen", "NL": "Nederland", "retired": "ingetrokken licentie",
           "or": "of", licences.ALL_RIGHTS_RESERVED: '"alle rechten voorbehouden"',
           licences.PUBLIC_DOMAIN: "publiek domein"},
    "en": {"BY": "Attribution", "NC": "NonCommercial", "ND": "NoDerivatives",
           "SA": "ShareAlike", "NL": "Netherlands", "retired": "retired licence",
           "or": "or", licences.ALL_RIGHTS_RESERVED: '"all rights reserved"',
           licences.PUBLIC_DOMAIN: "public domain"},
}
PUBLIC_DOMAIN_TOOLS = {"CC0": "CC0", "CC-PDM": "Public Domain Mark"}

# Why a licence is not open, per element that keeps it from being open.
LIMITS = {
    "nl": {"NC": "NC verbiedt commercieel hergebruik", "ND": "ND verbiedt bewerken",
           "closed": "niemand mag het materiaal zonder toestemming hergebruiken of bewerken",
           "retired": "Creative Commons raadt deze oude licentie niet meer aan"},
    "en": {"NC": "NC forbids commercial reuse", "ND": "ND forbids adaptations",
           "closed": "nobody may reuse or adapt the material without permission",
           "retired": "Creative Commons no longer recommends this old licence"},
}

# States: a name and what it means, for legends and overviews.
STATES = {
    "nl": {
        "broken": ("link werkt niet", "de pagina is bij meerdere controles op rij niet te openen"),
        "licence_issue": ("licentieprobleem", "geen licentie, een gewijzigde licentie of "
                                              "geen open licentie"),
        "stale": ("verouderd", "niet bijgewerkt sinds de pilot is afgelopen"),
        "failing": ("storing", "de laatste controle mislukte; vaak is dat tijdelijk"),
        "moved": ("verhuisd", "het adres stuurt door naar een nieuw adres"),
        "no_maintainer": ("geen beheerder", "niemand houdt het materiaal nog bij"),
        "ok": ("in orde", "online, met een open licentie en actueel"),
        "unchecked": ("nog niet gecontroleerd", "wacht op de eerste nachtelijke controle"),
        "retired": ("ingetrokken", "bewust teruggetrokken; wordt niet meer gecontroleerd"),
    },
    "en": {
        "broken": ("broken", "the page could not be opened on several checks in a row"),
        "licence_issue": ("licence issue", "no licence, a changed licence or not an open one"),
        "stale": ("stale", "not updated since the pilot ended"),
        "failing": ("failing", "the last check failed; often that is temporary"),
        "moved": ("moved", "the address redirects to a new address"),
        "no_maintainer": ("no maintainer", "nobody keeps the material current any more"),
        "ok": ("ok", "online, openly licensed and current"),
        "unchecked": ("unchecked", "waits for its first nightly check"),
        "retired": ("retired", "withdrawn on purpose; no longer checked"),
    },
}

# Problems by name (history lines, lists of codes).
PROBLEM_NAMES = {
    "nl": {"broken": "link werkt niet", "failing": "controle mislukt", "moved": "verhuisd",
           "licence_missing": "geen licentie", "licence_changed": "licentie veranderd",
           "licence_not_open": "geen open licentie",
           "licence_mismatch": "licentie wijkt af van de catalogus", "stale": "verouderd",
           "no_maintainer": "geen beheerder"},
    "en": {"broken": "link broken", "failing": "check failed", "moved": "moved",
           "licence_missing": "no licence", "licence_changed": "licence changed",
           "licence_not_open": "not openly licensed",
           "licence_mismatch": "licence differs from the catalogue", "stale": "not updated",
           "no_maintainer": "no maintainer"},
}

# What a check found, in a few words (overviews, history lines).
AVAILABILITY = {
    "nl": {"ok": "online", "moved": "online na doorverwijzing naar een nieuw adres",
           "missing": "pagina bestaat niet", "login_required": "vraagt om in te loggen",
           "forbidden": "toegang geweigerd", "rate_limited": "geweigerd: te veel bezoeken",
           "server_error": "foutmelding van de website", "timeout": "geen antwoord op tijd",
           "unreachable": "website niet bereikbaar",
           "blocked_by_robots": "de website verbiedt automatische controles (robots.txt)",
           "blocked_private_address": "adres in een afgeschermd netwerk",
           "invalid_url": "geen geldig webadres", "error": "kon niet worden geopend"},
    "en": {"ok": "online", "moved": "online after a redirect to a new address",
           "missing": "page does not exist", "login_required": "asks visitors to sign in",
           "forbidden": "access refused", "rate_limited": "refused: too many visits",
           "server_error": "website shows an error", "timeout": "no answer in time",
           "unreachable": "website unreachable",
           "blocked_by_robots": "the website forbids automatic checks (robots.txt)",
           "blocked_private_address": "address in a private network",
           "invalid_url": "not a valid web address", "error": "could not be opened"},
}
ERROR_CODE = {"nl": "foutcode", "en": "error code"}


@dataclass
class Finding:
    """One problem of one material with the facts its wording needs."""

    problem: str
    since: str | None = None
    availability: str | None = None
    status_code: int | None = None
    failures: int | None = None
    new_url: str | None = None
    licence: str | None = None
    licence_was: str | None = None
    expected_licence: str | None = None
    catalogue_licence: str | None = None
    site_licence: str | None = None
    pilot_end_date: str | None = None
    last_maintained: str | None = None
    keeper_reason: str | None = None  # no_maintainer: bounced | released | ignored
    maintainer_email: str | None = None  # no_maintainer: who it was
    bounce_reason: str | None = None
    colleague: str | None = None
    note: str | None = None


def finding(problem: dict, record: dict) -> Finding:
    """A Finding from a policy problem (`{"code", "since", "detail"}`) and the
    material's overview record (or store row) it belongs to."""
    d = problem.get("detail") or {}
    code = problem["code"]
    return Finding(
        problem=code, since=problem.get("since"),
        availability=d.get("availability") or record.get("availability"),
        status_code=record.get("status_code") if code in ("broken", "failing") else None,
        failures=d.get("failures"),
        new_url=d.get("new_url") or (record.get("final_url") if code == "moved" else None),
        licence=d.get("now") or d.get("licence") or d.get("page") or record.get("licence"),
        licence_was=d.get("was"),
        expected_licence=d.get("expected") or record.get("expected_licence"),
        catalogue_licence=d.get("catalogue") or record.get("catalogue_licence"),
        site_licence=d.get("site_licence"),
        pilot_end_date=d.get("pilot_end_date") or record.get("pilot_end_date"),
        last_maintained=d.get("last_maintained") or record.get("last_maintained"),
        keeper_reason=d.get("reason") if code == "no_maintainer" else None,
        maintainer_email=d.get("maintainer") if code == "no_maintainer" else None,
        bounce_reason=d.get("bounce_reason"), colleague=d.get("colleague"), note=d.get("note"),
    )


# -- small words ---------------------------------------------------------------------


def lang(language: str | None) -> str:
    return "en" if language == "en" else "nl"


def long_date(value: str | date | None, language: str) -> str:
    """`2026-03-01` -> `1 maart 2026` / `1 March 2026`; unknown stays readable."""
    if not value:
        return "?"
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    except ValueError:
        return " ".join(str(value).split())[:40]
    return f"{day.day} {MONTHS[lang(language)][day.month - 1]} {day.year}"


def long_datetime(moment: datetime, language: str) -> str:
    """A local datetime as a sentence reads it: `2 december 2026 om 03:05`,
    `2 December 2026 at 03:05`."""
    word = "at" if language == "en" else "om"
    return f"{long_date(moment.date(), language)} {word} {moment:%H:%M}"


def number(n: int, language: str) -> str:
    """Small counts as words in running text ("drie herinneringen"), larger ones as digits."""
    words = NUMBERS[lang(language)]
    return words[n] if 0 <= n < len(words) else str(n)


def listing(names: list[str], language: str) -> str:
    """`A`, `A en B`, `A, B en C` (`and` in English)."""
    word = " and " if language == "en" else " en "
    return word.join(filter(None, (", ".join(names[:-1]), names[-1]))) if names else ""


def state_name(state: str, language: str) -> str:
    return STATES[lang(language)].get(state, (state.replace("_", " "), ""))[0]


def state_meaning(state: str, language: str) -> str:
    return STATES[lang(language)].get(state, ("", ""))[1]


def problem_name(code: str, language: str) -> str:
    return PROBLEM_NAMES[lang(language)].get(code, code.replace("_", " "))


def availability_words(availability: str | None, status_code: int | None,
                       language: str) -> str:
    """`pagina bestaat niet (foutcode 404)`: what a check found, in a few words."""
    language = lang(language)
    words = AVAILABILITY[language].get(availability or "error", AVAILABILITY[language]["error"])
    return words + _code(status_code, language)


def _code(status_code: int | None, language: str) -> str:
    if not status_code or status_code == 200:
        return ""
    return f" ({ERROR_CODE[lang(language)]} {status_code})"


# -- licences ------------------------------------------------------------------------


def licence_name(licence_id: str | None, language: str, *, short: bool = False) -> str:
    """A licence id as people read it: `CC-BY-NC-SA-4.0` -> `CC BY-NC-SA 4.0
    (Naamsvermelding-NietCommercieel-GelijkDelen)`, or only `CC BY-NC-SA 4.0` when
    `short`; also takes allowed-list families (`CC-BY`, `cc0`). Anything not
    canonical stays as written."""
    words = LICENCE_WORDS[lang(language)]
    key = (licence_id or "").strip()
    found = licences.parts(key) or licences.parts(key.upper())
    if found is None and key.upper() in PUBLIC_DOMAIN_TOOLS:
        found = licences.Parts(key.upper())
    if found is None:
        return " ".join(str(licence_id or "").split())[:60]
    if found.family in words:
        return words[found.family]
    if found.family in PUBLIC_DOMAIN_TOOLS:
        tool = " ".join(filter(None, (PUBLIC_DOMAIN_TOOLS[found.family], found.version)))
        return tool if short else f"{tool} ({words[licences.PUBLIC_DOMAIN]})"
    elements = found.family.split("-")[1:]
    port = words.get(found.jurisdiction, found.jurisdiction) if found.jurisdiction else None
    code = " ".join(filter(None, ("CC", "-".join(elements), found.version, port)))
    if short:
        return code
    retired = key.upper() in licences.LEGACY or any(e not in words for e in elements)
    return f"{code} ({words['retired'] if retired else '-'.join(words[e] for e in elements)})"


def open_choices(allowed: tuple[str, ...], language: str) -> str:
    """The allowed licences as one readable list: `CC BY (Naamsvermelding), CC BY-SA
    (...) of publiek domein (CC0 of Public Domain Mark)`; empty for an empty list."""
    words = LICENCE_WORDS[lang(language)]
    either = f" {words['or']} ".join
    public = words[licences.PUBLIC_DOMAIN]
    names, tools = [], []
    for entry in allowed:
        key = entry.strip().upper()
        tool = PUBLIC_DOMAIN_TOOLS.get(key) or PUBLIC_DOMAIN_TOOLS.get(licences.family(key) or "")
        name = public if tool or key == licences.PUBLIC_DOMAIN.upper() else licence_name(
            entry, language)
        tools += [tool] if tool else []
        if name not in names:
            names.append(name)
    if tools:
        names[names.index(public)] = f"{public} ({either(dict.fromkeys(tools))})"
    return either(filter(None, (", ".join(names[:-1]), names[-1]))) if names else ""


def licence_limits(licence_id: str | None) -> list[str]:
    """What keeps a licence from being open, as keys of LIMITS: `NC`, `ND`,
    `retired`, `closed`; empty for an open licence."""
    found = licences.parts(licence_id)
    if found is None:
        return []
    if found.family == licences.ALL_RIGHTS_RESERVED:
        return ["closed"]
    if licence_id in licences.LEGACY:
        return ["retired"]
    return [e for e in ("NC", "ND") if e in found.family.split("-")]


def why_not_open(licence_id: str | None, language: str) -> str:
    """`NC verbiedt commercieel hergebruik; ND verbiedt bewerken`, or "" for an open licence."""
    return "; ".join(LIMITS[lang(language)][limit] for limit in licence_limits(licence_id))


# -- problems ------------------------------------------------------------------------


def _get(f: Any, name: str):
    return getattr(f, name, None)


def sentence(f: Any, language: str) -> str:
    """The email's description of a problem: one or two full sentences."""
    return _sentences_en(f) if lang(language) == "en" else _sentences_nl(f)


def since_sentence(f: Any, language: str) -> str:
    since = _get(f, "since")
    if not since or f.problem == "stale":
        return ""
    if lang(language) == "en":
        return f"We have seen this since {long_date(since, 'en')}."
    return f"Dit zien we sinds {long_date(since, 'nl')}."


def _site_licence(f: Any) -> str | None:
    """A site-wide licence worth naming: a positive one (not "all rights reserved")."""
    site = _get(f, "site_licence")
    return site if site and licences.openness(site) in ("open", "restricted") else None


def _sentences_nl(f: Any) -> str:
    name = lambda licence: licence_name(licence, "nl")  # noqa: E731
    code = _code(_get(f, "status_code"), "nl")
    a = _get(f, "availability")
    if f.problem == "broken":
        return {
            "missing": f"De pagina is niet meer te vinden: de website meldt dat deze niet "
                       f"bestaat{code}.",
            "login_required": "De pagina vraagt om in te loggen, dus leerlingen en collega's "
                              "kunnen er niet meer bij.",
            "rate_limited": f"De website weigert ons de toegang tot de pagina, omdat we te vaak "
                            f"zouden komen{code}.",
            "forbidden": f"De website weigert ons de toegang tot de pagina{code}.",
            "blocked_by_robots": f"De website weigert ons de toegang tot de pagina{code}.",
            "server_error": f"De website geeft een foutmelding in plaats van de pagina{code}.",
            "timeout": "De website reageert niet op tijd.",
            "unreachable": "De website is niet bereikbaar: we krijgen geen verbinding.",
            "invalid_url": "Het geregistreerde adres is geen geldig webadres.",
            "blocked_private_address": "Het adres wijst naar een afgeschermd netwerk, dat we "
                                       "niet controleren.",
        }.get(a, f"De pagina kon niet worden geopend{code}.")
    if f.problem == "failing":
        return f"De laatste controle is mislukt: {availability_words(a, None, 'nl')}{code}."
    if f.problem == "moved":
        return "De pagina is verhuisd: het geregistreerde adres stuurt door naar een nieuw adres."
    if f.problem == "licence_missing":
        if site := _site_licence(f):
            was = (f"geen licentie meer (eerder was dat {name(f.licence_was)})"
                   if _get(f, "licence_was") else "geen licentie")
            return (f"Bij het materiaal zelf staat {was}; de website als geheel valt wel "
                    f"onder {name(site)}.")
        if _get(f, "licence_was"):
            return f"Op de pagina staat geen licentie meer; eerder was dat {name(f.licence_was)}."
        return ("Op de pagina staat geen licentie, dus niemand weet of en hoe het materiaal "
                "hergebruikt mag worden.")
    why = why_not_open(_get(f, "licence"), "nl")
    why = f" Dat is geen open licentie: {why}." if why else ""
    if f.problem == "licence_changed":
        was = f" van {name(f.licence_was)}" if _get(f, "licence_was") else ""
        now = f" in {name(f.licence)}" if _get(f, "licence") else ""
        return f"De licentie op de pagina is veranderd{was}{now}.{why}"
    if f.problem == "licence_not_open":
        if why:
            return f"Op de pagina staat {name(f.licence)}.{why}"
        if _get(f, "expected_licence"):
            return (f"Op de pagina staat {name(f.licence)}, maar afgesproken is "
                    f"{name(f.expected_licence)}.")
        return (f"Op de pagina staat {name(f.licence)}; die licentie hoort niet bij de "
                "licenties die deze pilot toestaat.")
    if f.problem == "licence_mismatch":
        return (f"Op de pagina staat {name(f.licence)}, maar de catalogus Edurep vermeldt "
                f"{name(f.catalogue_licence)}.")
    if f.problem == "stale":
        last = _get(f, "last_maintained")
        first = (f"Het materiaal is sinds {long_date(last, 'nl')} niet meer bijgewerkt"
                 if last else "We weten niet wanneer het materiaal voor het laatst is bijgewerkt")
        end = _get(f, "pilot_end_date")
        ended = f"op {long_date(end, 'nl')} " if end else ""
        return (f"{first}, en niemand heeft ons laten weten dat het nog actueel is. "
                f"De pilot is {ended}afgelopen.")
    if f.problem == "no_maintainer":
        return _no_keeper_nl(f)
    return problem_name(f.problem, "nl").capitalize() + "."


def _no_keeper_nl(f: Any) -> str:
    who = f"de beheerder ({_get(f, 'maintainer_email')})" if _get(
        f, "maintainer_email") else "de beheerder"
    reason = _get(f, "keeper_reason")
    if reason == "bounced":
        bounce = f" ({f.bounce_reason})" if _get(f, "bounce_reason") else ""
        return f"Niemand houdt dit materiaal bij: e-mail aan {who} komt niet aan{bounce}."
    if reason == "ignored":
        return f"Niemand houdt dit materiaal bij: {who} reageerde niet op de herinneringen."
    colleague = f" en stelt {f.colleague} voor" if _get(f, "colleague") else ""
    note = f' Toelichting: "{f.note}"' if _get(f, "note") else ""
    return (f"Niemand houdt dit materiaal bij: {who} heeft laten weten dat niet meer te "
            f"doen{colleague}.{note}")


def _no_keeper_en(f: Any) -> str:
    who = f"the maintainer ({_get(f, 'maintainer_email')})" if _get(
        f, "maintainer_email") else "the maintainer"
    reason = _get(f, "keeper_reason")
    if reason == "bounced":
        bounce = f" ({f.bounce_reason})" if _get(f, "bounce_reason") else ""
        return f"Nobody keeps this material current: email to {who} does not arrive{bounce}."
    if reason == "ignored":
        return f"Nobody keeps this material current: {who} did not respond to the reminders."
    colleague = f" and suggests {f.colleague}" if _get(f, "colleague") else ""
    note = f' Note: "{f.note}"' if _get(f, "note") else ""
    return (f"Nobody keeps this material current: {who} said they no longer do"
            f"{colleague}.{note}")


def _sentences_en(f: Any) -> str:
    name = lambda licence: licence_name(licence, "en")  # noqa: E731
    code = _code(_get(f, "status_code"), "en")
    a = _get(f, "availability")
    if f.problem == "broken":
        return {
            "missing": f"The page can no longer be found: the website says it does not "
                       f"exist{code}.",
            "login_required": "The page asks visitors to sign in, so students and colleagues "
                              "can no longer open it.",
            "rate_limited": f"The website refuses us access to the page because we would "
                            f"visit too often{code}.",
            "forbidden": f"The website refuses us access to the page{code}.",
            "blocked_by_robots": f"The website refuses us access to the page{code}.",
            "server_error": f"The website shows an error instead of the page{code}.",
            "timeout": "The website does not respond in time.",
            "unreachable": "The website cannot be reached: we get no connection.",
            "invalid_url": "The registered address is not a valid web address.",
            "blocked_private_address": "The address points into a private network, which we "
                                       "do not check.",
        }.get(a, f"The page could not be opened{code}.")
    if f.problem == "failing":
        return f"The last check failed: {availability_words(a, None, 'en')}{code}."
    if f.problem == "moved":
        return "The page has moved: the registered address redirects to a new one."
    if f.problem == "licence_missing":
        if site := _site_licence(f):
            was = (f"no longer states a licence (it used to be {name(f.licence_was)})"
                   if _get(f, "licence_was") else "states no licence")
            return f"The material itself {was}; the website as a whole is under {name(site)}."
        if _get(f, "licence_was"):
            return (f"The page no longer states a licence; it used to be "
                    f"{name(f.licence_was)}.")
        return ("The page states no licence, so nobody knows whether and how the material "
                "may be reused.")
    why = why_not_open(_get(f, "licence"), "en")
    why = f" That is not an open licence: {why}." if why else ""
    if f.problem == "licence_changed":
        was = f" from {name(f.licence_was)}" if _get(f, "licence_was") else ""
        now = f" to {name(f.licence)}" if _get(f, "licence") else ""
        return f"The licence on the page changed{was}{now}.{why}"
    if f.problem == "licence_not_open":
        if why:
            return f"The page states {name(f.licence)}.{why}"
        if _get(f, "expected_licence"):
            return (f"The page states {name(f.licence)}, but {name(f.expected_licence)} "
                    "was agreed.")
        return (f"The page states {name(f.licence)}; that licence is not one this pilot "
                "allows.")
    if f.problem == "licence_mismatch":
        return (f"The page states {name(f.licence)}, but the Edurep catalogue lists "
                f"{name(f.catalogue_licence)}.")
    if f.problem == "stale":
        last = _get(f, "last_maintained")
        first = (f"The material has not been updated since {long_date(last, 'en')}"
                 if last else "We do not know when the material was last updated")
        end = _get(f, "pilot_end_date")
        ended = f" on {long_date(end, 'en')}" if end else ""
        return f"{first}, and nobody has told us it is still current. The pilot ended{ended}."
    if f.problem == "no_maintainer":
        return _no_keeper_en(f)
    return problem_name(f.problem, "en").capitalize() + "."


def headline(f: Any, language: str) -> str:
    """A problem in one short line for overviews (report, CSV, CLI), in the words
    of the emails: `geen open licentie (CC BY-NC 4.0: NC verbiedt commercieel hergebruik)`."""
    language = lang(language)
    en = language == "en"
    short = lambda licence: licence_name(licence, language, short=True)  # noqa: E731
    code = f.problem
    if code in ("broken", "failing"):
        found = availability_words(_get(f, "availability"), _get(f, "status_code"), language)
        text = f"{problem_name(code, language)}: {found}"
        failures = _get(f, "failures") or 0
        if code == "broken" and failures > 1:
            text += (f", {failures} checks in a row" if en
                     else f", {failures} controles op rij")
        return text
    if code == "moved":
        new = _get(f, "new_url")
        return (("moved to " if en else "verhuisd naar ") + new) if new else problem_name(
            code, language)
    if code == "licence_missing":
        text = "no licence on the page" if en else "geen licentie op de pagina"
        if _get(f, "licence_was"):
            text += (f" (was {short(f.licence_was)})" if en
                     else f" (eerder {short(f.licence_was)})")
        if _get(f, "site_licence"):
            text += (f"; only the website's general licence {short(f.site_licence)}" if en
                     else f"; alleen de algemene licentie van de website, {short(f.site_licence)}")
        return text
    if code == "licence_changed":
        was = short(f.licence_was) if _get(f, "licence_was") else "?"
        now = short(f.licence) if _get(f, "licence") else "?"
        text = (f"licence changed from {was} to {now}" if en
                else f"licentie veranderd van {was} in {now}")
        why = why_not_open(_get(f, "licence"), language)
        return text + (f" ({why})" if why else "")
    if code == "licence_not_open":
        licence = short(_get(f, "licence"))
        why = why_not_open(_get(f, "licence"), language)
        if why:
            return (f"not openly licensed ({licence}: {why})" if en
                    else f"geen open licentie ({licence}: {why})")
        if _get(f, "expected_licence"):
            expected = short(f.expected_licence)
            return (f"{licence} instead of the agreed {expected}" if en
                    else f"{licence} in plaats van de afgesproken {expected}")
        return (f"licence {licence} is not allowed in this pilot" if en
                else f"licentie {licence} is in deze pilot niet toegestaan")
    if code == "licence_mismatch":
        page, catalogue = short(_get(f, "licence")), short(_get(f, "catalogue_licence"))
        return (f"the page says {page}, the Edurep catalogue {catalogue}" if en
                else f"op de pagina {page}, in de catalogus Edurep {catalogue}")
    if code == "stale":
        last = _get(f, "last_maintained")
        end = _get(f, "pilot_end_date")
        if en:
            text = (f"not updated since {long_date(last, 'en')}" if last
                    else "no sign of maintenance")
            return text + (f" (pilot ended {long_date(end, 'en')})" if end else "")
        text = (f"niet bijgewerkt sinds {long_date(last, 'nl')}" if last
                else "geen teken van onderhoud")
        return text + (f" (pilot afgelopen op {long_date(end, 'nl')})" if end else "")
    if code == "no_maintainer":
        reason = KEEPER_REASONS[language].get(_get(f, "keeper_reason") or "")
        who = _get(f, "maintainer_email") or ("the maintainer" if en else "de beheerder")
        return problem_name(code, language) + (f": {reason.replace('{who}', who)}"
                                               if reason else "")
    return problem_name(code, language)


KEEPER_REASONS = {
    "nl": {"bounced": "e-mail aan {who} komt niet aan", "released": "{who} is ermee gestopt",
           "ignored": "{who} reageerde niet op herinneringen"},
    "en": {"bounced": "email to {who} does not arrive", "released": "{who} stepped down",
           "ignored": "{who} did not respond to reminders"},
}


def describe(problem: dict, record: dict, language: str) -> str:
    """A policy problem of an overview record as one line, with since when."""
    f = finding(problem, record)
    text = headline(f, language)
    if f.since and f.problem != "stale":  # stale says since when in its own words
        text += (f", since {long_date(f.since, 'en')}" if lang(language) == "en"
                 else f", sinds {long_date(f.since, 'nl')}")
    return text


# -- history -------------------------------------------------------------------------

NOTICES = {
    "nl": {"new": "eerste melding", "reminder": "herinnering", "escalation": "escalatie",
           "unreachable": "beheerder onbereikbaar", "resolved": "opgelost"},
    "en": {"new": "first notice", "reminder": "reminder", "escalation": "escalation",
           "unreachable": "maintainer unreachable", "resolved": "resolved"},
}
HISTORY = {
    "nl": {"checked": "gecontroleerd", "licence": "licentie", "none": "geen",
           "changed": "veranderd", "content": "inhoud veranderd",
           "modified": "wijzigingsdatum op de pagina", "confirmed": "bevestigd: nog actueel",
           "by": "door", "emailed": "e-mail aan", "maintainer": "de beheerder",
           "coordinator": "de coördinator", "outbox": "in de outbox gezet",
           "refused": "geweigerd door de mailserver", "failed": "niet afgeleverd",
           "welcome": "welkomstbericht aan de nieuwe beheerder"},
    "en": {"checked": "checked", "licence": "licence", "none": "none",
           "changed": "changed", "content": "content changed",
           "modified": "the page's change date", "confirmed": "confirmed still current",
           "by": "by", "emailed": "emailed", "maintainer": "the maintainer",
           "coordinator": "the coordinator", "outbox": "written to the outbox",
           "refused": "refused by the mail server", "failed": "not delivered",
           "welcome": "welcome email to the new maintainer"},
}


def history_line(event: dict, language: str) -> str:
    """One event of a material's history (`report.timeline`) in plain words, without
    internal codes: `checked: page does not exist (error code 404)`."""
    language = lang(language)
    w = HISTORY[language]
    kind = event["kind"]
    if kind == "check":
        text = f"{w['checked']}: " + availability_words(event.get("availability"), None,
                                                        language)
        if event.get("status_code"):  # the server's own answer, as a web developer knows it
            text += f" (HTTP {event['status_code']})"
        if event.get("licence"):
            text += f", {w['licence']} {licence_name(event['licence'], language, short=True)}"
        error = event.get("error")
        if error and not error.upper().startswith("HTTP "):  # the code is said already
            text += f" ({error})"
        return text
    if kind == "change":
        what, was, now = event.get("what"), event.get("was"), event.get("now")
        if what == "content":
            return w["content"]
        if what == "availability":
            words = [availability_words(v, None, language) for v in (was, now)]
            return f"{w['changed']}: {words[0]} -> {words[1]}"
        if what == "licence":
            names = [licence_name(v, language, short=True) if v else w["none"]
                     for v in (was, now)]
            return f"{w['licence']} {w['changed']}: {names[0]} -> {names[1]}"
        return f"{w['modified']}: {was or w['none']} -> {now or w['none']}"
    if kind == "confirmation":
        return w["confirmed"] + (f" {w['by']} {event['by']}" if event.get("by") else "") + (
            f": {event['note']}" if event.get("note") else "")
    if kind == "event":  # an action (lifecycle.events): its own line, and who did it
        return f"{event_line(event['event'], event.get('detail'), language)} " \
               f"({w['by']} {event['who']})"
    if event.get("problem") == "welcome":
        return f"{w['welcome']} {event.get('recipient')}"
    role = w.get(event.get("role") or "", event.get("role") or "")
    notice = NOTICES[language].get(event.get("notice") or "", event.get("notice") or "")
    status = w.get(event.get("status") or "") if event.get("status") != "sent" else None
    about = problem_name(event.get("problem") or "", language)
    details = ", ".join(filter(None, (notice, status)))
    return f"{w['emailed']} {role} {event.get('recipient')}: {about}" + (
        f" ({details})" if details else "")


# -- actions (lifecycle.events) ------------------------------------------------------

EVENT_WORDS = {
    "nl": {
        "move": "verhuisd naar {to} (was {from})", "via_import": " (gevonden in de spreadsheet)",
        "via_proposal": " (zoals de beheerder doorgaf)",
        "repoint": "adres bijgewerkt naar {to}: het oude adres {from} verwijst daar blijvend "
                   "naartoe (hetzelfde materiaal, niets te doen)",
        "retire": "ingetrokken: {reason}",
        "unretire": "teruggehaald na intrekken; vanaf de volgende nacht weer gecontroleerd",
        "reassign": "overgedragen van {from} aan {to}", "keeps": "{to} houdt het toch",
        "via_reassign_import": " (in de spreadsheet)",
        "release": "{maintainer} beheert het niet meer",
        "colleague": "; stelt {colleague} voor",
        "proposal": "nieuw adres voorgesteld: {to}",
        "proposal_dismissed": "voorgesteld adres {to} niet overgenomen",
        "confirm": "bevestigd: nog actueel",
        "mute": "meldingen gepauzeerd tot {until}: {reason}", "unmute": "pauze opgeheven",
        "evergreen_on": "blijft altijd geldig (wordt nooit verouderd)",
        "evergreen_off": "niet meer altijd geldig",
        "review_interval": "eigen termijn: elke {days} dagen",
        "review_default": "weer de gewone termijn",
        "recheck": "meteen opnieuw gecontroleerd op verzoek: {availability}",
        "unanswered": "{maintainer} reageerde niet op {reminders} herinneringen: telt als "
                      "zonder beheerder tot het is overgedragen",
        "the_maintainer": "de beheerder",
    },
    "en": {
        "move": "address changed to {to} (was {from})",
        "via_import": " (found in the imported spreadsheet)",
        "via_proposal": " (as the maintainer reported)",
        "repoint": "address updated to {to}: the old address {from} redirects there "
                   "permanently (same material, nothing to do)",
        "retire": "retired: {reason}",
        "unretire": "brought back after being retired; checked again from the next run",
        "reassign": "handed over from {from} to {to}", "keeps": "{to} keeps it after all",
        "via_reassign_import": " (in the imported spreadsheet)",
        "release": "{maintainer} no longer keeps it",
        "colleague": "; suggests {colleague} to take it on",
        "proposal": "new address proposed: {to}",
        "proposal_dismissed": "proposed address {to} not taken",
        "confirm": "confirmed as still current",
        "mute": "emails paused until {until}: {reason}", "unmute": "emails resumed",
        "evergreen_on": "marked evergreen (never stale)",
        "evergreen_off": "no longer evergreen",
        "review_interval": "review every {days} days",
        "review_default": "review interval back to the default",
        "recheck": "checked again at the maintainer's request: {availability}",
        "unanswered": "{maintainer} did not respond to {reminders} reminders: counts as "
                      "without a maintainer until handed over",
        "the_maintainer": "the maintainer",
    },
}


class _Unknown(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def event_line(kind: str, detail: dict | None, language: str) -> str:
    """One action of a material's history (a `lifecycle.events` kind and its detail)
    as a line people read, without who and when: `verhuisd naar … (was …)`."""
    language = lang(language)
    if isinstance(detail, str):  # as stored
        detail = json.loads(detail or "{}")
    w, d = EVENT_WORDS[language], dict(detail or {})
    if d.get("availability"):
        d["availability"] = availability_words(d["availability"], None, language)
    d.setdefault("maintainer", w["the_maintainer"])
    values = _Unknown({k: v for k, v in d.items() if v is not None})
    note = f" ({d['note']})" if d.get("note") else ""
    if kind == "move":
        return (w["move"].format_map(values) + w.get(f"via_{d.get('via')}", "")) + note
    if kind == "reassign":
        if d.get("from") == d.get("to"):
            return w["keeps"].format_map(values)
        via = w["via_reassign_import"] if d.get("via") == "import" else ""
        return w["reassign"].format_map(values) + via
    if kind == "release":
        colleague = w["colleague"].format_map(values) if d.get("colleague") else ""
        return w["release"].format_map(values) + colleague + note
    if kind == "proposal_dismissed":
        return w[kind].format_map(values) + (f": {d['reason']}" if d.get("reason") else "")
    if kind == "evergreen":
        return w["evergreen_on" if d.get("on") else "evergreen_off"]
    if kind == "review_interval":
        return w["review_interval" if d.get("days") else "review_default"].format_map(values)
    if kind in ("proposal", "confirm", "recheck"):
        return w[kind].format_map(values) + note
    if kind in w:
        return w[kind].format_map(values)
    return kind.replace("_", " ")

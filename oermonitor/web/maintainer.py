"""The maintainer's page behind the signed link in an email: one material, four actions.

    GET  /m/<token>[?do=ACTION]   the material and its findings (changes nothing)
    POST /m/<token>/confirm       "Klopt nog"
    POST /m/<token>/recheck       "Ik heb het aangepast"
    POST /m/<token>/move          "Het staat nu op een ander adres" (new_url)
    POST /m/<token>/release       "Ik beheer dit niet meer" (colleague, note: optional)
    GET  /o/<token>               the colleague named: "will you take it on?"
    POST /o/<token>/accept        they do: handed over, on to their own page

After an action the browser is sent back to the page (`?done=ACTION`), so
reloading it repeats nothing; a form that cannot be taken as it is comes back
with what was typed and one line on what to change. The library (`selfservice`)
does the work.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from oermonitor import links, selfservice
from oermonitor.links import LinkError
from oermonitor.web import context
from oermonitor.web.texts import register

blueprint = Blueprint("maintainer", __name__)

ACTIONS = links.ACTIONS  # the page's buttons, in order
LINK_STATUS = {"invalid": 404, "expired": 410, "reassigned": 410, "gone": 410, "taken": 410}


def _material(token: str) -> dict:
    """The material the token is for; a LinkError becomes a friendly page."""
    return links.resolve(context.store(), context.secret(), token, now=context.now())


@blueprint.errorhandler(LinkError)
def _link_error(exc: LinkError):
    return context.error_page(LINK_STATUS.get(exc.reason, 404), f"link_{exc.reason}")


@blueprint.get("/m/<token>")
def page(token: str):
    done = request.args.get("done")
    return _page(token, _material(token), request.args.get("do"),
                 done=done if done in (*ACTIONS, "accept") else None)


def _page(token: str, material: dict, chosen: str | None, *, status: int = 200,
          **values):
    chosen = chosen if chosen in ACTIONS else None
    if material.get("unowned_reason") == "released":
        actions = []  # let go: nothing left to do here (see the notice on the page)
    else:  # the button the email's link named comes first and stands out
        actions = sorted(ACTIONS, key=lambda action: action != chosen)
    values = {"done": None, "error": None, "form": {}} | values
    page = selfservice.view(context.store(), context.settings(), material,
                            today=context.now().date())
    return render_template("maintainer.html", token=token, page=page, actions=actions,
                           chosen=chosen, **values), status


@blueprint.post("/m/<token>/confirm")
def confirm(token: str):
    material = _material(token)
    selfservice.confirm(context.store(), material, now=context.now())
    return _back(token, "confirm")


def _may_fetch(material: dict) -> bool:
    """"Check again" and "new address" fetch pages: a link cannot make us hammer a site."""
    fetches = context.throttle("maintainer-fetches", limit=10, seconds=600)
    return fetches.allow(material["id"], context.now())


@blueprint.post("/m/<token>/recheck")
def recheck(token: str):
    material = _material(token)
    if not _may_fetch(material):
        return context.error_page(429, "busy")
    selfservice.recheck(context.store(), context.settings(), material, now=context.now())
    return _back(token, "recheck")


@blueprint.post("/m/<token>/move")
def move(token: str):
    material = _material(token)
    new_url = request.form.get("new_url", "")
    if not _may_fetch(material):
        return context.error_page(429, "busy")
    outcome = selfservice.move(context.store(), context.settings(), material, new_url,
                               now=context.now())
    if outcome in ("moved", "proposed", "unchanged"):
        return _back(token, "move")
    return _page(token, material, "move", status=422, error=f"move_{outcome}",
                 form={"new_url": new_url})


@blueprint.post("/m/<token>/release")
def release(token: str):
    material = _material(token)
    colleague = request.form.get("colleague", "")
    note = request.form.get("note", "")
    outcome = selfservice.release(context.store(), material, colleague_email=colleague,
                                  note=note, now=context.now())
    if outcome == "released":
        selfservice.offer(context.store(), context.settings(), material, now=context.now())
    if outcome in ("released", "unchanged"):
        return _back(token, "release")
    return _page(token, material, "release", status=422, error=f"release_{outcome}",
                 form={"colleague": colleague, "note": note})


@blueprint.get("/o/<token>")
def offer(token: str):
    material, colleague = links.resolve_offer(context.store(), context.secret(), token,
                                              now=context.now())
    if selfservice.maintainer(material) == colleague:  # taken on already: their own page
        return redirect(url_for("maintainer.page", token=_own(material, colleague)), 303)
    page = selfservice.view(context.store(), context.settings(), material,
                            today=context.now().date())
    return render_template("offer.html", token=token, page=page,
                           by=material.get("maintainer_name") or material["maintainer_email"])


@blueprint.post("/o/<token>/accept")
def accept(token: str):
    material, colleague = links.resolve_offer(context.store(), context.secret(), token,
                                              now=context.now())
    settings, now = context.settings(), context.now()
    selfservice.accept(context.store(), settings, material, colleague, now=now)
    return redirect(url_for("maintainer.page", token=_own(material, colleague),
                            done="accept") + "#result", 303)


def _own(material: dict, colleague: str) -> str:
    """A maintainer's link of their own, for the colleague who took the material on."""
    return links.make_token(context.secret(), material["id"], colleague, now=context.now(),
                            days=context.settings().web.link_days)


def _back(token: str, action: str):
    return redirect(url_for("maintainer.page", token=token, done=action) + "#result", 303)


register(
    nl={
        "m_title": "Je lesmateriaal",
        "m_address": "Adres",
        "m_pilot": "Pilot",
        "m_state": "Stand",
        "m_last_check": "Laatste controle",
        "m_never_checked": "nog niet gecontroleerd",
        "m_licence": "Licentie",
        "m_updated": "Laatst gewijzigd",
        "m_unknown": "onbekend",
        "m_findings": "Wat we zagen",
        "m_no_findings": "Bij de laatste controle zagen we niets wat aandacht vraagt.",
        "m_confirmed_on": "Je bevestigde op {day} dat dit materiaal nog actueel is.",
        "m_what_now": "Wat wil je doen?",
        "state_ok": "in orde",
        "state_broken": "niet bereikbaar",
        "state_licence_issue": "licentie vraagt aandacht",
        "state_stale": "niet meer bijgewerkt",
        "state_failing": "laatste controle mislukt",
        "state_moved": "verhuisd",
        "state_unchecked": "nog niet gecontroleerd",
        "state_no_maintainer": "zoekt een nieuwe beheerder",
        "confirm_title": "Klopt nog",
        "confirm_text": "Het materiaal is nog actueel zoals het is. We leggen dat vast met "
                        "jouw e-mailadres; de teller voor 'niet meer bijgewerkt' begint "
                        "opnieuw.",
        "confirm_button": "Klopt nog",
        "confirm_done": "Vastgelegd: het materiaal is nog actueel. Dank je wel!",
        "recheck_title": "Ik heb het aangepast",
        "recheck_text": "We controleren het materiaal meteen opnieuw en laten hier zien wat "
                        "we nu zien. Dat kan even duren.",
        "recheck_button": "Controleer nu opnieuw",
        "recheck_done": "Net opnieuw gecontroleerd. Hieronder staat wat we nu zien.",
        "recheck_still": "Er vraagt nog iets aandacht; zie 'Wat we zagen'.",
        "recheck_fine": "Alles in orde. Dank je wel!",
        "move_title": "Het staat nu op een ander adres",
        "move_text": "Geef het nieuwe adres. We openen het meteen: is het hetzelfde "
                     "lesmateriaal, dan passen we het adres aan; anders leggen we het voor "
                     "aan de coördinator.",
        "move_label": "Nieuw adres",
        "move_button": "Geef het nieuwe adres door",
        "move_done": "Het adres is bijgewerkt. De controles gaan verder op het nieuwe adres.",
        "move_pending": "Je gaf {url} door als nieuw adres. De coördinator bekijkt dat; "
                        "tot dan controleren we het oude adres.",
        "move_invalid_url": "Dat is geen volledig webadres. Kopieer het adres uit de "
                            "adresbalk van je browser; het begint met https://.",
        "move_unreachable": "Dat adres konden we niet openen. Klopt het? Open het zelf in je "
                            "browser en kopieer het uit de adresbalk.",
        "move_taken": "Dat adres staat al als ander lesmateriaal geregistreerd. We passen "
                      "niets aan; beantwoord de e-mail, dan zoekt de coördinator het uit.",
        "release_title": "Ik beheer dit niet meer",
        "release_text": "Dan krijg je er geen e-mail meer over en hoort de coördinator dat "
                        "dit materiaal een nieuwe beheerder nodig heeft. Weet je wie het kan "
                        "overnemen? Vul dan het e-mailadres van die collega in; die krijgt "
                        "een e-mail met de vraag of die het wil overnemen.",
        "release_colleague": "E-mailadres van een collega (mag leeg blijven)",
        "release_note": "Toelichting voor de coördinator (mag leeg blijven)",
        "release_button": "Ik beheer dit niet meer",
        "release_done": "Vastgelegd. De coördinator krijgt dit te horen en zoekt een "
                        "nieuwe beheerder. Dank je wel voor je werk aan dit materiaal!",
        "released": "Je hebt aangegeven dat je dit materiaal niet meer beheert. Wil je het "
                    "toch houden? Beantwoord dan de e-mail van oermonitor.",
        "release_invalid_email": "Dat e-mailadres klopt niet. Laat het veld leeg als je "
                                 "niemand weet.",
        "release_offered": "We vroegen {colleague} per e-mail of die het wil overnemen.",
        "offer_title": "Wil je dit lesmateriaal beheren?",
        "offer_text": "{by} beheerde dit lesmateriaal tot nu toe en noemde jou als iemand "
                      "die het kan overnemen. Beheren betekent: af en toe nagaan of het nog "
                      "online staat, een open licentie heeft en actueel is, en iets doen als "
                      "oermonitor je erover mailt.",
        "offer_button": "Ja, ik neem het over",
        "offer_no": "Wil je het niet? Dan hoef je niets te doen: de coördinator zoekt "
                    "iemand anders.",
        "accept_done": "Je beheert dit lesmateriaal nu. Dank je wel! Je krijgt een e-mail "
                       "met wat dat inhoudt.",
    },
    en={
        "m_title": "Your learning material",
        "m_address": "Address",
        "m_pilot": "Pilot",
        "m_state": "State",
        "m_last_check": "Last check",
        "m_never_checked": "not checked yet",
        "m_licence": "Licence",
        "m_updated": "Last changed",
        "m_unknown": "unknown",
        "m_findings": "What we saw",
        "m_no_findings": "The last check found nothing that needs attention.",
        "m_confirmed_on": "On {day} you confirmed that this material is still current.",
        "m_what_now": "What would you like to do?",
        "state_ok": "fine",
        "state_broken": "not reachable",
        "state_licence_issue": "licence needs attention",
        "state_stale": "no longer updated",
        "state_failing": "last check failed",
        "state_moved": "moved",
        "state_unchecked": "not checked yet",
        "state_no_maintainer": "looking for a new maintainer",
        "confirm_title": "Still correct",
        "confirm_text": "The material is still current as it is. We record that with your "
                        "email address; the 'no longer updated' clock starts again.",
        "confirm_button": "Still correct",
        "confirm_done": "Recorded: the material is still current. Thank you!",
        "recheck_title": "I have fixed it",
        "recheck_text": "We check the material again right now and show here what we see. "
                        "That may take a moment.",
        "recheck_button": "Check again now",
        "recheck_done": "Just checked again. Below is what we see now.",
        "recheck_still": "Something still needs attention; see 'What we saw'.",
        "recheck_fine": "All fine. Thank you!",
        "move_title": "It is now at another address",
        "move_text": "Give the new address. We open it right away: if it is the same "
                     "material we update the address; otherwise we put it to the "
                     "coordinator.",
        "move_label": "New address",
        "move_button": "Send the new address",
        "move_done": "The address is updated. The checks continue at the new address.",
        "move_pending": "You gave {url} as the new address. The coordinator looks at it; "
                        "until then we keep checking the old address.",
        "move_invalid_url": "That is not a complete web address. Copy it from your "
                            "browser's address bar; it starts with https://.",
        "move_unreachable": "We could not open that address. Is it right? Open it in your "
                            "browser and copy it from the address bar.",
        "move_taken": "That address is already registered as another material. We change "
                      "nothing; reply to the email and the coordinator will sort it out.",
        "release_title": "I no longer maintain this",
        "release_text": "Then you get no more email about it and the coordinator hears that "
                        "this material needs a new maintainer. Do you know who could take it "
                        "on? Enter that colleague's email address; they get an email asking "
                        "whether they will.",
        "release_colleague": "A colleague's email address (optional)",
        "release_note": "A note for the coordinator (optional)",
        "release_button": "I no longer maintain this",
        "release_done": "Recorded. The coordinator is told and looks for a new maintainer. "
                        "Thank you for your work on this material!",
        "released": "You said you no longer maintain this material. Want to keep it after "
                    "all? Reply to the email from oermonitor.",
        "release_invalid_email": "That email address is not right. Leave the field empty "
                                 "if you know nobody.",
        "release_offered": "We asked {colleague} by email whether they will take it on.",
        "offer_title": "Would you maintain this learning material?",
        "offer_text": "{by} maintained this material up to now and mentioned you as someone "
                      "who could take it on. Maintaining means: now and then check that it "
                      "is still online, openly licensed and current, and act when "
                      "oermonitor emails you about it.",
        "offer_button": "Yes, I will take it on",
        "offer_no": "Not for you? Then there is nothing to do: the coordinator looks for "
                    "someone else.",
        "accept_done": "You now maintain this learning material. Thank you! You will get an "
                       "email about what that involves.",
    },
)

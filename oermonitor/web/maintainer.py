"""The maintainer's page behind the signed link in an email: one material, four actions.

    GET  /m/<token>[?do=ACTION]   the material and its findings (changes nothing)
    POST /m/<token>/confirm       "Klopt nog"
    POST /m/<token>/recheck       "Ik heb het aangepast"

After an action the browser is sent back to the page (`?done=ACTION`), so
reloading it repeats nothing. The library (`selfservice`) does the work.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from oermonitor import links, selfservice
from oermonitor.links import LinkError
from oermonitor.web import context
from oermonitor.web.texts import register

blueprint = Blueprint("maintainer", __name__)

ACTIONS = ("confirm", "recheck")  # the page's buttons, in order
LINK_STATUS = {"invalid": 404, "expired": 410, "reassigned": 410, "gone": 410}


def _material(token: str) -> dict:
    """The material the token is for; a LinkError becomes a friendly page."""
    return links.resolve(context.store(), context.secret(), token, now=context.now())


@blueprint.errorhandler(LinkError)
def _link_error(exc: LinkError):
    return context.error_page(LINK_STATUS.get(exc.reason, 404), f"link_{exc.reason}")


@blueprint.get("/m/<token>")
def page(token: str):
    material = _material(token)
    now = context.now()
    chosen = request.args.get("do")
    chosen = chosen if chosen in ACTIONS else None
    done = request.args.get("done")
    return render_template(
        "maintainer.html", token=token,
        page=selfservice.view(context.store(), context.settings(), material,
                              today=now.date()),
        # The button the email's link named comes first and stands out.
        actions=sorted(ACTIONS, key=lambda action: action != chosen), chosen=chosen,
        done=done if done in links.ACTIONS else None)


@blueprint.post("/m/<token>/confirm")
def confirm(token: str):
    material = _material(token)
    selfservice.confirm(context.store(), material, now=context.now())
    return _back(token, "confirm")


@blueprint.post("/m/<token>/recheck")
def recheck(token: str):
    material = _material(token)
    selfservice.recheck(context.store(), context.settings(), material, now=context.now())
    return _back(token, "recheck")


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
    },
)

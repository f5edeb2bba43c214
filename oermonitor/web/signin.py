"""Signing in to the coordinator pages with a link by email (`oermonitor.signin` does the work).

    GET  /signin             the form: your email address
    POST /signin             mails a link to a coordinator or admin; every address gets
                             the same answer, and the mail goes out after the answer
    GET  /signin/<token>     a page with one button (mail scanners open links: a GET
                             never spends the link)
    POST /signin/<token>     spends the link and starts the session
    POST /signout            ends it

The session (Flask's signed cookie: HttpOnly, SameSite=Lax, Secure with an https
`base_url`) holds the address and when the sign-in happened; it ends after
`[web] session_days`, whatever the cookie says. `current()` tells the coordinator
pages who is signed in and what they may see, looked up afresh on every request:
someone no longer in the registry is signed out at once.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for

from oermonitor import signin
from oermonitor.mailer import MailerDown
from oermonitor.signin import Access
from oermonitor.web import context
from oermonitor.web.texts import register

log = logging.getLogger(__name__)
blueprint = Blueprint("signin", __name__)

NEXT_PREFIX = "/coordinator/"  # where a sign-in may lead back to
TOKEN_STATUS = {"used": 410, "expired": 410, "unknown": 404}


def current() -> Access | None:
    """Who is signed in (and may still sign in), else None (the session is then cleared)."""
    email = session.get("email")
    if not email:
        return None
    since = session.get("signed_in_at")
    days = context.settings().web.session_days
    try:
        expired = datetime.fromisoformat(str(since)) + timedelta(days=days) <= context.now()
    except (TypeError, ValueError):
        expired = True
    who = None if expired else signin.access(context.store(), context.settings(), email)
    if who is None:
        session.clear()
    return who


def sign_in_first():
    """A redirect to the sign-in form that comes back to this page afterwards."""
    return redirect(url_for("signin.form", next=request.full_path.rstrip("?")))


def _next(value: str | None) -> str | None:
    """Only our own coordinator pages (no other host, no scheme)."""
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not parts.path.startswith(NEXT_PREFIX) or "\\" in value:
        return None
    return value


def client() -> str:
    """The visitor's IP address. Behind a reverse proxy on this machine (the request
    comes from loopback), the address the proxy appended to X-Forwarded-For; the
    entries before it are whatever the client claimed, so they are not trusted."""
    remote = request.remote_addr or ""
    try:
        local = ipaddress.ip_address(remote).is_loopback
    except ValueError:
        local = False
    forwarded = request.headers.get("X-Forwarded-For", "")
    if local and forwarded:
        return forwarded.split(",")[-1].strip()[:64] or remote
    return remote


@blueprint.get("/signin")
def form():
    if current() is not None:
        return redirect(_next(request.args.get("next")) or url_for("coordinator.overview"))
    return render_template("coordinator/signin.html", next=_next(request.args.get("next")),
                           email="", problem=None)


@blueprint.post("/signin")
def ask():
    settings = context.settings()
    typed = request.form.get("email", "")[:320]
    nxt = _next(request.form.get("next"))
    email = signin.normalise(typed)
    if not settings.web.base_url:
        return render_template("coordinator/signin.html", next=nxt, email=typed,
                               problem="signin_no_base_url"), 503
    if email is None:
        return render_template("coordinator/signin.html", next=nxt, email=typed,
                               problem="signin_bad_address"), 400
    now = context.now()
    asked = signin.request_link(context.store(), settings, email, client=client(), now=now)
    if asked.limited:
        return render_template("coordinator/signin.html", next=nxt, email=typed,
                               problem="signin_limited"), 429
    if nxt:
        session["next"] = nxt
    if asked.token:
        link = f"{settings.web.base_url.rstrip('/')}/signin/{asked.token}"  # as links.py does
        # After the answer, so a known address takes no longer to answer than an unknown one.
        threading.Thread(target=_send, args=(settings, email, link, now), daemon=True,
                         name="signin-mail").start()
    return render_template("coordinator/signin_sent.html", email=email)


def _send(settings, email: str, link: str, now: datetime) -> None:
    try:
        delivery = signin.deliver(settings, email, link, now)
    except (MailerDown, OSError) as exc:
        log.error("sign-in link for %s not sent: %s", email, exc)
        return
    if not delivery.delivered:
        log.error("sign-in link for %s not accepted: %s", email, delivery.detail)


@blueprint.get("/signin/<token>")
def link(token: str):
    return render_template("coordinator/signin_link.html", token=token)


@blueprint.post("/signin/<token>")
def use(token: str):
    outcome, email = signin.redeem(context.store(), token, context.now())
    if outcome != "ok" or signin.access(context.store(), context.settings(), email) is None:
        return render_template("coordinator/signin.html", next=None, email="",
                               problem=f"signin_link_{outcome}"), TOKEN_STATUS.get(outcome, 403)
    nxt = _next(session.get("next"))
    session.clear()  # a fresh session (and CSRF token) for the signed-in person
    session.permanent = True
    session["email"] = email
    session["signed_in_at"] = context.now().isoformat()
    log.info("%s signed in", email)
    return redirect(nxt or url_for("coordinator.overview"), 303)


@blueprint.post("/signout")
def signout():
    session.clear()
    return redirect(url_for("signin.form", out=1), 303)


register(
    nl={
        "home_coordinator": "Coördinator van een pilot? Log hier in voor het overzicht.",
        "signin_title": "Inloggen voor coördinatoren",
        "signin_intro": "Vul je e-mailadres in. Ben je coördinator van een pilot, dan sturen "
                        "we je een link waarmee je inlogt; je hebt geen wachtwoord nodig.",
        "signin_email": "Je e-mailadres",
        "signin_button": "Stuur me een inloglink",
        "signin_signed_out": "Je bent uitgelogd.",
        "signin_sent_title": "Kijk in je e-mail",
        "signin_sent": "Als {email} bij ons bekend is als coördinator, staat er nu een "
                       "e-mail met een inloglink voor je klaar. De link werkt 15 minuten "
                       "en één keer. Niets ontvangen? Kijk ook bij je ongewenste e-mail, "
                       "of vraag de beheerder van oermonitor welk adres bij je pilot hoort.",
        "signin_again": "Nog een link aanvragen",
        "signin_link_title": "Inloggen",
        "signin_link_text": "Klik op de knop om in te loggen op het overzicht van oermonitor.",
        "signin_link_button": "Inloggen",
        "signin_bad_address": "Dat is geen e-mailadres. Controleer het en probeer het opnieuw.",
        "signin_limited": "Er zijn net te veel inloglinks aangevraagd. Wacht een kwartier en "
                          "probeer het dan opnieuw.",
        "signin_no_base_url": "Inloggen per e-mail staat nog niet aan: de beheerder van "
                              "oermonitor moet het webadres instellen ([web] base_url).",
        "signin_link_used": "Deze inloglink is al gebruikt; een link werkt maar één keer. "
                            "Vraag hieronder een nieuwe aan.",
        "signin_link_expired": "Deze inloglink is verlopen; een link werkt 15 minuten. "
                               "Vraag hieronder een nieuwe aan.",
        "signin_link_unknown": "Deze inloglink klopt niet: misschien is hij bij het kopiëren "
                               "afgebroken. Vraag hieronder een nieuwe aan.",
        "signin_link_ok": "Dit adres mag niet (meer) inloggen.",
        "signout_button": "Uitloggen",
        "signed_in_as": "Ingelogd als {email}",
    },
    en={
        "home_coordinator": "Coordinating a pilot? Sign in here for the overview.",
        "signin_title": "Sign in for coordinators",
        "signin_intro": "Enter your email address. If you coordinate a pilot, we send you a "
                        "link to sign in with; you need no password.",
        "signin_email": "Your email address",
        "signin_button": "Email me a sign-in link",
        "signin_signed_out": "You are signed out.",
        "signin_sent_title": "Check your email",
        "signin_sent": "If {email} is known to us as a coordinator, an email with a sign-in "
                       "link is on its way. The link works for 15 minutes, once. Nothing "
                       "arrived? Look in your junk mail too, or ask whoever runs oermonitor "
                       "which address belongs to your pilot.",
        "signin_again": "Ask for another link",
        "signin_link_title": "Sign in",
        "signin_link_text": "Press the button to sign in to the oermonitor overview.",
        "signin_link_button": "Sign in",
        "signin_bad_address": "That is not an email address. Check it and try again.",
        "signin_limited": "Too many sign-in links were asked for just now. Wait a quarter of "
                          "an hour and try again.",
        "signin_no_base_url": "Signing in by email is not switched on yet: whoever runs "
                              "oermonitor has to set the web address ([web] base_url).",
        "signin_link_used": "This sign-in link was used already; a link works once. Ask for "
                            "a new one below.",
        "signin_link_expired": "This sign-in link has expired; a link works for 15 minutes. "
                               "Ask for a new one below.",
        "signin_link_unknown": "This sign-in link is not right: perhaps it was cut off when "
                               "copied. Ask for a new one below.",
        "signin_link_ok": "This address may not sign in (any more).",
        "signout_button": "Sign out",
        "signed_in_as": "Signed in as {email}",
    },
)

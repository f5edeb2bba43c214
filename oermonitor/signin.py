"""Signing in to the coordinator pages with a link by email: no passwords to keep.

    asked = request_link(store, settings, "anna@school.nl", client="203.0.113.9", now=now)
    if asked.token:                                   # only for an address that may sign in
        deliver(settings, asked, link=f"{base}/signin/{asked.token}", now=now)
    outcome, email = redeem(store, token, now)        # ("ok", email) exactly once
    who = access(store, settings, email)              # which pilots this person may see

Who may sign in: a `coordinator_email` of a pilot in the registry, or an address in
`[web] admins` (admins see every pilot). Whether an address is known never shows:
the page answers every address the same way and only a known one gets a mail.

A link is single-use and works `LINK_MINUTES`; only its SHA-256 is stored. Requests
are limited per address and per client (`PER_ADDRESS`, `PER_CLIENT` per `WINDOW`),
known and unknown addresses alike, so the limit tells nothing either.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from oermonitor.mailer import Delivery, Mailer, build_message
from oermonitor.notify import sender
from oermonitor.settings import Settings
from oermonitor.store import Store
from oermonitor.validate import email_problem

LINK_MINUTES = 15
WINDOW = timedelta(minutes=15)
PER_ADDRESS = 3  # links one address may ask for per WINDOW
PER_CLIENT = 10  # requests one client (IP address) may make per WINDOW


@dataclass(frozen=True)
class LinkRequest:
    """What became of a request: `limited` (too many, nothing sent), or accepted; then
    `token` is set only when the address may sign in (the caller mails the link)."""

    email: str
    limited: bool = False
    token: str | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Access:
    """Who is signed in and which pilots they may see and act on."""

    email: str
    admin: bool
    pilots: tuple[str, ...]  # names of the pilots they coordinate (every pilot for admins)

    def may_see(self, pilot: str | None) -> bool:
        return pilot is not None and pilot in self.pilots


def normalise(email: str | None) -> str | None:
    """The address as stored (lower case), or None when it is not an email address."""
    text = (email or "").strip().lower()
    return None if not text or email_problem("email", text) else text


def coordinated_pilots(store: Store, email: str) -> list[str]:
    """Names of the pilots whose coordinator this address is."""
    return [p["name"] for p in store.pilots()
            if (p["coordinator_email"] or "").strip().lower() == email]


def access(store: Store, settings: Settings, email: str | None) -> Access | None:
    """What `email` may see now, or None when it may not sign in (any longer)."""
    email = normalise(email)
    if email is None:
        return None
    if email in settings.web.admins:
        return Access(email, True, tuple(p["name"] for p in store.pilots()))
    pilots = coordinated_pilots(store, email)
    return Access(email, False, tuple(pilots)) if pilots else None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def request_link(store: Store, settings: Settings, email: str, *, client: str,
                 now: datetime) -> LinkRequest:
    """Record a request for a sign-in link. `email` must be normalised (see `normalise`)."""
    since = now - WINDOW
    if (store.signin_requests_since(since, email=email) >= PER_ADDRESS
            or store.signin_requests_since(since, client=client) >= PER_CLIENT):
        return LinkRequest(email, limited=True)
    if access(store, settings, email) is None:
        store.add_signin_request(email, client, now, None, None)
        return LinkRequest(email)
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(minutes=LINK_MINUTES)
    store.add_signin_request(email, client, now, _hash(token), expires_at)
    return LinkRequest(email, token=token, expires_at=expires_at)


def redeem(store: Store, token: str, now: datetime) -> tuple[str, str | None]:
    """Spend a link: ("ok", email) the first time within LINK_MINUTES, otherwise
    ("used" | "expired" | "unknown", None)."""
    if not token or len(token) > 100:
        return "unknown", None
    return store.use_signin_link(_hash(token), now)


def compose(settings: Settings, email: str, link: str, now: datetime) -> EmailMessage:
    """The short mail with the sign-in link, in the configured language."""
    if settings.language == "en":
        subject = "Your sign-in link for oermonitor"
        text = (f"Hello,\n\nWith this link you sign in to the oermonitor overview:\n{link}\n\n"
                f"The link works for {LINK_MINUTES} minutes, and only once. Did you not ask "
                "for a link? Then ignore this message; nothing happens.\n\n"
                "Kind regards,\noermonitor\n")
    else:
        subject = "Je inloglink voor oermonitor"
        text = (f"Hallo,\n\nMet deze link log je in op het overzicht van oermonitor:\n{link}\n\n"
                f"De link werkt {LINK_MINUTES} minuten, en maar één keer. Heb je niet om een "
                "link gevraagd? Dan kun je dit bericht negeren; er gebeurt niets.\n\n"
                "Met vriendelijke groet,\noermonitor\n")
    return build_message(sender=sender(settings), to=email, to_name=None, subject=subject,
                         text=text, html=None, now=now)


def deliver(settings: Settings, email: str, link: str, now: datetime) -> Delivery:
    """Send the sign-in link. Raises MailerDown when the mail server cannot be used."""
    with Mailer(settings.smtp, settings.notify.outbox) as mailer:
        return mailer.deliver(compose(settings, email, link, now))

"""Signed links in maintainer emails: one per material, for its current maintainer.

    links = material_links(settings, material_id, email, now=now)   # action -> URL
    material = resolve(store, secret, token, now=now)      # raises LinkError
    url = offer_url(settings, material_id, colleague, now=now)     # "will you take it on?"
    material, colleague = resolve_offer(store, secret, token, now=now)

A token is JSON signed with the secret from `[web] secret_env` (itsdangerous,
HMAC-SHA1 over the payload with a salt of its own): the material's id, a keyed
hash of the maintainer's address (the address itself never appears in a URL)
and the moment the link expires (`[web] link_days` after the email was made).
A link works only for its own material and only while that material is still
kept by the address it was made for: reassigning the material ends it. An offer
link (purpose "accept", for the colleague a maintainer names when letting go)
works only while that material still waits for a keeper with that colleague
suggested; it is never a maintainer's link.
No Flask here: the notifier imports this module to put the links in its emails.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeSerializer

from oermonitor.settings import Settings
from oermonitor.store import Store, loads

log = logging.getLogger(__name__)

SALT = "oermonitor.material-link.v1"
ACTIONS = ("confirm", "recheck", "move", "release")  # the page's buttons, in order
PATH = "/m/"
OFFER_PATH = "/o/"
ACCEPT = "accept"  # the purpose of an offer link


MIN_SECRET = 16  # characters; `secrets.token_urlsafe(32)` gives 43


def secret_problem(settings: Settings) -> str | None:
    """Why links cannot be signed (or checked) with these settings, or None."""
    web = settings.web
    if not web.secret_env:
        return "[web] secret_env is empty: name the environment variable with the signing secret"
    secret = web.secret
    if secret is None:
        return (f"environment variable {web.secret_env} ([web] secret_env) is not set; make a "
                "secret with: python3 -c \"import secrets; print(secrets.token_urlsafe(32))\"")
    if len(secret) < MIN_SECRET:
        return (f"environment variable {web.secret_env} is too short: use at least "
                f"{MIN_SECRET} random characters")
    return None


class LinkError(Exception):
    """A link that cannot be used. `reason`: invalid | expired | reassigned | gone | taken."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Claim:
    material_id: int
    who: str  # keyed hash of the maintainer's address
    expires: datetime
    purpose: str | None = None  # None: the maintainer's link; ACCEPT: an offer


def who(secret: str, email: str) -> str:
    """The keyed hash a link carries instead of the address."""
    digest = hmac.new(secret.encode(), email.strip().lower().encode(), hashlib.sha256)
    return digest.hexdigest()[:20]


def make_token(secret: str, material_id: int, email: str, *, now: datetime,
               days: int, purpose: str | None = None) -> str:
    expires = int((now + timedelta(days=days)).timestamp())
    payload = {"m": int(material_id), "w": who(secret, email), "x": expires}
    if purpose:
        payload["p"] = purpose
    return _serializer(secret).dumps(payload)


def read_token(secret: str, token: str, *, now: datetime) -> Claim:
    """The claim in an authentic, unexpired token; raises LinkError otherwise."""
    try:
        data = _serializer(secret).loads(token)
        claim = Claim(int(data["m"]), str(data["w"]),
                      datetime.fromtimestamp(int(data["x"]), UTC), data.get("p"))
    except (BadSignature, KeyError, TypeError, ValueError, OverflowError):
        raise LinkError("invalid") from None
    if now >= claim.expires:
        raise LinkError("expired")
    return claim


def resolve(store: Store, secret: str, token: str, *, now: datetime) -> dict:
    """The material (a materials_view row) a valid token is for; raises LinkError."""
    claim = read_token(secret, token, now=now)
    if claim.purpose is not None:
        raise LinkError("invalid")
    material = _material(store, claim)
    if not hmac.compare_digest(who(secret, material["maintainer_email"] or ""), claim.who):
        raise LinkError("reassigned")
    return material


def resolve_offer(store: Store, secret: str, token: str, *,
                  now: datetime) -> tuple[dict, str]:
    """(material, colleague) for a valid offer link; raises LinkError ("taken" once the
    material has a keeper again, unless the colleague took it: then it still resolves)."""
    claim = read_token(secret, token, now=now)
    if claim.purpose != ACCEPT:
        raise LinkError("invalid")
    material = _material(store, claim)
    current = (material["maintainer_email"] or "").lower()
    if hmac.compare_digest(who(secret, current), claim.who):
        return material, current  # accepted already: a replay
    detail = loads(material.get("unowned_detail"), {}) or {}
    colleague = (detail.get("colleague") or "").lower()
    if material.get("unowned_reason") != "released" or not colleague or \
            not hmac.compare_digest(who(secret, colleague), claim.who):
        raise LinkError("taken")
    return material, colleague


def offer_url(settings: Settings, material_id: int, colleague: str, *,
              now: datetime) -> str | None:
    """The "will you take it on?" link for a colleague, or None without [web] set up."""
    base, secret = settings.web.base_url, settings.web.secret
    if not base or not secret or secret_problem(settings):
        return None
    token = make_token(secret, material_id, colleague, now=now, days=settings.web.link_days,
                       purpose=ACCEPT)
    return base.rstrip("/") + OFFER_PATH + quote(token, safe="")


def _material(store: Store, claim: Claim) -> dict:
    material = store.material(claim.material_id)
    if material is None or material.get("retired_at"):
        raise LinkError("gone")
    return material


def page_url(base_url: str, token: str, action: str | None = None) -> str:
    url = base_url.rstrip("/") + PATH + quote(token, safe="")
    return url + (f"?do={action}" if action else "")


def material_links(settings: Settings, material_id: int, email: str, *,
                   now: datetime) -> dict[str, str] | None:
    """action -> link for one material and its maintainer (one token, one page), or
    None when the web front door is not set up ([web] base_url empty or no secret)."""
    base, secret = settings.web.base_url, settings.web.secret
    if not base:
        return None
    problem = secret_problem(settings)
    if problem:
        if problem not in _warned:
            _warned.add(problem)
            log.warning("[web] base_url is set, but %s: emails go without links", problem)
        return None
    assert secret is not None  # secret_problem says so otherwise
    token = make_token(secret, material_id, email, now=now, days=settings.web.link_days)
    return {action: page_url(base, token, action) for action in ACTIONS}


_warned: set[str] = set()


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=SALT)

"""Signed links in maintainer emails: one per material, for its current maintainer.

    url = material_url(settings, material_id, email, now=now, action="confirm")
    material = resolve(store, secret, token, now=now)      # raises LinkError

A token is JSON signed with the secret from `[web] secret_env` (itsdangerous,
HMAC-SHA1 over the payload with a salt of its own): the material's id, a keyed
hash of the maintainer's address (the address itself never appears in a URL)
and the moment the link expires (`[web] link_days` after the email was made).
A link works only for its own material and only while that material is still
kept by the address it was made for: reassigning the material ends it.
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
from oermonitor.store import Store

log = logging.getLogger(__name__)

SALT = "oermonitor.material-link.v1"
ACTIONS = ("confirm", "recheck", "move", "release")  # the page's buttons, in order
PATH = "/m/"


class LinkError(Exception):
    """A link that cannot be used. `reason`: invalid | expired | reassigned | gone."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Claim:
    material_id: int
    who: str  # keyed hash of the maintainer's address
    expires: datetime


def who(secret: str, email: str) -> str:
    """The keyed hash a link carries instead of the address."""
    digest = hmac.new(secret.encode(), email.strip().lower().encode(), hashlib.sha256)
    return digest.hexdigest()[:20]


def make_token(secret: str, material_id: int, email: str, *, now: datetime,
               days: int) -> str:
    expires = int((now + timedelta(days=days)).timestamp())
    return _serializer(secret).dumps({"m": int(material_id), "w": who(secret, email),
                                      "x": expires})


def read_token(secret: str, token: str, *, now: datetime) -> Claim:
    """The claim in an authentic, unexpired token; raises LinkError otherwise."""
    try:
        data = _serializer(secret).loads(token)
        claim = Claim(int(data["m"]), str(data["w"]),
                      datetime.fromtimestamp(int(data["x"]), UTC))
    except (BadSignature, KeyError, TypeError, ValueError, OverflowError):
        raise LinkError("invalid") from None
    if now >= claim.expires:
        raise LinkError("expired")
    return claim


def resolve(store: Store, secret: str, token: str, *, now: datetime) -> dict:
    """The material (a materials_view row) a valid token is for; raises LinkError."""
    claim = read_token(secret, token, now=now)
    material = store.material(claim.material_id)
    if material is None or material.get("retired_at"):
        raise LinkError("gone")
    if not hmac.compare_digest(who(secret, material["maintainer_email"] or ""), claim.who):
        raise LinkError("reassigned")
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
    if not secret:
        if base not in _warned:
            _warned.add(base)
            log.warning("[web] base_url is set but environment variable %s is not: "
                        "emails go without links", settings.web.secret_env)
        return None
    token = make_token(secret, material_id, email, now=now, days=settings.web.link_days)
    return {action: page_url(base, token, action) for action in ACTIONS}


_warned: set[str] = set()


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=SALT)

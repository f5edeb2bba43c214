"""CSRF protection: every POST carries the token of the visitor's session.

The token is a random value kept in the signed session cookie (HttpOnly,
SameSite=Lax) and repeated in a hidden form field; a POST whose field does not
match is refused with a friendly page before any view runs. GET, HEAD and
OPTIONS never change anything, so they need no token.

    <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
"""

from __future__ import annotations

import hmac
import secrets

from flask import request, session

from oermonitor.web.context import error_page

FIELD = "csrf_token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def token() -> str:
    """This session's token (created on first use)."""
    value = session.get(FIELD)
    if not value:
        value = session[FIELD] = secrets.token_urlsafe(32)
    return value


def valid() -> bool:
    expected = session.get(FIELD)
    given = request.form.get(FIELD, "")
    return bool(expected) and hmac.compare_digest(str(expected), given)


def protect():
    """`before_request`: refuse a POST without the session's token."""
    if request.method in SAFE_METHODS or request.endpoint == "static":
        return None
    if valid():
        return None
    return error_page(400, "csrf")

"""What a page needs during a request: settings, secret, clock, the store, error pages."""

from __future__ import annotations

import threading
from datetime import datetime

from flask import current_app, g, render_template

from oermonitor.settings import Settings
from oermonitor.store import Store
from oermonitor.web.throttle import Throttle

ERROR_KINDS = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "not_allowed",
               413: "bad_request", 429: "busy"}


def settings() -> Settings:
    return current_app.extensions["oermonitor"]["settings"]


def secret() -> str:
    return current_app.extensions["oermonitor"]["secret"]


def now() -> datetime:
    return current_app.extensions["oermonitor"]["clock"]()


def throttle(name: str, *, limit: int, seconds: float) -> Throttle:
    """This app's rate limit called `name` (made on first use, kept for the app's life)."""
    throttles = current_app.extensions["oermonitor"]["throttles"]
    with _lock:
        return throttles.setdefault(name, Throttle(limit, seconds))


_lock = threading.Lock()


def store() -> Store:
    """The store for this request, opened on first use and closed after it."""
    if "store" not in g:
        g.store = Store.open(settings().database)
    return g.store


def error_page(status: int, kind: str | None = None, **values):
    """A friendly page for `status`; `kind` picks the text in texts.py (default: by status)."""
    kind = kind or ERROR_KINDS.get(status, "internal")
    return render_template("error.html", kind=kind, status=status, **values), status

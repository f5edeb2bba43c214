"""`oermonitor serve`: the web front door beside the nightly job, on the same database.

    app = create_app(settings)          # a Flask WSGI app; waitress serves it

As thin as the CLI: every page calls the same library functions, no SQL here.
The store is opened per request from `settings.database` and closed after it.
Pages follow `settings.language` (Dutch by default). GET never changes anything;
every POST carries a CSRF token (`csrf.py`). Blueprints: `maintainer.py` (the
signed links in maintainer emails), `signin.py` and `coordinator.py` (the
coordinator's pages, after signing in with a link by email). Pages reach the settings, the store and
the clock through `context.py`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime, timedelta

import jinja2
from flask import Flask, g, render_template, request
from werkzeug.exceptions import HTTPException

from oermonitor import __version__, links, wording
from oermonitor.clock import utcnow
from oermonitor.errors import BadInput
from oermonitor.settings import Settings
from oermonitor.web import csrf
from oermonitor.web.context import error_page
from oermonitor.web.coordinator import blueprint as coordinator
from oermonitor.web.maintainer import blueprint as maintainer
from oermonitor.web.signin import blueprint as signin
from oermonitor.web.texts import texts


def create_app(settings: Settings, *, secret: str | None = None,
               clock: Callable[[], datetime] = utcnow) -> Flask:
    """The WSGI application for `settings`. `secret` defaults to the one in the
    environment ([web] secret_env); without one this raises BadInput."""
    secret = secret or settings.web.secret
    if not secret:
        raise BadInput(links.secret_problem(settings) or "no signing secret")
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=_derive(secret, "flask-session"),
        SESSION_COOKIE_NAME="oermonitor_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.web.base_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(days=settings.web.session_days),
        MAX_CONTENT_LENGTH=64 * 1024,  # forms only
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.jinja_env.undefined = jinja2.StrictUndefined
    # Words shared with the emails, the report and the CLI (oermonitor/wording.py).
    app.jinja_env.filters["longdate"] = wording.long_date
    app.jinja_env.filters["licence"] = wording.licence_name
    app.jinja_env.filters["problem"] = wording.problem_name
    app.jinja_env.filters["availability"] = (
        lambda value, language: wording.availability_words(value, None, language))
    app.jinja_env.filters["state_name"] = wording.state_name
    app.extensions["oermonitor"] = {"settings": settings, "secret": secret, "clock": clock,
                                    "throttles": {}}
    language = "en" if settings.language == "en" else "nl"

    @app.context_processor
    def _context() -> dict:
        return {"t": texts(language), "lang": language, "csrf_token": csrf.token,
                "version": __version__}

    app.before_request(csrf.protect)

    @app.after_request
    def _headers(response):
        # Links carry their token in the URL: never pass it on, never cache it, no framing.
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'")
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.teardown_appcontext
    def _close_store(_exc) -> None:
        store = g.pop("store", None)
        if store is not None:
            store.close()

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        return error_page(exc.code or 500)

    @app.errorhandler(Exception)
    def _internal_error(exc: Exception):
        app.logger.exception("internal error on %s %s", request.method, request.path)
        return error_page(500)

    @app.get("/")
    def home():
        return render_template("home.html")

    app.register_blueprint(maintainer)
    app.register_blueprint(signin)
    app.register_blueprint(coordinator)
    return app


def _derive(secret: str, purpose: str) -> bytes:
    """A separate key per purpose from the one secret in the environment."""
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()

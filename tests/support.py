"""Test helpers: a real HTTP server on loopback with per-path routes.

    server.route("/page", body="<html>...</html>")                      # 200 text/html
    server.route("/gone", status=410)
    server.route("/old", status=301, headers={"Location": "/new"})
    server.route("/custom", handler=lambda req: req.send_raw(...))     # full control

Every request is recorded in `server.requests` (method, path, headers), so a
test can assert that nothing reached the server.
"""

from __future__ import annotations

import email
import email.policy
import shutil
import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


@dataclass
class Route:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    handler: object = None  # callable(RequestHandler) that writes the whole response
    content_type: str | None = "text/html; charset=utf-8"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: LoopbackServer

    def log_message(self, format, *args):  # keep test output quiet
        pass

    def _serve(self):
        self.server.requests.append(
            Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
        route = self.server.routes.get(urlsplit(self.path).path)
        if route is None:
            route = self.server.routes.get("*", Route(status=404, body="<h1>404</h1>"))
        if route.handler is not None:
            route.handler(self)
            return
        body = route.body.encode("utf-8") if isinstance(route.body, str) else route.body
        self.send_response(route.status)
        if route.content_type and not any(k.lower() == "content-type" for k in route.headers):
            self.send_header("Content-Type", route.content_type)
        for name, value in route.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = _serve
    do_HEAD = _serve
    do_POST = _serve


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str = "127.0.0.1"):
        super().__init__((host, 0), RequestHandler)
        self.routes: dict[str, Route] = {}
        self.requests: list[Recorded] = []
        # a short poll interval: stop() (shutdown) then takes milliseconds, not 0.5 s
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    @property
    def base(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str = "/") -> str:
        return self.base + path

    def route(self, path: str, body: bytes | str = b"", status: int = 200,
              headers: dict[str, str] | None = None, handler=None,
              content_type: str | None = "text/html; charset=utf-8") -> str:
        self.routes[path] = Route(status, body, dict(headers or {}), handler, content_type)
        return self.url(path)

    def hits(self, path: str) -> int:
        return sum(1 for r in self.requests if urlsplit(r.path).path == path)

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


# -- SMTP -------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpSink:
    """A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it accepts.

        smtp.messages              # parsed EmailMessages, in arrival order
        smtp.to("a@example.org")   # those whose envelope went to that address
        smtp.refuse.add(address)   # answer RCPT TO for it with 550 (a dead mailbox)
        smtp.defer.add(address)    # answer RCPT TO for it with 450 (try again later)
        SmtpSink(login=("user", "secret"))  # require AUTH (plain text allowed on loopback)
        SmtpSink(tls=server_context)       # offer and require STARTTLS (AUTH only after it)
        SmtpSink(tls=server_context, implicit_tls=True)  # TLS from the first byte (port 465 style)
        smtp.encrypted             # per accepted message: did its session run over TLS?

    `stop()` then `start()` again serves the same port: "server down, then up".
    """

    def __init__(self, port: int | None = None, login: tuple[str, str] | None = None,
                 tls: ssl.SSLContext | None = None, implicit_tls: bool = False):
        self.port = port or free_port()
        self.login = login
        self.tls = tls
        self.implicit_tls = implicit_tls
        self.encrypted: list[bool] = []
        self.messages: list = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: set[str] = set()
        self.defer: set[str] = set()  # answered with 450: a temporary refusal
        self.logins: list[str] = []
        self._controller = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        if address.lower() in self.defer:
            return "450 4.2.1 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content,
                                                      policy=email.policy.default))
        self.envelopes.append((envelope.mail_from, [r.lower() for r in envelope.rcpt_tos]))
        # the transport, not session.ssl: aiosmtpd sets that only after STARTTLS
        self.encrypted.append(server.transport.get_extra_info("ssl_object") is not None)
        return "250 Message accepted for delivery"

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = self.login is not None and (
            auth_data.login.decode(), auth_data.password.decode()) == self.login
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)

    def to(self, address: str) -> list:
        return [m for m, (_, rcpts) in zip(self.messages, self.envelopes, strict=True)
                if address.lower() in rcpts]

    def start(self) -> SmtpSink:
        kwargs = {}
        if self.login:
            kwargs = {"authenticator": self._authenticate, "auth_required": True,
                      "auth_require_tls": self.tls is not None}
        if self.tls is not None and self.implicit_tls:
            kwargs["ssl_context"] = self.tls
        elif self.tls is not None:
            kwargs.update(tls_context=self.tls, require_starttls=True)
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **kwargs)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def make_certificate(folder, name: str, names: str) -> tuple:
    """A throwaway self-signed certificate: (cert path, server SSL context).

    `names` is the subjectAltName list, e.g. "DNS:localhost,IP:127.0.0.1"; the first
    DNS name is also the common name. Skips the test when openssl is missing.
    """
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    common = names.split(",")[0].split(":", 1)[1]
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", f"/CN={common}", "-addext", f"subjectAltName={names}",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return cert, context


# -- the shared test world: one fetcher, one settings file, one store builder -------------


def make_fetcher(**fetch):
    """A Fetcher with fast, loopback-friendly settings; keyword arguments override them."""
    from oermonitor.fetch import Fetcher
    from oermonitor.settings import FetchSettings, Settings

    options = dict(allow_private_networks=True, backoff_base=0.01, per_host_delay=0,
                   respect_robots_txt=False, timeout=2.0, total_timeout=5.0)
    options.update(fetch)
    return Fetcher(Settings(fetch=FetchSettings(**options)))


def write_config(folder, *, name: str = "oermonitor.toml", top: str = "",
                 fetch: dict | None = None, policy: str | None = None,
                 notify: str | None = None, smtp_port: int | None = None,
                 extra: str = ""):
    """A settings file in `folder`: only the sections given are written.

    `fetch` is a dict of keys (values JSON-encoded, which TOML reads the same),
    `policy`/`notify` are the lines of those sections, `smtp_port` writes an [smtp]
    section for a loopback server, `extra` is appended verbatim.
    """
    import json
    from pathlib import Path

    lines = ['database = "oermonitor.db"', top]
    if fetch is not None:
        lines += ["[fetch]", *(f"{k} = {json.dumps(v)}" for k, v in fetch.items())]
    if policy is not None:
        lines += ["[policy]", policy]
    if notify is not None:
        lines += ["[notify]", notify]
    if smtp_port is not None:
        lines += ["[smtp]", 'host = "127.0.0.1"', f"port = {smtp_port}",
                  'from = "oermonitor@school.nl"', "timeout = 5"]
    config = Path(folder) / name
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("\n".join([*lines, extra, ""]), encoding="utf-8")
    return config


def add_material(store, n: int, maintainer: str, *, now, title: str | None = None,
                 pilot: str = "Rekenen", end: str | None = None,
                 coordinator: str | None = "coordinator@school.nl",
                 name: str | None = None) -> int:
    """Material n (a Wikiwijs URL) for `maintainer` in `pilot`, registered at `now`; its id."""
    pid, _ = store.ensure_pilot(pilot, end, coordinator, now)
    mid, _ = store.ensure_maintainer(maintainer, name, now)
    material_id, _ = store.upsert_material({
        "url": f"https://maken.wikiwijs.nl/{n}/Les_{n}", "identity": f"wikiwijs:{n}",
        "title": title or f"Les {n}", "pilot_id": pid, "maintainer_id": mid,
    }, now)
    return material_id


def at(day: str, hour: int = 2):
    """A UTC moment on `day` (ISO date), 02:00 by default: when the nightly run checks."""
    from datetime import UTC, datetime

    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def record_check(store, material_id: int, day: str, availability: str = "ok", *,
                 settings=None, licence: str | None = "CC-BY-4.0",
                 scope: str | None = "material", content_hash: str | None = "hash-1",
                 modified: str | None = None, title: str | None = "Page title",
                 final_url: str | None = None, headers: dict | None = None,
                 not_modified: bool = False, html: bool = True, status: int | None = None,
                 error: str | None = None) -> dict:
    """One check of a material on `day` recorded as the nightly run would (history.record),
    from what a fetch and an extraction could have found; the check row."""
    from oermonitor import history
    from oermonitor.models import SERVED, Facts, FetchResult, LicenceResult
    from oermonitor.settings import Settings

    material = store.material(material_id)
    served = availability in SERVED
    result = FetchResult(
        url=material["url"], availability=availability,
        final_url=final_url or material["url"],
        status_code=status or (200 if served else 404), headers=dict(headers or {}),
        permanent_redirect=availability == "moved", not_modified=not_modified,
        error=None if served else (error or f"{availability} detail"), fetched_at=at(day))
    if not served:
        facts = Facts(availability=availability, error=result.error)
    else:
        facts = Facts(
            availability=availability, title=title, content_hash=content_hash,
            last_modified=modified, last_modified_source="colofon" if modified else None,
            licence=LicenceResult(id=licence, scope=scope if licence else None,
                                  all_ids=[licence] if licence else []) if html else None)
    return history.record(store, material, result, facts, settings or Settings(), at(day),
                          run_id=None)


def slow(delay: float, html: str):
    """A route handler that answers with `html` after `delay` seconds."""
    import time

    def handler(request):
        time.sleep(delay)
        data = html.encode()
        try:
            request.send_response(200)
            request.send_header("Content-Type", "text/html; charset=utf-8")
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)
        except OSError:  # the client gave up (an abandoned check): nothing to report
            request.close_connection = True
    return handler


def smtp_settings(port: int, **kw):
    """Settings for the loopback SMTP sink on `port`; keyword arguments override them."""
    from oermonitor.settings import SmtpSettings

    return SmtpSettings(**{"host": "127.0.0.1", "port": port, "timeout": 5,
                           "from_": "oermonitor@school.nl", **kw})

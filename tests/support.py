"""Test helpers: a real HTTP server on loopback with per-path routes.

    server.route("/page", body="<html>...</html>")                      # 200 text/html
    server.route("/gone", status=410)
    server.route("/old", status=301, headers={"Location": "/new"})
    server.route("/custom", handler=lambda req: req.send_raw(...))     # full control

Every request is recorded in `server.requests` (method, path, headers), so a
test can assert that nothing reached the server.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


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
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

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

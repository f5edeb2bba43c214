"""A synthetic Wikiwijs-like site on loopback, with a fixed delay per response.

Each page `/<id>/<slug>` is about 40 KB, shaped like a published arrangement:
head with canonical/og:url to maken.wikiwijs.nl, a site menu, the lesson text,
the "Over dit lesmateriaal" colofon (Auteur, Laatst gewijzigd, Licentie with a
CC link, Webadres) and a footer. A per-request token and clock make every
response differ in the dynamic parts only, as on the real site.

Three kinds of server (`mode`), for the second night of a nightly check:
"dynamic" (the default) changes the token, clock and counter on every response
and sends no validators, like Wikiwijs; "validators" serves the same bytes with
an ETag and Last-Modified and answers a matching conditional request with 304;
"static" serves the same bytes every time without validators. The server counts
the body bytes it sent and the 304s it answered.

The delay is a `time.sleep` in the request's own thread (one thread per
connection, a deep listen backlog), so concurrent requests overlap instead of
queueing behind each other. The server binds 127.0.0.1 only.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE_BYTES = 40_000
MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
          "september", "oktober", "november", "december")
LICENCES = (
    ("by-sa", "4.0", "CC Naamsvermelding-GelijkDelen 4.0 Internationale licentie"),
    ("by", "4.0", "CC Naamsvermelding 4.0 Internationale licentie"),
    ("by", "3.0/nl", "CC Naamsvermelding 3.0 Nederland licentie"),
)
MODES = ("dynamic", "validators", "static")
LAST_MODIFIED = "Tue, 03 Mar 2026 10:00:00 GMT"
_PATH = re.compile(r"^/(\d+)(?:/[^?#]*)?")

_HEAD = """<!DOCTYPE html>
<html lang="nl">
<head>
<meta charset="utf-8">
<title>{title} - Wikiwijs Maken</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="Lesmateriaal over {title} voor het voortgezet onderwijs.">
<meta property="og:title" content="{title}">
<meta property="og:url" content="https://maken.wikiwijs.nl/{id}/{slug}">
<meta property="og:type" content="website">
<meta name="csrf-token" content="{token}">
<link rel="canonical" href="https://maken.wikiwijs.nl/{id}/{slug}">
<link rel="stylesheet" href="/css/wikiwijs.min.css?v=20240311">
<link rel="icon" href="/favicon.ico">
<script src="/js/jquery.min.js"></script>
<script>window.WW = {{"arrangement": {id}, "token": "{token}", "served": "{clock}"}};</script>
</head>
<body class="arrangement">
<header class="site-header"><a class="logo" href="https://www.wikiwijs.nl/">Wikiwijs</a>
<nav class="navbar"><ul>
<li><a href="https://www.wikiwijs.nl/">Home</a></li>
<li><a href="https://maken.wikiwijs.nl/">Maken</a></li>
<li><a href="https://zoeken.wikiwijs.nl/">Zoeken</a></li>
<li><a href="https://www.wikiwijs.nl/help/">Help</a></li>
<li><a href="/login">Inloggen</a></li>
</ul></nav></header>
<div id="sidebar" class="menu"><ul>
{menu}
</ul></div>
<main id="content" class="arrangement-content">
<h1>{title}</h1>
"""

_SECTION = """<section class="page" id="page-{n}">
<h2>Les {n}: {title}, deel {n}</h2>
<p>In deze les werk je aan {title}. Je leest eerst de uitleg, bekijkt daarna het filmpje
en maakt tot slot de opdrachten. Lees de tekst goed door voordat je aan de slag gaat;
de begrippen die vetgedrukt staan, komen terug in de toets aan het eind van het blok.</p>
<p>Leerdoelen: je kunt uitleggen wat <strong>{title}</strong> betekent, je kunt voorbeelden
geven uit je eigen omgeving en je kunt de stof toepassen in een nieuwe situatie. Werk
samen met een klasgenoot en bespreek je antwoorden met de docent.</p>
<ul><li>Opdracht {n}a: maak een samenvatting van de tekst.</li>
<li>Opdracht {n}b: beantwoord de vragen in het werkblad.</li>
<li>Opdracht {n}c: zoek een voorbeeld op internet en licht het toe.</li></ul>
<figure><img src="/bestanden/{id}/afbeelding-{n}.png" alt="Illustratie bij les {n}">
<figcaption>Illustratie bij les {n}</figcaption></figure>
</section>
"""

_COLOFON = """<section id="about" class="about">
<h2>Over dit lesmateriaal</h2>
<h3>Colofon</h3>
<table class="colofon">
<tr><td>Auteur</td><td>Stichting Pilot {pilot} Open Leermateriaal</td></tr>
<tr><td>Laatst gewijzigd</td><td>{day} {month} {year} om 13:06</td></tr>
<tr><td>Licentie</td><td>Dit lesmateriaal is gepubliceerd onder de
{licence_name}. Dit houdt in dat je onder de voorwaarde van naamsvermelding vrij bent om
het werk te delen en te bewerken. Voor meer informatie over de Creative Commons licentie
zie <a href="https://creativecommons.org/licenses/{code}/{version}/">https://creativecommons.org/licenses/{code}/{version}/</a>.
<a href="https://creativecommons.org/licenses/{code}/{version}/"><img src="/img/cc-{code}.png"
alt="Creative Commons licentie"></a></td></tr>
<tr><td>Webadres</td><td>https://maken.wikiwijs.nl/{id}/{slug}</td></tr>
</table>
<h3>Aanvullende informatie over dit lesmateriaal</h3>
<dl><dt>Eindgebruiker</dt><dd>leerling/student</dd><dt>Moeilijkheidsgraad</dt><dd>gemiddeld</dd>
<dt>Studiebelasting</dt><dd>4 uur en 0 minuten</dd></dl>
<h3>Bronnen</h3><ul><li>Eigen materiaal van de pilot</li></ul>
</section>
</main>
<footer class="footer"><p>Wikiwijs is een initiatief van Kennisnet. Gegenereerd op {clock}
(sessie {token}).</p><a href="https://www.wikiwijs.nl/privacy/">Privacy</a>
<a href="https://www.wikiwijs.nl/cookies/">Cookies</a> <span class="counter">{counter} keer bekeken</span>
</footer>
</body>
</html>
"""


def slug(material_id: int) -> str:
    return f"Lesmateriaal_onderwerp_{material_id}"


def title(material_id: int) -> str:
    return f"Lesmateriaal onderwerp {material_id}"


def page(material_id: int, token: str = "0", clock: str = "", counter: int = 0) -> bytes:
    """The page for one arrangement, about `PAGE_BYTES` long."""
    values = {"id": material_id, "slug": slug(material_id), "title": title(material_id),
              "token": token, "clock": clock, "counter": counter}
    menu = "\n".join(f'<li><a href="#!page-{n}">Les {n}</a></li>' for n in range(1, 13))
    code, version, name = LICENCES[material_id % len(LICENCES)]
    colofon = _COLOFON.format(
        **values, pilot=material_id % 97, day=1 + material_id % 28,
        month=MONTHS[material_id % 12], year=2015 + material_id % 10,
        licence_name=name, code=code, version=version)
    parts = [_HEAD.format(**values, menu=menu)]
    size = len(parts[0]) + len(colofon)
    n = 1
    while size < PAGE_BYTES:
        section = _SECTION.format(**values, n=n)
        parts.append(section)
        size += len(section)
        n += 1
    parts.append(colofon)
    return "".join(parts).encode("utf-8")


def url(base: str, material_id: int) -> str:
    return f"{base}/{material_id}/{slug(material_id)}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients may reuse connections
    # Headers and body leave in two writes; with Nagle on, the body waits for the
    # client's delayed ACK of the headers (40 ms on Linux), which no real server does.
    disable_nagle_algorithm = True
    server: SiteServer

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self._respond(send_body=True)

    def do_HEAD(self):
        self._respond(send_body=False)

    def _respond(self, send_body: bool):
        server = self.server
        arrived = time.perf_counter()
        if server.latency:
            time.sleep(server.latency)
        match = _PATH.match(self.path)
        with server.lock:
            server.hits += 1
            counter = server.hits
            if server.first_at is None or arrived < server.first_at:
                server.first_at = arrived
        validators = {}
        if not match:
            status, kind, body = 404, "text/plain; charset=utf-8", b"niet gevonden"
        elif server.mode == "dynamic":
            status, kind = 200, "text/html; charset=utf-8"
            body = page(int(match.group(1)), token=uuid.uuid4().hex,
                        clock=time.strftime("%H:%M:%S"), counter=counter)
        else:
            material_id = int(match.group(1))
            status, kind = 200, "text/html; charset=utf-8"
            body = page(material_id, token=f"{material_id:032x}", clock="02:00:00")
            if server.mode == "validators":
                validators = {"ETag": f'"{material_id}-1"', "Last-Modified": LAST_MODIFIED}
                if self.headers.get("If-None-Match") == validators["ETag"]:
                    status, body = 304, b""
        self.send_response(status)
        self.send_header("Content-Type", kind)
        for name, value in validators.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        if send_body:
            self.wfile.write(body)
        with server.lock:
            server.body_bytes += len(body) if send_body else 0
            server.not_modified += status == 304
            server.last_at = time.perf_counter()


class SiteServer(ThreadingHTTPServer):
    """The site on 127.0.0.1 (port chosen by the OS) in a background thread."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024  # a burst of connects must not overflow the backlog

    def __init__(self, latency: float = 0.0, mode: str = "dynamic"):
        if mode not in MODES:
            raise ValueError(f"mode: one of {', '.join(MODES)}")
        super().__init__(("127.0.0.1", 0), _Handler)
        self.latency = latency
        self.mode = mode
        self.hits = 0
        self.body_bytes = 0
        self.not_modified = 0
        # The first request's arrival and the last response's end (`perf_counter`),
        # to tell a client's start-up and wind-down from its requests: `window()`.
        self.first_at: float | None = None
        self.last_at: float | None = None
        self.lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    def window(self) -> tuple[float | None, float | None]:
        """(first request in, last response out) since the last call; then forgets them."""
        with self.lock:
            window = (self.first_at, self.last_at)
            self.first_at = self.last_at = None
        return window

    @property
    def base(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> SiteServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()

"""`oermonitor demo`: the whole job offline, on a bundled sample site.

The sample site (package data in `demo_site/`: `site.json` plus Jinja templates)
is served on 127.0.0.1 by `http.server` in a thread. Its dates are relative to
today, so the demo shows the same story on any day: a dozen Wikiwijs-like
materials over two pilots, one broken (404), one soft 404, one moved (301), one
stale after its pilot ended, two with a licence problem, the rest fine.

The workspace gets a settings file (`demo.toml`, loopback allowed, no politeness
delay, mail to an `outbox/` folder), the spreadsheet (`materials.csv`) and the
database; then the materials are registered and the job runs as cron would.

With a web port (`demo --serve`), the settings get a `[web]` section for
127.0.0.1 and a signing secret that lives only in this process, so the emails
carry their links; `then(result)` runs while the sample site is still served
(the CLI serves the web front door there until Ctrl-C).
"""

from __future__ import annotations

import csv
import email
import email.policy
import json
import os
import re
import secrets
import socket
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import jinja2

from oermonitor import job, registry
from oermonitor.clock import utcnow
from oermonitor.errors import BadInput
from oermonitor.lock import RunLock
from oermonitor.settings import load_settings
from oermonitor.store import Store
from oermonitor.wording import long_date

SETTINGS_NAME = "demo.toml"
CSV_NAME = "materials.csv"
DB_NAME = "demo.db"
OUTBOX_NAME = "outbox"
# What a workspace may already hold for the demo to (re)use it.
OWN_NAMES = {SETTINGS_NAME, CSV_NAME, DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm",
             DB_NAME + ".lock", OUTBOX_NAME}
SETTINGS_TEXT = """\
# oermonitor demo settings: everything stays on this computer.
database = "{db}"
language = "{language}"

[fetch]
allow_private_networks = true   # the sample site runs on 127.0.0.1
per_host_delay = 0              # it is our own server: no politeness delay needed
timeout = 5
total_timeout = 10
max_tries = 1

[policy]
failures_before_broken = 1      # show broken links at once (in production: 2 nights)

[notify]
outbox = "{outbox}"             # write .eml files here instead of sending
programme = "Impuls Open Leermateriaal"

[smtp]
from = "oermonitor-demo@example.org"
"""
WEB_TEXT = """
[web]
base_url = "http://127.0.0.1:{port}"   # oermonitor demo --serve answers here
secret_env = "{secret_env}"  # set by the demo, for its own process only
"""
DEMO_SECRET_ENV = "OERMONITOR_DEMO_SECRET"
LINK = re.compile(r"https?://\S+/m/\S+?\?do=confirm")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def load_site() -> dict:
    return json.loads(resources.files("oermonitor").joinpath("demo_site/site.json")
                      .read_text(encoding="utf-8"))


def dutch_date(moment: datetime, style: str) -> str:
    """As Wikiwijs writes it: `24 februari 2023 om 13:06`, or `24-02-2023`."""
    if style == "short":
        return moment.strftime("%d-%m-%Y")
    return f"{long_date(moment.date().isoformat(), 'nl')} om {moment:%H:%M}"


class SampleSite:
    """Renders the sample site's pages for a given `today`."""

    def __init__(self, today: date):
        self.today = today
        self.site = load_site()
        self.templates = jinja2.Environment(
            loader=jinja2.PackageLoader("oermonitor", "demo_site"), autoescape=True)
        self.by_path = {m["path"]: m for m in self.site["materials"]}
        for m in self.site["materials"]:
            if m["serve"] == "moved":
                self.by_path[m["moved_to"]] = dict(m, path=m["moved_to"], serve="page")

    def day(self, offset: int) -> date:
        return self.today + timedelta(days=offset)

    def response(self, path: str) -> tuple[int, dict[str, str], str]:
        """(status, headers, body) for a request path."""
        material = self.by_path.get(path)
        if material is None:
            return 404, {}, self.render("not_found.html")
        serve = material["serve"]
        if serve == "moved":
            return 301, {"Location": material["moved_to"]}, ""
        if serve == "page":
            return 200, {}, self.page(material)
        return (200 if serve == "soft_404" else 404), {}, self.render("not_found.html")

    def page(self, m: dict) -> str:
        changed = datetime.combine(self.day(m["changed_days"]), datetime.min.time())
        changed += timedelta(hours=13, minutes=6)
        return self.render(
            "material.html", m=m, changed=dutch_date(changed, m.get("date_style", "long")),
            licence=self.site["licences"].get(m.get("licence") or ""),
            canonical="https://maken.wikiwijs.nl" + m["path"])

    def render(self, name: str, **values) -> str:
        # The token, clock and counter change on every request, as on a real site:
        # the fingerprint must not mistake them for a change of the material.
        return self.templates.get_template(name).render(
            token=secrets.token_hex(16), served_at=datetime.now().strftime("%H:%M:%S"),
            visitors=secrets.randbelow(500), **values)

    def spreadsheet_rows(self, base: str) -> list[dict]:
        """The coordinator's spreadsheet for this site served at `base`."""
        rows = []
        for m in self.site["materials"]:
            pilot = self.site["pilots"][m["pilot"]]
            rows.append({
                "url": base + m["path"], "title": m["title"],
                "maintainer_email": m["maintainer"], "maintainer_name": m["maintainer_name"],
                "pilot": m["pilot"], "pilot_end_date": self.day(pilot["end_days"]).isoformat(),
                "coordinator_email": pilot["coordinator"],
                "coordinator_name": pilot.get("coordinator_name", ""),
                "expected_licence": m.get("expected_licence") or ""})
        return rows


class DemoServer:
    """The sample site on 127.0.0.1 (a free port), served from a thread."""

    def __init__(self, site: SampleSite):
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                status, headers, body = site.response(urlsplit(self.path).path)
                data = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format, *args):  # the demo's output is the overview
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> DemoServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class DemoResult:
    workspace: Path
    settings_path: Path
    csv_path: Path
    outbox: Path
    registered: int
    report: job.RunReport
    temporary: bool
    emails: list[Path] = field(default_factory=list)
    base_url: str | None = None  # the web front door, with --serve

    def first_link(self) -> tuple[Path, str] | None:
        """(email file, its first "Klopt nog" link): something for a newcomer to click."""
        for path in self.emails:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            body = message.get_body(("plain",))
            found = LINK.search(body.get_content()) if body else None
            if found:
                return path, found.group(0)
        return None


def prepare_workspace(keep: Path | None) -> tuple[Path, bool]:
    """A fresh temporary folder, or DIR emptied of a previous demo's files."""
    if keep is None:
        return Path(tempfile.mkdtemp(prefix="oermonitor-demo-")), True
    if keep.exists() and not keep.is_dir():
        raise BadInput(f"{keep}: not a folder")
    keep.mkdir(parents=True, exist_ok=True)
    foreign = sorted(p.name for p in keep.iterdir() if p.name not in OWN_NAMES)
    if foreign:
        raise BadInput(f"{keep}: folder holds other files ({', '.join(foreign[:3])}); "
                       "give an empty folder or a previous demo's folder")
    # The sample site gets a new port each time, so old URLs would never match.
    for name in (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm"):
        (keep / name).unlink(missing_ok=True)
    outbox = keep / OUTBOX_NAME
    if outbox.is_dir():
        for old in outbox.glob("*.eml"):
            old.unlink()
    return keep, False


def run_demo(keep: Path | None = None, *, language: str = "nl",
             now: datetime | None = None, today: date | None = None,
             web_port: int | None = None,
             then: Callable[[DemoResult], None] | None = None) -> DemoResult:
    """Serve the sample site, register it, run the job; returns where everything went.

    `web_port`: put signed links to http://127.0.0.1:PORT in the emails (see the module
    doc); `then(result)` is called while the sample site is still up."""
    now = now or utcnow()
    today = today or date.today()
    workspace, temporary = prepare_workspace(keep)
    settings_path = workspace / SETTINGS_NAME
    text = SETTINGS_TEXT.format(db=DB_NAME, language=language, outbox=OUTBOX_NAME)
    if web_port:
        text += WEB_TEXT.format(port=web_port, secret_env=DEMO_SECRET_ENV)
        os.environ.setdefault(DEMO_SECRET_ENV, secrets.token_urlsafe(32))
    settings_path.write_text(text, encoding="utf-8")
    (workspace / OUTBOX_NAME).mkdir(exist_ok=True)
    settings = load_settings(settings_path)
    site = SampleSite(today)
    with DemoServer(site) as server:
        csv_path = workspace / CSV_NAME
        sheet = site.spreadsheet_rows(server.base)
        with csv_path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=list(sheet[0]), delimiter=";")
            writer.writeheader()
            writer.writerows(sheet)
        with RunLock(settings.database), Store.open(settings.database) as store:
            rows, _warnings = registry.read_csv(csv_path)  # our own sheet: no warnings
            registered = registry.register(store, rows, now).total
            report = job.run(store, settings, today=today, now=now)
        outbox = settings.notify.outbox or workspace / OUTBOX_NAME
        result = DemoResult(workspace=workspace, settings_path=settings_path,
                            csv_path=csv_path, outbox=outbox, registered=registered,
                            report=report, temporary=temporary,
                            emails=sorted(outbox.glob("*.eml")),
                            base_url=settings.web.base_url or None)
        if then is not None:
            then(result)
    return result

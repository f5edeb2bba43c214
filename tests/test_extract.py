"""`extract.extract`: facts from real responses of a loopback server, and hand-built ones."""

import itertools
import json
import threading
from datetime import UTC, datetime
from email.utils import formatdate
from pathlib import Path

import pytest
from click.testing import CliRunner

from oermonitor.cli import main
from oermonitor.extract import extract, fingerprint
from oermonitor.models import FetchResult
from tests.support import make_fetcher

PAGES = Path(__file__).parent / "pages"
WIKIWIJS = (PAGES / "wikiwijs_arrangement.html").read_text()
ARTICLE = (PAGES / "generic_article.html").read_text()
TOKEN = "f3a9c2d17b0e4a8f9c6d5e4b3a2f1e0d9c8b7a6f"
OLD = "Wed, 01 Mar 2023 10:00:00 GMT"


@pytest.fixture
def fetcher():
    with make_fetcher() as f:
        yield f


def dynamic(html: str, content_type="text/html; charset=utf-8", last_modified=None):
    """A handler like a CMS: a fresh token and view count per request, Last-Modified = now."""
    counter = itertools.count(4212)
    lock = threading.Lock()

    def handler(req):
        with lock:
            n = next(counter)
        body = (html.replace(TOKEN, f"{n:040x}")
                .replace(">4212<", f">{n}<")
                .replace("08:14", f"08:{n % 60:02d}")).encode("utf-8")
        req.send_response(200)
        req.send_header("Content-Type", content_type)
        req.send_header("Last-Modified", last_modified or formatdate(usegmt=True))
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body)
    return handler


def test_wikiwijs_arrangement_served_from_loopback(server, fetcher):
    url = server.route("/171772", handler=dynamic(WIKIWIJS))
    first, second = extract(fetcher.fetch(url)), extract(fetcher.fetch(url))
    assert first.availability == "ok"
    assert (first.platform, first.platform_id) == ("wikiwijs", "wikiwijs:171772")
    assert first.title == "Breuken en procenten"
    assert first.author == "Sectie Wiskunde, Het Baken College"
    assert (first.last_modified, first.last_modified_source) == ("2023-02-24T13:06:00", "colofon")
    assert first.licence is not None and first.licence.id == "CC-BY-SA-4.0"
    # token, counter and clock differ between the two responses; the material does not
    assert first.content_hash == second.content_hash


def test_changed_material_text_changes_the_hash(server, fetcher):
    before = server.route("/before", handler=dynamic(WIKIWIJS))
    after = server.route("/after", handler=dynamic(WIKIWIJS.replace("eigen tempo", "eigen ritme")))
    assert extract(fetcher.fetch(before)).content_hash != extract(fetcher.fetch(after)).content_hash


def test_generic_page_dates_ignore_a_dynamic_last_modified(server, fetcher):
    url = server.route("/fotosynthese", handler=dynamic(ARTICLE))
    facts = extract(fetcher.fetch(url))
    assert facts.platform is None and facts.platform_id is None
    assert facts.title == "Fotosynthese in vijf stappen"
    assert (facts.last_modified, facts.last_modified_source) == (
        "2023-04-03T11:20:00+02:00", "jsonld")


def test_page_without_declared_dates_uses_only_a_real_last_modified(server, fetcher):
    html = "<html><head><title>Werkblad</title></head><body><main><p>Som 1</p></main></body></html>"
    now = server.route("/now", handler=dynamic(html))
    old = server.route("/old", handler=dynamic(html, last_modified=OLD))
    assert extract(fetcher.fetch(now)).last_modified is None
    facts = extract(fetcher.fetch(old))
    assert (facts.last_modified, facts.last_modified_source) == ("2023-03-01T10:00:00+00:00", "http")


def test_pdf_is_dated_by_header_and_fingerprinted_by_bytes(server, fetcher):
    pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
    url = server.route("/werkblad.pdf", body=pdf, content_type="application/pdf",
                       headers={"Last-Modified": OLD})
    facts = extract(fetcher.fetch(url))
    assert facts.availability == "ok"
    assert (facts.last_modified, facts.last_modified_source) == ("2023-03-01T10:00:00+00:00", "http")
    assert facts.content_hash == fingerprint.bytes_hash(pdf)
    assert facts.platform is None and facts.licence is None


def test_pdf_with_dynamic_last_modified_has_no_date(server, fetcher):
    url = server.route("/dyn.pdf", handler=dynamic("%PDF-1.7 x", content_type="application/pdf"))
    assert extract(fetcher.fetch(url)).last_modified is None


def test_failed_fetch_gives_only_availability():
    facts = extract(FetchResult(url="https://example.org/x", availability="missing",
                                status_code=404, error="HTTP 404"))
    assert (facts.availability, facts.error) == ("missing", "HTTP 404")
    assert facts.content_hash is None and facts.last_modified is None and facts.title is None


def test_hand_built_wikiwijs_package_is_identified_by_url():
    result = FetchResult(url="https://maken.wikiwijs.nl/arrangement/171772/export/imscp",
                         availability="ok", status_code=200, body=b"PK\x03\x04",
                         content_type="application/zip",
                         headers={"last-modified": OLD, "date": "Mon, 13 Jan 2025 08:00:00 GMT"},
                         fetched_at=datetime(2025, 1, 13, 8, 0, tzinfo=UTC))
    facts = extract(result)
    assert (facts.platform, facts.platform_id) == ("wikiwijs", "wikiwijs:171772")
    assert facts.last_modified == "2023-03-01T10:00:00+00:00"


def test_hand_built_page_recognised_by_canonical_link_on_loopback():
    result = FetchResult(url="http://127.0.0.1:9/x", final_url="http://127.0.0.1:9/x",
                         availability="ok", status_code=200, text=WIKIWIJS,
                         body=WIKIWIJS.encode(), content_type="text/html",
                         fetched_at=datetime(2025, 1, 13, 8, 0, tzinfo=UTC))
    facts = extract(result)
    assert facts.platform_id == "wikiwijs:171772"
    assert facts.content_hash == extract(result).content_hash
    # a colofon date after the fetch is not believed: nothing else on the page dates it
    future = FetchResult(**{**result.__dict__, "fetched_at": datetime(2023, 1, 1, tzinfo=UTC)})
    assert extract(future).last_modified is None


def test_inspect_json_shows_platform_date_and_hash(server, monkeypatch):
    monkeypatch.setenv("OERMONITOR_ALLOW_PRIVATE_NETWORKS", "1")
    url = server.route("/171772", handler=dynamic(WIKIWIJS))
    done = CliRunner().invoke(main, ["inspect", "--json", url], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    record = json.loads(done.output.splitlines()[0])
    assert record["platform"] == "wikiwijs" and record["platform_id"] == "wikiwijs:171772"
    assert record["last_modified"] == "2023-02-24T13:06:00"
    assert record["title"] == "Breuken en procenten"
    assert len(record["content_hash"]) == 64

"""Served pages that are not the material (soft 404, login wall) and the checker around fetch."""

import pytest

from oermonitor import checker
from oermonitor.extract.availability import refine
from oermonitor.extract.page import Page
from oermonitor.models import Facts, FetchResult, LicenceResult
from tests.support import make_fetcher

LESSON_TEXT = " ".join(["In deze les leer je breuken optellen en vergelijken."] * 40)
NAV = '<nav><a href="/">Home</a> <a href="/login">Log in</a> <a href="/zoeken">Zoeken</a></nav>'


def page(title, body, head=""):
    return f"<html><head><title>{title}</title>{head}</head><body>{body}</body></html>"


def availability(html, result_availability="ok"):
    result = FetchResult(url="https://maken.wikiwijs.nl/1", availability=result_availability,
                         status_code=200, text=html, content_type="text/html")
    return refine(result, Page.parse(html, result.url))[0]


@pytest.fixture
def fetcher():
    with make_fetcher() as f:
        yield f


@pytest.mark.parametrize("html", [
    page("Pagina niet gevonden - Wikiwijs", NAV + "<h1>Oeps!</h1><p>Deze pagina bestaat niet.</p>"),
    page("Wikiwijs", NAV + "<h1>404 - Page not found</h1><p>Sorry.</p>"),
    page("Wikiwijs Maken", NAV + "<h1>Dit arrangement is niet meer beschikbaar</h1>"),
    page("Fout", "<h2>Het lesmateriaal is verwijderd</h2><p>Zoek verder op Wikiwijs.</p>"),
    page("Error 404", "<footer>" + LESSON_TEXT + "</footer>"),  # a long footer is site chrome
])
def test_soft_404_is_missing(html):
    assert availability(html) == "missing"


@pytest.mark.parametrize("html", [
    page('Wat betekent "404 niet gevonden"?', "<h1>Foutcodes op het web</h1><p>"
         + LESSON_TEXT + "</p>"),
    page("HTTP-statuscodes", "<h1>404 niet gevonden</h1><p>" + LESSON_TEXT + "</p>"),
    page("Breuken groep 6", "<h1>Breuken</h1><p>" + LESSON_TEXT + "</p>"),
    page("Verloren voorwerpen", "<h1>Wat doe je als iets niet gevonden wordt?</h1><p>Kort.</p>"),
])
def test_lessons_about_not_found_are_ok(html):
    assert availability(html) == "ok"


@pytest.mark.parametrize("html", [
    page("Inloggen - Wikiwijs", NAV + '<main><form action="/login" method="post">'
         '<input name="user"><input type="password" name="pw"><button>Inloggen</button>'
         "</form></main>"),
    page("Sign in", '<div class="content"><h1>Sign in</h1><form><input type="email">'
         '<input type="PASSWORD"></form><p>' + " ".join(["Welcome back."] * 100) + "</p></div>"),
    page("Wikiwijs", "<form><label>Wachtwoord <input type=password></label></form>"),
])
def test_login_wall_is_login_required(html):
    assert availability(html) == "login_required"


@pytest.mark.parametrize("html", [
    page("Breuken", NAV + "<p>" + LESSON_TEXT + "</p>"),  # a "Log in" link in the navigation
    page("Breuken", '<header><form><input type="password"></form></header><p>Korte les.</p>'),
    page("Breuken", "<aside><form><input type=password></form></aside><h1>Breuken</h1>"),
    page("Breuken", "<h1>Breuken</h1><p>" + LESSON_TEXT + "</p>"
         '<div class="modal"><form><input type=password></form></div>'),
])
def test_pages_with_a_login_aside_are_ok(html):
    assert availability(html) == "ok"


def test_failed_fetch_is_not_refined():
    assert availability(page("Niet gevonden", ""), "server_error") == "server_error"


def test_moved_soft_404_is_missing():
    assert availability(page("Pagina niet gevonden", ""), "moved") == "missing"


# -- through the checker, over HTTP ----------------------------------------------------------

def test_check_finds_soft_404_over_http(server, fetcher):
    url = server.route("/171772/Breuken", page("Pagina niet gevonden", "<h1>Niet gevonden</h1>"))
    result, facts = checker.check(fetcher, url)
    assert result.availability == "ok" and result.status_code == 200
    assert facts.availability == "missing"
    assert facts.error == "the page says: Pagina niet gevonden"


def test_check_finds_login_wall_without_content_type(server, fetcher):
    url = server.route("/prive", page("Inloggen", "<form><input type=password></form>"),
                       content_type=None)
    _, facts = checker.check(fetcher, url)
    assert facts.availability == "login_required"


def test_check_reuses_previous_facts_on_304(server, fetcher):
    def handler(req):
        if req.headers.get("If-None-Match") == '"v7"':
            req.send_response(304)
            req.end_headers()
            return
        body = page("Nieuwe titel", "<p>nieuw</p>").encode()
        req.send_response(200)
        req.send_header("Content-Type", "text/html")
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body)
    url = server.route("/les", handler=handler)
    previous = Facts(availability="ok", title="Breuken", content_hash="abc",
                     licence=LicenceResult(id="CC-BY-4.0", scope="material"),
                     last_modified="2024-02-24")
    result, facts = checker.check(fetcher, url, etag='"v7"', previous=previous)
    assert result.not_modified
    assert facts == previous
    assert server.hits("/les") == 1


def test_check_keeps_a_page_verdict_while_unchanged(server, fetcher):
    url = server.route("/les", status=304)
    previous = Facts(availability="missing", error="the page says: Niet gevonden")
    _, facts = checker.check(fetcher, url, etag='"x"', previous=previous)
    assert facts.availability == "missing"


def test_check_without_previous_fetches_again_on_304(server, fetcher):
    def handler(req):
        status = 304 if req.headers.get("If-None-Match") else 200
        body = b"" if status == 304 else page("Les", "<p>x</p>").encode()
        req.send_response(status)
        req.send_header("Content-Type", "text/html")
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body)
    url = server.route("/les", handler=handler)
    result, facts = checker.check(fetcher, url, etag='"v1"')
    assert not result.not_modified and result.status_code == 200
    assert facts.availability == "ok"
    assert server.hits("/les") == 2
    assert "if-none-match" not in server.requests[-1].headers


def test_inspect_record_has_the_contract_keys(server, fetcher):
    url = server.route("/gone", status=410)
    record = checker.inspect_record(url, *checker.check(fetcher, url))
    assert list(record) == ["url", "final_url", "status_code", "availability", "licence",
                            "licence_scope", "last_modified", "title", "platform",
                            "platform_id", "content_hash", "error"]
    assert record["availability"] == "missing" and record["error"] == "HTTP 410"
    assert record["licence"] is None and record["content_hash"] is None

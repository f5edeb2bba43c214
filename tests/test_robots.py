"""robots.txt per RFC 9309: fetched once per host per run, status codes, longest match."""

import pytest

from oermonitor.models import FetchResult
from oermonitor.robots import Verdict, interpret, robots_url
from tests import support

AGENT = "oermonitor/0.1.0 (+beheer@school.example)"


def make_fetcher(**fetch):
    """The shared fetcher, with robots.txt respected (the subject here)."""
    return support.make_fetcher(**{"respect_robots_txt": True, "max_tries": 2,
                                   "total_timeout": 60.0, **fetch})


def robots(server, text, **route):
    server.route("/robots.txt", text, content_type="text/plain", **route)


def test_disallowed_page_is_not_requested_and_robots_is_read_once(server):
    robots(server, "User-agent: *\nDisallow: /prive/\n")
    server.route("/prive/les", "geheim")
    server.route("/open/les", "open")
    with make_fetcher() as fetcher:
        blocked = fetcher.fetch(server.url("/prive/les"))
        allowed = fetcher.fetch(server.url("/open/les"))
        fetcher.fetch(server.url("/prive/les"))
    assert blocked.availability == "blocked_by_robots"
    assert blocked.error == "robots.txt disallows /prive/les"
    assert blocked.status_code is None
    assert allowed.availability == "ok"
    assert server.hits("/prive/les") == 0
    assert server.hits("/robots.txt") == 1
    assert server.requests[0].headers["user-agent"].startswith("oermonitor/")


def test_longest_match_wins_and_allow_wins_a_tie(server):
    robots(server, "User-agent: *\nDisallow: /\nAllow: /lessen/\n"
                   "Allow: /x/page\nDisallow: /x/page\n")
    for path in ("/lessen/1", "/anders", "/x/page"):
        server.route(path, "p")
    with make_fetcher() as fetcher:
        assert fetcher.fetch(server.url("/lessen/1")).availability == "ok"
        assert fetcher.fetch(server.url("/anders")).availability == "blocked_by_robots"
        assert fetcher.fetch(server.url("/x/page")).availability == "ok"


def test_group_for_our_agent_beats_the_star_group(server):
    robots(server, "User-agent: *\nAllow: /\n\nUser-agent: oermonitor\nDisallow: /\n")
    server.route("/les", "p")
    with make_fetcher() as fetcher:
        assert fetcher.fetch(server.url("/les")).availability == "blocked_by_robots"


@pytest.mark.parametrize("status", [404, 410, 401, 403])
def test_unavailable_robots_allows_everything(server, status):
    robots(server, "nee", status=status)
    server.route("/les", "p")
    with make_fetcher() as fetcher:
        assert fetcher.fetch(server.url("/les")).availability == "ok"


def test_server_error_on_robots_means_the_site_is_unavailable(server):
    robots(server, "kapot", status=503)
    server.route("/les", "p")
    with make_fetcher(max_tries=2) as fetcher:
        result = fetcher.fetch(server.url("/les"))
    assert result.availability == "server_error"
    assert "robots.txt answered HTTP 503" in result.error
    assert server.hits("/les") == 0
    assert server.hits("/robots.txt") == 2  # retried like any 5xx


def test_unreachable_robots_disallows_the_site(server):
    def hang_up(req):
        req.close_connection = True
        req.connection.shutdown(2)
    server.route("/robots.txt", handler=hang_up)
    server.route("/les", "p")
    with make_fetcher() as fetcher:
        result = fetcher.fetch(server.url("/les"))
    assert result.availability == "unreachable"
    assert result.error.startswith("robots.txt: connection broken")
    assert server.hits("/les") == 0


def test_robots_behind_a_redirect_applies(server):
    server.route("/robots.txt", status=301, headers={"Location": "/echte-robots.txt"})
    server.route("/echte-robots.txt", "User-agent: *\nDisallow: /les\n", content_type="text/plain")
    server.route("/les", "p")
    with make_fetcher() as fetcher:
        assert fetcher.fetch(server.url("/les")).availability == "blocked_by_robots"


def test_redirect_hop_is_checked_against_robots(server):
    robots(server, "User-agent: *\nDisallow: /verboden\n")
    server.route("/oud", status=301, headers={"Location": "/verboden/les"})
    server.route("/verboden/les", "p")
    with make_fetcher() as fetcher:
        result = fetcher.fetch(server.url("/oud"))
    assert result.availability == "blocked_by_robots"
    assert result.hops == [(server.url("/oud"), 301)]
    assert server.hits("/verboden/les") == 0


def test_robots_can_be_switched_off(server):
    robots(server, "User-agent: *\nDisallow: /\n")
    server.route("/les", "p")
    with make_fetcher(respect_robots_txt=False) as fetcher:
        assert fetcher.fetch(server.url("/les")).availability == "ok"
    assert server.hits("/robots.txt") == 0


def test_interpret_status_codes():
    def got(status, text="", availability="ok"):
        return interpret(FetchResult(url="u", availability=availability, status_code=status,
                                     text=text))
    assert got(200, "User-agent: *\nDisallow: /\n").can_fetch(AGENT, "http://h/x") is False
    assert got(200, "").can_fetch(AGENT, "http://h/x") is True
    assert got(404, availability="missing") == Verdict(True)
    assert got(429, availability="rate_limited") == Verdict(True)
    assert got(301, availability="unreachable") == Verdict(True)  # redirects that led nowhere
    assert got(500, availability="server_error").allowed is False
    timeout = interpret(FetchResult(url="u", availability="timeout", error="no answer"))
    assert timeout == Verdict(False, "timeout", "robots.txt: no answer")


def test_truncated_robots_keeps_whole_lines():
    result = FetchResult(url="u", availability="ok", status_code=200, truncated=True,
                         text="User-agent: *\nDisallow: /a\nDisallow: /b-but-cut")
    rules = interpret(result)
    assert rules.can_fetch(AGENT, "http://h/a") is False
    assert rules.can_fetch(AGENT, "http://h/b") is True


def test_robots_url():
    assert robots_url("https://user:pw@maken.wikiwijs.nl:8443/171772/x?y=1") == \
        "https://maken.wikiwijs.nl:8443/robots.txt"


def test_wildcards_and_end_anchor_over_loopback(server):
    robots(server, "User-agent: *\nDisallow: /*.pdf$\nDisallow: /zoek?\n\n"
                   "User-agent: oermonitor\n\nDisallow: /*/concept/\n")
    for path in ("/les/blad.pdf", "/les/blad.pdf.html", "/les/concept/1", "/zoek"):
        server.route(path, "p")
    with make_fetcher() as fetcher:
        # our own group applies (a blank line inside it does not end it), the * group does not
        assert fetcher.fetch(server.url("/les/concept/1")).availability == "blocked_by_robots"
        assert fetcher.fetch(server.url("/les/blad.pdf")).availability == "ok"
        assert fetcher.fetch(server.url("/les/blad.pdf.html")).availability == "ok"


def test_only_our_product_token_selects_a_group(server):
    # "school" appears in our User-Agent header (the contact address), not in our token
    robots(server, "User-agent: school\nDisallow: /\n\nUser-agent: *\nDisallow: /*.pdf$\n")
    server.route("/les", "p")
    server.route("/les/blad.pdf", "p")
    with make_fetcher(contact="beheer@school.example") as fetcher:
        assert "school" in fetcher.user_agent
        assert fetcher.fetch(server.url("/les")).availability == "ok"
        assert fetcher.fetch(server.url("/les/blad.pdf")).availability == "blocked_by_robots"

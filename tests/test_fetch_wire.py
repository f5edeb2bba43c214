"""What the fetcher puts on the wire: headers, cookies, credentials, non-ASCII URLs."""

import base64

import pytest

from oermonitor import __version__
from tests.support import make_fetcher


@pytest.fixture
def fetcher():
    with make_fetcher() as f:
        yield f


def test_request_headers(server, fetcher):
    url = server.route("/les", "<p>les</p>")
    assert fetcher.fetch(url).availability == "ok"
    sent = server.requests[-1].headers
    assert sent["user-agent"] == f"oermonitor/{__version__}"
    assert sent["accept"].startswith("text/html,")
    assert sent["accept-language"] == "nl,en;q=0.8"
    assert "gzip" in sent["accept-encoding"]
    assert sent["host"] == f"127.0.0.1:{server.server_address[1]}"
    assert "cookie" not in sent and "authorization" not in sent


def test_conditional_headers_are_added_to_the_usual_ones(server, fetcher):
    url = server.route("/les", "<p>les</p>")
    fetcher.fetch(url, etag='"v1"', last_modified="Tue, 03 Mar 2026 10:00:00 GMT")
    fetcher.fetch(url)
    conditional, plain = (request.headers for request in server.requests)
    assert conditional["if-none-match"] == '"v1"'
    assert conditional["if-modified-since"] == "Tue, 03 Mar 2026 10:00:00 GMT"
    assert conditional["accept-language"] == plain["accept-language"] == "nl,en;q=0.8"
    assert "if-none-match" not in plain and "if-modified-since" not in plain


def cookie_wall(server):
    """/start sets a cookie and sends the visitor to /les, which without the cookie
    sends them back to /start: a loop for a client that keeps no cookies."""
    def start(req):
        req.send_response(302)
        req.send_header("Set-Cookie", "sessie=abc; Path=/")
        req.send_header("Location", "/les")
        req.send_header("Content-Length", "0")
        req.end_headers()

    def lesson(req):
        if "sessie=abc" not in (req.headers.get("Cookie") or ""):
            req.send_response(302)
            req.send_header("Location", "/start")
            req.send_header("Content-Length", "0")
            req.end_headers()
            return
        req.send_response(200)
        req.send_header("Content-Type", "text/html; charset=utf-8")
        req.send_header("Content-Length", "13")
        req.end_headers()
        req.wfile.write(b"<p>welkom</p>")

    server.route("/les", handler=lesson)
    return server.route("/start", handler=start)


def test_a_cookie_set_on_a_redirect_is_sent_on_the_next_hop(server, fetcher):
    result = fetcher.fetch(cookie_wall(server))
    assert result.availability == "ok" and "welkom" in result.text
    assert [status for _, status in result.hops] == [302]
    assert "cookie" not in server.requests[0].headers
    assert server.requests[1].headers["cookie"] == "sessie=abc"


def test_cookies_are_kept_for_the_run_per_site(server, fetcher):
    fetcher.fetch(cookie_wall(server))
    other = server.route("/andere", "<p>ander</p>")
    fetcher.fetch(other)
    assert server.requests[-1].headers["cookie"] == "sessie=abc"
    with make_fetcher() as next_run:
        next_run.fetch(other)
    assert "cookie" not in server.requests[-1].headers


def test_credentials_in_the_url_are_sent_as_basic_auth(server, fetcher):
    server.route("/prive", "<p>geheim</p>")
    port = server.server_address[1]
    result = fetcher.fetch(f"http://jan:geh%C3%AFm@127.0.0.1:{port}/prive")
    assert result.availability == "ok"
    request = server.requests[-1]
    assert request.path == "/prive"
    expected = base64.b64encode("jan:gehïm".encode("latin-1")).decode()
    assert request.headers["authorization"] == f"Basic {expected}"


def test_a_user_name_without_password_is_sent_with_an_empty_one(server, fetcher):
    server.route("/prive", "<p>geheim</p>")
    port = server.server_address[1]
    fetcher.fetch(f"http://jan@127.0.0.1:{port}/prive")
    expected = base64.b64encode(b"jan:").decode()
    assert server.requests[-1].headers["authorization"] == f"Basic {expected}"


def test_non_ascii_url_is_sent_percent_encoded(server, fetcher):
    server.route("/les/caf%C3%A9", "<p>koffie</p>")
    port = server.server_address[1]
    result = fetcher.fetch(f"http://127.0.0.1:{port}/les/café?q=één stap#deel")
    assert result.availability == "ok" and "koffie" in result.text
    assert server.requests[-1].path == "/les/caf%C3%A9?q=%C3%A9%C3%A9n%20stap"
    assert result.final_url == f"http://127.0.0.1:{port}/les/café?q=één stap#deel"


def test_ascii_url_keeps_its_escapes_and_encodes_what_may_not_be_sent(server, fetcher):
    server.route("/a%2Fb/c d", "<p>x</p>")
    port = server.server_address[1]
    fetcher.fetch(f"http://127.0.0.1:{port}/a%2fb/c d?x=1|2&y=%zz")
    assert server.requests[-1].path == "/a%2Fb/c%20d?x=1%7C2&y=%25zz"

"""The fetcher against real loopback HTTP servers: statuses, retries, redirects, 304, charsets."""

import socket
import threading
import time

import pytest

from oermonitor import __version__
from oermonitor.fetch import (
    classify,
    is_sign_in_url,
    parse_content_type,
    retry_after,
    user_agent,
)
from tests.support import free_port, make_fetcher


@pytest.fixture
def fetcher():
    with make_fetcher() as f:
        yield f


def reply(req, status=200, body=b"", headers=None):
    req.send_response(status)
    for name, value in (headers or {}).items():
        req.send_header(name, value)
    req.send_header("Content-Length", str(len(body)))
    req.end_headers()
    req.wfile.write(body)


def sequence(*steps):
    """A handler that answers with the next step each time: (status, headers) tuples."""
    steps = list(steps)
    lock = threading.Lock()

    def handler(req):
        with lock:
            status, headers = steps.pop(0) if len(steps) > 1 else steps[0]
        reply(req, status, b"<html><title>t</title></html>",
              {"Content-Type": "text/html", **headers})
    return handler


# -- plain statuses ------------------------------------------------------------------------

def test_ok_page_is_read_and_decoded(server, fetcher):
    url = server.route("/les", "<html><head><title>Breuken</title></head><body>½</body></html>")
    result = fetcher.fetch(url)
    assert result.availability == "ok"
    assert result.status_code == 200
    assert result.final_url == url
    assert result.content_type == "text/html"
    assert "½" in result.text
    assert result.headers["content-type"] == "text/html; charset=utf-8"
    assert result.fetched_at is not None and result.fetched_at.tzinfo is not None
    assert not result.truncated and not result.not_modified and result.hops == []


def test_user_agent_names_version_and_contact(server):
    url = server.route("/", "hi")
    with make_fetcher(contact="beheer@school.example") as f:
        f.fetch(url)
    assert server.requests[-1].headers["user-agent"] == \
        f"oermonitor/{__version__} (+beheer@school.example)"
    assert user_agent("") == f"oermonitor/{__version__}"


@pytest.mark.parametrize("status, availability", [
    (404, "missing"), (410, "missing"), (401, "forbidden"), (403, "forbidden"),
    (451, "forbidden"), (418, "error"), (400, "error"),
])
def test_client_errors_are_classified_without_retry(server, fetcher, status, availability):
    url = server.route("/x", "nope", status=status)
    result = fetcher.fetch(url)
    assert (result.availability, result.status_code) == (availability, status)
    assert result.error == f"HTTP {status}"
    assert server.hits("/x") == 1


def test_server_error_is_retried_then_reported(server):
    url = server.route("/down", "busy", status=500)
    with make_fetcher(max_tries=3, backoff_base=0.2) as f:
        started = time.monotonic()
        result = f.fetch(url)
        took = time.monotonic() - started
    assert result.availability == "server_error"
    assert result.status_code == 500 and result.tries == 3
    assert server.hits("/down") == 3
    # backoff with jitter: at least half of 0.2 and of 0.4 were waited
    assert 0.3 <= took < 2.0


def test_transient_server_error_recovers(server, fetcher):
    url = server.route("/flaky", handler=sequence((503, {}), (502, {}), (200, {})))
    result = fetcher.fetch(url)
    assert result.availability == "ok" and result.tries == 3
    assert server.hits("/flaky") == 3


def test_not_implemented_is_not_retried(server, fetcher):
    url = server.route("/x", status=501)
    assert fetcher.fetch(url).availability == "server_error"
    assert server.hits("/x") == 1


def test_retry_after_is_honoured(server):
    url = server.route("/slow", handler=sequence((429, {"Retry-After": "1"}), (200, {})))
    with make_fetcher(retry_after_cap=5) as f:
        started = time.monotonic()
        result = f.fetch(url)
        took = time.monotonic() - started
    assert result.availability == "ok" and result.tries == 2
    assert 1.0 <= took < 2.5


def test_long_retry_after_gives_rate_limited_at_once(server):
    url = server.route("/busy", status=429, headers={"Retry-After": "3600"})
    with make_fetcher(retry_after_cap=5) as f:
        started = time.monotonic()
        result = f.fetch(url)
    assert time.monotonic() - started < 1.0
    assert result.availability == "rate_limited"
    assert result.error == "HTTP 429 (Retry-After: 3600)"
    assert server.hits("/busy") == 1


def test_persistent_429_is_rate_limited_after_tries(server):
    url = server.route("/busy", status=429)
    with make_fetcher(max_tries=2) as f:
        result = f.fetch(url)
    assert result.availability == "rate_limited" and result.tries == 2
    assert server.hits("/busy") == 2


def test_long_retry_after_on_503_is_server_error_at_once(server, fetcher):
    url = server.route("/maint", status=503, headers={"Retry-After": "86400"})
    result = fetcher.fetch(url)
    assert result.availability == "server_error"
    assert server.hits("/maint") == 1


def test_retry_after_parsing():
    from datetime import UTC, datetime
    now = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after("120", now) == 120
    assert retry_after("Sun, 01 Mar 2026 12:01:00 GMT", now) == 60
    assert retry_after("Sun, 01 Mar 2026 11:00:00 GMT", now) == 0
    assert retry_after("soon", now) is None
    assert retry_after(None, now) is None


# -- no response ---------------------------------------------------------------------------

def test_closed_port_is_unreachable_quickly(fetcher):
    started = time.monotonic()
    result = fetcher.fetch(f"http://127.0.0.1:{free_port()}/")
    assert result.availability == "unreachable"
    assert result.error == "connection refused"
    assert result.status_code is None
    assert time.monotonic() - started < 1.0


def test_port_that_accepts_no_connection_is_a_connect_timeout():
    """A listener whose accept queue is full drops further connection attempts."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        waiting = [socket.socket() for _ in range(4)]  # never accepted: the queue fills
        for client in waiting:
            client.setblocking(False)
            client.connect_ex(listener.getsockname())
        try:
            with make_fetcher(connect_timeout=0.3, max_tries=2) as fetcher:
                result = fetcher.fetch(f"http://127.0.0.1:{listener.getsockname()[1]}/")
        finally:
            for client in waiting:
                client.close()
    assert result.availability == "timeout"
    assert result.error == "no connection within 0.3 s"
    assert result.tries == 2  # worth another try


def test_server_that_does_not_answer_times_out(server):
    def sleepy(req):
        time.sleep(1.5)
    url = server.route("/sleep", handler=sleepy)
    with make_fetcher(timeout=0.3, max_tries=2) as f:
        started = time.monotonic()
        result = f.fetch(url)
        took = time.monotonic() - started
    assert result.availability == "timeout"
    assert result.status_code is None and result.tries == 2
    assert "0.3" in result.error
    assert took < 1.5


def test_inspect_timeout_overrides_settings(server, fetcher):
    url = server.route("/sleep", handler=lambda req: time.sleep(1.0))
    result = fetcher.fetch(url, timeout=0.2)
    assert result.availability == "timeout"


def test_reset_connection_is_retried_then_unreachable(server):
    def hang_up(req):
        req.close_connection = True
        req.connection.shutdown(2)
    url = server.route("/reset", handler=hang_up)
    with make_fetcher(max_tries=3) as f:
        result = f.fetch(url)
    assert result.availability == "unreachable"
    assert result.error.startswith("connection broken")
    assert server.hits("/reset") == 3


def test_corrupt_gzip_body_is_an_error(server, fetcher):
    url = server.route("/z", b"this is not gzip at all",
                       headers={"Content-Encoding": "gzip"})
    result = fetcher.fetch(url)
    assert result.availability == "error"
    assert result.error.startswith("body could not be decoded")


@pytest.mark.parametrize("url", [
    "ftp://example.org/file", "mailto:someone@example.org", "not a url", "http://",
    "http://example.org:99999/", "javascript:alert(1)", "",
])
def test_non_http_urls_are_invalid(fetcher, url):
    result = fetcher.fetch(url)
    assert result.availability == "invalid_url"
    assert result.error


# -- redirects -----------------------------------------------------------------------------

def test_permanent_redirect_chain_is_moved(server, fetcher):
    server.route("/a", status=301, headers={"Location": "/b"})
    server.route("/b", status=308, headers={"Location": server.url("/c")})
    server.route("/c", "<p>hier</p>")
    result = fetcher.fetch(server.url("/a"))
    assert result.availability == "moved"
    assert result.final_url == server.url("/c")
    assert result.hops == [(server.url("/a"), 301), (server.url("/b"), 308)]
    assert result.permanent_redirect
    assert result.error == f"moved permanently to {server.url('/c')}"
    assert "hier" in result.text


@pytest.mark.parametrize("statuses", [(302,), (307,), (303,), (301, 302)])
def test_temporary_redirect_is_ok(server, fetcher, statuses):
    for index, status in enumerate(statuses):
        server.route(f"/r{index}", status=status, headers={"Location": f"/r{index + 1}"})
    server.route(f"/r{len(statuses)}", "<p>doel</p>")
    result = fetcher.fetch(server.url("/r0"))
    assert result.availability == "ok"
    assert not result.permanent_redirect
    assert result.final_url == server.url(f"/r{len(statuses)}")
    assert len(result.hops) == len(statuses)


def test_redirect_loop_is_unreachable(server, fetcher):
    server.route("/ping", status=302, headers={"Location": "/pong"})
    server.route("/pong", status=302, headers={"Location": "/ping"})
    result = fetcher.fetch(server.url("/ping"))
    assert result.availability == "unreachable"
    assert "loop" in result.error
    assert server.hits("/ping") == 1 and server.hits("/pong") == 1


def test_too_many_redirects_is_unreachable(server):
    for index in range(6):
        server.route(f"/{index}", status=301, headers={"Location": f"/{index + 1}"})
    server.route("/6", "end")
    with make_fetcher(max_redirects=5) as f:
        result = f.fetch(server.url("/0"))
        assert result.availability == "unreachable"
        assert "more than 5 redirects" in result.error
    with make_fetcher(max_redirects=6) as f:
        assert f.fetch(server.url("/0")).availability == "moved"


def test_redirect_to_sign_in_page_is_login_required(server, fetcher):
    server.route("/171772/Breuken", status=302,
                 headers={"Location": "/Account/Login?ReturnUrl=%2F171772"})
    server.route("/Account/Login", "<form><input type=password></form>")
    result = fetcher.fetch(server.url("/171772/Breuken"))
    assert result.availability == "login_required"
    assert result.final_url == server.url("/Account/Login?ReturnUrl=%2F171772")


def test_redirect_to_non_http_location_is_an_error(server, fetcher):
    server.route("/x", status=302, headers={"Location": "ftp://files.example/x"})
    result = fetcher.fetch(server.url("/x"))
    assert result.availability == "error"
    assert "ftp://files.example/x" in result.error


def test_sign_in_urls():
    assert is_sign_in_url("https://maken.wikiwijs.nl/login?next=/1")
    assert is_sign_in_url("https://site.example/users/sign_in")
    assert is_sign_in_url("https://site.example/Account/Login.aspx?ReturnUrl=x")
    assert is_sign_in_url("https://sso.school.example/")
    assert not is_sign_in_url("https://site.example/lessen/inloggen-op-de-computer")
    assert not is_sign_in_url("https://maken.wikiwijs.nl/171772/Breuken")


# -- conditional requests ------------------------------------------------------------------

def conditional(req):
    if req.headers.get("If-None-Match") == '"v1"' or \
            req.headers.get("If-Modified-Since") == "Tue, 01 Jul 2025 10:00:00 GMT":
        req.send_response(304)
        req.send_header("ETag", '"v1"')
        req.end_headers()
        return
    reply(req, 200, b"<html><title>Les</title><p>inhoud</p></html>",
          {"Content-Type": "text/html", "ETag": '"v1"',
           "Last-Modified": "Tue, 01 Jul 2025 10:00:00 GMT"})


def test_conditional_request_gives_not_modified(server, fetcher):
    url = server.route("/les", handler=conditional)
    first = fetcher.fetch(url)
    assert first.availability == "ok" and not first.not_modified
    assert first.headers["etag"] == '"v1"'
    again = fetcher.fetch(url, etag='"v1"')
    assert again.not_modified and again.availability == "ok" and again.status_code == 304
    assert again.body == b"" and again.text is None
    assert server.requests[-1].headers["if-none-match"] == '"v1"'
    by_date = fetcher.fetch(url, last_modified="Tue, 01 Jul 2025 10:00:00 GMT")
    assert by_date.not_modified
    assert server.requests[-1].headers["if-modified-since"] == "Tue, 01 Jul 2025 10:00:00 GMT"
    changed = fetcher.fetch(url, etag='"v0"')
    assert not changed.not_modified and changed.status_code == 200


def test_plain_request_sends_no_validators(server, fetcher):
    fetcher.fetch(server.route("/", "x"))
    sent = server.requests[-1].headers
    assert "if-none-match" not in sent and "if-modified-since" not in sent


# -- charsets ------------------------------------------------------------------------------

@pytest.mark.parametrize("body, content_type, expected", [
    ("<p>café</p>".encode("iso-8859-1"), "text/html; charset=ISO-8859-1", "café"),
    ("<p>één €</p>".encode("cp1252"), "text/html; charset=latin1", "één €"),
    ('<meta charset="windows-1252"><p>café</p>'.encode("cp1252"), "text/html", "café"),
    ('<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"><p>ç</p>'
     .encode("latin-1"), "text/html", "ç"),
    ("<p>Ünïcödé ok</p>".encode(), "text/html", "Ünïcödé ok"),
    ("\ufeff<p>bom wint</p>".encode(), "text/html; charset=iso-8859-1", "bom wint"),
    ("<p>здравствуйте</p>".encode("utf-16"), "text/html; charset=utf-16", "здравствуйте"),
    ("plain café".encode(), "text/plain; charset=utf-8", "plain café"),
])
def test_charsets(server, fetcher, body, content_type, expected):
    url = server.route("/p", body, content_type=content_type)
    result = fetcher.fetch(url)
    assert expected in result.text
    assert "\ufeff" not in result.text


@pytest.mark.parametrize("value, expected", [
    (None, (None, None)),
    ("  ", (None, None)),
    ("text/html", ("text/html", None)),
    ("Text/HTML; Charset=UTF-8", ("text/html", "utf-8")),
    ("text/html;charset=utf-8;", ("text/html", "utf-8")),
    (' application/xhtml+xml ; charset = "ISO-8859-1" ', ("application/xhtml+xml", "iso-8859-1")),
    ("text/html; charset='utf-8'", ("text/html", "utf-8")),
    ("text/html; q=1; charset=latin1; charset=utf-8", ("text/html", "latin1")),
    ('text/html; charset=""', ("text/html", None)),
    # odd shapes, read as the email package reads a MIME header
    ("html", ("text/plain", None)),
    ("charset=utf-8", ("text/plain", "utf-8")),
    ("text/html; charset=\"utf-8\"; x=\"a;b\"", ("text/html", "utf-8")),
    ('text/html; x="a;b"; charset=koi8-r', ("text/html", "koi8-r")),
    ("text/html; charset*=utf-8''iso-8859-1", ("text/html", None)),
    ("text/html;\tcharset=\u00a0utf-8", ("text/html", "utf-8")),
    ("text/html; charset*0*='; charset*=x", ("text/html", None)),  # the email package fails
])
def test_content_type_parameters(value, expected):
    assert parse_content_type(value) == expected


def test_unreadable_content_type_parameters_do_not_fail_the_fetch(server, fetcher):
    url = server.route("/p", "<p>hallo</p>", content_type="text/html; charset*0*='; charset*=x")
    result = fetcher.fetch(url)
    assert result.availability == "ok" and result.text == "<p>hallo</p>"


def test_html_without_content_type_is_read_as_html(server, fetcher):
    url = server.route("/bare", "<html><title>Zonder type</title><p>Ça va</p></html>"
                       .encode(), content_type=None)
    result = fetcher.fetch(url)
    assert result.content_type is None
    assert result.availability == "ok"
    assert "Ça va" in result.text


def test_binary_without_content_type_is_not_decoded(server, fetcher):
    url = server.route("/file", b"%PDF-1.7\n\x00\x01binary", content_type=None)
    result = fetcher.fetch(url)
    assert result.text is None and result.body.startswith(b"%PDF")


def test_binary_file_keeps_bytes_only(server, fetcher):
    url = server.route("/a.pdf", b"%PDF-1.4 data", content_type="application/pdf")
    result = fetcher.fetch(url)
    assert result.availability == "ok" and result.content_type == "application/pdf"
    assert result.text is None and result.body == b"%PDF-1.4 data"


def test_classify_table():
    assert classify(200, {}) == ("ok", None)
    assert classify(204, {}) == ("ok", None)
    assert classify(304, {}) == ("ok", None)
    assert classify(302, {}) == ("error", "HTTP 302 without a Location")
    assert classify(503, {"retry-after": "10"}) == ("server_error", "HTTP 503 (Retry-After: 10)")


def test_fetcher_is_shared_between_threads(server, fetcher):
    for index in range(20):
        server.route(f"/{index}", f"<p>{index}</p>")
    results = {}

    def get(index):
        results[index] = fetcher.fetch(server.url(f"/{index}"))
    threads = [threading.Thread(target=get, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(results[i].availability == "ok" and f"<p>{i}</p>" in results[i].text
               for i in range(20))

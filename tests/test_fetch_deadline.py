"""The per-URL deadline holds from connect to last byte, whatever the server drips.

A socket timeout bounds each read; a server that sends one byte of its status line,
a header or the body every little while never trips it. The deadline must.
"""

from __future__ import annotations

import time

import pytest

from tests.support import make_fetcher

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Slow: " + b"x" * 40 + b"\r\n"
BODY = b"<html><head><title>Traag</title></head><body><p>Les</p></body></html>"
WHOLE = HEAD + b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY


def dripping(fast: int, pause: float):
    """A handler that sends the first `fast` bytes of a response at once, then one
    byte per `pause` seconds (about 25 s for the rest), until the client hangs up."""
    def handler(request):
        try:
            request.wfile.write(WHOLE[:fast])
            request.wfile.flush()
            for i in range(fast, len(WHOLE)):
                time.sleep(pause)
                request.wfile.write(WHOLE[i:i + 1])
                request.wfile.flush()
        except OSError:
            pass
        request.close_connection = True
    return handler


@pytest.mark.parametrize("phase, fast", [
    ("status line", 0), ("headers", len(b"HTTP/1.1 200 OK\r\n")),
    ("body", len(WHOLE) - len(BODY) + 10),
])
def test_a_dripping_server_ends_at_the_deadline(server, phase, fast):
    pause = 0.25 if phase != "body" else 0.4
    url = server.route("/drip", handler=dripping(fast, pause))
    with make_fetcher(total_timeout=1.5, timeout=3.0, max_tries=3) as fetcher:
        started = time.monotonic()
        result = fetcher.fetch(url)
        took = time.monotonic() - started
    assert result.availability == "timeout", (phase, result)
    assert "time limit per URL" in result.error
    assert result.text is None  # never a short body taken for the page
    assert took < 6, phase  # the drip would last about 25 s


def test_the_connection_after_a_cut_is_fresh_and_the_next_url_is_fine(server):
    server.route("/drip", handler=dripping(0, 0.25))
    fine = server.route("/fine", BODY)
    with make_fetcher(total_timeout=1.0, timeout=3.0, max_tries=1) as fetcher:
        assert fetcher.fetch(server.url("/drip")).availability == "timeout"
        result = fetcher.fetch(fine)
    assert result.availability == "ok" and "Traag" in result.text


def test_a_dripping_catalogue_ends_an_edurep_import_at_the_deadline(server, tmp_path):
    from click.testing import CliRunner

    from oermonitor.cli import main

    endpoint = server.route("/sru", handler=dripping(0, 0.25))
    config = tmp_path / "o.toml"
    config.write_text('database = "oer.db"\n[fetch]\nallow_private_networks = true\n'
                      "max_tries = 1\ntimeout = 3\ntotal_timeout = 1.5\n", encoding="utf-8")
    started = time.monotonic()
    result = CliRunner().invoke(main, ["--config", str(config), "edurep", "import",
                                       "--query", "x", "--pilot", "P", "--maintainer",
                                       "a@school.nl", "--endpoint", endpoint])
    assert result.exit_code == 3, result.output
    assert "no complete answer within 1.5 s" in result.stderr
    assert time.monotonic() - started < 6

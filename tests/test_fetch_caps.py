"""Byte cap and deadline: huge pages, gzip bombs and endless streams end quickly and small."""

import gzip
import time
import tracemalloc

import bs4.dammit  # noqa: F401 - decode() imports it on first use: not part of what is measured
import pytest

from tests.support import make_fetcher

MB = 1_000_000


def measured(fetcher, url):
    """(result, peak bytes allocated while fetching)."""
    tracemalloc.start()
    try:
        return fetcher.fetch(url), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def write_until_closed(req, chunks):
    """Write `chunks` until the client hangs up; `req.server.written` counts the bytes."""
    req.server.written = 0
    try:
        for chunk in chunks:
            req.wfile.write(chunk)
            req.server.written += len(chunk)
    except OSError:  # the client hung up, as it should
        pass


def huge_page(req):
    size = 50 * MB
    req.send_response(200)
    req.send_header("Content-Type", "text/html; charset=utf-8")
    req.send_header("Content-Length", str(size))
    req.end_headers()
    block = b"<p>" + b"x" * 65_529 + b"</p>"
    write_until_closed(req, (block for _ in range(size // len(block))))


def endless_chunked(req):
    req.send_response(200)
    req.send_header("Content-Type", "text/html")
    req.send_header("Transfer-Encoding", "chunked")
    req.end_headers()
    block = b"<p>" + b"y" * 8000 + b"</p>"
    chunk = f"{len(block):x}\r\n".encode() + block + b"\r\n"

    def forever():
        while True:
            yield chunk
    write_until_closed(req, forever())


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """100 MB of zeros, about 100 kB gzipped."""
    return gzip.compress(b"\0" * (100 * MB), compresslevel=9)


def test_50_mb_page_stops_at_the_cap(server):
    url = server.route("/big", handler=huge_page)
    with make_fetcher() as fetcher:  # default cap: 5 MB
        result, peak = measured(fetcher, url)
    assert result.availability == "ok"
    assert result.truncated
    assert len(result.body) == 5 * MB
    assert server.written < 25 * MB  # hung up: the rest was never sent
    assert peak < 30 * MB  # body, its text, and little else: never the 50 MB


def test_gzip_bomb_stops_at_the_decoded_cap(server, bomb):
    def serve_bomb(req):
        req.send_response(200)
        req.send_header("Content-Type", "text/html")
        req.send_header("Content-Encoding", "gzip")
        req.send_header("Content-Length", str(len(bomb)))
        req.end_headers()
        write_until_closed(req, [bomb])
    url = server.route("/bomb", handler=serve_bomb)
    with make_fetcher(max_bytes=MB) as fetcher:
        result, peak = measured(fetcher, url)
    assert len(bomb) < MB  # small on the wire ...
    assert result.truncated and len(result.body) == MB  # ... capped after decoding
    assert peak < 8 * MB


def test_endless_stream_stops_at_the_cap(server):
    url = server.route("/stream", handler=endless_chunked)
    with make_fetcher(max_bytes=2 * MB) as fetcher:
        result, peak = measured(fetcher, url)
    assert result.availability == "ok" and result.truncated
    assert len(result.body) == 2 * MB
    assert peak < 15 * MB


def test_trickling_stream_hits_the_deadline(server):
    def trickle(req):
        req.send_response(200)
        req.send_header("Content-Type", "text/html")
        req.send_header("Transfer-Encoding", "chunked")
        req.end_headers()

        def slowly():
            while True:
                time.sleep(0.05)
                yield b"5\r\nhello\r\n"
        write_until_closed(req, slowly())
    url = server.route("/trickle", handler=trickle)
    with make_fetcher(total_timeout=1.0, timeout=1.0, max_tries=1) as fetcher:
        started = time.monotonic()
        result = fetcher.fetch(url)
        took = time.monotonic() - started
    assert result.availability == "timeout"
    assert took < 10  # the 1 s deadline held; without it the stream never ends


def test_connection_is_reused_after_a_complete_body(server):
    ports = []

    def page(req):
        ports.append(req.client_address[1])
        body = b"<p>a</p>"
        req.send_response(200)
        req.send_header("Content-Type", "text/html")
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body)
    url = server.route("/a", handler=page)
    with make_fetcher() as fetcher:
        for _ in range(5):
            assert fetcher.fetch(url).availability == "ok"
    assert len(ports) == 5 and len(set(ports)) == 1  # one connection for all five


def test_kept_alive_requests_do_not_wait_for_delayed_acks(server):
    # http.server sends headers and body in two writes without TCP_NODELAY; unless we
    # acknowledge at once, each body waits ~40 ms for our delayed ACK.
    url = server.route("/a", "<p>a</p>")
    with make_fetcher() as fetcher:
        fetcher.fetch(url)
        started = time.monotonic()
        for _ in range(100):
            assert fetcher.fetch(url).availability == "ok"
        took = time.monotonic() - started
    assert took < 2  # waiting for delayed ACKs: 100 x 40 ms = 4 s at least


def test_cut_multibyte_character_does_not_spoil_decoding(server):
    body = ("<p>" + "é" * 600_000 + "</p>").encode()
    url = server.route("/e", body)
    with make_fetcher(max_bytes=1_000_001) as fetcher:  # cuts inside an "é"
        result = fetcher.fetch(url)
    assert result.truncated
    assert result.text.startswith("<p>éé") and "Ã" not in result.text

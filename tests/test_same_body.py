"""Cheap nights: a page that did not change is not read again (304, or the same bytes)."""

from __future__ import annotations

from datetime import timedelta

from oermonitor import checker, job
from oermonitor.extract import extract
from oermonitor.fetch import Fetcher
from oermonitor.settings import FetchSettings, Settings
from oermonitor.store import utcnow
from tests.test_job import PAGE, TODAY, setup

OTHER_LICENCE = PAGE.replace("/by/4.0/", "/by-sa/4.0/")


def nights(store, settings, count: int, first: int = 0) -> list[dict]:
    """`count` runs a night apart, from night `first`; the material's checks, oldest first."""
    start = utcnow()
    for night in range(first, first + count):
        moment = start + timedelta(hours=21 * night)
        job.run(store, settings, today=TODAY, now=moment, clock=lambda m=moment: m)
    (material,) = store.materials_view()
    return list(reversed(store.checks(material["id"])))


def test_a_304_keeps_the_facts_and_sends_no_body(server, tmp_path):
    body = PAGE.format(title="Breuken").encode()
    sent = []

    def handler(request):
        unchanged = request.headers.get("If-None-Match") == '"v1"'
        data = b"" if unchanged else body
        request.send_response(304 if unchanged else 200)
        request.send_header("ETag", '"v1"')
        request.send_header("Content-Type", "text/html; charset=utf-8")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)
        sent.append(len(data))

    _, settings, store = setup(tmp_path, [server.route("/cond", handler=handler)])
    first, second = nights(store, settings, 2)
    assert sent == [len(body), 0]
    assert (second["not_modified"], second["same_body"]) == (1, 0)
    assert first["licence"] == second["licence"] == "CC-BY-4.0"
    assert first["title"] == second["title"] == "Breuken"
    assert first["content_hash"] == second["content_hash"]


def test_the_same_bytes_without_validators_are_not_read_again(server, tmp_path):
    url = server.route("/static", PAGE.format(title="Breuken"))
    _, settings, store = setup(tmp_path, [url])
    first, second, third = nights(store, settings, 3)
    assert [c["same_body"] for c in (first, second, third)] == [0, 1, 1]
    assert [c["not_modified"] for c in (first, second, third)] == [0, 0, 0]
    for check in (second, third):
        for column in ("availability", "licence", "licence_scope", "licence_all", "title",
                       "last_modified", "last_modified_source", "platform_id", "content_hash"):
            assert check[column] == first[column], column
    assert store.material(url)["licence"] == "CC-BY-4.0"


def test_a_changed_body_is_read_again(server, tmp_path):
    url = server.route("/les", PAGE.format(title="Breuken"))
    _, settings, store = setup(tmp_path, [url])
    nights(store, settings, 2)
    server.route("/les", OTHER_LICENCE.format(title="Breuken"))
    checks = nights(store, settings, 1, first=2)
    assert [c["same_body"] for c in checks] == [0, 1, 0]
    assert [c["licence"] for c in checks] == ["CC-BY-4.0", "CC-BY-4.0", "CC-BY-SA-4.0"]
    assert store.material(url)["licence"] == "CC-BY-SA-4.0"


def test_the_checker_calls_no_extractor_for_the_same_bytes(server):
    url = server.route("/les", PAGE.format(title="Breuken"))
    calls = []

    def counting(result):
        calls.append(result.url)
        return extract(result)

    settings = Settings(fetch=FetchSettings(allow_private_networks=True,
                                            respect_robots_txt=False))
    with Fetcher(settings) as fetcher:
        result, facts = checker.check(fetcher, url, extractor=counting)
        assert len(calls) == 1 and result.body_hash and not result.same_body
        again, same = checker.check(fetcher, url, previous=facts, body_hash=result.body_hash,
                                    extractor=counting)
        assert len(calls) == 1 and again.same_body and same == facts
        # The same bytes under another Last-Modified header are read again: dates may differ.
        server.route("/les", PAGE.format(title="Breuken"),
                     headers={"Last-Modified": "Tue, 03 Mar 2026 10:00:00 GMT"})
        moved, _ = checker.check(fetcher, url, previous=facts, body_hash=result.body_hash,
                                 extractor=counting)
        assert len(calls) == 2 and not moved.same_body and moved.body_hash != result.body_hash

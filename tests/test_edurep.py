"""`oermonitor edurep import` against our own SRU fixtures served from loopback."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from oermonitor import __version__
from oermonitor.cli import main
from oermonitor.edurep import CatalogueRecord, catalogue_licence, to_rows
from oermonitor.store import Store

DATA = Path(__file__).parent / "data" / "edurep"
PAGES = {"1": "page1.xml", "4": "page2.xml", "6": "page3.xml"}
QUERY = "about.repository exact wikiwijsmaken"
ARGS = ["--query", QUERY, "--pilot", "Rekenen onderbouw", "--maintainer", "Docent@School.nl"]


def send(request, status: int, body: bytes, content_type: str = "text/xml; charset=utf-8"):
    request.send_response(status)
    request.send_header("Content-Type", content_type)
    request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    request.wfile.write(body)


def catalogue(overrides: dict | None = None):
    """An SRU endpoint answering by query string: a diagnostic for a broken query,
    else the page for `startRecord` (`overrides` maps a start to (status, body))."""
    overrides = overrides or {}

    def handler(request):
        params = {k: v[0] for k, v in parse_qs(urlsplit(request.path).query).items()}
        start = params.get("startRecord", "1")
        if params.get("query", "").endswith("="):
            send(request, 200, (DATA / "diagnostic.xml").read_bytes())
        elif start in overrides:
            send(request, *overrides[start])
        elif start in PAGES:
            send(request, 200, (DATA / PAGES[start]).read_bytes())
        else:
            send(request, 404, b"<h1>Not Found</h1>", "text/html")

    return handler


@pytest.fixture
def config(tmp_path) -> Path:
    path = tmp_path / "oermonitor.toml"
    path.write_text('database = "oer.db"\n[fetch]\nallow_private_networks = true\n'
                    "max_tries = 1\n", encoding="utf-8")
    return path


def run(config: Path, *args: str):
    return CliRunner().invoke(main, ["--config", str(config), "edurep", "import", *args])


def materials(config: Path) -> dict[str, dict]:
    with Store.open(config.parent / "oer.db") as store:
        return {row["url"]: row for row in store.materials_view()}


def params_of(server) -> list[dict]:
    return [{k: v[0] for k, v in parse_qs(urlsplit(r.path).query).items()}
            for r in server.requests]


def test_import_registers_every_page_at_the_first_location(server, config):
    endpoint = server.route("/edurep/sruns", handler=catalogue())
    result = run(config, *ARGS, "--endpoint", endpoint, "--pilot-end-date", "31-07-2024",
                 "--coordinator", "coord@school.nl")
    assert result.exit_code == 0, result.output + result.stderr
    assert "6 record(s) match, 6 read in 3 page(s)" in result.stdout
    assert "skipped record 3 (wikiwijsmaken:1003): no technical/location" in result.stdout
    assert "5 added, 0 updated, 0 unchanged, 1 skipped" in result.stdout

    rows = materials(config)
    assert sorted(rows) == sorted([
        "https://maken.wikiwijs.nl/1001/Breuken_oefenen",
        "https://maken.wikiwijs.nl/1002/Procenten",
        "https://maken.wikiwijs.nl/1004/Verhoudingstabellen",
        "https://maken.wikiwijs.nl/1005/Kaartlezen",
        "http://maken.wikiwijs.nl/1006/Oude_kaarten",
    ])
    catalogued = {r["catalogue_id"]: (r["title"], r["catalogue_licence"], r["catalogue_date"])
                  for r in rows.values()}
    assert catalogued == {
        "wikiwijsmaken:1001": ("Breuken oefenen", "CC-BY-4.0", "2015-12-08"),
        "wikiwijsmaken:1002": ("Procenten & promillen", "CC-BY-SA-3.0-NL", "2017-09-27"),
        "wikiwijsmaken:1004": ("Verhoudingstabellen", "CC-BY-NC-SA-4.0", "2019"),
        "wikiwijsmaken:1005": ("Kaartlezen", "CC0-1.0", None),
        "wikiwijsmaken:1006": ("Oude kaarten van Nederland", "CC-PDM-1.0", "2016-05-04"),
    }
    one = rows["https://maken.wikiwijs.nl/1001/Breuken_oefenen"]
    assert (one["source"], one["pilot"], one["maintainer_email"]) == (
        "edurep", "Rekenen onderbouw", "docent@school.nl")
    assert (one["pilot_end_date"], one["coordinator_email"]) == ("2024-07-31", "coord@school.nl")

    sent = params_of(server)
    assert [p["startRecord"] for p in sent] == ["1", "4", "6"]
    assert all(p["version"] == "1.2" and p["recordPacking"] == "xml"
               and p["recordSchema"] == "lom" and p["operation"] == "searchRetrieve"
               and p["query"] == QUERY and p["maximumRecords"] == "100" for p in sent)
    assert server.requests[0].headers["user-agent"] == f"oermonitor/{__version__}"


def test_import_again_changes_nothing_and_picks_up_catalogue_changes(server, config):
    endpoint = server.route("/edurep/sruns", handler=catalogue())
    assert run(config, *ARGS, "--endpoint", endpoint).exit_code == 0
    before = materials(config)

    again = run(config, *ARGS, "--endpoint", endpoint)
    assert again.exit_code == 0, again.output
    assert "0 added, 0 updated, 5 unchanged, 1 skipped" in again.stdout
    assert materials(config) == before

    relicensed = (DATA / "page3.xml").read_bytes().replace(b"pdm-10", b"cc-by-sa-40")
    server.route("/edurep/sruns", handler=catalogue({"6": (200, relicensed)}))
    changed = run(config, *ARGS, "--endpoint", endpoint)
    assert "0 added, 1 updated, 4 unchanged" in changed.stdout
    assert materials(config)["http://maken.wikiwijs.nl/1006/Oude_kaarten"][
        "catalogue_licence"] == "CC-BY-SA-4.0"


def test_limit_reads_only_what_is_needed(server, config):
    endpoint = server.route("/edurep/sruns", handler=catalogue())
    result = run(config, *ARGS, "--endpoint", endpoint, "--limit", "2")
    assert result.exit_code == 0, result.output
    assert [(p["startRecord"], p["maximumRecords"]) for p in params_of(server)] == [("1", "2")]
    assert sorted(r["catalogue_id"] for r in materials(config).values()) == [
        "wikiwijsmaken:1001", "wikiwijsmaken:1002"]

    server.requests.clear()
    result = run(config, *ARGS, "--endpoint", endpoint, "--limit", "4")
    assert [(p["startRecord"], p["maximumRecords"]) for p in params_of(server)] == [
        ("1", "4"), ("4", "1")]
    assert "1 added, 0 updated, 2 unchanged, 1 skipped" in result.stdout


def test_dry_run_writes_nothing(server, config):
    endpoint = server.route("/edurep/sruns", handler=catalogue())
    result = run(config, *ARGS, "--endpoint", endpoint, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "5 added, 0 updated, 0 unchanged, 1 skipped (dry run: nothing written)" in result.stdout
    assert materials(config) == {}


@pytest.mark.parametrize("overrides, query, code, message", [
    ({}, "lom.general.title=", 1, "Edurep refused the search: Query syntax error "
                                  "(unexpected end of query at position 22)"),
    ({"4": (500, b"<h1>Internal Server Error</h1>")}, QUERY, 3,
     "(startRecord=4): the catalogue answered HTTP 500"),
    ({"4": (200, (DATA / "page2.xml").read_bytes()[:900])}, QUERY, 1,
     "(startRecord=4): malformed SRU response (not XML)"),
    ({"4": (200, b"<html><body>Onderhoud</body></html>")}, QUERY, 1,
     "malformed SRU response (<html> instead of <searchRetrieveResponse>)"),
    ({"6": (200, (DATA / "page3.xml").read_bytes().replace(b"numberOfRecords>", b"count>"))},
     QUERY, 1, "(startRecord=6): malformed SRU response (no numberOfRecords)"),
])
def test_a_failure_on_any_page_writes_nothing(server, config, overrides, query, code, message):
    endpoint = server.route("/edurep/sruns", handler=catalogue(overrides))
    result = run(config, "--query", query, *ARGS[2:], "--endpoint", endpoint)
    assert result.exit_code == code
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert materials(config) == {}


def test_catalogue_that_stops_paging_keeps_what_it_gave(server, config):
    stop = (200, (DATA / "out-of-range.xml").read_bytes())
    endpoint = server.route("/edurep/sruns", handler=catalogue({"4": stop}))
    result = run(config, *ARGS, "--endpoint", endpoint)
    assert result.exit_code == 0, result.output
    assert "the catalogue stops at record 3 of 6" in result.stderr
    assert len(materials(config)) == 2


def test_a_temporary_server_error_is_retried(server, tmp_path):
    config = tmp_path / "retry.toml"
    config.write_text('database = "oer.db"\n[fetch]\nallow_private_networks = true\n'
                      "max_tries = 2\n", encoding="utf-8")
    answers = iter([(503, b"busy")])
    pages = catalogue()

    def flaky(request):
        if "startRecord=4" in request.path and (answer := next(answers, None)):
            send(request, *answer)
        else:
            pages(request)

    endpoint = server.route("/edurep/sruns", handler=flaky)
    result = run(config, *ARGS, "--endpoint", endpoint)
    assert result.exit_code == 0, result.output
    assert [p["startRecord"] for p in params_of(server)] == ["1", "4", "4", "6"]
    assert len(materials(config)) == 5


def test_unreachable_endpoint_is_an_operational_failure(config):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run(config, *ARGS, "--endpoint", f"http://127.0.0.1:{port}/edurep/sruns")
    assert result.exit_code == 3
    assert "cannot connect" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert materials(config) == {}


def test_private_endpoint_is_refused_unless_allowed(server, tmp_path):
    endpoint = server.route("/edurep/sruns", handler=catalogue())
    config = tmp_path / "strict.toml"
    config.write_text('database = "oer.db"\n', encoding="utf-8")
    result = run(config, *ARGS, "--endpoint", endpoint)
    assert result.exit_code == 1
    assert "non-public address 127.0.0.1" in result.stderr
    assert server.requests == []


@pytest.mark.parametrize("extra, message", [
    (["--maintainer", "geen-adres"], "--maintainer is not a valid email address"),
    (["--pilot-end-date", "31-31-2024"], "--pilot-end-date '31-31-2024' is not a date"),
    (["--endpoint", "ftp://edurep.example/sru"], "is not an http(s) URL"),
])
def test_bad_arguments_are_refused_before_any_request(server, config, extra, message):
    server.route("/edurep/sruns", handler=catalogue())
    result = run(config, *ARGS, *extra)
    assert result.exit_code == 1
    assert message in result.stderr
    assert server.requests == []


@pytest.mark.parametrize("code, description, expected", [
    ("cc-by-40", None, "CC-BY-4.0"),
    ("cc-by-nc-nd-40", None, "CC-BY-NC-ND-4.0"),
    ("cc-by-sa-30", None, "CC-BY-SA-3.0-NL"),
    ("CC-BY-NC-SA-30", None, "CC-BY-NC-SA-3.0-NL"),
    ("cc-by-nd-nc-40", None, "CC-BY-NC-ND-4.0"),
    ("cc-by-50", None, None),
    ("cc0-10", None, "CC0-1.0"),
    ("pdm-10", None, "CC-PDM-1.0"),
    ("yes", "Zie http://creativecommons.org/licenses/by/3.0/nl/.", "CC-BY-3.0-NL"),
    ("unknown", "CC BY-SA 4.0: creativecommons.org/licenses/by-sa/4.0/deed.nl", "CC-BY-SA-4.0"),
    ("no", "Vrij te gebruiken", None),
    ("yes", None, None),
    (None, None, None),
])
def test_catalogue_licence_vocabulary(code, description, expected):
    assert catalogue_licence(code, description) == expected


def oai(request):
    """An OAI-PMH endpoint: two ListRecords pages by resumptionToken; errors with HTTP 200."""
    params = {k: v[0] for k, v in parse_qs(urlsplit(request.path).query).items()}
    if "resumptionToken" in params:
        name = "oai-page2.xml" if params["resumptionToken"].startswith("c1740787200|") else None
    else:
        name = {"wikiwijsmaken": "oai-page1.xml", "leeg": "oai-no-records.xml"}.get(
            params.get("set"), "oai-error.xml")
    if name is None:
        send(request, 200, b"<OAI-PMH><error code='badResumptionToken'/></OAI-PMH>")
    else:
        send(request, 200, (DATA / name).read_bytes())


def sync(config: Path, *args: str):
    return CliRunner().invoke(main, ["--config", str(config), "edurep", "sync", *args])


def test_sync_reports_registered_materials_whose_record_was_deleted(server, config):
    sru = server.route("/edurep/sruns", handler=catalogue())
    assert run(config, *ARGS, "--endpoint", sru).exit_code == 0
    endpoint = server.route("/edurep/oai", handler=oai)
    server.requests.clear()

    result = sync(config, "--set", "wikiwijsmaken", "--from", "2025-01-01",
                  "--endpoint", endpoint)
    assert result.exit_code == 0, result.output
    assert "1 record(s) and 3 deletion(s) read in 2 page(s)" in result.stdout
    assert "2 registered material(s) whose catalogue record was deleted" in result.stdout
    reported = [line for line in result.stdout.splitlines() if line.startswith("  #")]
    assert [line.split()[1] for line in reported] == [
        "https://maken.wikiwijs.nl/1002/Procenten", "https://maken.wikiwijs.nl/1005/Kaartlezen"]
    assert params_of(server) == [
        {"verb": "ListRecords", "metadataPrefix": "lom", "set": "wikiwijsmaken",
         "from": "2025-01-01"},
        {"verb": "ListRecords", "resumptionToken": "c1740787200|u|f2025-01-01|mlom|swikiwijsmaken"},
    ]
    assert len(materials(config)) == 5  # a report, not a removal


@pytest.mark.parametrize("set_spec, code, message", [
    ("leeg", 0, "No registered material's catalogue record was deleted."),
    ("wikiwijsmakenn", 1, "Edurep OAI-PMH refused the request: badArgument "
                          "(Unknown set: wikiwijsmakenn)"),
])
def test_sync_tells_an_empty_harvest_from_an_error(server, config, set_spec, code, message):
    endpoint = server.route("/edurep/oai", handler=oai)
    result = sync(config, "--set", set_spec, "--endpoint", endpoint)
    assert result.exit_code == code
    assert message in (result.stdout if code == 0 else result.stderr)


def test_to_rows_skips_what_cannot_be_registered():
    def record(position, url):
        return CatalogueRecord(position, f"repo:{position}", url, "T", None, None, None)

    rows, skipped = to_rows(
        [record(1, "http://nl.wikipedia.org/wiki/Fiets"), record(2, "non-digital"),
         record(3, "http://nl.wikipedia.org/wiki/Fiets"), record(4, None)],
        pilot="P", maintainer_email="m@school.nl")
    assert [(r.url, r.catalogue_id, r.source) for r in rows] == [
        ("http://nl.wikipedia.org/wiki/Fiets", "repo:1", "edurep")]
    assert [(s.record.position, s.reason) for s in skipped] == [
        (2, "url must start with http:// or https://: 'non-digital'"),
        (3, "same location as record 1 (repo:1)"),
        (4, "no technical/location"),
    ]

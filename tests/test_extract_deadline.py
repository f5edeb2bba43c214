"""No page can stall a run: reading is linear where it can be, and bounded where it is not.

A page is read in a worker process under a CPU deadline ([run] extract_cpu_seconds);
a page that needs more is recorded as `error` with a clear detail and the run goes on.
"""

from __future__ import annotations

from dataclasses import replace

from click.testing import CliRunner

from oermonitor import job
from oermonitor.cli import main
from oermonitor.extract import extract
from oermonitor.store import utcnow
from oermonitor.workers import ExtractPool
from tests.test_extract_pool import page_result
from tests.test_job import PAGE, TODAY, setup

# ~5 MB of licence statements and change dates: far more than a second of reading.
SLOW_PAGE = ("<html><head><title>Traag</title></head><body><main>"
             + "<div class='x'><p>Licentie: CC BY 4.0 laatst gewijzigd op 3 maart 2020</p></div>"
             * 60_000 + "</main></body></html>")


def test_a_page_that_reads_too_long_is_an_error_and_the_run_goes_on(server, tmp_path):
    slow = server.route("/slow", SLOW_PAGE)
    fine = server.route("/fine", PAGE.format(title="Breuken"))
    config, settings, store = setup(tmp_path, [slow, fine],
                                    "[run]\nextract_cpu_seconds = 1")
    with store:
        report = job.run(store, settings, today=TODAY, now=utcnow())
        assert report.checked == 2 and not report.errors
        checks = {m["url"]: store.checks(m["id"])[0] for m in store.materials_view()}
    assert checks[slow]["availability"] == "error"
    assert "more than 1 s of processor time" in checks[slow]["error"]
    assert checks[fine]["availability"] == "ok" and checks[fine]["title"] == "Breuken"

    shown = CliRunner().invoke(main, ["--config", str(config), "inspect", slow, fine])
    assert shown.exit_code == 0, shown.output
    assert shown.output.count("availability  error") == 1
    assert "processor time" in shown.output


def test_a_repeated_colofon_sentence_is_read_in_linear_time():
    # The shape that made the colofon title search cubic: 100 KB of half sentences.
    noise = "<p>" + "Het arrangement x<b>y</b> " * 4000 + "</p>"
    html = ('<html><head><link rel="canonical" href="https://maken.wikiwijs.nl/171772/x">'
            f"</head><body>{noise}<p>Het arrangement <b>Breuken oefenen</b> is gemaakt met "
            "Wikiwijs van Kennisnet.</p></body></html>")
    result = replace(page_result("generic_article.html"), text=html)
    with ExtractPool(processes=1, cpu_seconds=5) as pool:
        facts = pool.extract(result)
    assert facts.availability == "ok", facts.error
    assert facts.title == "Breuken oefenen" and facts.platform_id == "wikiwijs:171772"


def test_a_slow_page_amid_others_costs_only_itself():
    fine = page_result("wikiwijs_arrangement.html")
    slow = replace(fine, url="https://example.org/traag", final_url="https://example.org/traag",
                   text=SLOW_PAGE, body=SLOW_PAGE.encode())
    with ExtractPool(processes=1, cpu_seconds=1) as pool:
        first, stopped, after = pool.extract_many([fine, slow, fine])
    assert first == after == extract(fine)  # the page after it went to a fresh worker
    assert stopped.availability == "error" and "processor time" in stopped.error

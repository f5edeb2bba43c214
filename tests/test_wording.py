"""One source of words: the short lines of the overviews say what the emails say,
in both languages, and local times are read from stored UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from oermonitor import localtime, wording
from oermonitor.cli import main
from oermonitor.cli.overview import short_url
from oermonitor.wording import Finding, headline, history_line, sentence

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.mark.parametrize("finding, nl, en", [
    (Finding("licence_not_open", licence="CC-BY-NC-SA-4.0"),
     "geen open licentie (CC BY-NC-SA 4.0: NC verbiedt commercieel hergebruik)",
     "not openly licensed (CC BY-NC-SA 4.0: NC forbids commercial reuse)"),
    (Finding("licence_not_open", licence="CC-BY-SA-4.0", expected_licence="CC-BY-4.0"),
     "CC BY-SA 4.0 in plaats van de afgesproken CC BY 4.0",
     "CC BY-SA 4.0 instead of the agreed CC BY 4.0"),
    (Finding("broken", availability="missing", status_code=404, failures=3),
     "link werkt niet: pagina bestaat niet (foutcode 404), 3 controles op rij",
     "link broken: page does not exist (error code 404), 3 checks in a row"),
    (Finding("licence_changed", licence_was="CC-BY-4.0", licence="CC-BY-ND-4.0"),
     "licentie veranderd van CC BY 4.0 in CC BY-ND 4.0 (ND verbiedt bewerken)",
     "licence changed from CC BY 4.0 to CC BY-ND 4.0 (ND forbids adaptations)"),
    (Finding("stale", last_maintained="2024-06-15", pilot_end_date="2025-04-09"),
     "niet bijgewerkt sinds 15 juni 2024 (pilot afgelopen op 9 april 2025)",
     "not updated since 15 June 2024 (pilot ended 9 April 2025)"),
])
def test_headlines_in_both_languages(finding, nl, en):
    assert headline(finding, "nl") == nl
    assert headline(finding, "en") == en


def test_headline_and_sentence_give_the_same_reason():
    f = Finding("licence_not_open", licence="CC-BY-NC-ND-4.0")
    reason = "NC verbiedt commercieel hergebruik; ND verbiedt bewerken"
    assert reason in headline(f, "nl") and reason in sentence(f, "nl")


def test_describe_reads_an_overview_record():
    problem = {"code": "broken", "since": "2026-12-02",
               "detail": {"availability": "missing", "failures": 2}}
    record = {"status_code": 404, "availability": "missing"}
    assert wording.describe(problem, record, "nl") == (
        "link werkt niet: pagina bestaat niet (foutcode 404), 2 controles op rij, "
        "sinds 2 december 2026")


def test_states_have_a_name_and_a_meaning_and_unknown_ones_stay_readable():
    assert wording.state_name("stale", "nl") == "verouderd"
    assert wording.state_meaning("stale", "nl") == "niet bijgewerkt sinds de pilot is afgelopen"
    assert wording.state_name("some_new_state", "nl") == "some new state"


def test_small_words():
    assert wording.number(3, "nl") == "drie" and wording.number(14, "nl") == "14"
    assert wording.listing(["A", "B", "C"], "nl") == "A, B en C"
    assert wording.listing(["A"], "en") == "A"


@pytest.mark.parametrize("event, expected", [
    ({"kind": "check", "availability": "ok", "status_code": 200, "licence": "CC-BY-4.0",
      "error": None}, "checked: online (HTTP 200), licence CC BY 4.0"),
    ({"kind": "check", "availability": "unreachable", "status_code": None, "licence": None,
      "error": "connection refused"}, "checked: website unreachable (connection refused)"),
    ({"kind": "change", "what": "availability", "was": "ok", "now": "missing"},
     "changed: online -> page does not exist"),
    ({"kind": "change", "what": "licence", "was": "CC-BY-4.0", "now": None},
     "licence changed: CC BY 4.0 -> none"),
    ({"kind": "notification", "role": "maintainer", "recipient": "bram@school.nl",
      "problem": "stale", "notice": "reminder", "status": "outbox"},
     "emailed the maintainer bram@school.nl: not updated (reminder, written to the outbox)"),
])
def test_history_lines_without_internal_codes(event, expected):
    assert history_line(event, "en") == expected


def test_local_time_from_stored_utc():
    assert localtime.minute("2026-12-02T02:05:00+00:00", AMSTERDAM) == "2026-12-02 03:05"
    assert localtime.minute("2026-06-02T02:05:00+00:00", AMSTERDAM) == "2026-06-02 04:05"
    assert localtime.day("2026-12-02T23:30:00+00:00", AMSTERDAM) == "2026-12-03"
    assert localtime.minute("2026-12-02", AMSTERDAM) == "2026-12-02"  # a date stays a date
    assert localtime.minute(None, AMSTERDAM) == ""
    moment = localtime.local(datetime(2026, 12, 2, 2, 5, tzinfo=UTC), AMSTERDAM)
    assert wording.long_datetime(moment, "nl") == "2 december 2026 om 03:05"


def test_urls_shortened_at_their_slashes():
    url = "https://maken.wikiwijs.nl/171004/Meten_en_meetkunde?template=simple"
    assert short_url(url, 80) == url
    assert short_url(url, 55) == "https://maken.wikiwijs.nl/171004/Meten_en_meetkunde?…"
    assert short_url(url, 50) == "https://maken.wikiwijs.nl/…/Meten_en_meetkunde?…"
    assert short_url(url, 30) == "https://maken.wikiwijs.nl/…"
    assert len(short_url(url, 20)) == 20


def test_an_unknown_time_zone_is_one_clear_line(tmp_path):
    config = tmp_path / "o.toml"
    config.write_text('[general]\ntimezone = "Mars/Olympus"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(config), "status"])
    assert result.exit_code == 1
    assert result.stderr == (f"error: {config}: [general] timezone: expected a time zone name "
                             "such as \"Europe/Amsterdam\", got 'Mars/Olympus'\n")

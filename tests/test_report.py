"""The HTML report: parsed back, not string-matched."""

from __future__ import annotations

import lxml.html
import pytest
from click.testing import CliRunner

from oermonitor.cli import main
from tests.test_history import Harness

ATTENTION = "//table[@id='attention']//tr[@class='material']"
EVIL = '<script>alert("x")</script> & <b>vet</b>'


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "oermonitor.db"
    h = Harness(path)
    end = "2025-06-30"
    ok = h.add("https://example.org/ok", end=end, title="Breuken")
    h.check(ok, "2025-08-31", modified="2025-05-01")
    for n in (1, 2):
        broken = h.add(f"https://example.org/broken{n}", end=end)
        h.check(broken, "2025-08-30", "missing", title=EVIL)
        h.check(broken, "2025-08-31", "missing")
    stale = h.add("https://example.org/stale?a=1&b=2", end=end, added="2020-01-01")
    h.check(stale, "2025-08-31", title=EVIL, modified="2021-01-01")
    h.add("https://example.org/new", pilot="Pilot <B>", title="Nog niet bekeken")
    h.store.close()
    return path


def write_report(db, out, *args, config=None) -> lxml.html.HtmlElement:
    options = ["--config", str(config)] if config else []
    result = CliRunner().invoke(main, [*options, "--db", str(db), "report", "--html", str(out),
                                       *args])
    assert result.exit_code == 0, result.output
    return lxml.html.fromstring(out.read_bytes())


def test_report_has_state_bars_per_pilot(db, tmp_path):
    doc = write_report(db, tmp_path / "report.html", "--today", "2025-09-01")
    pilots = {row.get("data-pilot"): row for row in doc.xpath("//tr[@class='pilot']")}
    assert set(pilots) == {"Pilot A", "Pilot <B>"}
    bars = {rect.get("data-state"): int(rect.get("data-count"))
            for rect in pilots["Pilot A"].xpath(".//svg/rect[@class='bar']")}
    assert bars == {"broken": 2, "stale": 1, "ok": 1}
    widths = [float(r.get("width")) for r in pilots["Pilot A"].xpath(".//svg/rect[@class='bar']")]
    assert sum(widths) == pytest.approx(400)
    assert [r.get("data-state") for r in pilots["Pilot <B>"].xpath(".//rect[@class='bar']")] == [
        "unchecked"]


def test_attention_list_worst_first_with_links(db, tmp_path):
    doc = write_report(db, tmp_path / "report.html", "--today", "2025-09-01")
    rows = doc.xpath(ATTENTION)
    assert [r.get("data-state") for r in rows] == ["broken", "broken", "stale"]
    links = [a.get("href") for a in doc.xpath("//table[@id='attention']//a")]
    assert links == ["https://example.org/broken1", "https://example.org/broken2",
                     "https://example.org/stale?a=1&b=2"]
    assert ("De pagina is niet meer te vinden: de website meldt dat deze niet bestaat "
            "(foutcode 404)." in rows[0].text_content())
    all_links = {a.get("href") for a in doc.xpath("//details//a")}
    assert "https://example.org/ok" in all_links and "https://example.org/new" in all_links


def test_page_text_is_escaped_and_nothing_is_external(db, tmp_path):
    doc = write_report(db, tmp_path / "report.html", "--today", "2025-09-01")
    assert doc.xpath("//b") == []
    # the only script is our own print helper, inline
    [script] = doc.xpath("//script")
    assert "beforeprint" in script.text and "alert" not in script.text
    assert EVIL in doc.xpath(ATTENTION)[2].text_content()
    for element in doc.iter():
        for attribute in ("src", "href"):
            value = element.get(attribute)
            if value and element.tag != "a":
                pytest.fail(f"external asset {element.tag} {attribute}={value}")
    assert doc.xpath("//link") == [] and doc.xpath("//img") == []


def test_today_changes_the_report(db, tmp_path):
    doc = write_report(db, tmp_path / "before.html", "--today", "2025-06-01")
    assert [r.get("data-state") for r in doc.xpath(ATTENTION)] == [
        "broken", "broken"]


def test_written_atomically_over_an_old_report(db, tmp_path):
    out = tmp_path / "report.html"
    out.write_text("old")
    write_report(db, out)
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["report.html", "oermonitor.db", "oermonitor.db-wal", "oermonitor.db-shm"]
        if (tmp_path / "oermonitor.db-wal").exists() else ["report.html", "oermonitor.db"])


def test_missing_folder_is_bad_input(db, tmp_path):
    result = CliRunner().invoke(main, ["--db", str(db), "report", "--html",
                                       str(tmp_path / "nope" / "r.html")])
    assert result.exit_code == 1 and "does not exist" in result.stderr


def test_report_in_dutch_with_states_in_words_and_the_emails_sentences(db, tmp_path):
    doc = write_report(db, tmp_path / "report.html", "--today", "2025-09-01")
    assert doc.get("lang") == "nl"
    assert doc.xpath("string(//h1)") == "Overzicht op 1 september 2025: 5 lesmaterialen"
    legend = {dt.text_content(): dd.text_content()
              for dt, dd in zip(doc.xpath("//dl[@class='legend']/dt"),
                                doc.xpath("//dl[@class='legend']/dd"), strict=True)}
    assert legend["verouderd"] == "niet bijgewerkt sinds de pilot is afgelopen"
    assert legend["link werkt niet"] and legend["nog niet gecontroleerd"]
    headers = [th.text_content() for th in doc.xpath("//table[@id='attention']//th")]
    assert headers == ["Toestand", "Lesmateriaal", "Pilot", "Beheerder", "Wat er aan de hand is"]
    stale = doc.xpath(ATTENTION)[2]
    assert stale.xpath("string(.//span[@class='state s-stale'])") == "verouderd"
    assert ("Het materiaal is sinds 1 januari 2021 niet meer bijgewerkt, en niemand heeft ons "
            "laten weten dat het nog actueel is.") in stale.text_content()
    made = doc.xpath("string(//p[@class='muted'])")
    assert made.startswith("Gemaakt op ") and "(tijden in Europe/Amsterdam)" in made
    checked = doc.xpath("//details//td[@data-label='Laatst gecontroleerd']/text()")
    assert "2025-08-31 04:00" in checked  # 02:00 UTC is 04:00 in Amsterdam (summer time)


def test_report_follows_language_en(db, tmp_path):
    config = tmp_path / "en.toml"
    config.write_text('language = "en"\n[general]\ntimezone = "UTC"\n', encoding="utf-8")
    doc = write_report(db, tmp_path / "report.html", "--today", "2025-09-01", config=config)
    assert doc.get("lang") == "en"
    assert "What is wrong" in doc.xpath("string(//table[@id='attention'])")
    assert ("The page can no longer be found: the website says it does not exist "
            "(error code 404).") in doc.xpath(ATTENTION)[0].text_content()
    assert "2025-08-31 02:00" in doc.xpath("//details//td[@data-label='Last checked']/text()")


def test_report_fits_phones_and_paper(db, tmp_path):
    html = write_report(db, tmp_path / "report.html", "--today", "2025-09-01")
    style = html.xpath("string(//style)")
    phone = style[style.index("@media (max-width"):style.index("@media print")]
    assert "display: block" in phone and "attr(data-label)" in phone  # rows become cards
    paper = style[style.index("@media print"):]
    assert "details::details-content" in paper and "content-visibility: visible" in paper
    assert "overflow-wrap: anywhere" in style  # long addresses break instead of widening
    cells = html.xpath("//table[@id='attention']//tr[@class='material'][1]/td")
    assert [c.get("data-label") for c in cells] == [None, None, "Pilot", "Beheerder", None]

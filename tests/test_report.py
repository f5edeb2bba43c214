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


def write_report(db, out, *args) -> lxml.html.HtmlElement:
    result = CliRunner().invoke(main, ["--db", str(db), "report", "--html", str(out), *args])
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
    assert "link broken: missing on 2 checks in a row" in rows[0].text_content()
    all_links = {a.get("href") for a in doc.xpath("//details//a")}
    assert "https://example.org/ok" in all_links and "https://example.org/new" in all_links


def test_page_text_is_escaped_and_nothing_is_external(db, tmp_path):
    doc = write_report(db, tmp_path / "report.html", "--today", "2025-09-01")
    assert doc.xpath("//script") == [] and doc.xpath("//b") == []
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

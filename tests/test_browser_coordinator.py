"""End to end in a real browser: a coordinator asks for a sign-in link, opens it from the
email that reached a real SMTP server, filters the overview, opens a material and moves
it to a new address; the database holds the move. On a 390 px phone the pages do not
scroll sideways. Set OERMONITOR_SCREENSHOTS=DIR to keep screenshots of every page."""

from __future__ import annotations

import os
import re
import time
from dataclasses import replace
from pathlib import Path

from oermonitor import job
from oermonitor.settings import FetchSettings, PolicySettings, Settings, SmtpSettings
from oermonitor.store import Store, utcnow
from oermonitor.web import create_app
from tests.browser import WebServer, browser  # noqa: F401 - browser is a fixture
from tests.support import free_port

SECRET = "a-long-enough-secret-for-the-browser-test"
PHONE = {"width": 390, "height": 844}
PAGE = ("<html><head><title>{0}</title></head><body><h1>{0}</h1><a rel='license' "
        "href='https://creativecommons.org/licenses/by/4.0/'>CC BY 4.0</a></body></html>")


def fits(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]


def shot(page, name: str, folder: Path) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_a_coordinator_signs_in_filters_and_moves_a_material(tmp_path, server, smtp,
                                                            browser):  # noqa: F811
    shots = Path(os.environ.get("OERMONITOR_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    server.route("/breuken", status=404, body="<h1>weg</h1>")
    server.route("/breuken-nieuw", body=PAGE.format("Breuken oefenen"))
    for n in range(1, 8):
        server.route(f"/les-{n}", body=PAGE.format(f"Les {n}"))
    port = free_port()
    settings = Settings(
        database=tmp_path / "oermonitor.db",
        fetch=FetchSettings(allow_private_networks=True, per_host_delay=0, max_tries=1),
        policy=PolicySettings(failures_before_broken=1),
        smtp=SmtpSettings(host="127.0.0.1", port=smtp.port, from_="oermonitor@school.nl"))
    settings = replace(settings, web=replace(settings.web, base_url=f"http://127.0.0.1:{port}"))
    now = utcnow()
    with Store.open(settings.database) as store:
        pid, _ = store.ensure_pilot("Rekenen in de onderbouw", "2025-07-31", "co@school.nl", now)
        anne, _ = store.ensure_maintainer("anne@school.nl", "Anne de Vries", now)
        bram, _ = store.ensure_maintainer("bram.van.der.berg@scholengemeenschap-voorbeeld.nl",
                                          "Bram van der Berg", now)
        breuken, _ = store.upsert_material({
            "url": server.url("/breuken"), "identity": "breuken", "title": "Breuken oefenen",
            "pilot_id": pid, "maintainer_id": anne}, now)
        for n in range(1, 8):
            store.upsert_material({
                "url": server.url(f"/les-{n}") + "?een=heel&lange=adresregel&die=niet&past=ja",
                "identity": f"les-{n}", "title": f"Les {n}: verhoudingen en procenten",
                "pilot_id": pid, "maintainer_id": bram if n % 2 else anne}, now)
        for material in store.materials():
            job.check_one(store, settings, material)

        with WebServer(create_app(settings, secret=SECRET), port=port) as web:
            page = browser.new_page(viewport=PHONE, locale="nl-NL")
            page.goto(web.url("/coordinator/"))
            assert page.locator("h1").inner_text() == "Inloggen voor coördinatoren"
            page.get_by_label("Je e-mailadres").fill("co@school.nl")
            page.get_by_role("button", name="Stuur me een inloglink").click()
            page.wait_for_selector("text=Kijk in je e-mail")
            shot(page, "1-signin-sent", shots)

            for _ in range(200):
                if smtp.to("co@school.nl"):
                    break
                time.sleep(0.05)
            body = smtp.to("co@school.nl")[0].get_content()
            link = re.search(r"(http://127\.0\.0\.1:\d+/signin/\S+)", body)[1]
            page.goto(link)
            page.get_by_role("button", name="Inloggen").click()
            page.wait_for_url(re.compile(r"/coordinator/$"))
            shot(page, "2-overview", shots)
            assert fits(page), "the overview scrolls sideways on a phone"
            assert page.locator("li.material").count() == 1  # only Breuken needs attention

            page.locator("details.filters summary").click()
            page.get_by_label("Stand", exact=True).select_option("ok")
            page.get_by_label("Zoek (titel, adres, beheerder)").fill("bram")
            page.get_by_role("button", name="Toon").click()
            page.wait_for_url(re.compile(r"state=ok"))
            assert page.locator("li.material").count() == 4  # Bram keeps lessons 1, 3, 5, 7
            shot(page, "3-filtered", shots)
            assert fits(page)

            page.goto(web.url("/coordinator/?state=broken"))
            page.get_by_role("link", name="Breuken oefenen").click()
            page.wait_for_url(re.compile(rf"/coordinator/material/{breuken}$"))
            assert fits(page), "the material page scrolls sideways on a phone"
            page.locator("#move summary").click()
            page.get_by_label("Nieuw adres").fill(server.url("/breuken-nieuw"))
            shot(page, "4-material", shots)
            page.get_by_role("button", name="Verhuis").click()
            page.wait_for_url(re.compile(r"done=move"))
            assert "Verhuisd" in page.locator("#result").inner_text()
            shot(page, "5-moved", shots)

            page.get_by_role("link", name="Rekenen in de onderbouw").first.click()
            page.wait_for_url(re.compile(r"/coordinator/pilot/\d+$"))
            assert fits(page), "the pilot page scrolls sideways on a phone"
            shot(page, "6-pilot", shots)

            page.set_viewport_size({"width": 1280, "height": 900})
            page.goto(web.url("/coordinator/"))
            shot(page, "7-overview-wide", shots)
            page.emulate_media(media="print")  # on paper: the list, without forms
            assert page.locator("details.filters").is_hidden()
            assert page.locator("header.site form.signout").is_hidden()
            assert page.locator("section.pilots").is_visible()
            shot(page, "8-overview-print", shots)

        moved = store.material(breuken)
        assert moved["url"] == server.url("/breuken-nieuw")
        (event,) = [e for e in store.events(breuken) if e["kind"] == "move"]
        assert event["by"] == "co@school.nl"
        assert event["detail"]["from"] == server.url("/breuken")

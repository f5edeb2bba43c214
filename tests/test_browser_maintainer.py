"""End to end in a real browser: the nightly job mails a teacher through a real SMTP
server, the teacher opens the link from that email in headless Chromium, clicks
"Klopt nog", and the database holds the confirmation with her address."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from oermonitor import job
from oermonitor.settings import FetchSettings, PolicySettings, Settings, SmtpSettings
from oermonitor.store import Store, utcnow
from oermonitor.web import create_app
from tests.browser import WebServer, browser  # noqa: F401 - browser is a fixture

SECRET = "a-long-enough-secret-for-the-browser-test"


def test_a_teacher_confirms_from_the_email_in_a_real_browser(tmp_path, server, smtp,
                                                            browser, monkeypatch):  # noqa: F811
    server.route("/breuken", status=404, body="<h1>Niet gevonden</h1>")
    monkeypatch.setenv("TEST_OERMONITOR_SECRET", SECRET)
    settings = Settings(
        database=tmp_path / "oermonitor.db",
        fetch=FetchSettings(allow_private_networks=True, per_host_delay=0, max_tries=1),
        policy=PolicySettings(failures_before_broken=1),
        smtp=SmtpSettings(host="127.0.0.1", port=smtp.port, from_="oermonitor@school.nl"))
    settings = replace(settings, web=replace(settings.web, secret_env="TEST_OERMONITOR_SECRET"))
    now = utcnow()
    with Store.open(settings.database) as store:
        pid, _ = store.ensure_pilot("Rekenen", "2025-07-31", "co@school.nl", now)
        anne, _ = store.ensure_maintainer("anne@school.nl", "Anne", now)
        material, _ = store.upsert_material({
            "url": server.url("/breuken"), "identity": "breuken", "title": "Breuken oefenen",
            "pilot_id": pid, "maintainer_id": anne}, now - timedelta(days=1))

        with WebServer(create_app(settings)) as web:
            nightly = replace(settings, web=replace(settings.web, base_url=web.base))
            report = job.run(store, nightly, today=now.date(), now=now)
            assert report.emails == 2  # Anne, and the pilot's coordinator

            [mail] = smtp.to("anne@school.nl")
            text = mail.get_body(("plain",)).get_content()
            link = re.search(r"(http://127\.0\.0\.1:\d+/m/\S+\?do=confirm)", text)[1]
            assert link in mail.get_body(("html",)).get_content()

            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.goto(link)
            assert page.locator("h1").inner_text() == "Breuken oefenen"
            assert store.confirmations(material) == []  # opening the link did nothing
            page.get_by_role("button", name="Klopt nog").click()
            page.wait_for_url(re.compile(r"done=confirm"))
            assert "Vastgelegd" in page.locator("#result").inner_text()
            # The page fits the phone: no sideways scrolling.
            assert page.evaluate("document.documentElement.scrollWidth") <= 390

        [confirmation] = store.confirmations(material)
        assert confirmation["by"] == "anne@school.nl"
        assert store.tracking(material)["confirmed"] == confirmation["confirmed_at"][:10]

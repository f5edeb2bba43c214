"""The coordinator's report by email: their own pilots' HTML report, attached, once per
period; and a coordinator summary without shell commands. Real SQLite, real SMTP."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from click.testing import CliRunner

from oermonitor.cli import main
from oermonitor.notify import send_due
from oermonitor.report_mail import period_start
from oermonitor.settings import WebSettings
from oermonitor.store import Store
from tests.support import SmtpSink, free_port
from tests.test_notify import add, broken, check, settings_for

MONDAY = date(2026, 3, 9)
NOW = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
ANNA, BOB = "anna@school.nl", "bob@school.nl"


def registry(store: Store) -> None:
    """Anna coordinates Rekenen (one broken material, one fine); Bob coordinates Taal."""
    broken(store, add(store, 1, "t1@school.nl", title="Breuken", pilot="Rekenen",
                      coordinator=ANNA), MONDAY)
    check(store, add(store, 2, "t1@school.nl", title="Procenten", pilot="Rekenen",
                     coordinator=ANNA), MONDAY)
    check(store, add(store, 3, "t2@school.nl", title="Spelling", pilot="Taal",
                     coordinator=BOB), MONDAY)


def reports(sink: SmtpSink, to: str) -> list:
    return [m for m in sink.to(to) if any(True for _ in m.iter_attachments())]


def attached(msg) -> str:
    (part,) = list(msg.iter_attachments())
    assert part.get_content_type() == "text/html"
    assert re.fullmatch(r"oermonitor-overzicht-\d{4}-\d\d-\d\d\.html", part.get_filename())
    return part.get_content()


def on(store, settings, day: date) -> None:
    send_due(store, settings, day, datetime.combine(day, NOW.timetz()))


def test_weekly_report_of_own_pilots_once_per_week(tmp_path, smtp):
    settings = settings_for(smtp.port, tmp_path, coordinator_report="weekly")
    with Store.open(settings.database) as store:
        registry(store)
        on(store, settings, MONDAY + timedelta(days=2))  # Wednesday: the first run this week
        (anna,) = reports(smtp, ANNA)
        (bob,) = reports(smtp, BOB)
        html = attached(anna)
        assert "Breuken" in html and "Procenten" in html and "Spelling" not in html
        assert "Spelling" in attached(bob) and "Breuken" not in attached(bob)
        # self-contained: nothing to load from elsewhere
        assert not re.search(r"<(link|img)\b|\bsrc=|@import", html)  # inline script only
        assert "1 lesmateriaal vraagt aandacht" in anna["Subject"]
        assert "Weekoverzicht" in anna["Subject"] and "Rekenen" in anna["Subject"]
        text = anna.get_body(("plain",)).get_content()
        assert "de pilot Rekenen" in text and "2 lesmaterialen" in text
        assert "/coordinator/" not in text  # no web address configured: no link

        for day in range(3, 7):  # the rest of the week: nothing more
            on(store, settings, MONDAY + timedelta(days=day))
        assert len(reports(smtp, ANNA)) == 1
        on(store, settings, MONDAY + timedelta(days=7))  # next Monday
        assert len(reports(smtp, ANNA)) == 2 and len(reports(smtp, BOB)) == 2
        logged = [n for n in store.notifications(recipient=ANNA) if n["kind"] == "report"]
        assert [n["day"] for n in logged] == ["2026-03-16", "2026-03-11"]
        assert all(n["material_id"] is None for n in logged)


def test_monthly_report_and_off(tmp_path, smtp):
    monthly = settings_for(smtp.port, tmp_path, coordinator_report="monthly")
    with Store.open(monthly.database) as store:
        registry(store)
        on(store, replace(monthly, notify=replace(monthly.notify, coordinator_report="off")),
           MONDAY)
        assert reports(smtp, ANNA) == []
        on(store, monthly, date(2026, 3, 20))
        on(store, monthly, date(2026, 3, 31))
        assert len(reports(smtp, ANNA)) == 1
        on(store, monthly, date(2026, 4, 1))
        assert len(reports(smtp, ANNA)) == 2
        assert "Maandoverzicht" in reports(smtp, ANNA)[-1]["Subject"]


def test_a_report_the_server_did_not_take_goes_out_with_the_next_run(tmp_path):
    sink = SmtpSink(port=free_port())
    settings = settings_for(sink.port, tmp_path, coordinator_report="weekly",
                            coordinator_summaries=False)
    with Store.open(settings.database) as store:
        registry(store)
        sink.defer.add(ANNA)  # 450: try again later
        sink.start()
        try:
            try:
                on(store, settings, MONDAY)
            except Exception as exc:  # NotifyError: one message pending
                assert "not delivered" in str(exc)
            assert reports(sink, ANNA) == [] and len(reports(sink, BOB)) == 1
            sink.defer.clear()
            on(store, settings, MONDAY + timedelta(days=1))
            assert len(reports(sink, ANNA)) == 1 and len(reports(sink, BOB)) == 1
        finally:
            sink.stop()


def test_web_link_in_report_and_summary_and_no_shell_commands(tmp_path, smtp):
    base = settings_for(smtp.port, tmp_path, coordinator_report="weekly")
    web = replace(base, web=WebSettings(base_url="https://oer.school.nl"))
    with Store.open(base.database) as store:
        registry(store)
        on(store, web, MONDAY)
    summary, report = smtp.to(ANNA)[0], reports(smtp, ANNA)[0]
    text = report.get_body(("plain",)).get_content()
    assert "https://oer.school.nl/coordinator/" in text
    assert 'href="https://oer.school.nl/coordinator/"' in report.get_body(("html",)).get_content()
    for body in (summary.get_body(("plain",)).get_content(),
                 summary.get_body(("html",)).get_content()):
        assert "https://oer.school.nl/coordinator/" in body
        assert not re.search(r"oermonitor (status|confirm|notify|import)", body)


def test_summary_without_web_names_a_person_not_a_command(tmp_path, smtp):
    for language in ("nl", "en"):
        settings = settings_for(smtp.port, tmp_path / language, language=language)
        (tmp_path / language).mkdir()
        with Store.open(settings.database) as store:
            registry(store)
            store.mark_bounced("t1@school.nl", "550 no such user", NOW)
            on(store, settings, MONDAY)
    bodies = [m.get_body(("plain",)).get_content() for m in smtp.to(ANNA)]
    assert len(bodies) == 2
    for body in bodies:
        assert not re.search(r"oermonitor (status|confirm|notify|import)", body)
        assert "oermonitor@school.nl" in body


def test_periods_start_on_monday_and_on_the_first():
    assert period_start(date(2026, 3, 15), "weekly") == date(2026, 3, 9)
    assert period_start(MONDAY, "weekly") == MONDAY
    assert period_start(date(2026, 3, 31), "monthly") == date(2026, 3, 1)


def test_notify_dry_run_lists_the_report(tmp_path, smtp):
    config = tmp_path / "oermonitor.toml"
    config.write_text(f'database = "oermonitor.db"\n[notify]\ncoordinator_report = "weekly"\n'
                      f'[smtp]\nhost = "127.0.0.1"\nport = {smtp.port}\n')
    with Store.open(tmp_path / "oermonitor.db") as store:
        registry(store)
    result = CliRunner().invoke(main, ["--config", str(config), "notify", "--dry-run",
                                       "--preview", "--today", "2026-03-09"])
    assert result.exit_code == 0, result.output
    assert f"report for coordinator {ANNA} (Rekenen): 2 materials" in result.output
    assert "Weekoverzicht pilot Rekenen" in result.output
    assert smtp.messages == []


def test_a_refused_report_marks_nobody_as_bounced(tmp_path, smtp):
    settings = settings_for(smtp.port, tmp_path, coordinator_report="weekly",
                            coordinator_summaries=False)
    with Store.open(settings.database) as store:
        registry(store)
        store.ensure_maintainer(ANNA, "Anna", NOW)  # the coordinator also keeps material
        smtp.refuse.add(ANNA)
        on(store, settings, MONDAY)
        assert store.maintainer_by_email(ANNA)["bounced_at"] is None
        logged = [n for n in store.notifications(recipient=ANNA) if n["kind"] == "report"]
        assert [n["role"] for n in logged] == ["coordinator_report"]

"""Email digests end to end: a real SQLite store, the real policy, a real SMTP server
on loopback. Checks are folded in with `policy.fold`, exactly as the nightly job does."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import CliRunner

from oermonitor import policy
from oermonitor.cli import main
from oermonitor.notify import NotifyError, send_due
from oermonitor.settings import NotifySettings, Settings, SmtpSettings
from oermonitor.store import Store
from tests.support import SmtpSink, add_material, free_port, write_config

DAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
COORDINATOR = "coordinator@school.nl"


def settings_for(port: int, tmp_path, language: str = "nl", **notify) -> Settings:
    return Settings(database=tmp_path / "oermonitor.db", language=language,
                    smtp=SmtpSettings(host="127.0.0.1", port=port, timeout=5,
                                      from_="oermonitor@school.nl"),
                    notify=NotifySettings(**notify))


def add(store: Store, n: int, maintainer: str, **kw) -> int:
    """Material n for `maintainer`, registered long before NOW."""
    return add_material(store, n, maintainer, now=NOW - timedelta(days=900), **kw)


def check(store: Store, material_id: int, day: date, availability: str = "ok", *,
          licence: str | None = "CC-BY-4.0", final_url: str | None = None) -> None:
    """One check folded into the material's tracking, as history.record does."""
    row = store.material(material_id)
    served = availability in ("ok", "moved")
    tracking = policy.fold(json.loads(row["tracking"] or "{}"), {
        "checked_at": f"{day.isoformat()}T02:00:00+00:00", "availability": availability,
        "final_url": final_url, "content_hash": "h1" if served else None,
        "last_modified": day.isoformat() if served else None,
        "licence": licence if served else None, "licence_scope": "material" if licence else None,
        "licence_all": json.dumps([licence] if licence else []) if served else None,
    }, Settings().policy)
    store.update_material(material_id, {
        "tracking": json.dumps(tracking), "availability": availability, "final_url": final_url,
        "licence": licence if served else None, "last_checked_at": f"{day}T02:00:00+00:00"})


def broken(store: Store, material_id: int, day: date) -> None:
    check(store, material_id, day - timedelta(days=1), "missing")
    check(store, material_id, day, "missing")


def bodies(msg) -> tuple[str, str]:
    return (msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content())


def test_each_maintainer_gets_one_email_about_only_their_own_materials(store, smtp, tmp_path):
    a1 = add(store, 1, "anne@school.nl", title="Breuken oefenen", name="Anne de Vries")
    a2 = add(store, 2, "anne@school.nl", title="Procenten")
    b1 = add(store, 3, "bram@school.nl", title="Verhoudingen")
    c1 = add(store, 4, "carla@school.nl", title="Alles goed")
    for mid in (a1, a2, b1, c1):
        check(store, mid, DAY - timedelta(days=3))
    broken(store, a1, DAY)
    check(store, a2, DAY - timedelta(days=1), licence=None)
    check(store, a2, DAY, licence=None)
    check(store, b1, DAY, "moved", final_url="https://maken.wikiwijs.nl/3/Nieuw")
    check(store, c1, DAY)

    report = send_due(store, settings_for(smtp.port, tmp_path), DAY, NOW)

    assert report.emails == 3  # anne, bram, the coordinator; carla has nothing to hear
    assert [len(smtp.to(a)) for a in ("anne@school.nl", "bram@school.nl", "carla@school.nl",
                                      COORDINATOR)] == [1, 1, 0, 1]
    anne_text, anne_html = bodies(smtp.to("anne@school.nl")[0])
    assert "Beste Anne," in anne_text  # the first word of maintainer_name
    assert "Breuken oefenen" in anne_text and "Procenten" in anne_text
    assert "https://maken.wikiwijs.nl/1/Les_1" in anne_text
    assert "De pagina is niet meer te vinden" in anne_text and "geen licentie meer" in anne_text
    assert "Verhoudingen" not in anne_text + anne_html and "bram" not in anne_text
    bram_text, bram_html = bodies(smtp.to("bram@school.nl")[0])
    assert "Breuken" not in bram_text and "Procenten" not in bram_html
    assert "https://maken.wikiwijs.nl/3/Nieuw" in bram_text
    assert 'href="https://maken.wikiwijs.nl/3/Nieuw"' in bram_html
    coordinator_text, _ = bodies(smtp.to(COORDINATOR)[0])
    for title in ("Breuken oefenen", "Procenten", "Verhoudingen"):
        assert title in coordinator_text
    assert "Alles goed" not in coordinator_text
    logged = store.notifications(a1)
    assert [(r["recipient"], r["role"], r["problem"], r["kind"], r["status"]) for r in logged
            if r["role"] == "maintainer"] == [("anne@school.nl", "maintainer", "broken", "new",
                                               "sent")]


def test_single_failure_and_muted_material_send_nothing(store, smtp, tmp_path):
    flaky = add(store, 1, "anne@school.nl")
    muted = add(store, 2, "bram@school.nl")
    check(store, flaky, DAY - timedelta(days=1))
    check(store, flaky, DAY, "server_error")  # failing, not broken
    broken(store, muted, DAY)
    store.update_material(muted, {"muted_until": "2026-04-01"})

    report = send_due(store, settings_for(smtp.port, tmp_path), DAY, NOW)

    assert report.planned == [] and smtp.messages == []


def test_no_repeat_the_same_day_then_a_reminder_after_the_interval(store, smtp, tmp_path):
    mid = add(store, 1, "anne@school.nl", title="Breuken")
    broken(store, mid, DAY)
    settings = settings_for(smtp.port, tmp_path, remind_every_days=14)

    send_due(store, settings, DAY, NOW)
    send_due(store, settings, DAY, NOW + timedelta(hours=3))
    send_due(store, settings, DAY + timedelta(days=13), NOW + timedelta(days=13))
    assert len(smtp.to("anne@school.nl")) == 1

    send_due(store, settings, DAY + timedelta(days=14), NOW + timedelta(days=14))
    mails = smtp.to("anne@school.nl")
    assert len(mails) == 2
    assert mails[1]["Subject"].startswith("Herinnering")
    assert ("Dit is een herinnering: we hebben dit op 10 maart 2026 voor het eerst gemeld."
            in bodies(mails[1])[0])
    assert len(smtp.to(COORDINATOR)) == 1  # a reminder is no news for the coordinator


def test_resolved_problem_is_dropped_and_a_later_return_is_new_again(store, smtp, tmp_path):
    gone = add(store, 1, "anne@school.nl", title="Breuken")
    other = add(store, 2, "anne@school.nl", title="Procenten")
    broken(store, gone, DAY)
    broken(store, other, DAY)
    settings = settings_for(smtp.port, tmp_path, remind_every_days=7)
    send_due(store, settings, DAY, NOW)

    check(store, gone, DAY + timedelta(days=2))  # fixed
    send_due(store, settings, DAY + timedelta(days=7), NOW + timedelta(days=7))
    reminder = bodies(smtp.to("anne@school.nl")[-1])[0]
    assert "Procenten" in reminder and "Breuken" not in reminder

    later = DAY + timedelta(days=30)
    broken(store, gone, later)
    send_due(store, settings, later, NOW + timedelta(days=30))
    mail = smtp.to("anne@school.nl")[-1]
    assert "Breuken" in bodies(mail)[0]
    assert not mail["Subject"].startswith("Herinnering")
    assert [r["kind"] for r in store.notifications(gone)
            if r["role"] == "maintainer"] == ["new", "new"]


def test_escalation_to_the_coordinator_after_unanswered_reminders(store, smtp, tmp_path):
    mid = add(store, 1, "anne@school.nl", title="Breuken", name="Anne")
    broken(store, mid, DAY)
    settings = settings_for(smtp.port, tmp_path, remind_every_days=7, escalate_after_reminders=2)
    for week in range(5):
        send_due(store, settings, DAY + timedelta(days=7 * week), NOW + timedelta(days=7 * week))

    assert len(smtp.to("anne@school.nl")) == 5  # new, then a reminder every week
    summaries = smtp.to(COORDINATOR)
    # the new problem, then one escalation (not repeated); from then on the material
    # has no real keeper, which the next summary says
    assert len(summaries) == 3
    text = bodies(summaries[1])[0]
    assert "Geen reactie na herinneringen" in text
    assert ("Anne heeft sinds 10 maart 2026 twee herinneringen gekregen, maar het probleem is "
            "nog niet opgelost." in text)
    text = bodies(summaries[2])[0]
    assert "Lesmateriaal zonder beheerder" in text
    assert "reageerde niet op de herinneringen" in text and "een nieuwe beheerder bij het materiaal" in text
    kinds = [(r["problem"], r["kind"]) for r in store.notifications(mid)
             if r["role"] == "coordinator"]
    assert sorted(kinds) == [("broken", "escalation"), ("broken", "new"),
                             ("no_maintainer", "new")]
    assert [e["kind"] for e in store.events(mid)] == ["unanswered"]


def test_english_when_configured(store, smtp, tmp_path):
    mid = add(store, 1, "anne@school.nl", title="Fractions")
    broken(store, mid, DAY)
    send_due(store, settings_for(smtp.port, tmp_path, language="en"), DAY, NOW)
    mail = smtp.to("anne@school.nl")[0]
    text, html = bodies(mail)
    assert mail["Subject"] == "Wikiwijs material 'Fractions' needs your attention"
    assert "The page can no longer be found" in text and "We have seen this since 9 March 2026" in text
    assert '<html lang="en">' in html and "Beste" not in text
    assert smtp.to(COORDINATOR)[0]["Subject"] == (
        "Summary for pilot Rekenen: 1 learning material needs attention")


def test_server_down_then_up_delivers_exactly_once(store, tmp_path):
    port = free_port()
    mid = add(store, 1, "anne@school.nl")
    broken(store, mid, DAY)
    settings = settings_for(port, tmp_path)

    with pytest.raises(NotifyError) as caught:
        send_due(store, settings, DAY, NOW)
    assert f"127.0.0.1:{port}" in str(caught.value) and "unreachable" in str(caught.value)
    assert len(caught.value.report.pending) == 2
    assert store.notifications() == []

    sink = SmtpSink(port).start()
    try:
        send_due(store, settings, DAY, NOW + timedelta(hours=1))
        send_due(store, settings, DAY, NOW + timedelta(hours=2))
        assert len(sink.to("anne@school.nl")) == 1 and len(sink.to(COORDINATOR)) == 1
    finally:
        sink.stop()


def test_refused_recipient_does_not_stop_the_others(store, smtp, tmp_path):
    dead = add(store, 1, "weg@school.nl", title="Breuken")
    alive = add(store, 2, "bram@school.nl", title="Procenten")
    broken(store, dead, DAY)
    broken(store, alive, DAY)
    smtp.refuse.add("weg@school.nl")
    settings = settings_for(smtp.port, tmp_path)

    report = send_due(store, settings, DAY, NOW)

    assert [s.delivery.recipient for s in report.refused] == ["weg@school.nl"]
    assert len(smtp.to("bram@school.nl")) == 1
    assert store.maintainer_by_email("weg@school.nl")["bounced_at"]
    summary = bodies(smtp.to(COORDINATOR)[0])[0]
    assert "onze e-mail niet ontvangen" in summary and "weg@school.nl" in summary
    assert "550" in summary
    assert "Lesmateriaal zonder beheerder" in summary  # nobody keeps it now
    # The next reminder day does not try the dead address again, nor re-tell the
    # coordinator that it bounced; the summary only still lists it as without maintainer.
    smtp.refuse.clear()
    send_due(store, settings, DAY + timedelta(days=14), NOW + timedelta(days=14))
    assert smtp.to("weg@school.nl") == []
    later = bodies(smtp.to(COORDINATOR)[1])[0]
    assert "onze e-mail niet ontvangen" not in later
    assert "Lesmateriaal zonder beheerder" in later and "Dit staat nog open" in later


def test_temporary_refusal_is_retried_next_run_and_the_others_are_kept(store, smtp, tmp_path):
    busy = add(store, 1, "druk@school.nl")
    calm = add(store, 2, "bram@school.nl")
    broken(store, busy, DAY)
    broken(store, calm, DAY)
    smtp.defer.add("druk@school.nl")
    settings = settings_for(smtp.port, tmp_path)

    with pytest.raises(NotifyError, match="1 of 3 emails not delivered.*450"):
        send_due(store, settings, DAY, NOW)
    assert len(smtp.to("bram@school.nl")) == 1 and len(smtp.to(COORDINATOR)) == 1
    assert store.maintainer_by_email("druk@school.nl")["bounced_at"] is None

    smtp.defer.clear()
    send_due(store, settings, DAY, NOW + timedelta(hours=1))
    send_due(store, settings, DAY, NOW + timedelta(hours=2))
    assert len(smtp.to("druk@school.nl")) == 1 and len(smtp.to("bram@school.nl")) == 1


def test_hostile_page_title_changes_neither_headers_nor_markup(store, smtp, tmp_path):
    hostile = ('Les\r\nBcc: victim@evil.example\r\nSubject: gratis\n'
               '<script>alert(1)</script><a href="http://evil.example">klik</a>')
    mid = add(store, 1, "anne@school.nl", name="Anne\r\nCc: spy@evil.example")
    store.update_material(mid, {"title": None, "page_title": hostile})
    broken(store, mid, DAY)

    send_due(store, settings_for(smtp.port, tmp_path), DAY, NOW)

    assert smtp.envelopes[0][1] == ["anne@school.nl"]
    mail = smtp.to("anne@school.nl")[0]
    assert sorted(mail.keys()) == sorted(
        ["From", "To", "Subject", "Date", "Message-ID", "Auto-Submitted",
         "X-Auto-Response-Suppress", "MIME-Version", "Content-Type", "Reply-To"])
    assert mail["Subject"] == "Je Wikiwijs-materiaal vraagt aandacht"  # too long to name
    assert "\n" not in str(mail["To"]) and mail["To"].addresses[0].addr_spec == "anne@school.nl"
    text, html = bodies(mail)
    assert "<script" not in html and "evil.example\">" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "== Les Bcc: victim@evil.example Subject: gratis <script>" in text


def test_dry_run_sends_and_records_nothing(store, smtp, tmp_path):
    mid = add(store, 1, "anne@school.nl")
    broken(store, mid, DAY)
    report = send_due(store, settings_for(smtp.port, tmp_path), DAY, NOW, dry_run=True)
    assert [d.recipient for d in report.planned] == ["anne@school.nl", COORDINATOR]
    assert smtp.messages == [] and store.notifications() == []


def test_outbox_writes_eml_files_and_counts_them_as_delivered(store, tmp_path):
    mid = add(store, 1, "anne@school.nl", title="Breuken")
    broken(store, mid, DAY)
    settings = settings_for(free_port(), tmp_path, outbox=tmp_path / "outbox")
    send_due(store, settings, DAY, NOW, run_id=7)
    send_due(store, settings, DAY, NOW)
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 2
    assert any("Breuken" in f.read_bytes().decode() for f in files)
    assert {(r["status"], r["run_id"]) for r in store.notifications(mid)} == {("outbox", 7)}


def config_for(tmp_path, port: int, extra: str = "") -> str:
    return str(write_config(tmp_path, smtp_port=port, extra=extra))


def test_preview_shows_the_mail_with_its_links_as_it_would_be_sent(store, tmp_path,
                                                                   monkeypatch):
    mid = add(store, 1, "anne@school.nl", title="Breuken")
    broken(store, mid, DAY)
    monkeypatch.setenv("TEST_PREVIEW_SECRET", "een-geheim-van-minstens-32-tekens-lang!")
    config = config_for(tmp_path, free_port(), extra=(
        '[web]\nbase_url = "https://oermonitor.school.nl"\n'
        'secret_env = "TEST_PREVIEW_SECRET"\n'))
    preview = CliRunner().invoke(main, ["--config", config, "notify", "--today", "2026-03-10",
                                        "--dry-run", "--preview"])
    assert preview.exit_code == 0, preview.output
    assert "https://oermonitor.school.nl/m/" in preview.output
    assert store.notifications(mid) == []  # a preview records nothing


def test_cli_notify_sends_what_is_due_and_exits_3_when_the_server_is_down(store, tmp_path):
    mid = add(store, 1, "anne@school.nl", title="Breuken")
    broken(store, mid, DAY)
    port = free_port()
    config = config_for(tmp_path, port)
    runner = CliRunner()

    down = runner.invoke(main, ["--config", config, "notify", "--today", "2026-03-10"])
    assert down.exit_code == 3, down.output
    assert "unreachable" in down.output and "Traceback" not in down.output

    preview = runner.invoke(main, ["--config", config, "notify", "--today", "2026-03-10",
                                   "--dry-run", "--preview"])
    assert preview.exit_code == 0 and "would send 2 email(s)" in preview.output
    assert "Subject: Wikiwijs-materiaal 'Breuken' vraagt je aandacht" in preview.output

    sink = SmtpSink(port).start()
    try:
        up = runner.invoke(main, ["--config", config, "notify", "--today", "2026-03-10"])
        assert up.exit_code == 0, up.output
        assert "2 email(s) delivered" in up.output
        again = runner.invoke(main, ["--config", config, "notify", "--today", "2026-03-10"])
        assert "nothing to send" in again.output
        assert len(sink.messages) == 2
    finally:
        sink.stop()


def test_cli_test_message_and_bounce_marks(store, smtp, tmp_path):
    add(store, 1, "weg@school.nl")
    config = config_for(tmp_path, smtp.port)
    runner = CliRunner()
    marked = runner.invoke(main, ["--config", config, "notify", "--mark-bounced",
                                  "weg@school.nl"])
    assert marked.exit_code == 0 and store.maintainer_by_email("weg@school.nl")["bounced_at"]
    unknown = runner.invoke(main, ["--config", config, "notify", "--mark-bounced",
                                   "niemand@school.nl"])
    assert unknown.exit_code == 1 and "niemand@school.nl" in unknown.output

    sent = runner.invoke(main, ["--config", config, "notify", "--test", "ops@school.nl"])
    assert sent.exit_code == 0, sent.output
    assert f"accepted by SMTP server 127.0.0.1:{smtp.port}" in sent.output
    assert smtp.to("ops@school.nl")[0]["Subject"] == "oermonitor: testbericht"

    smtp.refuse.add("nobody@school.nl")
    refused = runner.invoke(main, ["--config", config, "notify", "--test", "nobody@school.nl"])
    assert refused.exit_code == 3 and "550" in refused.output

    cleared = runner.invoke(main, ["--config", config, "notify", "--clear-bounce",
                                   "WEG@school.nl"])
    assert cleared.exit_code == 0 and "will get emails again" in cleared.output
    assert store.maintainer_by_email("weg@school.nl")["bounced_at"] is None



def test_wikiwijs_material_with_only_the_sites_licence_is_told_to_add_its_own(store, smtp,
                                                                                tmp_path):
    mid = add(store, 1, "anne@school.nl", title="Breuken")
    tracking = {}
    for day in (DAY - timedelta(days=1), DAY):
        tracking = policy.fold(tracking, {
            "checked_at": f"{day.isoformat()}T02:00:00+00:00", "availability": "ok",
            "content_hash": "h1", "last_modified": day.isoformat(), "licence": "CC-BY-4.0",
            "licence_scope": "site", "licence_all": json.dumps(["CC-BY-4.0"])},
            Settings().policy)
    store.update_material(mid, {"tracking": json.dumps(tracking), "availability": "ok",
                                "licence": "CC-BY-4.0", "licence_scope": "site",
                                "last_checked_at": f"{DAY}T02:00:00+00:00"})
    send_due(store, settings_for(smtp.port, tmp_path), DAY, NOW)
    [message] = smtp.to("anne@school.nl")
    plain, _ = bodies(message)
    assert "Bij het materiaal zelf staat geen licentie; de website als geheel valt wel onder" in plain
    assert "Op de pagina staat geen licentie" not in plain

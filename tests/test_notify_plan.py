"""`notify.plan` is pure: hand-built assessments and log rows in, digests out."""

from __future__ import annotations

from datetime import date

from oermonitor.models import Assessment, Problem
from oermonitor.notify import plan
from oermonitor.settings import NotifySettings, Settings

TODAY = date(2026, 3, 10)


def settings(**notify) -> Settings:
    return Settings(notify=NotifySettings(**notify))


def row(n: int, maintainer: str = "anne@school.nl", *, coordinator: str | None = "co@school.nl",
        bounced: str | None = None, pilot_id: int = 1, title: str | None = None) -> dict:
    return {"id": n, "url": f"https://maken.wikiwijs.nl/{n}/x", "title": title or f"Les {n}",
            "pilot": f"Pilot {pilot_id}", "pilot_id": pilot_id, "maintainer_email": maintainer,
            "maintainer_name": None, "coordinator_email": coordinator,
            "maintainer_bounced_at": bounced, "availability": "missing"}


def broken(since: str | None = "2026-03-01") -> Assessment:
    return Assessment("broken", [Problem("broken", since, {"availability": "missing"})])


def told(n: int, day: str, *, kind: str = "new", role: str = "maintainer",
         recipient: str = "anne@school.nl", problem: str = "broken",
         status: str = "sent") -> dict:
    return {"material_id": n, "problem": problem, "day": day, "kind": kind, "role": role,
            "recipient": recipient, "status": status}


def kinds(digests, role="maintainer") -> list[tuple[str, int, str, str]]:
    return [(d.recipient, i.material_id, i.problem, i.kind)
            for d in digests if d.role == role for i in d.items]


def test_new_problems_grouped_per_maintainer_and_sorted_by_title():
    digests = plan([(row(1, title="Zeta"), broken()), (row(2, "bram@school.nl"), broken()),
                    (row(3, title="Alfa"), broken())], [], TODAY, settings())
    anne = next(d for d in digests if d.recipient == "anne@school.nl")
    assert [i.title for i in anne.items] == ["Alfa", "Zeta"]
    assert kinds(digests) == [("anne@school.nl", 3, "broken", "new"),
                              ("anne@school.nl", 1, "broken", "new"),
                              ("bram@school.nl", 2, "broken", "new")]
    assert [d.recipient for d in digests if d.role == "coordinator"] == ["co@school.nl"]


def test_failing_and_unchecked_and_muted_are_not_planned():
    failing = Assessment("failing", [Problem("failing", "2026-03-09")])
    muted = Assessment("broken", broken().problems, muted=True)
    assert plan([(row(1), failing), (row(2), Assessment("unchecked")), (row(3), muted)],
                [], TODAY, settings()) == []


def test_reminder_only_after_the_interval_and_refused_rows_do_not_count():
    log = [told(1, "2026-03-01"), told(1, "2026-03-01", role="coordinator",
                                       recipient="co@school.nl")]
    assert plan([(row(1), broken())], log, TODAY, settings(remind_every_days=14)) == []
    assert kinds(plan([(row(1), broken())], log, TODAY, settings(remind_every_days=9))) == [
        ("anne@school.nl", 1, "broken", "reminder")]
    refused = [told(1, "2026-03-10", status="refused")]
    assert kinds(plan([(row(1), broken())], refused, TODAY, settings())) == [
        ("anne@school.nl", 1, "broken", "new")]


def test_a_log_row_from_before_the_problem_started_belongs_to_an_earlier_occurrence():
    old = [told(1, "2026-01-05"), told(1, "2026-01-05", role="coordinator",
                                       recipient="co@school.nl")]
    digests = plan([(row(1), broken(since="2026-03-09"))], old, TODAY, settings())
    assert kinds(digests) == [("anne@school.nl", 1, "broken", "new")]
    assert kinds(digests, "coordinator") == [("co@school.nl", 1, "broken", "new")]
    # Without a start date every earlier row counts: a reminder, not news.
    assert kinds(plan([(row(1), broken(since=None))], old, TODAY, settings())) == [
        ("anne@school.nl", 1, "broken", "reminder")]


def test_a_new_maintainer_hears_about_an_old_problem_as_new():
    log = [told(1, "2026-03-05", recipient="oud@school.nl")]
    assert kinds(plan([(row(1, "nieuw@school.nl"), broken())], log, TODAY, settings())) == [
        ("nieuw@school.nl", 1, "broken", "new")]


def test_escalation_once_after_the_configured_reminders_and_never_when_zero():
    log = [told(1, "2026-02-01"), told(1, "2026-02-15", kind="reminder"),
           told(1, "2026-02-24", kind="reminder"),
           told(1, "2026-02-01", role="coordinator", recipient="co@school.nl")]
    due = plan([(row(1), broken("2026-02-01"))], log, TODAY, settings(escalate_after_reminders=2))
    assert kinds(due, "coordinator") == [("co@school.nl", 1, "broken", "escalation")]
    assert due[1].items[0].reminders == 2 and due[1].items[0].first_notified == "2026-02-01"
    assert kinds(plan([(row(1), broken("2026-02-01"))], log, TODAY,
                      settings(escalate_after_reminders=0)), "coordinator") == []
    escalated = log + [told(1, "2026-03-01", kind="escalation", role="coordinator",
                            recipient="co@school.nl")]
    assert kinds(plan([(row(1), broken("2026-02-01"))], escalated, TODAY,
                      settings(escalate_after_reminders=2)), "coordinator") == []


def test_bounced_maintainer_is_skipped_and_the_coordinator_told_once():
    item = (row(1, bounced="2026-03-01T02:00:00+00:00"), broken())
    digests = plan([item], [], TODAY, settings())
    assert kinds(digests) == []
    assert kinds(digests, "coordinator") == [("co@school.nl", 1, "broken", "unreachable")]
    told_once = [told(1, "2026-03-09", kind="unreachable", role="coordinator",
                      recipient="co@school.nl")]
    assert plan([item], told_once, TODAY, settings()) == []


def test_no_coordinator_summary_when_switched_off_or_without_coordinator():
    assert kinds(plan([(row(1), broken())], [], TODAY,
                      settings(coordinator_summaries=False)), "coordinator") == []
    assert kinds(plan([(row(1, coordinator=None), broken())], [], TODAY, settings()),
                 "coordinator") == []


def test_one_summary_per_pilot_and_reply_to_only_with_a_single_coordinator():
    digests = plan([(row(1), broken()), (row(2, pilot_id=2, coordinator="co2@school.nl"),
                                         broken())], [], TODAY, settings())
    assert [(d.recipient, d.pilot) for d in digests if d.role == "coordinator"] == [
        ("co@school.nl", "Pilot 1"), ("co2@school.nl", "Pilot 2")]
    anne = digests[0]
    assert anne.reply_to is None and len(anne.materials) == 2
    single = plan([(row(1), broken())], [], TODAY, settings())[0]
    assert single.reply_to == "co@school.nl"


def test_moved_goes_to_its_own_coordinator_section_with_the_new_address():
    moved = Assessment("moved", [Problem("moved", "2026-03-09",
                                         {"new_url": "https://maken.wikiwijs.nl/1/nieuw"})])
    summary = plan([(row(1), moved)], [], TODAY, settings())[1]
    assert summary.section("new") == []
    assert [i.new_url for i in summary.section("moved")] == ["https://maken.wikiwijs.nl/1/nieuw"]

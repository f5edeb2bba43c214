"""lifecycle: move, retire, hand over, let go, propose; every action an event.

Real SQLite files, materials registered through the registry, checks recorded
through history.record (the nightly job's path), the real policy.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from oermonitor import history, lifecycle, policy, registry
from oermonitor.errors import BadInput
from oermonitor.settings import Settings
from oermonitor.store import Store
from tests.support import at, record_check

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
TODAY = NOW.date()
OLD = "https://maken.wikiwijs.nl/171772/Breuken"
COORDINATOR = "coordinator@school.nl"


def add(store: Store, url: str = OLD, maintainer: str = "anne@school.nl",
        end: str | None = None) -> dict:
    row = registry.MaterialRow(url=url, maintainer_email=maintainer, pilot="Rekenen",
                               pilot_end_date=end, coordinator_email=COORDINATOR,
                               title="Breuken")
    registry.register(store, [row], at("2024-01-01"))
    return store.material_by_url(url) and store.material(store.material_by_url(url)["id"])


def check(store: Store, material: dict, day: str, availability: str = "ok", *,
          final_url: str | None = None, modified: str | None = None) -> dict:
    record_check(store, material["id"], day, availability, final_url=final_url,
                 modified=modified, title="Breuken", content_hash="h1", error="weg")
    return store.material(material["id"])


def assess(store: Store, material: dict, today: date = TODAY):
    return policy.assess(store.material(material["id"]), Settings().policy, today)


# -- move ---------------------------------------------------------------------------------


def test_move_keeps_id_history_maintainer_and_stale_clock(store):
    m = add(store, "https://example.org/oud")
    check(store, m, "2025-01-10", modified="2025-01-05")
    check(store, m, "2025-02-01", "moved", final_url="https://elders.example.net/nieuw")
    assert assess(store, m).codes[:1] == ["moved"]

    moved = lifecycle.move(store, m, "https://elders.example.net/nieuw",
                           by="Coordinator@School.nl", now=NOW, note="zie mail van Anne")

    assert moved["id"] == m["id"] and moved["url"] == "https://elders.example.net/nieuw"
    assert moved["maintainer_email"] == "anne@school.nl"
    assert moved["next_check_at"] <= NOW.isoformat()  # checked with the next run
    assert len(store.checks(m["id"])) == 2  # history kept
    a = assess(store, moved)
    assert "moved" not in a.codes and a.last_maintained == "2025-01-05"  # stale clock kept
    [event] = lifecycle.events(store, m["id"])
    assert event["kind"] == "move" and event["who"] == "coordinator@school.nl"
    assert event["at"] == "2026-03-10T09:30:00+00:00"
    assert event["detail"] == {"from": "https://example.org/oud",
                               "to": "https://elders.example.net/nieuw",
                               "note": "zie mail van Anne"}
    assert "https://elders.example.net/nieuw" in event["text"] and "_" not in event["text"]


@pytest.mark.parametrize("new_url, message", [
    ("geen-adres", "new address"),
    ("ftp://example.org/x", "http"),
    ("https://example.org/other", "already the address of material #2"),
    ("https://maken.wikiwijs.nl/555/Ander", "same material as #3"),
])
def test_move_refuses_bad_or_taken_addresses(store, new_url, message):
    m = add(store, "https://example.org/oud")
    add(store, "https://example.org/other")
    add(store, "https://maken.wikiwijs.nl/555/Procenten")
    with pytest.raises(BadInput, match=message):
        lifecycle.move(store, m, new_url, by=None, now=NOW)
    assert store.material(m["id"])["url"] == "https://example.org/oud"
    assert lifecycle.events(store, m["id"]) == []


def test_same_identity_redirect_is_followed_silently(store):
    m = add(store, OLD)
    new = "https://maken.wikiwijs.nl/171772/Breuken_en_procenten"
    after = check(store, m, "2026-03-01", "moved", final_url=new)

    assert after["url"] == new and after["availability"] == "ok"
    assert assess(store, m).codes == []
    [event] = lifecycle.events(store, m["id"])
    assert (event["kind"], event["who"]) == ("repoint", "oermonitor")
    assert event["detail"] == {"from": OLD, "to": new}
    assert store.checks(m["id"])[0]["availability"] == "ok"


def test_http_to_https_is_the_same_material_elsewhere_too(store):
    m = add(store, "http://lesmateriaal.example.org/breuken/")
    after = check(store, m, "2026-03-01", "moved",
                  final_url="https://lesmateriaal.example.org/breuken")
    assert after["url"] == "https://lesmateriaal.example.org/breuken"
    assert assess(store, m).codes == []


def test_redirect_elsewhere_stays_moved(store):
    m = add(store, "https://example.org/oud")
    after = check(store, m, "2026-03-01", "moved", final_url="https://example.org/nieuw")
    assert after["url"] == "https://example.org/oud"
    assert assess(store, m).codes == ["moved"]
    assert lifecycle.events(store, m["id"]) == []


def test_same_identity_redirect_onto_another_registered_url_is_not_followed(store):
    copy = "https://maken.wikiwijs.nl/171772/Kopie"
    registry.register(store, [  # registered twice, in one spreadsheet
        registry.MaterialRow(url=url, maintainer_email="anne@school.nl", pilot="Rekenen")
        for url in (OLD, copy)], at("2024-01-01"))
    m = store.material(OLD)
    check(store, m, "2026-03-01", "moved", final_url=copy)
    assert store.material(m["id"])["url"] == OLD
    assert assess(store, m).codes == ["moved"]


def test_propose_move_same_identity_moves_other_identity_waits(store):
    m = add(store, OLD)
    moved = lifecycle.propose_move(store, m, "https://maken.wikiwijs.nl/171772/Nieuw",
                                   by="anne@school.nl", now=NOW)
    assert moved["url"] == "https://maken.wikiwijs.nl/171772/Nieuw"
    assert lifecycle.proposals(store) == []

    waiting = lifecycle.propose_move(store, moved, "https://example.org/eigen-site",
                                     by="anne@school.nl", now=NOW, note="zelf gehost")
    assert waiting["url"] == "https://maken.wikiwijs.nl/171772/Nieuw"
    assert [p["proposed_url"] for p in lifecycle.proposals(store)] == [
        "https://example.org/eigen-site"]
    kinds = [e["kind"] for e in lifecycle.events(store, m["id"])]
    assert kinds == ["proposal", "move"]

    dismissed = lifecycle.dismiss_proposal(store, waiting, by=COORDINATOR, now=NOW,
                                           reason="geen open platform")
    assert dismissed["proposed_url"] is None and lifecycle.proposals(store) == []

    lifecycle.propose_move(store, dismissed, "https://example.org/eigen-site",
                           by="anne@school.nl", now=NOW)
    accepted = lifecycle.move(store, store.material(m["id"]), "https://example.org/eigen-site",
                              by=COORDINATOR, now=NOW)
    assert accepted["proposed_url"] is None and lifecycle.proposals(store) == []


# -- retire --------------------------------------------------------------------------------


def test_retire_and_unretire(store):
    m = add(store, "https://example.org/oud")
    check(store, m, "2026-03-01", "missing")
    with pytest.raises(BadInput, match="reason"):
        lifecycle.retire(store, m, reason="  ", by=None, now=NOW)

    retired = lifecycle.retire(store, m, reason="vervangen door nieuwe methode", by=None,
                               now=NOW)
    assert assess(store, retired).state == "retired" and assess(store, retired).codes == []
    assert store.due_materials(at("2030-01-01"), 0) == []
    with pytest.raises(BadInput, match="already retired"):
        lifecycle.retire(store, retired, reason="x", by=None, now=NOW)

    back = lifecycle.unretire(store, retired, by=COORDINATOR, now=NOW)
    assert back["retired_at"] is None
    assert [d["id"] for d in store.due_materials(NOW, 24)] == [m["id"]]
    events = lifecycle.events(store, m["id"])
    assert [(e["kind"], e["who"]) for e in events] == [
        ("unretire", COORDINATOR), ("retire", "operator")]
    assert events[1]["detail"] == {"reason": "vervangen door nieuwe methode"}
    with pytest.raises(BadInput, match="not retired"):
        lifecycle.unretire(store, back, by=None, now=NOW)


# -- keepers -------------------------------------------------------------------------------


def test_release_makes_no_maintainer_until_reassigned(store):
    m = add(store)
    check(store, m, "2026-03-01")
    released = lifecycle.release(store, m, by="anne@school.nl", now=NOW,
                                 colleague_email="Bram@School.nl", note="ik stop")
    a = assess(store, released)
    assert a.state == "no_maintainer" and a.codes == ["no_maintainer"]
    assert a.problems[0].detail == {"reason": "released", "colleague": "bram@school.nl",
                                    "note": "ik stop", "maintainer": "anne@school.nl"}
    assert a.problems[0].since == "2026-03-10"

    handed = lifecycle.reassign(store, released, to_email="bram@school.nl", to_name="Bram",
                                by=COORDINATOR, now=NOW)
    assert handed["maintainer_email"] == "bram@school.nl"
    assert handed["maintainer_name"] == "Bram"
    assert assess(store, handed).state == "ok"
    assert [e["kind"] for e in lifecycle.events(store, m["id"])] == ["reassign", "release"]
    [welcome] = store.pending_welcomes()
    assert (welcome["id"], welcome["maintainer_email"]) == (m["id"], "bram@school.nl")


def test_reassign_to_the_same_maintainer_is_no_hand_over(store):
    m = add(store)
    same = lifecycle.reassign(store, m, to_email="ANNE@school.nl", by=None, now=NOW)
    assert lifecycle.events(store, m["id"]) == [] and same["maintainer_email"] == "anne@school.nl"
    lifecycle.release(store, same, by="anne@school.nl", now=NOW)
    kept = lifecycle.reassign(store, store.material(m["id"]), to_email="anne@school.nl",
                              by=None, now=NOW)
    assert kept["unowned_since"] is None
    assert store.pending_welcomes() == []  # she knows what she keeps


def test_reassign_refuses_bad_address_and_retired(store):
    m = add(store)
    with pytest.raises(BadInput, match="not a valid email"):
        lifecycle.reassign(store, m, to_email="bram@", by=None, now=NOW)
    lifecycle.retire(store, m, reason="weg", by=None, now=NOW)
    with pytest.raises(BadInput, match="retired"):
        lifecycle.reassign(store, store.material(m["id"]), to_email="bram@school.nl",
                           by=None, now=NOW)


def test_reassign_a_whole_maintainer(store):
    a = add(store, "https://example.org/a")
    b = add(store, "https://example.org/b")
    c = add(store, "https://example.org/c", maintainer="carla@school.nl")
    gone = add(store, "https://example.org/d")
    lifecycle.retire(store, gone, reason="ingetrokken", by=None, now=NOW)

    changed = lifecycle.reassign_maintainer(store, "Anne@school.nl", to_email="bram@school.nl",
                                            by=COORDINATOR, now=NOW)
    assert sorted(m["id"] for m in changed) == [a["id"], b["id"]]
    assert store.material(c["id"])["maintainer_email"] == "carla@school.nl"
    assert store.material(gone["id"])["maintainer_email"] == "anne@school.nl"
    assert sorted(w["id"] for w in store.pending_welcomes()) == [a["id"], b["id"]]
    with pytest.raises(BadInput, match="keeps no materials"):
        lifecycle.reassign_maintainer(store, "anne@school.nl", to_email="bram@school.nl",
                                      by=None, now=NOW)


def test_bounced_address_means_no_maintainer(store):
    m = add(store)
    check(store, m, "2026-03-01")
    store.mark_bounced("anne@school.nl", "550 mailbox unavailable", NOW)
    a = assess(store, m)
    assert a.state == "no_maintainer"
    assert a.problems[0].detail["reason"] == "bounced"
    lifecycle.reassign(store, store.material(m["id"]), to_email="bram@school.nl", by=None,
                       now=NOW)
    assert assess(store, m).state == "ok"


def test_marking_and_clearing_a_bounce_by_hand(store):
    m = add(store)
    check(store, m, "2026-03-01")
    assert lifecycle.mark_bounced(store, " Anne@School.nl ", NOW) == "anne@school.nl"
    assert assess(store, m).state == "no_maintainer"
    with pytest.raises(BadInput, match="--mark-bounced: no maintainer with address"):
        lifecycle.mark_bounced(store, "nobody@school.nl", NOW)
    with pytest.raises(BadInput, match="--clear-bounce"):
        lifecycle.clear_bounce(store, "not an address")
    assert lifecycle.clear_bounce(store, "ANNE@school.nl")
    assert not lifecycle.clear_bounce(store, "anne@school.nl")  # not marked any more
    assert assess(store, m).state == "ok"


def test_unanswered_reminders_mean_no_maintainer_until_confirmed(store):
    m = add(store)
    check(store, m, "2026-03-01")
    assert lifecycle.unanswered(store, m["id"], 3, NOW)
    assert not lifecycle.unanswered(store, m["id"], 4, NOW)  # once
    a = assess(store, m)
    assert a.state == "no_maintainer" and a.problems[0].detail == {
        "reason": "ignored", "reminders": 3, "maintainer": "anne@school.nl"}
    history.confirm(store, store.material(m["id"]), "anne@school.nl", "nog actueel", NOW)
    assert assess(store, m).state == "ok"


# -- the existing switches are events too -------------------------------------------------


def test_confirm_mute_evergreen_review_are_recorded_with_who_and_when(store):
    m = add(store)
    history.confirm(store, m, "anne@school.nl", "gecontroleerd", NOW)
    history.mute(store, m, date(2026, 4, 1), "verbouwing", TODAY, by=COORDINATOR, now=NOW)
    history.mute(store, m, None, None, TODAY, now=NOW)
    history.set_evergreen(store, m, True, by=COORDINATOR, now=NOW)
    history.set_review_interval(store, m, 90, now=NOW)
    events = lifecycle.events(store, m["id"])
    assert [(e["kind"], e["who"]) for e in reversed(events)] == [
        ("confirm", "anne@school.nl"), ("mute", COORDINATOR), ("unmute", "operator"),
        ("evergreen", COORDINATOR), ("review_interval", "operator")]
    texts = [e["text"] for e in reversed(events)]
    assert texts == ["confirmed as still current (gecontroleerd)",
                     "emails paused until 2026-04-01: verbouwing", "emails resumed",
                     "marked evergreen (never stale)", "review every 90 days"]
    assert all(e["at"] == "2026-03-10T09:30:00+00:00" for e in events)


def test_events_survive_a_reopen(tmp_path):
    path = tmp_path / "oermonitor.db"
    with Store.open(path) as s:
        m = add(s)
        lifecycle.retire(s, m, reason="klaar", by=None, now=NOW)
    with Store.open(path) as s:
        [event] = lifecycle.events(s, m["id"])
        assert event["kind"] == "retire"
        assert json.loads(s.db.execute("select detail from events").fetchone()[0]) == {
            "reason": "klaar"}


# -- the welcome ---------------------------------------------------------------------------


def test_new_maintainer_is_welcomed_exactly_once(store, smtp, tmp_path):
    from oermonitor import notify
    from oermonitor.settings import SmtpSettings

    settings = Settings(database=tmp_path / "oermonitor.db",
                        smtp=SmtpSettings(host="127.0.0.1", port=smtp.port, timeout=5,
                                          from_="oermonitor@school.nl"))
    a = add(store, "https://example.org/a")
    b = add(store, "https://maken.wikiwijs.nl/42/Procenten")
    check(store, a, "2026-03-01")
    check(store, b, "2026-03-01")
    lifecycle.reassign_maintainer(store, "anne@school.nl", to_email="bram@school.nl",
                                  to_name="Bram de Boer", by=COORDINATOR, now=NOW)

    report = notify.send_welcomes(store, settings, TODAY, NOW)
    assert report.emails == 1
    [mail] = smtp.to("bram@school.nl")
    text = mail.get_body(("plain",)).get_content()
    assert mail["Subject"] == "Je beheert nu 2 lesmaterialen"
    assert text.startswith("Beste Bram,")
    assert "https://example.org/a" in text and "https://maken.wikiwijs.nl/42/Procenten" in text
    assert mail["Reply-To"] == COORDINATOR
    assert store.pending_welcomes() == []
    # neither again right away, nor with the nightly mail
    assert notify.send_welcomes(store, settings, TODAY, NOW).planned == []
    notify.send_due(store, settings, TODAY, NOW)
    assert len(smtp.to("bram@school.nl")) == 1 and smtp.to("anne@school.nl") == []

"""history.record: one check becomes a checks row, folded tracking and a snapshot."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import date, timedelta

import pytest

from oermonitor import history, policy, registry
from oermonitor.models import Facts, FetchResult
from oermonitor.settings import Settings
from oermonitor.store import Store, iso, loads
from tests.support import at, record_check

FAILED = object()  # marker: availability says the fetch failed


class Harness:
    """A real SQLite file with materials registered through the registry."""

    def __init__(self, path, settings: Settings | None = None):
        self.store = Store.open(path)
        self.settings = settings or Settings()

    def add(self, url: str = "https://example.org/m/1", *, pilot: str = "Pilot A",
            end: str | None = None, added: str = "2024-01-01", **fields) -> int:
        row = registry.MaterialRow(url=url, maintainer_email="teacher@school.nl", pilot=pilot,
                                   pilot_end_date=end, **fields)
        registry.register(self.store, [row], at(added))
        return self.store.material_by_url(url)["id"]

    def check(self, material_id: int, day: str, availability: str = "ok", *,
              licence: str | None = "CC-BY-4.0", scope: str | None = "material",
              content_hash: str | None = "hash-1", modified: str | None = None,
              title: str | None = "Page title", final_url: str | None = None,
              headers: dict | None = None, not_modified: bool = False,
              html: bool = True, status: int | None = None) -> dict:
        return record_check(self.store, material_id, day, availability, settings=self.settings,
                            licence=licence, scope=scope, content_hash=content_hash,
                            modified=modified, title=title, final_url=final_url,
                            headers=headers, not_modified=not_modified, html=html,
                            status=status)

    def assess(self, material_id: int, today: str):
        return policy.assess(self.store.material(material_id), self.settings.policy,
                             date.fromisoformat(today))

    def tracking(self, material_id: int) -> dict:
        return loads(self.store.material(material_id)["tracking"], {})


@pytest.fixture
def h(tmp_path):
    harness = Harness(tmp_path / "oermonitor.db")
    yield harness
    harness.store.close()


def test_record_writes_check_row_and_snapshot(h):
    mid = h.add()
    check = h.check(mid, "2025-03-01", modified="2025-02-20T10:00:00",
                    headers={"etag": '"v1"', "last-modified": "Thu, 20 Feb 2025 10:00:00 GMT"})
    rows = h.store.checks(mid)
    assert len(rows) == 1 and rows[0]["id"] == check["id"]
    assert rows[0]["availability"] == "ok" and rows[0]["licence"] == "CC-BY-4.0"
    assert rows[0]["checked_at"] == "2025-03-01T02:00:00+00:00"
    assert json.loads(rows[0]["licence_all"]) == ["CC-BY-4.0"]
    m = h.store.material(mid)
    assert (m["availability"], m["licence"], m["licence_scope"]) == ("ok", "CC-BY-4.0",
                                                                     "material")
    assert m["last_modified"] == "2025-02-20T10:00:00" and m["content_hash"] == "hash-1"
    assert m["etag"] == '"v1"' and m["http_last_modified"].startswith("Thu, 20 Feb")
    assert m["page_title"] == "Page title" and m["last_checked_at"] == check["checked_at"]
    t = h.tracking(mid)
    assert t["checks"] == 1 and t["licence"] == "CC-BY-4.0" and t["declared"] == "2025-02-20"


def test_failed_fetch_keeps_last_known_licence_date_hash_and_validators(h):
    mid = h.add()
    h.check(mid, "2025-03-01", modified="2025-02-20", headers={"etag": '"v1"'})
    h.check(mid, "2025-03-02", "server_error", status=503)
    m = h.store.material(mid)
    assert m["availability"] == "server_error" and m["status_code"] == 503
    assert m["error"] == "server_error detail"
    assert (m["licence"], m["last_modified"], m["content_hash"], m["etag"]) == (
        "CC-BY-4.0", "2025-02-20", "hash-1", '"v1"')
    newest = h.store.checks(mid)[0]
    assert newest["licence"] is None and newest["licence_all"] is None  # what the check saw
    assert h.tracking(mid)["licence"] == "CC-BY-4.0"


def test_not_modified_keeps_validators_unless_server_sends_new(h):
    mid = h.add()
    h.check(mid, "2025-03-01", headers={"etag": '"v1"', "last-modified": "old"})
    h.check(mid, "2025-03-02", not_modified=True, status=304, headers={"etag": '"v2"'})
    m = h.store.material(mid)
    assert (m["etag"], m["http_last_modified"]) == ('"v2"', "old")
    assert h.store.checks(mid)[0]["not_modified"] == 1


def test_served_response_without_validators_clears_them(h):
    mid = h.add()
    h.check(mid, "2025-03-01", headers={"etag": '"v1"'})
    h.check(mid, "2025-03-02")
    assert h.store.material(mid)["etag"] is None


def test_file_without_html_keeps_licence_and_is_not_judged_on_it(h):
    mid = h.add(url="https://example.org/m/file.pdf")
    h.check(mid, "2025-03-01", html=False, content_hash="bytes-1")
    assert h.store.material(mid)["licence"] is None
    assert h.store.checks(mid)[0]["licence_all"] is None
    assert h.assess(mid, "2025-03-02").state == "ok"


def test_next_check_follows_the_streak_as_stored_now(h):
    """The next check comes from the tracking as folded now, not from the row a run
    loaded before: two failures in a row back off twice as long as one."""
    mid = h.add()
    stale_row = h.store.material(mid)  # as a run loads it, before any check
    policy_ = h.settings.policy
    served = FetchResult(url=stale_row["url"], availability="ok", status_code=200)
    down = FetchResult(url=stale_row["url"], availability="server_error", status_code=503)
    row = history.record(h.store, stale_row, served, Facts(availability="ok"), h.settings,
                         at("2025-03-01"), run_id=7)
    assert row["tracking"]["failures"] == 0 and h.store.checks(mid)[0]["run_id"] == 7
    assert h.store.material(mid)["next_check_at"] == iso(
        at("2025-03-01") + timedelta(hours=policy_.recheck_after_hours))
    for day in ("2025-03-02", "2025-03-03"):
        row = history.record(h.store, stale_row, down, Facts(availability="server_error"),
                             h.settings, at(day))
    assert row["tracking"]["failures"] == 2
    assert h.store.material(mid)["next_check_at"] == iso(at("2025-03-03") + timedelta(
        hours=min(policy_.recheck_after_hours, 2 * policy_.retry_failing_after_hours)))


def test_record_check_is_one_transaction(h):
    mid = h.add()
    with pytest.raises(sqlite3.OperationalError):
        h.store.record_check(mid, {"checked_at": "2025-03-01T00:00:00+00:00",
                                   "availability": "ok"}, {"no_such_column": 1})
    assert h.store.checks(mid) == []


def test_confirmation_is_recorded_and_resets_the_stale_clock(h):
    mid = h.add(end="2024-06-30", added="2023-01-01")
    h.check(mid, "2025-09-01", modified="2023-05-01")
    assert h.assess(mid, "2025-09-02").state == "stale"
    history.confirm(h.store, h.store.material(mid), "teacher@school.nl", "checked all links",
                    at("2025-09-02"))
    assessment = h.assess(mid, "2025-09-03")
    assert assessment.state == "ok" and assessment.last_maintained == "2025-09-02"
    (row,) = h.store.confirmations(mid)
    assert (row["by"], row["note"]) == ("teacher@school.nl", "checked all links")
    # the tracking keeps it across later checks
    h.check(mid, "2025-09-10", modified="2023-05-01")
    assert h.tracking(mid)["confirmed"] == "2025-09-02"


def test_policy_settings_come_from_settings(tmp_path):
    settings = replace(Settings(), policy=replace(Settings().policy, failures_before_broken=1))
    harness = Harness(tmp_path / "x.db", settings)
    mid = harness.add()
    harness.check(mid, "2025-03-01", "missing")
    assert harness.assess(mid, "2025-03-01").state == "broken"
    harness.store.close()


def test_availability_comes_from_the_facts(h):
    """A page served with 200 that extraction found to be a soft 404 is missing."""
    mid = h.add()
    material = h.store.material(mid)
    result = FetchResult(url=material["url"], availability="ok", status_code=200)
    facts = Facts(availability="missing", error="page says not found")
    check = history.record(h.store, material, result, facts, h.settings, at("2025-03-01"))
    assert check["availability"] == "missing" and check["error"] == "page says not found"
    assert h.store.material(mid)["availability"] == "missing"


def test_record_folds_into_the_current_tracking_not_a_stale_copy(h):
    mid = h.add(end="2024-06-30", added="2020-01-01")
    loaded_by_the_run = h.store.material(mid)
    history.confirm(h.store, loaded_by_the_run, None, None, at("2025-03-01"))
    result = FetchResult(url=loaded_by_the_run["url"], availability="ok", status_code=200)
    history.record(h.store, loaded_by_the_run, result, Facts(availability="ok"), h.settings,
                   at("2025-03-02"))
    assert h.tracking(mid)["confirmed"] == "2025-03-01"

"""The policy: every state and problem, built from real recorded history."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from oermonitor import history, policy
from oermonitor.settings import Settings
from tests.test_history import Harness, at


@pytest.fixture
def h(tmp_path):
    harness = Harness(tmp_path / "oermonitor.db")
    yield harness
    harness.store.close()


def codes(assessment) -> list[str]:
    return [p.code for p in assessment.problems]


def problem(assessment, code):
    return next(p for p in assessment.problems if p.code == code)


def test_unchecked_before_first_check(h):
    mid = h.add(end="2020-01-01")
    a = h.assess(mid, "2025-01-01")
    assert a.state == "unchecked" and a.problems == []


def test_ok(h):
    mid = h.add()
    h.check(mid, "2025-03-01")
    a = h.assess(mid, "2025-03-01")
    assert (a.state, a.problems, a.muted) == ("ok", [], False)


def test_one_failure_is_failing_two_are_broken(h):
    mid = h.add()
    h.check(mid, "2025-03-01")
    h.check(mid, "2025-03-02", "missing")
    a = h.assess(mid, "2025-03-02")
    assert a.state == "failing" and codes(a) == ["failing"]
    assert problem(a, "failing").since == "2025-03-02"
    h.check(mid, "2025-03-03", "timeout")
    a = h.assess(mid, "2025-03-03")
    assert a.state == "broken" and codes(a) == ["broken"]
    assert problem(a, "broken").since == "2025-03-02"
    assert problem(a, "broken").detail == {"availability": "timeout", "failures": 2}


def test_success_resets_the_failure_streak(h):
    mid = h.add()
    h.check(mid, "2025-03-01", "missing")
    h.check(mid, "2025-03-02")
    h.check(mid, "2025-03-03", "missing")
    assert h.assess(mid, "2025-03-03").state == "failing"


@pytest.mark.parametrize("refusal", ["forbidden", "rate_limited", "blocked_by_robots"])
def test_refusals_are_failures_like_any_other_by_default(h, refusal):
    mid = h.add()
    h.check(mid, "2025-03-01", refusal, status=403)
    assert h.assess(mid, "2025-03-01").state == "failing"
    h.check(mid, "2025-03-02", refusal, status=403)
    assert h.assess(mid, "2025-03-02").state == "broken"


@pytest.mark.parametrize("refusal", ["forbidden", "rate_limited", "blocked_by_robots"])
def test_bot_blocking_refusals_can_be_given_time_before_broken(h, refusal):
    h.settings = replace(h.settings, policy=replace(h.settings.policy,
                                                    blocked_days_before_broken=14))
    mid = h.add()
    for day in ("2025-03-01", "2025-03-02", "2025-03-08"):
        h.check(mid, day, refusal, status=403)
    a = h.assess(mid, "2025-03-08")
    assert a.state == "failing" and problem(a, "failing").detail["failures"] == 3
    h.check(mid, "2025-03-15", refusal)  # 14 days since the first refusal
    a = h.assess(mid, "2025-03-15")
    assert a.state == "broken" and problem(a, "broken").since == "2025-03-01"


def test_hard_failures_after_refusals_count_on_their_own(h):
    h.settings = replace(h.settings, policy=replace(h.settings.policy,
                                                    blocked_days_before_broken=14))
    mid = h.add()
    h.check(mid, "2025-03-01", "forbidden")
    h.check(mid, "2025-03-02", "missing")
    assert h.assess(mid, "2025-03-02").state == "failing"
    h.check(mid, "2025-03-03", "missing")
    assert h.assess(mid, "2025-03-03").state == "broken"


def test_moved_with_new_url(h):
    mid = h.add()
    h.check(mid, "2025-03-01", "moved", final_url="https://example.org/new", status=200)
    a = h.assess(mid, "2025-03-01")
    assert a.state == "moved"
    assert problem(a, "moved").detail == {"new_url": "https://example.org/new"}
    assert problem(a, "moved").since == "2025-03-01"
    h.check(mid, "2025-03-02")
    assert h.assess(mid, "2025-03-02").state == "ok"


def test_licence_missing_on_first_check(h):
    mid = h.add()
    h.check(mid, "2025-03-01", licence=None)
    a = h.assess(mid, "2025-03-01")
    assert a.state == "licence_issue" and codes(a) == ["licence_missing"]


def test_licence_disappearing_needs_two_consecutive_checks(h):
    mid = h.add()
    h.check(mid, "2025-03-01")
    h.check(mid, "2025-03-02", licence=None)
    assert h.assess(mid, "2025-03-02").state == "ok"  # seen once: not yet
    h.check(mid, "2025-03-03", "timeout")  # a failure neither confirms nor resets
    h.check(mid, "2025-03-04", licence=None)
    a = h.assess(mid, "2025-03-04")
    assert "licence_missing" in codes(a)
    missing = problem(a, "licence_missing")
    assert missing.since == "2025-03-02" and missing.detail["was"] == "CC-BY-4.0"


def test_licence_blip_is_reset_by_the_old_licence(h):
    mid = h.add()
    h.check(mid, "2025-03-01")
    h.check(mid, "2025-03-02", licence=None)
    h.check(mid, "2025-03-03")
    h.check(mid, "2025-03-04", licence=None)
    assert h.assess(mid, "2025-03-04").state == "ok"


def test_material_licence_replaced_by_site_default_is_missing(h):
    mid = h.add()
    h.check(mid, "2025-03-01")
    h.check(mid, "2025-03-02", licence="CC-BY-4.0", scope="site")
    h.check(mid, "2025-03-03", licence="CC-BY-4.0", scope="site")
    a = h.assess(mid, "2025-03-03")
    assert codes(a) == ["licence_missing"]
    assert problem(a, "licence_missing").detail == {"was": "CC-BY-4.0",
                                                    "site_licence": "CC-BY-4.0"}


def test_licence_changed_after_two_checks_and_acknowledged_by_confirm(h):
    mid = h.add()
    h.check(mid, "2025-03-01")
    h.check(mid, "2025-03-02", licence="CC-BY-SA-4.0")
    assert h.assess(mid, "2025-03-02").state == "ok"
    h.check(mid, "2025-03-03", licence="CC-BY-SA-4.0")
    a = h.assess(mid, "2025-03-03")
    assert a.state == "licence_issue" and codes(a) == ["licence_changed"]
    changed = problem(a, "licence_changed")
    assert changed.since == "2025-03-02"
    assert changed.detail == {"was": "CC-BY-4.0", "now": "CC-BY-SA-4.0", "openness_down": False}
    history.confirm(h.store, h.store.material(mid), None, None, at("2025-03-04"))
    assert h.assess(mid, "2025-03-04").state == "ok"


def test_refined_licence_is_not_a_change(h):
    mid = h.add()
    h.check(mid, "2025-03-01", licence="CC-BY-SA")
    h.check(mid, "2025-03-02", licence="CC-BY-SA-4.0")
    assert h.assess(mid, "2025-03-02").state == "ok"
    assert h.tracking(mid)["licence"] == "CC-BY-SA-4.0"


def test_licence_not_open_outside_allowed(h):
    mid = h.add()
    h.check(mid, "2025-03-01", licence="CC-BY-NC-4.0")
    a = h.assess(mid, "2025-03-01")
    assert a.state == "licence_issue" and codes(a) == ["licence_not_open"]
    assert problem(a, "licence_not_open").detail["openness"] == "restricted"


def test_licence_change_to_closed_is_changed_and_not_open(h):
    mid = h.add()
    h.check(mid, "2025-03-01")
    h.check(mid, "2025-03-02", licence="all-rights-reserved")
    h.check(mid, "2025-03-03", licence="all-rights-reserved")
    a = h.assess(mid, "2025-03-03")
    assert codes(a) == ["licence_changed", "licence_not_open"]
    assert problem(a, "licence_changed").detail["openness_down"] is True


def test_expected_licence_is_allowed_and_less_open_than_expected_is_not(h):
    nc = h.add(expected_licence="CC-BY-NC-4.0")
    h.check(nc, "2025-03-01", licence="CC-BY-NC-4.0")
    assert h.assess(nc, "2025-03-01").state == "ok"  # agreed with the coordinator
    opened = h.add(url="https://example.org/m/3", expected_licence="CC-BY-NC-4.0")
    h.check(opened, "2025-03-01", licence="CC-BY-4.0")
    assert h.assess(opened, "2025-03-01").state == "ok"  # more open than agreed is fine
    closed = h.add(url="https://example.org/m/4", expected_licence="CC-BY-4.0")
    h.check(closed, "2025-03-01", licence="CC-BY-NC-4.0")
    a = h.assess(closed, "2025-03-01")
    assert codes(a) == ["licence_not_open"]
    assert problem(a, "licence_not_open").detail["expected"] == "CC-BY-4.0"
    same = h.add(url="https://example.org/m/2", expected_licence="CC-BY-SA-4.0")
    h.check(same, "2025-03-01", licence="CC-BY-4.0")
    assert h.assess(same, "2025-03-01").state == "ok"


def test_licence_mismatch_with_catalogue(h):
    mid = h.add()
    h.store.update_material(mid, {"catalogue_licence": "CC-BY-SA-4.0"})
    h.check(mid, "2025-03-01", licence="CC-BY-4.0")
    a = h.assess(mid, "2025-03-01")
    assert a.state == "licence_issue" and codes(a) == ["licence_mismatch"]
    assert problem(a, "licence_mismatch").detail == {"catalogue": "CC-BY-SA-4.0",
                                                     "page": "CC-BY-4.0"}
    h.store.update_material(mid, {"catalogue_licence": "CC-BY"})  # less precise: agrees
    assert h.assess(mid, "2025-03-01").state == "ok"


# -- stale -------------------------------------------------------------------------------


def test_nothing_is_stale_before_the_pilot_ends(h):
    mid = h.add(end="2025-06-30", added="2020-01-01")
    h.check(mid, "2025-03-01", modified="2020-01-01")
    a = h.assess(mid, "2025-06-30")
    assert a.state == "ok" and a.stale_on == "2025-07-01"
    a = h.assess(mid, "2025-07-01")
    assert a.state == "stale" and problem(a, "stale").since == "2025-07-01"
    assert problem(a, "stale").detail["last_maintained"] == "2020-01-01"


def test_running_pilot_is_never_stale(h):
    mid = h.add(end=None, added="2020-01-01")
    h.check(mid, "2025-03-01", modified="2020-01-01")
    a = h.assess(mid, "2030-01-01")
    assert a.state == "ok" and a.stale_on is None


def test_grace_days_delay_stale(tmp_path):
    settings = replace(Settings(), policy=replace(Settings().policy, grace_days=30))
    harness = Harness(tmp_path / "g.db", settings)
    mid = harness.add(end="2025-06-30", added="2020-01-01")
    harness.check(mid, "2025-03-01", modified="2020-01-01")
    assert harness.assess(mid, "2025-07-30").state == "ok"
    assert harness.assess(mid, "2025-07-31").state == "stale"
    harness.store.close()


def test_stale_after_days_counts_from_the_declared_date(h):
    mid = h.add(end="2024-06-30", added="2020-01-01")
    h.check(mid, "2025-03-01", modified="2025-01-10T12:00:00")
    assert h.assess(mid, "2026-01-10").state == "ok"  # exactly 365 days: not more
    a = h.assess(mid, "2026-01-11")
    assert a.state == "stale" and problem(a, "stale").since == "2026-01-11"


def test_observed_content_change_is_maintenance(h):
    mid = h.add(end="2024-06-30", added="2020-01-01")
    h.check(mid, "2025-03-01", content_hash="a")
    h.check(mid, "2025-04-01", "timeout")  # a failed check changes nothing
    h.check(mid, "2025-05-01", content_hash="b")
    a = h.assess(mid, "2026-05-01")
    assert a.last_maintained == "2025-05-01" and a.state == "ok"
    assert h.assess(mid, "2026-05-02").state == "stale"


def test_no_evidence_counts_from_first_seen(h):
    mid = h.add(end="2024-06-30", added="2025-02-01")
    h.check(mid, "2025-03-01")
    a = h.assess(mid, "2026-02-02")
    assert a.last_maintained == "2025-02-01" and a.state == "stale"
    assert h.assess(mid, "2026-02-01").state == "ok"


def test_future_declared_date_counts_as_the_check_day(h):
    mid = h.add(end="2024-06-30", added="2020-01-01")
    h.check(mid, "2025-03-01", modified="2099-01-01")
    assert h.assess(mid, "2026-03-02").state == "stale"


def test_evergreen_is_never_stale(h):
    mid = h.add(end="2020-06-30", added="2020-01-01")
    h.check(mid, "2025-03-01")
    h.store.update_material(mid, {"evergreen": 1})
    a = h.assess(mid, "2030-01-01")
    assert a.state == "ok" and a.stale_on is None


def test_review_interval_overrides_stale_after_days(h):
    mid = h.add(end="2024-06-30", added="2020-01-01")
    h.check(mid, "2025-03-01", modified="2025-01-01")
    h.store.update_material(mid, {"review_interval_days": 30})
    assert h.assess(mid, "2025-01-31").state == "ok"
    a = h.assess(mid, "2025-02-01")
    assert a.state == "stale" and problem(a, "stale").detail["days"] == 30


# -- state order and mute ------------------------------------------------------------------


def test_state_is_the_worst_that_applies(h):
    mid = h.add(end="2020-06-30", added="2020-01-01")
    h.check(mid, "2025-03-01", licence="CC-BY-NC-4.0")
    h.check(mid, "2025-03-02", "missing")
    a = h.assess(mid, "2025-03-02")
    assert a.state == "licence_issue"
    assert codes(a) == ["failing", "licence_not_open", "stale"]
    h.check(mid, "2025-03-03", "missing")
    a = h.assess(mid, "2025-03-03")
    assert a.state == "broken" and codes(a) == ["broken", "licence_not_open", "stale"]


def test_stale_beats_failing_and_moved(h):
    mid = h.add(end="2020-06-30", added="2020-01-01")
    h.check(mid, "2025-03-01", "moved", final_url="https://example.org/x")
    assert h.assess(mid, "2025-03-01").state == "stale"
    h.check(mid, "2025-03-02", "missing")
    assert h.assess(mid, "2025-03-02").state == "stale"


def test_mute_pauses_notifications_until_its_end(h):
    mid = h.add()
    h.check(mid, "2025-03-01", "missing")
    h.store.update_material(mid, {"muted_until": "2025-03-10", "mute_reason": "verhuizing"})
    a = h.assess(mid, "2025-03-10")
    assert a.muted and a.state == "failing"  # checks and state continue
    assert not h.assess(mid, "2025-03-11").muted


def test_assess_accepts_decoded_tracking():
    row = {"tracking": {"checks": 1, "last_checked": "2025-03-01"}, "pilot_end_date": None,
           "added_at": "2025-01-01T00:00:00+00:00"}
    assert policy.assess(row, Settings().policy, date(2025, 3, 1)).state == "ok"


def test_state_rank_orders_worst_first():
    states = ["ok", "moved", "unchecked", "broken", "stale", "failing", "licence_issue"]
    assert sorted(states, key=policy.state_rank) == [
        "broken", "licence_issue", "stale", "failing", "moved", "ok", "unchecked"]


def test_less_detailed_licence_keeps_the_detail(h):
    mid = h.add()
    h.check(mid, "2025-03-01", licence="CC-BY-SA-4.0")
    h.check(mid, "2025-03-02", licence="CC-BY-SA")
    assert h.tracking(mid)["licence"] == "CC-BY-SA-4.0"
    assert h.assess(mid, "2025-03-02").state == "ok"


# --- a site-wide licence licenses a material that states none of its own -------------------

def test_site_wide_open_licence_licenses_a_material_without_its_own(h):
    mid = h.add("https://lesbrieven.example.nl/breuken")
    h.check(mid, "2025-03-01", licence="CC-BY-4.0", scope="site")
    a = h.assess(mid, "2025-03-01")
    assert a.state == "ok" and codes(a) == []


def test_site_wide_licence_that_is_not_open_is_judged_as_the_materials(h):
    mid = h.add("https://lesbrieven.example.nl/breuken")
    h.check(mid, "2025-03-01", licence="CC-BY-NC-4.0", scope="site")
    a = h.assess(mid, "2025-03-01")
    assert codes(a) == ["licence_not_open"]
    assert problem(a, "licence_not_open").detail["licence"] == "CC-BY-NC-4.0"


def test_site_wide_licence_does_not_fill_an_empty_wikiwijs_colofon(h):
    mid = h.add("https://maken.wikiwijs.nl/171772/Breuken")
    h.check(mid, "2025-03-01", licence="CC-BY-4.0", scope="site")
    a = h.assess(mid, "2025-03-01")
    assert codes(a) == ["licence_missing"]
    assert problem(a, "licence_missing").detail == {"was": None, "site_licence": "CC-BY-4.0"}


def test_site_all_rights_reserved_is_no_licence_for_the_material(h):
    mid = h.add("https://lesbrieven.example.nl/breuken")
    h.check(mid, "2025-03-01", licence="all-rights-reserved", scope="site")
    assert codes(h.assess(mid, "2025-03-01")) == ["licence_missing"]

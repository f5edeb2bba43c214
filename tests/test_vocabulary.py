"""The named vocabularies in models.py are the ones every room speaks."""

from pathlib import Path

import pytest

from oermonitor import models, policy, wording
from oermonitor.models import AVAILABILITY, PROBLEMS, SERVED, STATES

ROOT = Path(__file__).resolve().parents[1]


def test_the_availability_vocabulary_is_the_contracts():
    contract = (ROOT.parent / "shared" / "CONTRACT.md")
    if not contract.exists():  # the contract sits beside a checkout, not inside it
        pytest.skip("CONTRACT.md is not beside this checkout")
    line = next(li for li in contract.read_text().splitlines() if li.startswith("| `availability`"))
    assert [w.strip("`, ") for w in line.split("one of", 1)[1].split("|")[0].split()] == list(
        AVAILABILITY)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_availability_state_and_problem_has_words(language):
    assert set(wording.AVAILABILITY[language]) == set(AVAILABILITY)
    assert set(STATES) <= set(wording.STATES[language])
    assert set(PROBLEMS) <= set(wording.PROBLEM_NAMES[language])


def test_groups_are_drawn_from_the_vocabulary():
    assert set(SERVED) <= set(AVAILABILITY)
    assert set(policy.BLOCKED) <= set(AVAILABILITY)
    assert {"no_maintainer", "retired"} <= set(STATES) and "no_maintainer" in PROBLEMS
    assert all(state in STATES for state in policy.RANK)


def test_tracking_keys_are_what_fold_writes():
    from datetime import date

    from oermonitor.settings import PolicySettings
    tracking: dict = {}
    for day, availability, licence in (("2026-01-01", "ok", "CC-BY-4.0"),
                                       ("2026-01-02", "moved", "CC-BY-SA-4.0"),
                                       ("2026-01-03", "timeout", None)):
        tracking = policy.fold(tracking, {
            "checked_at": f"{day}T02:00:00+00:00", "availability": availability,
            "final_url": "https://example.org/nieuw", "content_hash": day,
            "last_modified": day, "licence": licence, "licence_scope": "material",
            "licence_all": "[]"}, PolicySettings())
    tracking = policy.confirm(tracking, date(2026, 1, 4).isoformat())
    assert set(tracking) <= set(models.Tracking.__annotations__)

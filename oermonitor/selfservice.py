"""What a maintainer can do from the link in an email, as library functions.

The web pages (`oermonitor.web.maintainer`) only call these. Each action is
recorded in the material's history with the maintainer's address, and doing it
twice is harmless: a second "still current" on the same day records nothing new,
a second "check again" within `RECHECK_AFTER` shows the check just made.

    page = view(store, settings, material, today=today)
    confirmation, new = confirm(store, material, now=now)
    check, new = recheck(store, settings, material, now=now)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from oermonitor import history, job, notify, policy
from oermonitor.models import Assessment
from oermonitor.settings import Settings
from oermonitor.store import Store, iso, utcnow

RECHECK_AFTER = timedelta(minutes=1)  # a repeated "check again" within this reuses the check
NOTE = "via de link in de e-mail"  # how history shows where a confirmation came from


@dataclass
class Finding:
    problem: str
    what: str
    since: str


@dataclass
class Page:
    """Everything the maintainer's page shows about one material, and nothing else."""

    material: dict
    assessment: Assessment
    findings: list[Finding] = field(default_factory=list)
    last_check: dict | None = None
    confirmation: dict | None = None  # the maintainer's latest "still current"


def maintainer(material: dict) -> str:
    return (material.get("maintainer_email") or "").lower()


def view(store: Store, settings: Settings, material: dict, *, today: date) -> Page:
    assessment = policy.assess(material, settings.policy, today)
    findings = [Finding(*f) for f in notify.describe(material, assessment, settings, today)]
    checks = store.checks(material["id"], limit=1)
    return Page(material, assessment, findings, checks[0] if checks else None,
                _own_confirmation(store, material))


def confirm(store: Store, material: dict, *, now: datetime) -> tuple[dict, bool]:
    """"Klopt nog": still current as it is. Returns (the confirmation, newly recorded?)."""
    latest = _own_confirmation(store, material)
    if latest and latest["confirmed_at"][:10] == iso(now)[:10]:
        return latest, False
    history.confirm(store, material, maintainer(material), NOTE, now)
    return _own_confirmation(store, material), True


def recheck(store: Store, settings: Settings, material: dict, *, now: datetime,
            clock=utcnow) -> tuple[dict, bool]:
    """"Ik heb het aangepast": check it now. Returns (the check, newly made?)."""
    latest = store.checks(material["id"], limit=1)
    if latest and latest[0]["run_id"] is None and \
            datetime.fromisoformat(latest[0]["checked_at"]) > now - RECHECK_AFTER:
        return latest[0], False
    return job.check_one(store, settings, material, clock=clock), True


def _own_confirmation(store: Store, material: dict) -> dict | None:
    who = maintainer(material)
    return next((c for c in store.confirmations(material["id"])
                 if (c["by"] or "").lower() == who), None)

"""What a maintainer can do from the link in an email, as library functions.

The web pages (`oermonitor.web.maintainer`) only call these. Each action is
recorded in the material's history with the maintainer's address, and doing it
twice is harmless: a second "still current" on the same day records nothing new,
a second "check again" within `RECHECK_AFTER` shows the check just made, a move to
the address it has (or has proposed) and a second "not mine" change nothing.

    page = view(store, settings, material, today=today)
    confirmation, new = confirm(store, material, now=now)
    check, new = recheck(store, settings, material, now=now)
    outcome = move(store, settings, material, new_url, now=now)     # see MOVE_OUTCOMES
    outcome = release(store, material, colleague_email=..., note=..., now=now)
    sent = offer(store, settings, material, now=now)    # ask the colleague named, if any
    outcome = accept(store, settings, material, colleague, now=now)   # they take it on

A new address is checked at once with the nightly run's fetcher, guard and policy.
When it is the same material (the same platform identity, or the old address now
redirects there) the move is applied and the check recorded; otherwise the new
address is proposed to the coordinator (`lifecycle.propose_move`).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from oermonitor import checker, history, job, lifecycle, links, notify, policy
from oermonitor.clock import iso, utcnow
from oermonitor.errors import BadInput, OperationalError
from oermonitor.fetch import Fetcher
from oermonitor.models import SERVED, Assessment
from oermonitor.registry import identity
from oermonitor.settings import Settings
from oermonitor.store import Store, loads
from oermonitor.validate import email_problem, url_problem

RECHECK_AFTER = timedelta(minutes=1)  # a repeated "check again" within this reuses the check
NOTE = "via de link in de e-mail"  # how history shows where an action came from
NOTE_LENGTH = 500  # characters of a maintainer's own note that are kept
# What `move` can answer; the first three change something, the rest explain why not.
MOVE_OUTCOMES = ("moved", "proposed", "unchanged", "invalid_url", "unreachable", "taken")
RELEASE_OUTCOMES = ("released", "unchanged", "invalid_email")


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
    offered_to: str | None = None  # let go: the colleague we asked to take it on


def maintainer(material: dict) -> str:
    return (material.get("maintainer_email") or "").lower()


def view(store: Store, settings: Settings, material: dict, *, today: date) -> Page:
    assessment = policy.assess(material, settings.policy, today)
    findings = [Finding(*f) for f in notify.describe(material, assessment, settings, today)]
    checks = store.checks(material["id"], limit=1)
    return Page(material, assessment, findings, checks[0] if checks else None,
                _own_confirmation(store, material), _offered_to(store, material))


def confirm(store: Store, material: dict, *, now: datetime) -> tuple[dict, bool]:
    """"Klopt nog": still current as it is. Returns (the confirmation, newly recorded?)."""
    latest = _own_confirmation(store, material)
    if latest and latest["confirmed_at"][:10] == iso(now)[:10]:
        return latest, False
    history.confirm(store, material, maintainer(material), NOTE, now)
    confirmation = _own_confirmation(store, material)
    assert confirmation is not None, "just recorded"
    return confirmation, True


def recheck(store: Store, settings: Settings, material: dict, *, now: datetime,
            clock=utcnow) -> tuple[dict, bool]:
    """"Ik heb het aangepast": check it now. Returns (the check, newly made?)."""
    latest = store.checks(material["id"], limit=1)
    if latest and latest[0]["run_id"] is None and \
            datetime.fromisoformat(latest[0]["checked_at"]) > now - RECHECK_AFTER:
        return latest[0], False
    check = job.check_one(store, settings, material, clock=clock)
    store.add_event(material["id"], "recheck", maintainer(material),
                    {"availability": check["availability"], "note": NOTE}, now)
    return check, True


def move(store: Store, settings: Settings, material: dict, new_url: str, *, now: datetime,
         clock=utcnow) -> str:
    """"Het staat nu op een ander adres". Returns one of MOVE_OUTCOMES."""
    new_url = (new_url or "").strip()
    if url_problem(new_url):
        return "invalid_url"
    if new_url in (material["url"], material.get("proposed_url")):
        return "unchanged"
    fetcher = Fetcher(settings)
    try:
        result, facts = checker.check(fetcher, new_url)
        old = fetcher.fetch(material["url"]) if facts.availability in SERVED else None
    finally:
        fetcher.close()
    if facts.availability not in SERVED:
        return "unreachable"
    redirects_there = old is not None and bool(old.final_url) and old.final_url != old.url \
        and identity(old.final_url or "") in (identity(new_url), identity(result.final_url or new_url))
    same = redirects_there or lifecycle.same_material(material["url"], new_url,
                                                      facts.platform_id) \
        or bool(facts.platform_id) and facts.platform_id in (material.get("identity"),
                                                             material.get("platform_id"))
    who = maintainer(material)
    try:
        if not same:
            lifecycle.propose_move(store, material, new_url, by=who, now=now, note=NOTE)
            return "proposed"
        moved = lifecycle.move(store, material, new_url, by=who, now=now, note=NOTE,
                               via="proposal")
    except BadInput:  # another registered material has that address: the coordinator's call
        return "taken"
    # The check just made is the material's first at its new address.
    checked = clock()
    history.record(store, moved, result, facts, settings, checked)
    return "moved"


def release(store: Store, material: dict, *, colleague_email: str | None = None,
            note: str | None = None, now: datetime) -> str:
    """"Ik beheer dit niet meer". Returns one of RELEASE_OUTCOMES."""
    if material.get("unowned_reason") == "released":
        return "unchanged"
    colleague = (colleague_email or "").strip().lower() or None
    if colleague and (email_problem("colleague", colleague) or colleague == maintainer(material)):
        return "invalid_email"
    note = " ".join((note or "").split())[:NOTE_LENGTH] or None
    lifecycle.release(store, material, by=maintainer(material), now=now,
                      colleague_email=colleague, note=note or NOTE)
    return "released"


def _offered_to(store: Store, material: dict) -> str | None:
    if material.get("unowned_reason") != "released":
        return None
    return next((n["recipient"] for n in store.notifications(material["id"])
                 if n["role"] == "colleague" and n["status"] in notify.DELIVERED
                 and n["sent_at"] >= material["unowned_since"]), None)


def _own_confirmation(store: Store, material: dict) -> dict | None:
    who = maintainer(material)
    return next((c for c in store.confirmations(material["id"])
                 if (c["by"] or "").lower() == who), None)


def offer(store: Store, settings: Settings, material: dict, *, now: datetime) -> bool:
    """After `release` with a colleague: email them a link to take the material on.
    False (nothing sent; the coordinator still hears of it) without a colleague, without
    [web] set up, when they were asked already, or when the mail cannot go out."""
    current = store.material(material["id"])
    if current is None:
        return False
    colleague = (loads(current.get("unowned_detail"), {}) or {}).get("colleague")
    if current.get("unowned_reason") != "released" or not colleague:
        return False
    if _offered_to(store, current):
        return False
    link = links.offer_url(settings, current["id"], colleague, now=now)
    if link is None:
        return False
    try:
        delivery = notify.send_offer(store, settings, current, colleague, link, now.date(), now)
    except OperationalError:  # the mail server is down: the coordinator hears of it anyway
        return False
    return delivery.delivered


def accept(store: Store, settings: Settings, material: dict, colleague: str, *,
           now: datetime) -> str:
    """The colleague takes the material on: it is handed over to them, and their welcome
    email goes out now (or with the next run). "accepted", or "unchanged" when they keep
    it already."""
    if maintainer(material) == colleague.lower():
        return "unchanged"
    lifecycle.reassign(store, material, to_email=colleague, by=colleague, now=now)
    with contextlib.suppress(OperationalError):  # not delivered now: the next run sends it
        notify.send_welcomes(store, settings, now.date(), now)
    return "accepted"

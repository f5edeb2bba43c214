"""Recording checks: one fetched-and-extracted material becomes history.

    check = record(store, material, result, facts, settings, now)

In one transaction: a `checks` row (what this check saw), the policy's tracking
folded forward, and the material's snapshot (latest availability, licence, dates,
fingerprint, HTTP validators, the hash of the raw response). A failed fetch updates
availability but keeps the last known licence, date and fingerprint in the
snapshot: failing is not changing.
Maintainer confirmations are recorded here too, so they reset the stale clock.

A permanent redirect within the same material (a Wikiwijs arrangement under a new
title slug, http -> https, `?template=`) is no problem at all: the check counts as
`ok`, the material takes the new address and the history notes it (`lifecycle`).
Every switch a person sets (confirm, mute, evergreen, review interval) is recorded
as an event with who and when.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import orjson

from oermonitor import lifecycle, policy
from oermonitor.clock import iso, utcnow
from oermonitor.errors import BadInput
from oermonitor.models import SERVED, Facts, FetchResult
from oermonitor.safetext import URL_LIMIT, clip
from oermonitor.settings import MAX_DAYS as MAX_REVIEW_DAYS
from oermonitor.settings import Settings
from oermonitor.store import Store


def check_row(material_id: int, result: FetchResult, facts: Facts, now: datetime,
              run_id: int | None = None) -> dict:
    """The `checks` row for one check. `licence_all` is NULL when no licence was sought.

    Availability comes from `facts`: extraction (or, on a 304, the checker) may have
    refined what HTTP said, e.g. a soft 404 served with status 200.
    """
    licence = facts.licence
    return {
        "material_id": material_id,
        "run_id": run_id,
        "checked_at": iso(now),
        "url": result.url,
        "final_url": clip(result.final_url, URL_LIMIT),
        "status_code": result.status_code,
        "availability": facts.availability,
        "error": clip(facts.error or result.error),
        "not_modified": int(result.not_modified),
        "same_body": int(result.same_body),
        "elapsed_ms": round(result.elapsed * 1000),
        "title": clip(facts.title),
        "licence": licence.id if licence else None,
        "licence_scope": licence.scope if licence else None,
        "licence_all": orjson.dumps(licence.all_ids).decode() if licence else None,
        "licence_conflict": int(licence.conflict) if licence else 0,
        "last_modified": facts.last_modified,
        "last_modified_source": facts.last_modified_source,
        "platform_id": facts.platform_id,
        "content_hash": facts.content_hash,
    }


def snapshot(check: dict, result: FetchResult, tracking: dict,
             next_check_at: str | None) -> dict:
    """The material columns to update after `check` (see the module docstring)."""
    update = {
        "last_checked_at": check["checked_at"],
        "status_code": check["status_code"],
        "availability": check["availability"],
        "error": check["error"],
        "final_url": check["final_url"],
        "tracking": tracking,  # the store writes it as JSON
    }
    if next_check_at is not None:
        update["next_check_at"] = next_check_at
    if check["availability"] in SERVED:
        update.update(
            content_hash=check["content_hash"],
            last_modified=check["last_modified"],
            platform_id=check["platform_id"],
        )
        if check["title"]:
            update["page_title"] = check["title"]
        if check["licence_all"] is not None:
            update.update(licence=check["licence"], licence_scope=check["licence_scope"])
        if not result.not_modified:  # a 304 stands for the body hashed before
            update["body_hash"] = result.body_hash
        headers = result.headers
        # A validator is sent back verbatim, so one too long to keep is not kept at all.
        if not result.not_modified or "etag" in headers:
            update["etag"] = _validator(headers.get("etag"))
        if not result.not_modified or "last-modified" in headers:
            update["http_last_modified"] = _validator(headers.get("last-modified"))
    return update


def _validator(value: str | None) -> str | None:
    return value if value is None or len(value) <= 200 else None


def record(store: Store, material: dict, result: FetchResult, facts: Facts,
           settings: Settings, now: datetime, *, run_id: int | None = None) -> dict:
    """Store one check of `material` (a materials row) and when to check it again;
    returns the check row with its id and the folded `tracking`."""
    with store.transaction():
        if facts.availability == "moved" and lifecycle.same_material(
                material["url"], result.final_url, facts.platform_id) and result.final_url and (
                lifecycle.follow_redirect(store, material, result.final_url, now)):
            facts = replace(facts, availability="ok", error=None)
        check = check_row(material["id"], result, facts, now, run_id)
        # The tracking as it is now, not as the run loaded it: a confirmation given
        # while the run was busy must not be folded away.
        tracking = policy.fold(store.tracking(material["id"]), check, settings.policy)
        next_check_at = iso(policy.next_check(now, tracking.get("failures", 0),
                                              settings.policy))
        update = snapshot(check, result, tracking, next_check_at)
        check_id = store.record_check(material["id"], check, update)
    return dict(check, id=check_id, tracking=tracking)


def confirm(store: Store, material: dict, by: str | None, note: str | None,
            now: datetime) -> int:
    """Record a maintainer's "still current" and reset the stale clock; returns its id.

    A maintainer who had not answered the reminders (`no_maintainer`, "no response")
    evidently keeps the material after all: that ends."""
    with store.transaction():
        confirmation_id = store.add_confirmation(material["id"], by, note, now)
        current = _fresh(store, material["id"])
        tracking = policy.confirm(store.tracking(material["id"]), iso(now)[:10])
        update: dict = {"tracking": tracking}
        if current["unowned_reason"] == "ignored":
            update.update(unowned_since=None, unowned_reason=None, unowned_detail=None)
        store.update_material(material["id"], update)
        _event(store, material, "confirm", by, {"note": note}, now)
    return confirmation_id


def mute(store: Store, material: dict, until: date | None, reason: str | None,
         today: date, *, by: str | None = None, now: datetime | None = None) -> None:
    """Pause notifications up to and including `until` (None: unmute). Checks go on."""
    if until is None:
        with store.transaction():
            store.update_material(material["id"], {"muted_until": None, "mute_reason": None})
            _event(store, material, "unmute", by, {}, now)
        return
    if reason is None or not reason.strip():
        raise BadInput("a mute needs a reason (shown in the overview)")
    if until < today:
        raise BadInput(f"--until {until.isoformat()} is in the past")
    with store.transaction():
        store.update_material(material["id"], {"muted_until": until.isoformat(),
                                               "mute_reason": reason.strip()})
        _event(store, material, "mute", by,
               {"until": until.isoformat(), "reason": reason.strip()}, now)


def set_evergreen(store: Store, material: dict, evergreen: bool, *,
                  by: str | None = None, now: datetime | None = None) -> None:
    """Evergreen materials are meant to stay unchanged: never stale."""
    with store.transaction():
        store.update_material(material["id"], {"evergreen": int(evergreen)})
        _event(store, material, "evergreen", by, {"on": bool(evergreen)}, now)


def set_review_interval(store: Store, material: dict, days: int | None, *,
                        by: str | None = None, now: datetime | None = None) -> None:
    """Its own review interval instead of [policy] stale_after_days (None: the default)."""
    if days is not None and not 1 <= days <= MAX_REVIEW_DAYS:
        raise BadInput(f"review interval: expected 1 to {MAX_REVIEW_DAYS} days, got {days}")
    with store.transaction():
        store.update_material(material["id"], {"review_interval_days": days})
        _event(store, material, "review_interval", by, {"days": days}, now)


def _event(store: Store, material: dict, kind: str, by: str | None, detail: dict,
           now: datetime | None) -> None:
    """Record a person's action (`by`: their address, None = the operator)."""
    store.add_event(material["id"], kind, (by or "").strip().lower() or None,
                    {k: v for k, v in detail.items() if v is not None},
                    now or utcnow())


def _fresh(store: Store, material_id: int) -> dict:
    material = store.material(material_id)
    assert material is not None, "a material is never deleted"
    return material

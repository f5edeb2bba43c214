"""A material's life cycle: moved, retired, handed over, let go, and every action recorded.

    material = move(store, material, new_url, by="coordinator@school.nl", now=now)
    material = retire(store, material, reason="vervangen door nieuwe methode", by=None, now=now)
    material = unretire(store, material, by=None, now=now)
    material = reassign(store, material, to_email="nieuw@school.nl", by=None, now=now)
    changed = reassign_maintainer(store, "oud@school.nl", to_email="nieuw@school.nl", ...)
    material = release(store, material, by="oud@school.nl", now=now)       # "not mine anymore"
    material = propose_move(store, material, new_url, by="oud@school.nl", now=now)
    material = dismiss_proposal(store, material, by=None, now=now)
    for event in events(store, material["id"]): ...

Every function takes a `materials_view` row (`store.material(key)`), does its work in
one transaction, records an event (kind, who, when, detail) and returns the material
as it is now. `by` is the address of whoever acted; None means the operator at the
command line. Wrong input raises `BadInput` and writes nothing.

What the states mean to the rest of oermonitor:
- a moved material keeps its id, history, maintainer and stale clock; its next check
  (due at once) uses the new address;
- a retired material is never checked or mailed about, shows as `retired` and is left
  out of a pilot's health counts (`unretire` brings it back, due at once);
- a released material (and one whose maintainer's address bounces or who ignored the
  reminders) has the problem `no_maintainer` until it is handed over (`reassign`);
- a hand-over is welcomed: the new maintainer gets one short email listing what they
  now keep (`notify.send_welcomes`, with the next run or right away from the CLI).
"""

from __future__ import annotations

import json
from datetime import datetime

from oermonitor import policy, wording
from oermonitor.clock import iso
from oermonitor.errors import BadInput
from oermonitor.identity import identity
from oermonitor.store import Store, loads
from oermonitor.validate import email_problem, url_problem

# Who acted when nobody is named: the person at the command line (or the web's admin).
OPERATOR = "operator"
# What oermonitor itself did (a redirect followed, a maintainer who never answered).
AUTOMATIC = "oermonitor"

KINDS = ("move", "repoint", "retire", "unretire", "reassign", "release", "proposal",
         "proposal_dismissed", "confirm", "mute", "unmute", "evergreen",
         "review_interval", "unanswered", "recheck")


# -- moving ------------------------------------------------------------------------------


def move(store: Store, material: dict, new_url: str, *, by: str | None, now: datetime,
         note: str | None = None, via: str | None = None) -> dict:
    """Give the material a new address; everything else stays (id, history, maintainer,
    stale clock). The next check, due at once, uses the new address. `via` says what
    led to it (e.g. "import"), for the history.

    Refused: an invalid URL, the address it has already, or the address (or the same
    platform identity) of another registered material."""
    new_url = _new_address(material, new_url)
    with store.transaction():
        _refuse_taken(store, material, new_url)
        _repoint(store, material, new_url, now)
        store.add_event(material["id"], "move", _by(by), _clean({
            "from": material["url"], "to": new_url, "note": note, "via": via}), now)
    return _current(store, material)


def follow_redirect(store: Store, material: dict, new_url: str, now: datetime) -> bool:
    """A permanent redirect within the same material (same platform identity, or only
    http -> https, host case, a trailing slash): adopt the new address silently.

    Called inside the check's transaction. False (nothing done) when another registered
    material already has that address."""
    if new_url == material["url"] or store.material_by_url(new_url) is not None:
        return False
    store.update_material(material["id"], {"url": new_url, "identity": identity(new_url),
                                           "updated_at": iso(now)})
    store.add_event(material["id"], "repoint", AUTOMATIC,
                    {"from": material["url"], "to": new_url}, now)
    return True


def same_material(old_url: str, new_url: str | None, platform_id: str | None = None) -> bool:
    """Do both addresses stand for one material? Same platform identity (a Wikiwijs
    arrangement under a new slug, `?template=`, http or https) or, elsewhere, the same
    address but for the scheme, host case, default port and a trailing slash."""
    if not new_url:
        return False
    old = identity(old_url)
    return old == identity(new_url) or (bool(platform_id) and old == platform_id)


def propose_move(store: Store, material: dict, new_url: str, *, by: str | None,
                 now: datetime, note: str | None = None) -> dict:
    """A maintainer tells us the material's new address.

    Within the same material (same platform identity) it is simply moved. Anything
    else waits for the coordinator, listed by `proposals`, who accepts it (`move`) or
    dismisses it (`dismiss_proposal`)."""
    new_url = _new_address(material, new_url)
    if same_material(material["url"], new_url):
        return move(store, material, new_url, by=by, now=now, note=note, via="proposal")
    with store.transaction():
        _refuse_taken(store, material, new_url)
        store.update_material(material["id"], {
            "proposed_url": new_url, "proposed_at": iso(now), "proposed_by": _by(by),
            "proposal_note": (note or "").strip() or None})
        store.add_event(material["id"], "proposal", _by(by),
                        _clean({"to": new_url, "note": note}), now)
    return _current(store, material)


def dismiss_proposal(store: Store, material: dict, *, by: str | None, now: datetime,
                     reason: str | None = None) -> dict:
    """The coordinator does not take the proposed address."""
    if not material.get("proposed_url"):
        raise BadInput(f"#{material['id']} has no proposed new address")
    with store.transaction():
        store.update_material(material["id"], _NO_PROPOSAL)
        store.add_event(material["id"], "proposal_dismissed", _by(by),
                        _clean({"to": material["proposed_url"], "reason": reason}), now)
    return _current(store, material)


def proposals(store: Store) -> list[dict]:
    """Materials with a proposed new address awaiting the coordinator, oldest first."""
    return store.materials_with_proposal()


# -- retiring ----------------------------------------------------------------------------


def retire(store: Store, material: dict, *, reason: str, by: str | None,
           now: datetime) -> dict:
    """Withdrawn on purpose: no more checks or emails; kept with its history."""
    reason = (reason or "").strip()
    if not reason:
        raise BadInput("retiring needs a reason (shown in the overview and the history)")
    if material.get("retired_at"):
        raise BadInput(f"#{material['id']} is already retired (since "
                       f"{material['retired_at'][:10]}: {material['retire_reason']})")
    with store.transaction():
        store.update_material(material["id"], {"retired_at": iso(now), "retire_reason": reason,
                                               **_NO_PROPOSAL})
        store.add_event(material["id"], "retire", _by(by), {"reason": reason}, now)
    return _current(store, material)


def unretire(store: Store, material: dict, *, by: str | None, now: datetime) -> dict:
    """Bring a retired material back: checked with the next run, mailed about again."""
    if not material.get("retired_at"):
        raise BadInput(f"#{material['id']} is not retired")
    with store.transaction():
        store.update_material(material["id"], {"retired_at": None, "retire_reason": None,
                                               "next_check_at": iso(now)})
        store.add_event(material["id"], "unretire", _by(by),
                        {"was_retired_at": material["retired_at"],
                         "reason": material.get("retire_reason")}, now)
    return _current(store, material)


# -- keepers -----------------------------------------------------------------------------


def reassign(store: Store, material: dict, *, to_email: str, to_name: str | None = None,
             by: str | None, now: datetime, via: str | None = None) -> dict:
    """Hand the material over to another maintainer (who gets a welcome email).

    Handing it to the maintainer it has is no hand-over: it only ends a
    `no_maintainer` that was "let go" or "no response" (they keep it after all).
    `via`: what led to it (e.g. "import"), for the history."""
    to_email = _email("new maintainer", to_email)
    with store.transaction():
        return _reassign(store, material, to_email, to_name, by, now, via)


def reassign_maintainer(store: Store, from_email: str, *, to_email: str,
                        to_name: str | None = None, by: str | None,
                        now: datetime) -> list[dict]:
    """Hand every (not retired) material of one maintainer to another."""
    from_email = _email("old maintainer", from_email)
    to_email = _email("new maintainer", to_email)
    if from_email == to_email:
        raise BadInput(f"{from_email} would hand over to themselves")
    materials = [m for m in store.materials(maintainer=from_email) if not m["retired_at"]]
    if not materials:
        raise BadInput(f"{from_email} keeps no materials (that are not retired)")
    with store.transaction():
        return [_reassign(store, m, to_email, to_name, by, now) for m in materials]


def release(store: Store, material: dict, *, by: str | None, now: datetime,
            colleague_email: str | None = None, note: str | None = None) -> dict:
    """The maintainer no longer keeps the material: it counts as `no_maintainer` (the
    coordinator hears of it in the summary) until it is handed over. `colleague_email`:
    who might take it on, as the maintainer suggests."""
    if colleague_email:
        colleague_email = _email("colleague", colleague_email)
    if material.get("retired_at"):
        raise BadInput(f"#{material['id']} is retired; nobody needs to keep it")
    detail = _clean({"colleague": colleague_email, "note": note,
                     "maintainer": material.get("maintainer_email")})
    with store.transaction():
        store.update_material(material["id"], {
            "unowned_since": iso(now), "unowned_reason": "released",
            "unowned_detail": json.dumps(detail, sort_keys=True, ensure_ascii=False)})
        store.add_event(material["id"], "release", _by(by), detail, now)
    return _current(store, material)


def unanswered(store: Store, material_id: int, reminders: int, now: datetime) -> bool:
    """The maintainer ignored `reminders` reminders (the coordinator was just told):
    the material counts as `no_maintainer` until someone acts. False when it already did."""
    with store.transaction():
        material = store.material(material_id)
        if material is None or material["unowned_since"] or material["retired_at"]:
            return False
        detail = {"reminders": reminders, "maintainer": material["maintainer_email"]}
        store.update_material(material_id, {
            "unowned_since": iso(now), "unowned_reason": "ignored",
            "unowned_detail": json.dumps(detail, sort_keys=True)})
        store.add_event(material_id, "unanswered", AUTOMATIC, detail, now)
    return True


def mark_bounced(store: Store, email: str, now: datetime, *,
                 reason: str = "bounce reported by hand", label: str = "--mark-bounced") -> str:
    """A bounce came back for `email`: stop mailing it; its materials count as
    `no_maintainer` and the coordinator hears about them. Returns the address."""
    address = _email(label, email)
    if store.maintainer_by_email(address) is None:
        raise BadInput(f"{label}: no maintainer with address {address}")
    store.mark_bounced(address, reason, now)
    return address


def clear_bounce(store: Store, email: str, *, label: str = "--clear-bounce") -> bool:
    """`email` works again (someone checked it): mail its maintainer again from the
    next run. False when it was not marked as bounced."""
    return store.clear_bounced(_email(label, email))


def _reassign(store: Store, material: dict, to_email: str, to_name: str | None,
              by: str | None, now: datetime, via: str | None = None) -> dict:
    if material.get("retired_at"):
        raise BadInput(f"#{material['id']} is retired; bring it back first (retire --undo)")
    current = (material.get("maintainer_email") or "").lower()
    handover = current != to_email
    if not handover and not material.get("unowned_since") and not (
            to_name and to_name != material.get("maintainer_name")):
        return _current(store, material)
    maintainer_id, _ = store.ensure_maintainer(to_email, (to_name or "").strip() or None, now)
    store.update_material(material["id"], {
        "maintainer_id": maintainer_id, "unowned_since": None, "unowned_reason": None,
        "unowned_detail": None, "updated_at": iso(now)})
    store.add_event(material["id"], "reassign", _by(by), _clean({
        "from": current, "to": to_email, "to_name": to_name, "welcome": handover,
        "via": via}), now)
    return _current(store, material)


# -- the history -------------------------------------------------------------------------


def events(store: Store, material_id: int) -> list[dict]:
    """Every recorded action on a material, newest first: `kind`, `by` (an address,
    None for the operator), `who` (the address, "operator" or "oermonitor"), `at`
    (UTC ISO), `detail` (a dict) and `text` (one English line for coordinators)."""
    return [dict(e, who=e["by"] or OPERATOR, text=describe(e))
            for e in store.events(material_id)]


def describe(event: dict, language: str = "en") -> str:
    """One event as a line a coordinator reads (without the who and when)."""
    d = event.get("detail") or {}
    if isinstance(d, str):
        d = loads(d, {})
    return wording.event_line(event["kind"], d, language)


# -- helpers -----------------------------------------------------------------------------


def _new_address(material: dict, new_url: str | None) -> str:
    """`new_url` stripped, refused when it is no web address or the one it has."""
    new_url = (new_url or "").strip()
    problem = url_problem(new_url)
    if problem:
        raise BadInput(f"new address: {problem}")
    if new_url == material["url"]:
        raise BadInput(f"#{material['id']} already has the address {new_url}")
    return new_url

_NO_PROPOSAL = {"proposed_url": None, "proposed_at": None, "proposed_by": None,
                "proposal_note": None}


def _repoint(store: Store, material: dict, new_url: str, now: datetime) -> None:
    """The new address, with what was learnt about the old one forgotten: the next
    check (due now) starts afresh there, unconditionally."""
    tracking = policy.repointed(store.tracking(material["id"]))
    store.update_material(material["id"], {
        "url": new_url, "identity": identity(new_url), "updated_at": iso(now),
        "next_check_at": iso(now), "final_url": None, "status_code": None,
        "availability": None, "error": None, "etag": None, "http_last_modified": None,
        "body_hash": None, "tracking": tracking, **_NO_PROPOSAL})


def _refuse_taken(store: Store, material: dict, new_url: str) -> None:
    other = store.material_by_url(new_url)
    if other is not None and other["id"] != material["id"]:
        raise BadInput(f"{new_url} is already the address of material #{other['id']}")
    key = identity(new_url)
    for other_id, other_url in store.materials_with_identity(key):
        if other_id != material["id"]:
            raise BadInput(f"{new_url} is the same material as #{other_id} ({other_url})")


def _email(label: str, value: str | None) -> str:
    value = (value or "").strip()
    problem = email_problem(label, value)
    if problem:
        raise BadInput(problem)
    return value.lower()


def _by(by: str | None) -> str | None:
    return (by or "").strip().lower() or None


def _clean(detail: dict) -> dict:
    return {k: v.strip() if isinstance(v, str) else v for k, v in detail.items()
            if v is not None and v != ""}


def _current(store: Store, material: dict) -> dict:
    current = store.material(material["id"])
    assert current is not None, "a material is never deleted"
    return current

"""The coordinator's web overview as data: `status` for the pilots one person may see.

    records = visible(store, settings, who, today)            # report.overview records
    shown = select(records, states=("broken",), maintainer="anne@school.nl", text="breuk")
    rows = matching(records, text="breuk")                     # the downloads: id order
    people = maintainers(store, records)                       # the pilot page's list

`who` is a `signin.Access`: a coordinator sees the pilots they coordinate, an admin
all of them. The records are exactly those of `status --json`, from the same
functions (`report.overview`), so the web, the CSV and the JSON never disagree.
"""

from __future__ import annotations

from datetime import date

from oermonitor import policy, report
from oermonitor.settings import Settings
from oermonitor.signin import Access
from oermonitor.store import Store

SEARCHED = ("title", "url", "maintainer_email", "maintainer_name", "pilot")


def visible(store: Store, settings: Settings, who: Access, today: date, *,
            pilot: str | None = None) -> list[dict]:
    """The overview records of the pilots `who` may see (of one pilot, if named)."""
    if pilot is not None and not who.may_see(pilot):
        return []
    records = report.overview(store, settings.policy, today, pilot=pilot)
    allowed = set(who.pilots)
    return [r for r in records if r["pilot"] in allowed]


def matching(records: list[dict], *, states: tuple[str, ...] = (),
             maintainer: str | None = None, text: str | None = None) -> list[dict]:
    """Every record in `states` (all when none are named), of `maintainer`, with every
    word of `text` in its title, address, maintainer or pilot; in the records' order."""
    chosen = [r for r in records if r["state"] in states] if states else list(records)
    if maintainer:
        chosen = [r for r in chosen if (r["maintainer_email"] or "") == maintainer.lower()]
    words = (text or "").casefold().split()
    if words:
        chosen = [r for r in chosen
                  if all(any(w in (r[k] or "").casefold() for k in SEARCHED) for w in words)]
    return chosen


def select(records: list[dict], *, states: tuple[str, ...] = (), maintainer: str | None = None,
           text: str | None = None) -> list[dict]:
    """The list under the pilots: without `states`, what needs attention (as `status`
    lists it); with them, every material in those states; worst first either way."""
    chosen = matching(records, states=states or report.ATTENTION, maintainer=maintainer,
                      text=text)
    return sorted(chosen, key=lambda r: (policy.state_rank(r["state"]), r["since"] or "",
                                         r["pilot"], r["id"]))


def maintainers(store: Store, records: list[dict]) -> list[dict]:
    """Per maintainer in `records`: materials, how many need attention, and whether
    their address bounces; those needing the coordinator first, then by name."""
    people: dict[str, dict] = {}
    for r in records:
        email = r["maintainer_email"] or ""
        person = people.setdefault(email, {
            "email": email, "name": r["maintainer_name"], "materials": 0, "attention": 0,
            "no_maintainer": 0, "bounced_at": None, "bounce_reason": None})
        person["materials"] += 1
        person["attention"] += r["state"] in report.ATTENTION
        person["no_maintainer"] += "no_maintainer" in r["problems"]
    for person in people.values():
        row = store.maintainer_by_email(person["email"]) or {}
        person.update(bounced_at=row.get("bounced_at"), bounce_reason=row.get("bounce_reason"))
    return sorted(people.values(), key=lambda p: (
        not (p["bounced_at"] or p["no_maintainer"]), -p["attention"],
        (p["name"] or p["email"]).casefold()))


def pilot_of(store: Store, who: Access, pilot_id: int) -> dict | None:
    """A pilot row by id, only when `who` may see it."""
    found = next((p for p in store.pilots() if p["id"] == pilot_id), None)
    return found if found and who.may_see(found["name"]) else None


def material_of(store: Store, who: Access, material_id: int) -> dict | None:
    """A material (materials_view row) by id, only when `who` may see its pilot."""
    found = store.material(material_id)
    return found if found and who.may_see(found["pilot"]) else None

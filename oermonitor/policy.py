"""The maintenance policy: turns a material's history into a state and problems.

Pure functions, no I/O, no clock:

    tracking = fold(tracking, check_row, settings)     # after every check (history.record)
    tracking = confirm(tracking, day)                  # a maintainer said "still current"
    assessment = assess(material_row, settings, today) # state + problems, any day

`tracking` (the `materials.tracking` JSON) holds the little the judgement needs,
so the overview never replays the check history:

    checks, first_checked, last_checked     how often / when checked (dates)
    failures, hard_failures, failing_since  the current streak of failed checks
    failure                                 availability of the latest failure
    moved_since, moved_to                   permanent redirect, and to where
    hash, changed                           last content fingerprint; date it last changed
    declared                                latest change date the page declared
    confirmed                               date of the latest maintainer confirmation
    licence_known, licence, licence_site,   the confirmed licence state: material licence
    licence_since, licence_was              (None = none), site default, since, before
    licence_baseline                        the licence accepted as normal (first seen,
                                            or acknowledged by a confirmation)
    pending                                 a licence state seen once, awaiting a second look

Rules worth knowing (the README explains them to coordinators):
- A failed check is `failing`; `failures_before_broken` failures in a row make it
  `broken`. With `blocked_days_before_broken` above 0, refusals that usually mean
  "no bots" (403, 429, robots.txt) make a material broken only once they have also
  lasted that many days, so bot-blocking need not look like a dead link.
- A failed check is never a licence change: it neither confirms nor resets one.
- The first successful check sets the licence baseline; after that a new licence
  state counts only once seen on two consecutive successful checks.
- Files without HTML (PDF, images) are not judged on their licence.
- A site-wide licence (scope "site": "Tenzij anders vermeld …" or a footer default)
  licenses a material whose page states none of its own, so it is judged as that
  material's licence; not where the platform has a licence field of its own
  (Wikiwijs's colofon) that is empty, nor when a material licence disappeared.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple, cast

import orjson

from oermonitor import licences
from oermonitor.models import SERVED, STATES, Assessment, Problem
from oermonitor.settings import PolicySettings

# Refusals that often block robots rather than people: slow to call "broken".
BLOCKED = ("forbidden", "rate_limited", "blocked_by_robots")
# Platforms whose materials carry a licence field of their own (the colofon): a
# site-wide licence does not stand in for an empty one.
OWN_LICENCE_FIELD = ("wikiwijs",)

# Which state each problem puts a material in, worst first (contract order).
STATE_OF = {
    "broken": "broken",
    "licence_missing": "licence_issue",
    "licence_changed": "licence_issue",
    "licence_not_open": "licence_issue",
    "licence_mismatch": "licence_issue",
    "stale": "stale",
    "failing": "failing",
    "moved": "moved",
    "no_maintainer": "no_maintainer",
}
RANK = {state: index for index, state in enumerate(STATES)}


@lru_cache(maxsize=4096)
def _change(old: str | None, new: str | None):
    return licences.classify_change(old, new)


@lru_cache(maxsize=1024)
def _openness(licence: str | None) -> str:
    return licences.openness(licence)


@lru_cache(maxsize=1024)
def _allowed(licence: str, allowed: tuple[str, ...]) -> bool:
    return licences.is_allowed(licence, allowed)


@lru_cache(maxsize=1024)
def _canonical(licence: str) -> bool:
    return licences.is_canonical(licence)


def _kind(old: str | None, new: str | None) -> str:
    return "unchanged" if old == new else _change(old, new).kind


def next_check(now: datetime, failures: int, policy: PolicySettings) -> datetime:
    """When to check again: the normal interval, or sooner while failing (backoff)."""
    hours = policy.recheck_after_hours
    if failures:
        hours = min(hours, policy.retry_failing_after_hours * 2 ** (failures - 1))
    return now + timedelta(hours=hours)


# -- folding checks into tracking ------------------------------------------------------


def fold(tracking: dict, check: dict, settings: PolicySettings) -> dict:
    """The tracking after one more check (a `checks` row: checked_at, availability, ...).

    A check row's `licence_all` is a JSON list when the page was searched for a
    licence and NULL when it was not (a file, or a failed fetch).
    """
    t = dict(tracking or {})
    day = check["checked_at"][:10]
    t["checks"] = t.get("checks", 0) + 1
    t.setdefault("first_checked", day)
    t["last_checked"] = day
    availability = check["availability"]
    if availability not in SERVED:
        if not t.get("failures"):
            t["failing_since"] = day
        t["failures"] = t.get("failures", 0) + 1
        t["hard_failures"] = 0 if availability in BLOCKED else t.get("hard_failures", 0) + 1
        t["failure"] = availability
        return t  # a failed fetch says nothing about content, dates or licence
    t.update(failures=0, hard_failures=0, failing_since=None, failure=None)
    if availability == "moved":
        if not t.get("moved_since"):
            t["moved_since"] = day
        t["moved_to"] = check.get("final_url")
    else:
        t["moved_since"] = t["moved_to"] = None
    content_hash = check.get("content_hash")
    if content_hash:
        if t.get("hash") and content_hash != t["hash"]:
            t["changed"] = day
        t["hash"] = content_hash
    declared = (check.get("last_modified") or "")[:10]
    if declared:
        declared = min(declared, day)  # a date in the future is a typo, not maintenance
        if declared > (t.get("declared") or ""):
            t["declared"] = declared
    if check.get("licence_all") is not None:
        _fold_licence(t, check.get("licence"), check.get("licence_scope"), day)
    return t


def _fold_licence(t: dict, licence: str | None, scope: str | None, day: str) -> None:
    site = licence if scope == "site" else None
    seen = None if scope == "site" else licence  # a footer default is no material licence
    if not t.get("licence_known"):
        t.update(licence_known=True, licence=seen, licence_site=site, licence_since=day,
                 licence_was=None, licence_baseline=seen, pending=None)
        return
    current = t.get("licence")
    kind = _kind(current, seen)
    if kind in ("unchanged", "refined"):
        if kind == "refined" and licences.refines(current, seen):  # keep the detail
            t["licence"] = seen
            if licences.refines(t.get("licence_baseline"), seen):
                t["licence_baseline"] = seen
        t["licence_site"] = site
        t["pending"] = None
        return
    pending = t.get("pending")
    if pending and _kind(pending["licence"], seen) in ("unchanged", "refined"):
        t.update(licence=seen, licence_site=site, licence_since=pending["since"],
                 licence_was=current, pending=None)
        if t.get("licence_baseline") is None:
            t["licence_baseline"] = seen  # a licence appearing sets the baseline
    else:
        t["pending"] = {"licence": seen, "site": site, "since": day}


def confirm(tracking: dict, day: str) -> dict:
    """The tracking after a maintainer's confirmation on `day`.

    Resets the stale clock and accepts the current licence as the new baseline
    (acknowledging a licence change). Missing or non-open licences stay problems.
    """
    t = dict(tracking or {})
    t["confirmed"] = max(day, t.get("confirmed") or "")
    if t.get("licence_known"):
        t["licence_baseline"] = t.get("licence")
    return t


def repointed(tracking: dict) -> dict:
    """The tracking after the material got a new address (moved by hand, or a permanent
    redirect within the same material followed). What the old address did (a failure
    streak, a permanent redirect) is no longer the material's; its stale clock, content
    fingerprint and licence history are."""
    t = dict(tracking or {})
    t.update(moved_since=None, moved_to=None, failures=0, hard_failures=0,
             failing_since=None, failure=None)
    return t


# -- judging ------------------------------------------------------------------------------


class Material(NamedTuple):
    """What the policy reads of a material. A `store.materials_view()` dict is read into
    one (`Material.of`); a `store.OverviewRow` has these fields itself, so the overview
    judges 100,000 rows as they come from the database."""

    tracking: dict | str | None = None  # the folded history, decoded or as stored
    added_at: str | None = None
    retired_at: str | None = None
    muted_until: str | None = None
    evergreen: int | None = None
    review_interval_days: int | None = None
    expected_licence: str | None = None
    catalogue_licence: str | None = None
    platform_id: str | None = None
    identity: str | None = None
    unowned_since: str | None = None
    unowned_reason: str | None = None
    unowned_detail: dict | str | None = None
    pilot_end_date: str | None = None
    maintainer_email: str | None = None
    maintainer_bounced_at: str | None = None
    maintainer_bounce_reason: str | None = None

    @classmethod
    def of(cls, row: Mapping) -> Material:
        """The fields of a dict row; those it lacks read as None."""
        try:
            return cls._make(_material_values(row))  # a `materials_view` row has them all
        except KeyError:
            return cls._make(map(row.get, cls._fields))


_material_values = itemgetter(*Material._fields)


def _material(material: Mapping | tuple) -> Material:
    """A dict row read into a `Material`; a named tuple with its fields as it is."""
    return cast(Material, material) if isinstance(material, tuple) else Material.of(material)


def assess(material: Mapping | tuple, settings: PolicySettings, today: date) -> Assessment:
    """State and problems of one material as of `today`: a `store.materials_view()` row,
    or a named tuple with the fields of a `Material` (a `store.OverviewRow`)."""
    m = _material(material)
    t = m.tracking or {}
    if isinstance(t, str):
        t = orjson.loads(t)
    today_iso = today.isoformat()
    muted = bool(m.muted_until) and str(m.muted_until) >= today_iso
    last_maintained, stale_on = _stale_clock(m, t, settings)
    if m.retired_at:
        return Assessment("retired", [], last_maintained, None, muted)
    if not t.get("checks"):
        return Assessment("unchecked", [], last_maintained, stale_on, muted)
    problems: list[Problem] = []
    failures = t.get("failures", 0)
    if failures:
        problems.append(_failure(t, failures, settings))
    elif t.get("moved_since"):
        problems.append(Problem("moved", t["moved_since"], {"new_url": t.get("moved_to")}))
    if t.get("licence_known"):
        problems.extend(_licence_problems(m, t, settings))
    if stale_on and stale_on <= today_iso:
        problems.append(Problem("stale", stale_on, {
            "last_maintained": last_maintained, "pilot_end_date": m.pilot_end_date,
            "days": m.review_interval_days or settings.stale_after_days}))
    keeper = no_maintainer(m)
    if keeper:
        problems.append(keeper)
    state = "ok"
    for p in problems:
        if RANK[STATE_OF[p.code]] < RANK[state]:
            state = STATE_OF[p.code]
    return Assessment(state, problems, last_maintained, stale_on, muted)


def no_maintainer(material: Mapping | tuple) -> Problem | None:
    """Nobody really keeps the material: the maintainer's address bounces, or the
    maintainer said they no longer keep it, or ignored the reminders (`unowned_*`)."""
    m = _material(material)
    if m.maintainer_bounced_at:
        return Problem("no_maintainer", m.maintainer_bounced_at[:10], {
            "reason": "bounced", "bounce_reason": m.maintainer_bounce_reason,
            "maintainer": m.maintainer_email})
    if m.unowned_since:
        detail = m.unowned_detail
        detail = orjson.loads(detail) if isinstance(detail, str) and detail else (detail or {})
        return Problem("no_maintainer", m.unowned_since[:10], dict(
            detail, reason=m.unowned_reason or "released", maintainer=m.maintainer_email))
    return None


def _failure(t: dict, failures: int, settings: PolicySettings) -> Problem:
    detail = {"availability": t.get("failure"), "failures": failures}
    since = t.get("failing_since")
    needed = settings.failures_before_broken
    broken = t.get("hard_failures", 0) >= needed or (
        failures >= needed and since is not None
        and (date.fromisoformat(t["last_checked"]) - date.fromisoformat(since)).days
        >= settings.blocked_days_before_broken)
    return Problem("broken" if broken else "failing", since, detail)


def _licence_problems(m: Material, t: dict, settings: PolicySettings) -> list[Problem]:
    """The licence problems of a material whose licence state is known."""
    licence = t.get("licence")
    since = t.get("licence_since")
    from_site = licence is None and _site_licence_covers(m, t)
    if from_site:
        licence = t["licence_site"]
    elif licence is None:
        return [Problem("licence_missing", since,
                        {"was": t.get("licence_was"), "site_licence": t.get("licence_site")})]
    problems = []
    baseline = t.get("licence_baseline")
    if not from_site and baseline is not None and _kind(baseline, licence) == "changed":
        problems.append(Problem("licence_changed", since, {
            "was": baseline, "now": licence,
            "openness_down": bool(_change(baseline, licence).openness_down)}))
    expected = m.expected_licence
    openness = _openness(licence)
    as_expected = bool(expected) and _kind(expected, licence) in ("unchanged", "refined")
    less_open = bool(expected) and licences.OPENNESS_RANK[openness] < licences.OPENNESS_RANK[_openness(expected)]
    if less_open or not (as_expected or _allowed(licence, settings.allowed_licences)):
        problems.append(Problem("licence_not_open", since, {
            "licence": licence, "openness": openness, "expected": expected}))
    catalogue = m.catalogue_licence
    if catalogue and _canonical(catalogue) and _kind(catalogue, licence) == "changed":
        problems.append(Problem("licence_mismatch", since,
                                {"catalogue": catalogue, "page": licence}))
    return problems


def _site_licence_covers(m: Material, t: dict) -> bool:
    """Whether the site's own licence stands in for a material that states none."""
    site = t.get("licence_site")
    if not site or site == licences.ALL_RIGHTS_RESERVED or t.get("licence_was"):
        return False
    platform = (m.platform_id or m.identity or "").partition(":")[0]
    return platform not in OWN_LICENCE_FIELD


def _stale_clock(m: Material, t: dict, settings: PolicySettings
                 ) -> tuple[str | None, str | None]:
    """(last sign of maintenance, the day the material is or becomes stale).

    Signs: the declared change date, an observed content change, a confirmation;
    with none at all, the day oermonitor first saw the material. Nothing is stale
    before its pilot ended (plus grace); evergreen materials never are.
    """
    signs = [s for s in (t.get("declared"), t.get("changed"), t.get("confirmed")) if s]
    first_seen = (m.added_at or "")[:10] or t.get("first_checked")
    last = max(signs) if signs else first_seen
    end = m.pilot_end_date
    if not end or not last or m.evergreen:
        return last, None
    days = m.review_interval_days or settings.stale_after_days
    return last, _stale_on(end, settings.grace_days, last, days)


@lru_cache(maxsize=65536)
def _stale_on(end: str, grace_days: int, last: str, days: int) -> str:
    """The first day after both the pilot's end (+grace) and `days` after `last`."""
    try:
        ended = date.fromisoformat(end) + timedelta(days=grace_days + 1)
        overdue = date.fromisoformat(last) + timedelta(days=days + 1)
    except OverflowError:  # an interval past the calendar (an old database): never
        return date.max.isoformat()
    return max(ended, overdue).isoformat()


def state_rank(state: str) -> int:
    """Sort key: worst state first."""
    return RANK.get(state, len(RANK))

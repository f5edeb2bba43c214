"""Plain values that flow between the modules (see the data flow in the README).

fetch -> `FetchResult`; extract -> `Facts` (with a `LicenceResult`);
store keeps `Facts` per check; policy -> `Assessment` of `Problem`s.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TypedDict

# What one check found at a material's URL (the contract's `availability`): fetch decides
# the HTTP-level ones, extract may turn a served page into "missing" or "login_required".
AVAILABILITY = ("ok", "moved", "missing", "login_required", "forbidden", "rate_limited",
                "server_error", "timeout", "unreachable", "blocked_by_robots",
                "blocked_private_address", "invalid_url", "error")
# Availability values under which the material's content was served.
SERVED = ("ok", "moved")

# The contract's states, worst first; "unchecked" comes before a material's first check.
# Additions: "no_maintainer" (nobody really keeps it: the address bounces, the maintainer
# let it go or ignored the reminders) and "retired" (withdrawn on purpose: never checked,
# never mailed about, not counted in a pilot's health).
STATES = ("broken", "licence_issue", "stale", "failing", "moved", "no_maintainer", "ok",
          "unchecked", "retired")
PROBLEMS = (
    "broken", "failing", "moved", "licence_missing", "licence_changed",
    "licence_not_open", "licence_mismatch", "stale", "no_maintainer",
)


class PendingLicence(TypedDict):
    """A licence seen once that differs from the known one, waiting for a second sighting."""

    licence: str | None
    site: str | None
    since: str  # ISO date


class Tracking(TypedDict, total=False):
    """A material's folded history (`materials.tracking`, JSON), see policy.fold.

    Days are ISO dates (YYYY-MM-DD). Absent keys mean "never happened yet".
    """

    checks: int
    first_checked: str
    last_checked: str
    failures: int  # consecutive failed checks
    hard_failures: int  # of those, failures that were no refusal (BLOCKED)
    failing_since: str | None
    failure: str | None  # the availability of the latest failure
    moved_since: str | None
    moved_to: str | None
    hash: str  # content hash of the latest served page
    changed: str  # the day the content hash last changed
    declared: str  # the latest "last modified" date a page declared
    licence_known: bool
    licence: str | None
    licence_site: str | None
    licence_since: str
    licence_was: str | None
    licence_baseline: str | None
    pending: PendingLicence | None
    confirmed: str  # the day a maintainer last confirmed the material is current


class CheckRow(TypedDict, total=False):
    """One row of `checks`: what one visit found (see history.check_row)."""

    id: int
    material_id: int
    run_id: int | None
    checked_at: str  # ISO datetime, UTC
    url: str
    final_url: str | None
    status_code: int | None
    availability: str  # one of AVAILABILITY
    error: str | None
    not_modified: int
    elapsed_ms: int
    title: str | None
    licence: str | None
    licence_scope: str | None
    licence_all: str | None  # JSON list, NULL when no licence was searched for
    licence_conflict: int
    last_modified: str | None
    last_modified_source: str | None
    platform_id: str | None
    content_hash: str | None


class MaterialRow(TypedDict, total=False):
    """A material as Store.materials_view gives it: the row with pilot and maintainer joined.

    Nullable columns are None until known; `tracking` is the JSON text of a `Tracking`.
    """

    id: int
    url: str
    identity: str | None
    title: str | None
    pilot_id: int
    maintainer_id: int
    expected_licence: str | None
    source: str  # csv | edurep
    catalogue_id: str | None
    catalogue_licence: str | None
    catalogue_date: str | None
    evergreen: int
    review_interval_days: int | None
    muted_until: str | None
    mute_reason: str | None
    added_at: str
    updated_at: str
    last_checked_at: str | None
    next_check_at: str | None
    status_code: int | None
    availability: str | None  # one of AVAILABILITY, None before the first check
    error: str | None
    final_url: str | None
    page_title: str | None
    licence: str | None
    licence_scope: str | None
    last_modified: str | None
    content_hash: str | None
    platform_id: str | None
    etag: str | None
    http_last_modified: str | None
    tracking: str
    retired_at: str | None
    retire_reason: str | None
    unowned_since: str | None
    unowned_reason: str | None
    unowned_detail: str | None
    proposed_url: str | None
    proposed_at: str | None
    proposed_by: str | None
    proposal_note: str | None
    # joined in
    pilot: str
    pilot_end_date: str | None
    coordinator_email: str | None
    coordinator_name: str | None
    maintainer_email: str
    maintainer_name: str | None
    maintainer_first_name: str | None
    maintainer_bounced_at: str | None
    maintainer_bounce_reason: str | None


@dataclass
class FetchResult:
    """What the fetcher saw for one URL. Knows HTTP, nothing about licences."""

    url: str
    availability: str  # one of AVAILABILITY (extract may refine a served page)
    final_url: str | None = None
    status_code: int | None = None
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # final response, keys lower-case
    body: bytes = b""
    text: str | None = None  # decoded body for HTML/text responses
    content_type: str | None = None  # media type without parameters, lower-case
    hops: list[tuple[str, int]] = field(default_factory=list)  # (url, status) per redirect
    permanent_redirect: bool = False
    not_modified: bool = False  # 304 on a conditional request
    body_hash: str | None = None  # of the raw response a served page's facts come from
    same_body: bool = False  # identical to last time: the previous facts were reused
    truncated: bool = False  # body hit the byte cap
    fetched_at: datetime | None = None  # UTC, when the final response arrived
    elapsed: float = 0.0
    tries: int = 1


@dataclass
class LicenceResult:
    id: str | None  # canonical id, None when nothing found
    spdx: str | None = None
    scope: str | None = None  # material | site | None
    signal: str | None = None  # which kind of signal won (rel, jsonld, meta, link, button, text)
    location: str | None = None  # where it stood (material, site)
    evidence: str | None = None  # the URL or text that won, shortened
    all_ids: list[str] = field(default_factory=list)
    conflict: bool = False


@dataclass
class Facts:
    """What extraction found on a fetched page. Every field may be unknown (None)."""

    availability: str
    error: str | None = None
    licence: LicenceResult | None = None
    last_modified: str | None = None  # ISO date or datetime
    last_modified_source: str | None = None  # e.g. "colofon", "jsonld", "meta", "http"
    title: str | None = None
    platform: str | None = None
    platform_id: str | None = None
    content_hash: str | None = None
    author: str | None = None

    @property
    def licence_id(self) -> str | None:
        return self.licence.id if self.licence else None

    @property
    def licence_scope(self) -> str | None:
        return self.licence.scope if self.licence else None


@dataclass
class Problem:
    code: str  # one of PROBLEMS
    since: str | None = None  # ISO date the problem started (as far as we know)
    detail: dict = field(default_factory=dict)  # e.g. {"new_url": ...}, {"was": ..., "now": ...}


@dataclass
class Assessment:
    state: str  # one of STATES or "unchecked"
    problems: list[Problem] = field(default_factory=list)
    last_maintained: str | None = None  # ISO date of the last sign of maintenance
    stale_on: str | None = None  # ISO date the material becomes (became) stale
    muted: bool = False

    @property
    def codes(self) -> list[str]:
        return [p.code for p in self.problems]

    def to_dict(self) -> dict:
        return asdict(self)

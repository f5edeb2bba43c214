"""Plain values that flow between the modules (see the data flow in the README).

fetch -> `FetchResult`; extract -> `Facts` (with a `LicenceResult`);
store keeps `Facts` per check; policy -> `Assessment` of `Problem`s.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

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


@dataclass
class FetchResult:
    """What the fetcher saw for one URL. Knows HTTP, nothing about licences."""

    url: str
    availability: str  # HTTP-level classification (extract may refine a served page)
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

"""The one clock: aware UTC now, and the timestamp text stored everywhere.

Library functions take `now`/`today` as arguments; only the front doors (CLI, web,
the nightly job) read the clock, through `utcnow`.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """UTC ISO timestamp with seconds precision."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()

"""Times as people read them: stored in UTC, shown in the configured time zone.

    local("2026-12-02T02:05:00+00:00", settings.zone)   # -> datetime 03:05 CET
    minute("2026-12-02T02:05:00+00:00", zone)            # -> "2026-12-02 03:05"
    day("2026-12-02T23:30:00+00:00", zone)               # -> "2026-12-03"

The database keeps UTC ISO strings (`store.iso`); every screen, email and file
that a person reads converts at the last moment with these helpers, so the CLI,
the report, the emails and a web layer show the same clock. Values without a
time (`2026-12-02`) are dates and stay as they are.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import overload


@overload
def local(value: datetime, zone: tzinfo) -> datetime: ...
@overload
def local(value: str | datetime | None, zone: tzinfo) -> datetime | None: ...
def local(value: str | datetime | None, zone: tzinfo) -> datetime | None:
    """A stored timestamp (ISO text or datetime; naive means UTC) in `zone`;
    None for no value, a bare date or text that is not a timestamp."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        if len(value) <= 10 or "T" not in value and " " not in value:
            return None
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone)


def minute(value: str | datetime | None, zone: tzinfo) -> str:
    """`YYYY-MM-DD HH:MM` in local time (sortable, spreadsheets read it as a date and
    time); a bare date stays a date; nothing gives ""."""
    moment = local(value, zone)
    if moment is None:
        return "" if not value else str(value)[:10]
    return moment.strftime("%Y-%m-%d %H:%M")


def day(value: str | datetime | None, zone: tzinfo) -> str:
    """`YYYY-MM-DD`: the local calendar day of a timestamp, or the date itself."""
    moment = local(value, zone)
    if moment is None:
        return "" if not value else str(value)[:10]
    return moment.date().isoformat()

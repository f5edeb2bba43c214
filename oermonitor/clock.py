"""The one clock: aware UTC now, the timestamp text stored everywhere, and a date as
people type it (options, the spreadsheet).

Library functions take `now`/`today` as arguments; only the front doors (CLI, web,
the nightly job) read the clock, through `utcnow`.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_NL_DATE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """UTC ISO timestamp with seconds precision."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def typed_date(text: str) -> str | None:
    """`YYYY-MM-DD` or `DD-MM-YYYY` (also with / or .) to ISO; None when invalid."""
    text = text.strip()
    match = _ISO_DATE.match(text)
    if match:
        y, m, d = match.groups()
    else:
        match = _NL_DATE.match(text)
        if not match:
            return None
        d, m, y = match.groups()
    try:
        return date(int(y), int(m), int(d)).isoformat()
    except ValueError:
        return None

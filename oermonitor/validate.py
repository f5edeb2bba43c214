"""Checks on values people type (spreadsheets, options, settings), shared by every
entry point so that what one accepts, the others (and the mailer) can use.
"""

from __future__ import annotations

import re
from email.errors import HeaderDefect
from email.headerregistry import Address
from urllib.parse import urlsplit

_DOMAIN = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
MAX_URL_LENGTH = 2000  # longer is no material's address (browsers and servers balk too)


def email_problem(label: str, value: str) -> str | None:
    """None when `value` is an address the email package can put in a header."""
    bad = f"{label} is not a valid email address: {value!r}"
    if not value or value != value.strip() or _CONTROL.search(value) or value.count("@") != 1:
        return bad
    try:
        parsed = Address(addr_spec=value)
    except (ValueError, HeaderDefect, IndexError):  # IndexError: "name@" (Python 3.11)
        return bad
    if parsed.addr_spec != value or not _DOMAIN.match(parsed.domain):
        return bad
    return None


def url_problem(url: str) -> str | None:
    """None when `url` is an absolute http(s) URL with a host."""
    if not url:
        return "url is empty"
    if len(url) > MAX_URL_LENGTH:
        return (f"url is longer than {MAX_URL_LENGTH:,} characters ({len(url):,}): "
                f"{url[:80]!r}...")
    if any(c.isspace() for c in url) or _CONTROL.search(url):
        return f"url contains spaces or control characters: {url!r}"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return f"url is malformed: {url!r}"
    if parts.scheme.lower() not in ("http", "https"):
        return f"url must start with http:// or https://: {url!r}"
    host = parts.hostname or ""
    if not host or ("." not in host and host != "localhost" and ":" not in host):
        return f"url has no valid host: {url!r}"
    return None

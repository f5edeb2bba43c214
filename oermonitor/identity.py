"""What makes two addresses one material: its identity.

    identity("https://maken.wikiwijs.nl/171772/Fotosynthese?template=simple")  # wikiwijs:171772
    identity("HTTP://School.nl/les/")                                          # http://school.nl/les

A known platform's id where there is one, else the URL without its fragment,
default port, trailing slash, scheme and host case. The registry warns about two
rows of one identity; the life cycle follows a permanent redirect within one
silently and moves a material when a re-imported spreadsheet names it anew.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from oermonitor.extract import platforms


def identity(url: str) -> str:
    """The platform's id ("wikiwijs:171772"), else the normalised URL (see above)."""
    known = platforms.identity(url)
    if known:
        return known
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    if parts.port and parts.port != default:
        host = f"{host}:{parts.port}"
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(("http", host, path, parts.query, ""))

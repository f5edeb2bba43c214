"""Wikiwijs (maken.wikiwijs.nl): arrangement identity and the colofon.

An arrangement is one material whatever URL points at it: http or https,
`?template=simple`, a page inside it (`#!page-3`), `/arrangement/<id>/...`
packages, or an old title slug. Its numeric id is the identity.

A published arrangement ends with "Over dit lesmateriaal" and a "Colofon"
(Auteurs/Auteur, Laatst gewijzigd, Licentie, Webadres), opened by the sentence
"Het arrangement <title> is gemaakt met Wikiwijs ...". That colofon is the
most specific source for title, author and change date.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from oermonitor.extract.page import Page
from oermonitor.extract.platforms import generic
from oermonitor.extract.platforms.generic import PlatformFacts

NAME = "wikiwijs"
SITE_NAMES = ("Wikiwijs Maken", "Wikiwijs", "Wikiwijs Arrangement")
_DOMAIN = "wikiwijs.nl"
# /171772/Slug, /171772, /arrangement/171772/export/imscp
_ID_PATH = re.compile(r"^/(?:arrangement/)?(\d+)(?:/|$)")
_COLOFON_START = re.compile(r"\s*(?:colofon|over dit lesmateriaal)\s*:?\s*$", re.I)
_LABELS = re.compile(r"\s*(auteurs?|laatst gewijzigd|licentie|webadres)\b", re.I)
_TITLE_SENTENCE = re.compile(r"Het arrangement\s+(.+?)\s+is gemaakt met\s+Wikiwijs", re.I | re.S)


def is_wikiwijs_url(url: str | None) -> bool:
    if not url:
        return False
    host = (urlsplit(url.strip()).hostname or "").lower()
    return host == _DOMAIN or host.endswith("." + _DOMAIN)


def identity(url: str | None) -> str | None:
    """'wikiwijs:<id>' for any URL of an arrangement, else None."""
    if not is_wikiwijs_url(url):
        return None
    match = _ID_PATH.match(urlsplit(url.strip()).path)
    return f"{NAME}:{match.group(1)}" if match else None


def recognise(page: Page) -> PlatformFacts | None:
    """Wikiwijs facts when the page is served by Wikiwijs or declares itself one of its pages."""
    declared = (generic.link_href(page, "canonical"), generic.meta_content(page, "og:url"))
    if not (is_wikiwijs_url(page.url) or any(is_wikiwijs_url(url) for url in declared)):
        return None
    texts = generic.text_nodes(page)
    fields = colofon(texts)
    platform_id = next(
        (found for url in (*declared, page.url, fields.get("webadres"))
         if (found := identity(url))), None)
    return PlatformFacts(
        name=NAME,
        platform_id=platform_id,
        title=_colofon_title(texts) or generic.title(page, SITE_NAMES),
        author=fields.get("auteurs") or fields.get("auteur"),
        modified=fields.get("laatst gewijzigd"),
        fields=fields,
    )


def colofon(texts: list) -> dict[str, str]:
    """The colofon's fields (lower-case label -> value), first occurrence of each.

    Reading starts at a "Colofon" / "Over dit lesmateriaal" heading, the last one
    that has fields after it (a menu entry or footer link with the same words
    comes earlier or later), so a sources table elsewhere cannot lend its
    "Auteur" column. A page without the heading is read whole.
    """
    starts = [i for i, text in enumerate(texts) if _COLOFON_START.match(text)]
    for start in (*reversed(starts), 0):
        fields: dict[str, str] = {}
        for found in generic.labelled(texts[start:], _LABELS, whole=True):
            fields.setdefault(found.label, found.value)
        if fields:
            return fields
    return {}


def _colofon_title(texts: list) -> str | None:
    for node in texts:
        if "arrangement" in node.lower():
            owner = node.getparent() if node.is_text else node.getparent().getparent()
            match = _TITLE_SENTENCE.search(owner.text_content()) if owner is not None else None
            if match:
                return generic.squash(match.group(1)).strip("'\"‘’“”") or None
    return None

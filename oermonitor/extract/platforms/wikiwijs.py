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
# Every heading holds one of these, lower-cased: parts without i, s or k, whose
# other cases the regex (re.I) would also match, so the search misses no heading.
_COLOFON_WORDS = ("colofon", "over d")
_COLOFON_START = re.compile(r"\s*(?:colofon|over dit lesmateriaal)\s*(?::\s*)?$", re.I)
_LABELS = re.compile(r"\s*(auteurs?|laatst gewijzigd|licentie|webadres)\b", re.I)
# Read on whitespace-squashed text of a bounded window (`_colofon_title`): linear.
_TITLE_LIMIT = 300
_TITLE_SENTENCE = re.compile(
    rf"Het arrangement ((?:(?!Het arrangement ).){{1,{_TITLE_LIMIT}}}?) is gemaakt met Wikiwijs",
    re.I)
_TITLE_START = re.compile(r"\bhet\s+arrangement\s", re.I)
_TITLE_TRIES = 10_000  # about 50 ms of reading at most
_HEADING_LIMIT = 100  # a colofon heading is a few words


def is_wikiwijs_url(url: str | None) -> bool:
    if not url:
        return False
    host = (urlsplit(url.strip()).hostname or "").lower()
    return host == _DOMAIN or host.endswith("." + _DOMAIN)


def identity(url: str | None) -> str | None:
    """'wikiwijs:<id>' for any URL of an arrangement, else None."""
    if not url or not is_wikiwijs_url(url):
        return None
    match = _ID_PATH.match(urlsplit(url.strip()).path)
    return f"{NAME}:{match.group(1)}" if match else None


def recognise(page: Page) -> PlatformFacts | None:
    """Wikiwijs facts when the page is served by Wikiwijs or declares itself one of its pages."""
    declared = (generic.link_href(page, "canonical"), generic.meta_content(page, "og:url"))
    if not (is_wikiwijs_url(page.url) or any(is_wikiwijs_url(url) for url in declared)):
        return None
    fields = colofon(page)
    platform_id = next(
        (found for url in (*declared, page.url, fields.get("webadres"))
         if (found := identity(url))), None)
    return PlatformFacts(
        name=NAME,
        platform_id=platform_id,
        title=_colofon_title(page) or generic.title(page, SITE_NAMES),
        author=fields.get("auteurs") or fields.get("auteur"),
        modified=fields.get("laatst gewijzigd"),
        fields=fields,
    )


def colofon(page: Page) -> dict[str, str]:
    """The colofon's fields (lower-case label -> value), first occurrence of each.

    Reading starts at a "Colofon" / "Over dit lesmateriaal" heading, the last one
    that has fields after it (a menu entry or footer link with the same words
    comes earlier or later), so a sources table elsewhere cannot lend its
    "Auteur" column. A page without the heading is read whole.
    """
    texts = generic.text_nodes(page)
    starts = [i for i in page.holding(_COLOFON_WORDS, visible=True)
              if len(texts[i]) <= _HEADING_LIMIT and _COLOFON_START.match(texts[i])]
    for start in (*reversed(starts), 0):
        fields: dict[str, str] = {}
        for found in generic.labelled(texts[start:], _LABELS, whole=True):
            fields.setdefault(found.label, found.value)
        if fields:
            return fields
    return {}


def _colofon_title(page: Page) -> str | None:
    """The title in "Het arrangement <title> is gemaakt met Wikiwijs".

    The sentence starts in a text node and runs on over the following ones (the
    title is often bold), so each start is read with what follows it up to a
    bounded window, and only the first `_TITLE_TRIES` starts are tried: the work
    stays linear in the page however often the words repeat.
    """
    texts = generic.text_nodes(page)
    window, tries = _TITLE_LIMIT + 60, 0
    for index in page.holding(("arrangement",), visible=True):
        node = texts[index]
        for start in _TITLE_START.finditer(node):
            parts = [node[start.start():start.start() + window]]
            size, following = len(parts[0]), index + 1
            while size < window and following < len(texts):
                parts.append(texts[following][:window - size])
                size, following = size + len(parts[-1]), following + 1
            match = _TITLE_SENTENCE.match(generic.squash("".join(parts)))
            if match:
                return match.group(1).strip(" '\"‘’“”") or None
            tries += 1
            if tries >= _TITLE_TRIES:
                return None
    return None

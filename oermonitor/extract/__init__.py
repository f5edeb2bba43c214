"""Extraction: pure functions from a fetched response to `Facts`.

    facts = extract(fetch_result)

Parses the page once (`Page`), then asks each extractor: availability
refinement (soft 404, login walls), licence, declared dates, content
fingerprint and platform specifics. No I/O happens here.

Each extractor runs guarded: one that fails on a page is logged and gives
nothing (no licence, no date, ...), and the rest of the page's facts still stand.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from oermonitor.extract import availability, dates, fingerprint, licence, platforms
from oermonitor.extract.page import Page
from oermonitor.models import SERVED, Facts, FetchResult, LicenceResult
from oermonitor.safetext import clip

HTML_TYPES = ("text/html", "application/xhtml+xml")
log = logging.getLogger(__name__)
T = TypeVar("T")


def is_html(result: FetchResult) -> bool:
    return result.text is not None and (result.content_type in HTML_TYPES or
                                        result.content_type is None)


def extract(result: FetchResult) -> Facts:
    """Facts about one fetched URL. A failed fetch yields facts with only availability.

    Strings taken from the page are capped (`safetext.LIMIT`): a 5 MB <title> is
    not kept, mailed or printed whole.
    """
    facts = _extract(result)
    facts.title, facts.author, facts.error = (clip(facts.title), clip(facts.author),
                                              clip(facts.error))
    facts.platform_id = clip(facts.platform_id, 100)
    return facts


def _extract(result: FetchResult) -> Facts:
    if result.availability not in SERVED:
        return Facts(availability=result.availability, error=result.error)
    if not is_html(result):
        # A file (PDF, image, package): the header is all the date there is,
        # the URL all the identity (a Wikiwijs package names its arrangement).
        modified, source = dates.from_headers(result.headers, result.fetched_at)
        platform_id = platforms.identity(result.final_url or result.url)
        return Facts(availability=result.availability, error=result.error,
                     last_modified=modified, last_modified_source=source,
                     content_hash=fingerprint.bytes_hash(result.body),
                     platform=platform_id.split(":", 1)[0] if platform_id else None,
                     platform_id=platform_id)
    page = Page.parse(result.text, result.final_url or result.url, result.headers)
    state, error = availability.refine(result, page)
    if state not in SERVED:
        return Facts(availability=state, error=error)
    url = page.url
    found = _guarded(url, platforms.recognise, None, page)
    no_date: tuple[str | None, str | None] = (None, None)
    modified, source = _guarded(url, dates.declared_date, no_date, page, result.headers,
                                result.fetched_at, found)
    return Facts(
        availability=state,
        error=error,
        licence=_guarded(url, licence.detect, None, page) or LicenceResult(id=None),
        last_modified=modified,
        last_modified_source=source,
        title=(found.title if found and found.title
               else _guarded(url, platforms.generic_title, None, page)),
        platform=found.name if found else None,
        platform_id=found.platform_id if found else None,
        author=found.author if found else None,
        content_hash=_guarded(url, fingerprint.content_hash, None, page),
    )


def _guarded(url: str, extractor: Callable[..., T], default: T, *args) -> T:
    """`extractor(*args)`, or `default` (logged) when it fails on this page."""
    try:
        return extractor(*args)
    except Exception:  # one extractor's failure must not lose the page's other facts
        log.warning("extractor %s failed on %s", extractor.__name__, url, exc_info=True)
        return default

"""Platform specifics behind one small interface.

Each platform module offers `recognise(page) -> PlatformFacts | None` and
`identity(url) -> str | None`; adding a platform is adding a module to
`PLATFORMS`. Pages of no known platform get `generic_title` only.
"""

from __future__ import annotations

from oermonitor.extract.page import Page
from oermonitor.extract.platforms import generic, wikiwijs
from oermonitor.extract.platforms.generic import PlatformFacts

PLATFORMS = (wikiwijs,)

__all__ = ["PLATFORMS", "PlatformFacts", "generic_title", "identity", "recognise"]


def recognise(page: Page) -> PlatformFacts | None:
    """The platform's facts about this page, or None for a page of no known platform."""
    for platform in PLATFORMS:
        found = platform.recognise(page)
        if found is not None:
            return found
    return None


def identity(url: str) -> str | None:
    """A stable id shared by every URL variant of one material ("wikiwijs:171772"), else None."""
    for platform in PLATFORMS:
        found = platform.identity(url)
        if found:
            return found
    return None


def generic_title(page: Page) -> str | None:
    """The page's own title for pages of no known platform."""
    return generic.title(page)

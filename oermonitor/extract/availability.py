"""Served, but not the material: soft 404s and login walls.

A page answered 200 can still say "niet gevonden" (Wikiwijs does this for a
removed arrangement) or be a sign-in form (a private arrangement). Both are
told apart from real lessons that merely mention them:

- soft 404: the title or main heading *is* a not-found/removed message (a short
  phrase, not a question such as "Wat betekent 404 niet gevonden?") and the
  material part of the page has little else on it;
- login wall: the page's main content holds a form that asks for a password,
  and there is little else, or the heading says "inloggen"/"sign in". A "Log in"
  link or a login box in the navigation, header or footer does not count.

(A redirect that ends on a sign-in URL is recognised by the fetcher already.)
"""

from __future__ import annotations

import itertools
import re

from oermonitor.extract.page import Page
from oermonitor.models import SERVED, FetchResult

NOT_FOUND = re.compile(
    r"\b(?:404|410)\b|not found|niet gevonden|(?:kan|kon) niet (?:worden )?gevonden"
    r"|(?:could|can ?not|can't) be found|does ?n[o']t exist|bestaat niet"
    r"|no longer (?:available|exists?)|niet (?:meer )?beschikbaar|page unavailable"
    r"|(?:is|was|has been|been) (?:removed|deleted)|\bremoved\b|verwijderd|\bgone\b",
    re.I)
SIGN_IN = re.compile(r"\b(?:inloggen|log ?in|login|aanmelden|sign ?in|wachtwoord|password)\b",
                     re.I)
SEPARATORS = re.compile(r"\s[|\-–—·•:]\s|\s?[|·•]\s?|:\s")
QUESTION = re.compile(r"\?|\b(?:wat|waarom|hoe|what|why|how|uitleg|betekent|means?)\b", re.I)
SHORT_PHRASE_WORDS = 8  # a not-found title is a short phrase, not a sentence about one
LITTLE_ELSE_WORDS = 250  # material text around a not-found message or a sign-in form
SIGN_IN_PAGE_WORDS = 1000  # a page headed "Inloggen" may carry some more text
NOT_TEXT = ("script", "style", "noscript", "template")
_LOWER_PASSWORD = str.maketrans("PASWORD", "pasword")  # type="PassWord" is one too


def refine(result: FetchResult, page: Page) -> tuple[str, str | None]:
    """(availability, error) for a served page: `missing`, `login_required` or unchanged."""
    if result.availability not in SERVED:
        return result.availability, result.error
    headings = _headings(page)
    form = _password_form(page)
    if form is not None:
        words = _material_words(page, skip=form)
        if words < LITTLE_ELSE_WORDS or (
                words < SIGN_IN_PAGE_WORDS and any(SIGN_IN.search(h) for h in headings)):
            return "login_required", "the page is a sign-in form"
    said = next((h for h in headings if _says_not_found(h)), None)
    if said is not None and _material_words(page) < LITTLE_ELSE_WORDS:
        return "missing", f"the page says: {said[:120]}"
    return result.availability, result.error


def _headings(page: Page) -> list[str]:
    """The page title and its main headings (h1, else the first h2)."""
    found = list(page.root.iter("title", "h1"))
    if not any(el.tag == "h1" for el in found):
        found += list(itertools.islice(page.root.iter("h2"), 1))
    texts = (" ".join(el.text_content().split()) for el in found)
    return [text for text in texts if text]


def _says_not_found(heading: str) -> bool:
    for segment in SEPARATORS.split(heading):
        segment = segment.strip(" !.()[]'\"")
        if (segment and NOT_FOUND.search(segment) and not QUESTION.search(segment)
                and len(segment.split()) <= SHORT_PHRASE_WORDS):
            return True
    return False


def _password_form(page: Page):
    """The form (or, without one, the input) asking for a password in the material part."""
    for field in page.root.iter("input"):
        if (field.get("type") or "").translate(_LOWER_PASSWORD) != "password":
            continue
        if page.zone(field) == "site":
            continue
        return next(field.iterancestors("form"), field)
    return None


def _material_words(page: Page, skip=None) -> int:
    """Words in the page's own content: without site chrome, scripts and `skip`."""
    words = 0

    def walk(el) -> None:
        nonlocal words
        words += len((el.text or "").split())
        for child in el:
            if (isinstance(child.tag, str) and child is not skip and child.tag not in NOT_TEXT
                    and page.zone(child) != "site"):
                walk(child)
            words += len((child.tail or "").split())

    if page.body is not None:
        walk(page.body)
    return words

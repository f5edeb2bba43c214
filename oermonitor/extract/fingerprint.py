"""A fingerprint of the material's main content, to see it change between checks.

What the maintainer wrote is kept: the text of the main content (`<main>`,
`role=main`, a single `<article>`, else the body), image alternatives, and
the targets of its links and media (without query or fragment). Site chrome
and dynamic parts are left out: scripts, styles, navigation, header, footer,
asides, forms (with their CSRF tokens), hidden elements, anything whose
class/id/role says menu, sidebar, cookie banner or the like, and long random
tokens in the text. Whitespace is normalised. So the hash stays equal when
only a token, clock or counter in the chrome moves, and differs when the
material's text does.
"""

from __future__ import annotations

import hashlib
import re
from contextlib import suppress
from copy import deepcopy
from urllib.parse import urlsplit

from lxml import etree

from oermonitor.extract.page import Page

_DROP_TAGS = ("script", "style", "noscript", "template", "nav", "header", "footer", "aside",
              "form", "button", "select", "textarea", "input", "svg")
# Attributes that may say "chrome" or "hidden"; the test is in `_is_chrome`. (Elements
# with any attribute, then these in Python: an XPath predicate per element is slower.)
_FLAGS = frozenset({"class", "id", "role", "hidden", "aria-hidden", "style"})
_WITH_ATTRIBUTES = etree.XPath(".//*[@*]")
_TEXT = etree.XPath(".//text()", smart_strings=False)  # = itertext(), several times faster
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_CHROME = re.compile(r"(?:^|[\s_-])(?:footer|sidebar|side-bar|menu|navbar|nav|navigation"
                     r"|breadcrumbs?|site-header|masthead|cookie\w*|share|sharing|social"
                     r"|skip-link|pagination|pager|comments?|related|toolbar"
                     r"|view-?count\w*|counter|csrf\w*)(?:$|[\s_-])", re.I)
_MEDIA = ("img", "iframe", "video", "audio", "source", "embed", "object", "a")
_TOKEN = re.compile(r"[A-Za-z0-9_\-+/=]+")
_TOKEN_LENGTH = 24
_PUNCTUATION = ".,;:!?()[]{}'\""
_KEEPS_ITS_TEXT = ("html", "body", "main", "article")


def bytes_hash(data: bytes) -> str:
    """Fingerprint of a file (PDF, image, package): its bytes."""
    return hashlib.sha256(data or b"").hexdigest()


def content_hash(page: Page) -> str:
    """Fingerprint of the page's main content, blind to chrome and dynamic parts."""
    return hashlib.sha256(content_text(page).encode("utf-8")).hexdigest()


def content_text(page: Page) -> str:
    """The normalised text that `content_hash` hashes (shown by tests and debugging)."""
    container = _main(page)
    if container is None:
        return ""
    content = deepcopy(container)
    dropped = list(content.iter(*_DROP_TAGS))
    dropped += [element for element in _WITH_ATTRIBUTES(content)
                if not _FLAGS.isdisjoint(element.keys()) and _is_chrome(element)]
    for element in dropped:
        if element.getparent() is not None:
            element.drop_tree()  # keeps the text that follows it
    words = " ".join(_TEXT(content)).split()
    tokens = {word for word in words if len(word) >= _TOKEN_LENGTH and _is_token(word)}
    if tokens:
        words = [word for word in words if word not in tokens]
    text = " ".join(words)
    targets = [_target(el) for el in content.iter(_MEDIA)]
    return "\n".join([text, *filter(None, targets)])


def _main(page: Page):
    body = page.body
    if body is None:
        return None
    main = body.find(".//main")
    if main is None:
        main = next(iter(body.xpath(".//*[@role='main']")), None)
    if main is None:
        articles = body.findall(".//article")
        main = articles[0] if len(articles) == 1 else body
    return main


def _is_chrome(element) -> bool:
    if element.get("hidden") is not None or element.get("aria-hidden") == "true":
        return True
    if (element.get("role") or "").lower() in _CHROME_ROLES:
        return True
    if _HIDDEN_STYLE.search(element.get("style") or ""):
        return True
    if element.tag in _KEEPS_ITS_TEXT:
        return False
    return bool(_CHROME.search(f"{element.get('class') or ''} {element.get('id') or ''}"))


def _is_token(word: str) -> bool:
    """A long run of letters and digits mixed is a token or id, not prose."""
    word = word.strip(_PUNCTUATION)
    return (_TOKEN.fullmatch(word) is not None
            and any(c.isdigit() for c in word) and any(c.isalpha() for c in word))


def _target(element) -> str | None:
    """'img src alt' / 'a href': what the element points at, without query or fragment."""
    url = (element.get("href") if element.tag == "a"
           else element.get("src") or element.get("data")) or ""
    with suppress(ValueError):  # not a URL at all: keep it as written
        url = urlsplit(url.strip())._replace(query="", fragment="").geturl().split(";", 1)[0]
    alt = element.get("alt") if element.tag == "img" else None
    if not url and not alt:
        return None
    return " ".join(filter(None, (element.tag, url, alt)))

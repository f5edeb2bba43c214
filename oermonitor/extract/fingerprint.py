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
from functools import lru_cache
from urllib.parse import urlsplit

from lxml import etree

from oermonitor.extract.page import Page

_DROP_TAGS = ("script", "style", "noscript", "template", "nav", "header", "footer", "aside",
              "form", "button", "select", "textarea", "input", "svg")
# Attributes that may say "chrome" or "hidden"; the test is in `_is_chrome`. (Elements
# with any attribute, then these in Python: an XPath predicate per element is slower.
# "descendant::" rather than ".//", which XPath reads as every node's children.)
_FLAGS = frozenset({"class", "id", "role", "hidden", "aria-hidden", "style"})
_WITH_ATTRIBUTES = etree.XPath("descendant::*[@*]")
_TEXT = etree.XPath(".//text()", smart_strings=False)  # = itertext(), several times faster
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_CHROME = re.compile(r"(?:^|[\s_-])(?:footer|sidebar|side-bar|menu|navbar|nav|navigation"
                     r"|breadcrumbs?|site-header|masthead|cookie\w*|share|sharing|social"
                     r"|skip-link|pagination|pager|comments?|related|toolbar"
                     r"|view-?count\w*|counter|csrf\w*)(?:$|[\s_-])", re.I)
_ROLE_MAIN = etree.XPath("descendant::*[@role='main']")
_MEDIA = frozenset({"img", "iframe", "video", "audio", "source", "embed", "object", "a"})
# URLs that `urlsplit` reads as "http(s)://host[:port]/path", "/path" or a relative
# path without a colon, and without spaces or control characters (which it would
# strip or remove): for these, dropping the query and fragment is cutting the string
# at the first "?", "#" or ";" (the group), several times cheaper than parsing it.
# Anything else (other schemes, upper case, user info, brackets) is parsed.
_SIMPLE_URL = re.compile(r"((?:https?://[A-Za-z0-9.-]+(?::\d+)?(?=[/?#]|$)|/(?!/)|(?!//)(?=[^:]*$))"
                         r"[^\x00-\x20\\?#;]*)[^\x00-\x20\\]*")
_TOKEN = re.compile(r"[A-Za-z0-9_\-+/=]+")
_TOKEN_LENGTH = 24
_LONG_WORD = re.compile(rf" ([^ ]{{{_TOKEN_LENGTH},}})")  # in single-spaced text
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
    attributed = _WITH_ATTRIBUTES(container)
    if _cuts(container, attributed):
        # Cut on a copy: the page is shared with the other extractors. (drop_tree
        # joins a cut element's tail to the text before it, as the hash always had.)
        content = deepcopy(container)
        for element in _cuts(content, _WITH_ATTRIBUTES(content)):
            if element.getparent() is not None:
                element.drop_tree()  # keeps the text that follows it
        texts = _TEXT(content)
        attributed = _WITH_ATTRIBUTES(content)
    else:  # nothing to cut (the usual main content): its text nodes as read for the page
        content, texts = container, page.texts_within(container)
    words = " ".join(texts).split()
    text = " ".join(words)
    # Long words found by a regex over the text (C speed), not by a test per word.
    tokens = {word for word in _LONG_WORD.findall(" " + text) if _is_token(word)}
    if tokens:
        text = " ".join(word for word in words if word not in tokens)
    # Only an element with attributes points anywhere or has an alternative text.
    targets = [_target(el) for el in (content, *attributed) if el.tag in _MEDIA]
    return "\n".join([text, *filter(None, targets)])


def _cuts(content, attributed: list) -> list:
    """The elements under `content` that the fingerprint leaves out: scripts,
    forms, navigation and the like, and chrome or hidden elements (`_is_chrome`)
    among `attributed`, its elements with attributes."""
    cuts = [element for element in content.iter(_DROP_TAGS) if element is not content]
    cuts += [element for element in attributed
             if not _FLAGS.isdisjoint(element.keys()) and _is_chrome(element)]
    return cuts


def _main(page: Page):
    body = page.body
    if body is None:
        return None
    main = next(body.iter("main"), None)
    if main is None:
        main = next(iter(_ROLE_MAIN(body)), None)
    if main is None:
        articles = list(body.iter("article"))
        main = articles[0] if len(articles) == 1 else body
    return main


def _is_chrome(element) -> bool:
    if element.get("hidden") is not None or element.get("aria-hidden") == "true":
        return True
    if (element.get("role") or "").lower() in _CHROME_ROLES:
        return True
    style = element.get("style")
    if style and _HIDDEN_STYLE.search(style):
        return True
    if element.tag in _KEEPS_ITS_TEXT:
        return False
    return _chrome_marks(f"{element.get('class') or ''} {element.get('id') or ''}")


@lru_cache(maxsize=4096)
def _chrome_marks(marks: str) -> bool:
    """Whether class and id words say chrome. Cached: the same class strings recur
    on many elements of a page, and on every page of a site."""
    return bool(_CHROME.search(marks))


def _is_token(word: str) -> bool:
    """A long run of letters and digits mixed is a token or id, not prose."""
    word = word.strip(_PUNCTUATION)
    return (_TOKEN.fullmatch(word) is not None
            and any(c.isdigit() for c in word) and any(c.isalpha() for c in word))


def _target(element) -> str | None:
    """'img src alt' / 'a href': what the element points at, without query or fragment."""
    tag = element.tag
    url = _bare_url((element.get("href") if tag == "a"
                     else element.get("src") or element.get("data")) or "")
    alt = element.get("alt") if tag == "img" else None
    if not url and not alt:
        return None
    return " ".join(filter(None, (tag, url, alt)))


def _bare_url(url: str) -> str:
    """The URL without query, fragment and `;params`, as `urlsplit` reads it."""
    stripped = url.strip()
    simple = _SIMPLE_URL.fullmatch(stripped)
    if simple:
        return simple.group(1)  # the same as below, without parsing
    with suppress(ValueError):  # not a URL at all: keep it as written
        url = urlsplit(stripped)._replace(query="", fragment="").geturl().split(";", 1)[0]
    return url

"""One parsed page, shared by every extractor (parse once, with lxml).

`Page.zone(element)` says where a signal stands (licence spec):
  material   the <head> or the main content
  site       inside footer/header/nav/aside or an element whose class/id says
             footer/sidebar/menu (site chrome: a site default at most)
  component  inside figure/figcaption (an embedded item's own licence), a quote,
             an element whose class/id says caption, credit, image source,
             comments, teaser or related items, newsletter or sign-up box, or an
             embedded post; and any `article` other than the page's own
             (`Page.own`): a comment, a teaser, an embedded post

A `header` or `footer` (tag, or a class such as "entry-footer") inside
`article`/`main` is that content's own header or footer (HTML sectioning), so it
stays material; navigation, sidebars and menus are site chrome wherever they are.
An element that holds the page's own content is a layout wrapper, never chrome
or a component, whatever its class says (`content-sidebar-wrap`,
`navigation-container` around the whole page); class tokens that merely state a
layout (`has-sidebar`, `no-sidebar`) mark nothing.

The page's text nodes are read once and shared (`texts`, `visible_texts`), and
so are the searches over them (`holding`) and the section heading before an
element (`heading_before`): every extractor reads the same page, and each of
these is a walk over all of it.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import lxml.html
from lxml import etree

SITE_TAGS = frozenset({"footer", "header", "nav", "aside"})
COMPONENT_TAGS = frozenset({"figure", "figcaption", "blockquote"})
SECTIONING_TAGS = frozenset({"footer", "header"})
CONTENT_TAGS = frozenset({"article", "main"})
_SITE_WORDS = re.compile(r"(?:^|[\s_-])(footer|sidebar|side-bar|menu|navbar|nav|breadcrumbs?|"
                         r"masthead|cookie\w*)(?:$|[\s_-])", re.I)
# Marks of the site's own chrome even where a word above would say "section".
_CHROME_MARKS = ("contentinfo", "navigation", "banner", "site-header", "site-footer",
                 "page-footer", "page-header", "global-footer", "global-header")
# Marks of an embedded or neighbouring item rather than the page's own content.
_COMPONENT_WORDS = re.compile(
    r"(?:^|[\s_-])(?:caption|credit|license-info|licence-info|image-?source|img-?source"
    r"|isc-source|comment|reactie|respond\b|repl(?:y|ies)\b|disqus|teaser|related|recommend"
    r"|read-?more"
    r"|more-posts|recent-?posts|post-navigation|nav-previous|nav-next|newsletter|nieuwsbrief"
    r"|sign-?up|subscribe|mailchimp|mc4wp|embed|twitter-tweet|instagram-media)", re.I)
# Class tokens that state a layout ("has-sidebar") or name content and chrome
# together ("content-sidebar-wrap"): a layout, not chrome.
_LAYOUT_PREFIXES = ("has-", "no-", "with-", "without-", "is-")
_LAYOUT_TOGETHER = re.compile(r"content", re.I)


_local = threading.local()
# Text nodes as lxml smart strings (`getparent()`, `is_text`, `is_tail`). Filtering
# them in Python is several times cheaper than an XPath predicate.
_TEXTS = etree.XPath("//text()")
# Counting the nodes before and after an element walks what lies around it only
# (for <body>: the head); counting those within would walk the element once more.
_TEXTS_BEFORE = etree.XPath("count(preceding::text())")
_TEXTS_AFTER = etree.XPath("count(following::text())")
# Text inside these is never text the reader sees.
INVISIBLE = frozenset({"script", "style", "noscript", "template"})
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_FEW_INVISIBLE = 20
_SEPARATOR = "\x00"  # between text nodes in a joined text: no text node holds one


def _parser() -> lxml.html.HTMLParser:
    """lxml.html's parser with a C-level element class lookup, one per thread.

    lxml.html's default lookup calls back into Python for each element proxy
    (about 1,700 per 40 KB page, 12% of extraction). Here every element is a
    plain `HtmlElement` (text_content, drop_tree, ... all work; the form-field
    classes are not needed). An lxml parser must not be shared between threads.
    """
    parser = getattr(_local, "parser", None)
    if parser is None:
        # Comments and processing instructions are nobody's text: dropping them at
        # parse time keeps every extractor from meeting them between a label and its value.
        # No extractor looks elements up by id: no table of ids is built.
        parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, collect_ids=False)
        parser.set_element_class_lookup(etree.ElementDefaultClassLookup(
            element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment,
            pi=lxml.html.HtmlProcessingInstruction, entity=lxml.html.HtmlEntity))
        _local.parser = parser
    return parser


@dataclass
class Page:
    url: str
    root: etree._Element
    headers: dict[str, str] = field(default_factory=dict)
    _texts: list | None = field(default=None, init=False, repr=False, compare=False)
    _visible: list | None = field(default=None, init=False, repr=False, compare=False)
    _searches: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _own: tuple | None = field(default=None, init=False, repr=False, compare=False)
    _before: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def parse(cls, text: str | None, url: str, headers: dict[str, str] | None = None) -> Page:
        if not text or not text.strip():
            text = "<html></html>"
        try:
            root = lxml.html.document_fromstring(text, parser=_parser())
        except (etree.ParserError, ValueError):
            # ValueError: a str with an XML encoding declaration; retry as bytes
            root = lxml.html.document_fromstring(text.encode("utf-8", "replace"),
                                                 parser=_parser())
        return cls(url=url, root=root, headers=headers or {})

    @cached_property
    def head(self) -> etree._Element | None:
        return next(self.root.iterchildren("head"), None)

    @cached_property
    def body(self) -> etree._Element | None:
        return next(self.root.iterchildren("body"), None)

    @property
    def texts(self) -> list:
        """Every text node of the document in document order, read once for all
        extractors (licence and platform reading walk nearly the same nodes)."""
        if self._texts is None:
            self._texts = _TEXTS(self.root)
        return self._texts

    def body_texts(self) -> list:
        """The text nodes inside <body> (not its tail): one run of `texts`."""
        body = self.body
        return self.texts_within(body) if body is not None else []

    def texts_within(self, element: etree._Element) -> list:
        """The text nodes inside `element` (not its tail): one run of `texts`."""
        texts = self.texts
        return texts[int(_TEXTS_BEFORE(element)):len(texts) - int(_TEXTS_AFTER(element))]

    def visible_texts(self) -> list:
        """The body's visible text nodes in document order, read once (platform
        and date reading both walk them): without the own text of a script,
        style, noscript or template (the text after </script> is visible)."""
        if self._visible is None:
            body = self.body
            self._visible = self._visible_in(body) if body is not None else []
        return self._visible

    def _visible_in(self, body: etree._Element) -> list:
        # An invisible element holds one own text node, the first inside it: where
        # it stands is the count of text nodes before the element. For the few such
        # elements of most bodies, cutting those out is cheaper than asking every
        # text node for its parent.
        texts = self.body_texts()
        hidden = [element for element in body.iter(INVISIBLE) if element.text is not None]
        if len(hidden) > _FEW_INVISIBLE:
            return [text for text in texts
                    if not (text.is_text and text.getparent().tag in INVISIBLE)]
        start = len(self.texts) - len(texts) - int(_TEXTS_AFTER(body))
        visible, kept_from = [], 0
        for at in sorted(int(_TEXTS_BEFORE(element)) - start for element in hidden):
            visible += texts[kept_from:at]
            kept_from = at + 1
        return visible + texts[kept_from:]

    def holding(self, words: tuple[str, ...], *, visible: bool = False,
                word_start: bool = False) -> list[int]:
        """Indexes (ascending) of the text nodes that hold one of `words` (lower
        case), in `visible_texts()` or else in `texts`; with `word_start` only
        where the word starts a word ("cc", not "succes").

        Extractors look for a few words to find the few nodes worth a regex. The
        nodes are joined and lower-cased once per page and searched with
        `str.find`: far cheaper than a test (or a regex) per node.
        """
        key = "visible" if visible else "all"
        joined = self._searches.get(key)
        if joined is None:
            nodes = self.visible_texts() if visible else self.texts
            joined = self._searches[key] = _SEPARATOR.join(nodes).lower()
        positions = []
        for word in words:
            at = joined.find(word)
            while at != -1:
                if not word_start or at == 0 or not joined[at - 1].isalnum():
                    positions.append(at)
                at = joined.find(word, at + len(word))
        indexes: list[int] = []
        index, counted_to = 0, 0
        for at in sorted(positions):
            index += joined.count(_SEPARATOR, counted_to, at)
            counted_to = at
            if not indexes or indexes[-1] != index:
                indexes.append(index)
        return indexes

    def heading_before(self, element: etree._Element) -> etree._Element | None:
        """The nearest h1-h6 before `element` that does not hold it (XPath's
        `preceding::*[self::h1 or ...][1]`), or None.

        Walks back over previous siblings (each searched for its last heading)
        and up to the parent, and remembers the answer for every element it
        passed: the answers for many elements of one page cost one walk over
        the page, not one walk each.
        """
        passed = []
        node, found = element, None
        while node is not None:
            if node in self._before:
                found = self._before[node]
                break
            passed.append(node)
            previous = node.getprevious()
            if previous is None:
                node = node.getparent()
                continue
            headings = list(previous.iter(HEADINGS))
            if headings:
                found = headings[-1]  # the last one is the nearest
                break
            node = previous
        for node in passed:
            self._before[node] = found
        return found

    @property
    def own(self) -> etree._Element | None:
        """The element holding the page's own content: within the first `main` (else
        the page), the `article` around the first `h1`, else the first `article`,
        else that `main`, else None."""
        return self._own_content()[0]

    def holds_own(self, element: etree._Element) -> bool:
        """Whether `element` is (or holds) the page's own content: a layout wrapper."""
        return element in self._own_content()[1]

    def _own_content(self) -> tuple:
        """(own element, the set of it and its ancestors: the layout wrappers)."""
        if self._own is None:
            main = next(self.root.iter("main"), None)
            scope = self.root if main is None else main
            h1 = next(scope.iter("h1"), None)
            own = next(h1.iterancestors("article"), None) if h1 is not None else None
            if own is None:
                own = next(scope.iter("article"), main)
            wrappers = frozenset(_self_and_ancestors(own)) if own is not None else frozenset()
            self._own = (own, wrappers)
        return self._own

    def zone(self, element: etree._Element) -> str:
        """material | site | component for any element of this page."""
        own, wrappers = self._own_content()
        zone = "material"
        own_section = False  # the site mark so far may be the content's own header/footer
        for node in _self_and_ancestors(element):
            tag = node.tag if isinstance(node.tag, str) else ""
            if tag in COMPONENT_TAGS:
                return "component"
            if tag == "head":
                return "material"
            if tag == "article" and node is not own and node not in wrappers \
                    and own is not None and own.tag == "article":
                return "component"  # another article: a comment, a teaser, an embedded post
            if tag in CONTENT_TAGS or node.get("role") == "main":
                if own_section:
                    zone, own_section = "material", False
                continue
            if node in wrappers:  # holds the page's own content: a layout wrapper
                continue
            mark = _site_mark(node, tag)
            if mark == "component":
                return "component"
            if mark:
                own_section = mark == "section" and (zone == "material" or own_section)
                zone = "site"
        return zone


def _self_and_ancestors(element):
    yield element
    yield from element.iterancestors()


def _site_mark(node, tag: str) -> str | None:
    """"section" for a header/footer (site chrome, unless it sits inside the main
    content), "chrome" for navigation, sidebars, menus and the like, "component"
    for captions, credits, comments, teasers and the like, else None."""
    if tag in ("html", "body", ""):
        return None
    marks = " ".join(filter(None, (node.get("class"), node.get("id"), node.get("role"))))
    if marks:
        mark = _marks_say(marks)
        if mark:
            return mark
    if tag in SECTIONING_TAGS:
        return "section"
    return "chrome" if tag in SITE_TAGS else None


@lru_cache(maxsize=4096)
def _marks_say(marks: str) -> str | None:
    """"component", "chrome", "section" or None for an element's class/id/role words.

    Cached: the same class strings recur on every element of a page."""
    tokens = [token for token in marks.lower().split()
              if not token.startswith(_LAYOUT_PREFIXES)
              and not (_LAYOUT_TOGETHER.search(token) and _SITE_WORDS.search(token))]
    if not tokens:
        return None
    lowered = " ".join(tokens)
    if _COMPONENT_WORDS.search(lowered):
        return "component"
    if any(word in lowered for word in _CHROME_MARKS):
        return "chrome"
    found = _SITE_WORDS.search(lowered)
    if found:
        return "section" if found.group(1) == "footer" else "chrome"
    return None

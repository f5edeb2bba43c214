"""One parsed page, shared by every extractor (parse once, with lxml).

`Page.zone(element)` says where a signal stands (licence spec):
  material   the <head> or the main content
  site       inside footer/header/nav/aside or an element whose class/id says
             footer/sidebar/menu (site chrome: a site default at most)
  component  inside figure/figcaption (an embedded item's own licence)

A `header` or `footer` inside `article`/`main` is that content's own header or
footer (HTML sectioning), so it stays material.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

SITE_TAGS = frozenset({"footer", "header", "nav", "aside"})
COMPONENT_TAGS = frozenset({"figure", "figcaption"})
SECTIONING_TAGS = frozenset({"footer", "header"})
CONTENT_TAGS = frozenset({"article", "main"})
_SITE_WORDS = re.compile(r"(?:^|[\s_-])(footer|sidebar|side-bar|menu|navbar|nav|breadcrumbs?|"
                         r"site-header|masthead|cookie\w*)(?:$|[\s_-])", re.I)


@dataclass
class Page:
    url: str
    root: etree._Element
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str, url: str, headers: dict[str, str] | None = None) -> Page:
        if not text or not text.strip():
            text = "<html></html>"
        try:
            root = lxml.html.document_fromstring(text)
        except (etree.ParserError, ValueError):
            # ValueError: a str with an XML encoding declaration; retry as bytes
            root = lxml.html.document_fromstring(text.encode("utf-8", "replace"))
        return cls(url=url, root=root, headers=headers or {})

    @property
    def head(self) -> etree._Element | None:
        return self.root.find("head")

    @property
    def body(self) -> etree._Element | None:
        return self.root.find("body")

    def zone(self, element: etree._Element) -> str:
        """material | site | component for any element of this page."""
        zone = "material"
        sectioning_only = False  # the site mark so far is a header/footer tag
        for node in _self_and_ancestors(element):
            tag = node.tag if isinstance(node.tag, str) else ""
            if tag in COMPONENT_TAGS:
                return "component"
            if tag == "head":
                return "material"
            if tag in CONTENT_TAGS or node.get("role") == "main":
                if sectioning_only:
                    zone, sectioning_only = "material", False
            elif tag in SITE_TAGS or _says_site(node):
                plain_section = tag in SECTIONING_TAGS and not _says_site(node)
                sectioning_only = plain_section and (zone == "material" or sectioning_only)
                zone = "site"
        return zone


def _self_and_ancestors(element):
    yield element
    yield from element.iterancestors()


def _says_site(node) -> bool:
    if node.tag in ("html", "body"):
        return False
    marks = (node.get("class") or "") + " " + (node.get("id") or "") + " " + (node.get("role") or "")
    if not marks.strip():
        return False
    if "contentinfo" in marks or "navigation" in marks or "banner" in marks:
        return True
    return bool(_SITE_WORDS.search(marks))

"""Page reading that every platform shares: labelled values and the page's own title.

Platforms do not agree on one HTML shape for "Label: value". The same colofon
or date line comes as table cells, `dt`/`dd`, neighbouring spans, `<strong>Label</strong>
value` or a plain line of text. `labelled()` therefore works on the page's text
nodes in document order: it finds a label and takes the value that stands next
to it, whatever elements hold the two.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from oermonitor.extract.page import Page

# Elements that sit inside a line of text (a label and its value may share the line).
_INLINE = frozenset({"a", "abbr", "b", "bdi", "cite", "code", "em", "font", "i", "label", "mark",
                     "small", "span", "strong", "sub", "sup", "time", "u"})
_SEPARATORS = (" - ", " | ", " – ", " — ", " :: ", " · ", " » ")
_VALUE_LIMIT = 1000  # a value longer than this is running text, not a field


@dataclass
class PlatformFacts:
    """What a platform's own page furniture says about the material."""

    name: str  # e.g. "wikiwijs"
    platform_id: str | None = None  # e.g. "wikiwijs:171772"
    title: str | None = None
    author: str | None = None
    modified: str | None = None  # the raw date text of the colofon, parsed by `dates`
    fields: dict[str, str] = field(default_factory=dict)  # every colofon label -> value


@dataclass
class Labelled:
    label: str  # the label as matched (lower-case)
    value: str  # the value text, whitespace normalised
    element: etree._Element | None  # the element holding the value, when it is one
    anchor: etree._Element  # the element holding the label (for zone checks)


def squash(text: str | None) -> str:
    """Runs of whitespace as one space, none at the ends (split and join: what
    `re.sub(r"\\s+", " ", text).strip()` gives, faster)."""
    return " ".join(text.split()) if text else ""


def text_nodes(page: Page) -> list:
    """The body's visible text nodes in document order (lxml smart strings)."""
    return page.visible_texts()


def labelled(texts: list, label: re.Pattern, *, whole: bool = False) -> Iterator[Labelled]:
    """Every (label, value) pair on the page for labels matching `label`.

    `label` must match at the start of a text node (after spaces). `whole=True`
    requires the label to stand alone or be followed by a colon, as in a
    colofon ("Licentie" as a field, not the word inside a sentence); otherwise
    the label may start a line of running text ("Laatst bijgewerkt op 3 maart").
    """
    for node in texts:
        match = label.match(node)
        if match is None:
            continue
        rest = node[match.end():].lstrip()
        if whole and rest and not rest.startswith(":"):
            continue
        rest = squash(rest.lstrip(":").lstrip())
        owner = node.getparent()
        anchor = owner if node.is_text else owner.getparent()
        if anchor is None:
            continue
        if rest:
            value, element = rest, None
        else:
            value, element = _value_after(node)
        if value and len(value) <= _VALUE_LIMIT:
            yield Labelled(match.group(0).strip().lower(), value, element, anchor)


def _value_after(node) -> tuple[str, etree._Element | None]:
    """The value standing right after a text node that holds only a label."""
    owner = node.getparent()
    if not node.is_text:
        # A tail: "<br>Laatst gewijzigd <span>value</span>"
        sibling = owner.getnext()
        return (_line(sibling), sibling) if sibling is not None else ("", None)
    if len(owner):
        # <p>Bijgewerkt op <time>...</time></p>: the rest of this line is the value
        value = _line(owner[0])
        if value:
            return value, owner[0]
    # The label fills its element. An inline label ("<strong>Auteurs</strong> <a>..</a>,
    # <a>..</a>") is followed by its value on the same line; a block or cell by the next
    # one (td/td, dt/dd). Climb while the label is the element's only content, so
    # <td><b>Auteur</b></td><td>value</td> reaches the next cell.
    element = owner
    for _ in range(3):
        if element.tag in _INLINE:
            value = squash((element.tail or "") + _line(element.getnext(), like=element))
            if value:
                return value, None
        elif squash(element.tail):
            return squash(element.tail), None
        sibling = element.getnext()
        if sibling is not None:
            value = squash(sibling.text_content())
            if not value and sibling.tag == "br":
                return squash(sibling.tail), None
            return value, sibling
        parent = element.getparent()
        if parent is None or parent.tag == "body" or squash(parent.text):
            break
        element = parent
    return "", None


def _line(start, like=None) -> str:
    """Text from `start` and its following siblings up to a line break or block.

    With `like` (an inline label element) the line also ends at the next element
    shaped like that label: the next field's label on the same line.
    """
    parts = []
    element = start
    while element is not None and element.tag != "br" and element.tag in _INLINE:
        if like is not None and element.tag == like.tag and element.get("class") == like.get(
                "class"):
            break
        parts.append(element.text_content())
        parts.append(element.tail or "")
        element = element.getnext()
    return squash("".join(parts))


def meta_content(page: Page, *names: str) -> str | None:
    """The first non-empty `<meta name|property=...>` content among `names` (lower-case)."""
    head = page.head
    if head is None:
        return None
    found: dict[str, str] = {}
    for meta in head.iter("meta"):
        key = (meta.get("property") or meta.get("name") or "").strip().lower()
        if key in names and key not in found:
            content = squash(meta.get("content"))
            if content:
                found[key] = content
    return next((found[name] for name in names if name in found), None)


def link_href(page: Page, rel: str) -> str | None:
    head = page.head
    if head is None:
        return None
    for link in head.iter("link"):
        if rel in (link.get("rel") or "").lower().split():
            href = (link.get("href") or "").strip()
            if href:
                return href
    return None


def strip_site_suffix(title: str, site_names: tuple[str, ...]) -> str:
    """'Breuken - Wikiwijs Maken' -> 'Breuken' when the last part names the site."""
    names = {name.lower() for name in site_names if name}
    for separator in _SEPARATORS:
        head, sep, tail = title.rpartition(separator)
        if sep and head.strip() and tail.strip().lower() in names:
            return head.strip()
    return title


def title(page: Page, site_names: tuple[str, ...] = ()) -> str | None:
    """The material's own title: og:title, else the first content h1, else <title>.

    The site's name (og:site_name and `site_names`) is cut from the end.
    """
    names = (*site_names, meta_content(page, "og:site_name") or "")
    og = meta_content(page, "og:title")
    if og:
        return strip_site_suffix(og, names)
    body = page.body
    if body is not None:
        for h1 in body.iter("h1"):
            text = squash(h1.text_content())
            if text and page.zone(h1) == "material":
                return strip_site_suffix(text, names)
    element = page.root.find(".//title")
    text = squash(element.text_content()) if element is not None else ""
    return strip_site_suffix(text, names) or None

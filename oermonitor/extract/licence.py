"""Which licence a page gives its material (docs/licence-spec.md, "where a signal stands").

    result = detect(page)   # -> LicenceResult

One XPath collects the machine-readable signals (rel=license, JSON-LD, meta,
links to creativecommons.org, button images); the visible text is scanned only
in the blocks whose text can hold a licence (`licences.TEXT_TRIGGER`). Every hit
gets a strength and a zone (`Page.zone`, plus image credits such as "Foto: ..."
which make it a component). Then:

1. the strongest material hit wins (scope "material"); else an explicit
   "all rights reserved" on the material; else the strongest site hit
   (scope "site": a site default, not verified for this material); else nothing;
2. within a scope, hits that say the same licence with less detail merge into the
   more detailed one (CC-BY-SA + CC-BY-SA-4.0, /by/3.0/ + /by/3.0/nl/); hits with
   different element sets stay apart and make a conflict.

Component licences (figures, image credits, nested JSON-LD media) are never the
page's licence and are not reported.

A licence named in running text is a grant only when the text grants it: a
short licence line ("Licentie: CC BY-SA 4.0", "© 2023 Jan – CC BY"), a field
label before it, or a statement ("valt onder", "is licensed under", "steht unter
der Lizenz"). An article that mentions "CC BY-ND 2.0" while explaining licences
grants nothing. The same holds for a plain link to a licence; rel=license,
metadata, buttons and links around a button image are grants by themselves. A statement for the whole site
("Tenzij anders vermeld…", "Except where otherwise noted…") has scope "site"
wherever it stands.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass

from lxml import etree

from oermonitor import licences
from oermonitor.extract.page import Page
from oermonitor.models import LicenceResult

log = logging.getLogger(__name__)

# Signal kinds, strongest first (spec: "Strength").
STRENGTH = ("rel", "jsonld", "meta", "link", "button", "text")
_RANK = {kind: rank for rank, kind in enumerate(STRENGTH)}

# Elements that can carry a machine-readable signal (`_is_signal` says which do).
_SIGNAL_TAGS = ("a", "link", "meta", "img", "script")
_LOWER_CC = str.maketrans("CREATIVOMS", "creativoms")  # as the spec's XPath translate()
_BUTTON_ATTRS = ("src", "data-src", "data-lazy-src")  # lazy loading keeps the real one aside
# All text, not just the body's: a page that opens with a script can make the
# parser keep its first content elements in <head>. Not the text of these:
_NOT_TEXT = frozenset({"script", "style", "title"})
# Lower-case words one of which every licence statement contains, at a word start;
# looked for in the whole text at once (`Page.holding`), far cheaper than a regex per node.
_TRIGGER_WORDS = ("cc", "creative", "naamsvermelding", "attribution", "namensnennung",
                  "domein", "domain", "voorbehouden", "reserved", "rechte")

_META_NAMES = frozenset({
    "license", "og:license", "dcterms.license", "dcterms:license", "dct:license", "dc.license",
    "dc.rights", "dc:rights", "dcterms.rights", "schema:license", "cc:license",
})
_JSONLD_KEYS = ("license", "schema:license")
_MEDIA_TYPES = frozenset({"ImageObject", "VideoObject", "AudioObject", "MediaObject", "3DModel"})
_SITE_TYPES = frozenset({"WebSite", "Organization"})
_INVISIBLE = frozenset({"script", "style", "noscript", "template"})
BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "body", "br", "caption", "center", "dd",
    "details", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1",
    "h2", "h3", "h4", "h5", "h6", "header", "hr", "html", "legend", "li", "main", "nav", "ol",
    "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})
# A credit line for an embedded item: its licence is the item's, not the page's.
# Either a credit label anywhere on the line ("… Foto: Jane (CC BY-NC)") or a line
# that starts like a caption ("Photo by Jane on Unsplash, CC BY", "Bild: …").
_CREDIT_WORDS = (r"foto'?s?|afbeelding(?:en)?|beeld|illustraties?|tekening|image|photo|picture"
                 r"|video|audio|credits?|bron|bild(?:er)?|bildnachweise?|bildquellen?|quelle"
                 r"|musik|music|muziek|fotograa?f|photographer|sound|geluid")
# (The look-ahead for the words' first letters saves trying every word at each word start.)
_CREDIT_INITIALS = "".join(sorted({word[0] for word in _CREDIT_WORDS.split("|")}))
_CREDIT_LABEL = re.compile(rf"\b(?=[{_CREDIT_INITIALS}])(?:{_CREDIT_WORDS})\s*:", re.I)
_CREDIT_START = re.compile(rf"\W*(?:{_CREDIT_WORDS}|images|photos)\b", re.I)
# A section of source credits (Wikiwijs "Bronnen", "Beeldverantwoording"): the
# licences listed there are the sources' own.
_SOURCES_HEADING = re.compile(
    r"^\W*(?:bronnen|bronvermelding|bron|beeldverantwoording|beeldbronnen|verantwoording"
    r"|sources|image credits|photo credits|credits|attributions?|fotoverantwoording"
    r"|foto'?s|bild(?:er)?|bildnachweise?|bildquellen?|quellen(?:angaben)?|afbeeldingen"
    r"|illustraties|images?|photos?|musik|music|muziek)\b", re.I)
# Words that make a licence named in a text a grant rather than a mention.
_GRANT = re.compile(
    r"\b(?:valt|vallen|staat|staan)\s+onder|\bonder\s+(?:de|een)\s+licentie"
    r"|\b(?:beschikbaar|gepubliceerd|uitgegeven|vrijgegeven|gelicen[st]i?eerd|gedeeld|verspreid"
    r"|aangeboden)(?:\s+gesteld)?\s+onder|\bgemarkeerd\s+met|\bmeer\s+informatie\s+over\s+de"
    r"|\blicen[cs]ed\s+under|\b(?:available|released|published|distributed|shared|provided"
    r"|offered|licensable|made\s+available)\s+under|\bunder\s+(?:a|the)\s+licen[cs]e"
    r"|\b(?:is|are)\s+(?:in|dedicated\s+to)\s+the\s+public\s+domain|\bmarked\s+with"
    r"|\b(?:steht|stehen|ist|sind|wird|werden)\b[^.]{0,80}?\bunter\s+(?:der|einer|die)\b"
    r"|\b(?:steht|stehen)\s+(?:\w+\s+){0,4}?unter\b|\blicensed\s+(?:as|cc)\b"
    r"|\b(?:uitgebracht|gepubliceerd)\s+onder|\brust\s+een\b|\bvan\s+toepassing\b"
    r"|\b(?:dit|deze)\s+(?:werk|materiaal|lesmateriaal|les|lessen|module|document|arrangement"
    r"|boek|website|pagina|site)\b|\bthis\s+(?:work|material|lesson|course|document|book|page"
    r"|site|website)\b|\bdiese[sr]?\s+(?:werk|material|seite|kurs|dokument|website)\b"
    r"|\b(?:lizenziert|veröffentlicht|freigegeben|verfügbar)\s+unter|\bunter\s+der\s+lizenz"
    r"|\b(?:licentie|license|licence|lizenz|licentievoorwaarden|rechten|rights)\s*:"
    r"|©|\bcopyright\b", re.I)
# A grant for everything on the site (scope "site", wherever it stands): a caveat
# ("Tenzij anders vermeld", "Except where otherwise noted") about the site's content,
# or "all content of this website".
_UNLESS_NOTED = re.compile(
    r"\btenzij\s+anders\s+(?:vermeld|aangegeven)|\bexcept\s+where\s+otherwise"
    r"|\bunless\s+otherwise\s+(?:noted|stated|indicated|specified|mentioned)"
    r"|\b(?:sofern|soweit|wenn)\s+nicht\s+anders\s+(?:angegeben|vermerkt|gekennzeichnet)", re.I)
_SITE_WORD = re.compile(r"\b(?:web)?site\b|\bwebseite\b|\bwiki\b|\bportal\b", re.I)
_ALL_CONTENT = re.compile(
    r"\b(?:alle|all)\s+(?:inhoud|content|inhalte|materiaal|materials?)\s+(?:van|op|of|on|auf)"
    r"\s+(?:deze|this|dieser)\s+(?:website|site|webseite)", re.I)
_SITE_WIDE_HINTS = ("site", "seite", "wiki", "portal")  # one of them is in every match
# The label cell of a field whose value cell holds the licence (colofon tables).
_LICENCE_FIELD = re.compile(r"^\W*(?:licentie|licen[cs]e|lizenz|gebruiksrechten|rechten|rights"
                            r"|nutzungsrechte|copyright|auteursrecht)\W*$", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_FIELD_LABEL = re.compile(r"\w[\w' -]{0,24}:\s*[(\[]?$")
_WORD = re.compile(r"[^\W\d_]{3,}")
_PROSE_WORDS = 3  # more words than this beside a licence, and no grant: running text
_EVIDENCE_LIMIT = 160


@dataclass
class Hit:
    id: str
    kind: str  # one of STRENGTH
    zone: str  # material | site | component
    order: int  # document order, to break ties between equal strengths
    evidence: str

    @property
    def rank(self) -> tuple[int, int]:
        return _RANK[self.kind], self.order


def detect(page: Page) -> LicenceResult:
    """The page's licence result (id None when the page states none)."""
    return resolve(collect(page))


class _Reader:
    """One pass over a page: the page and the hits found so far."""

    def __init__(self, page: Page):
        self.page = page
        self.hits: list[Hit] = []

    def zone(self, element, *, credit: bool = True) -> str:
        zone = self.page.zone(element)
        if zone == "material" and ((credit and _in_credit(element))
                                   or _in_sources(self.page, element)):
            return "component"
        return zone

    def add(self, element, kind: str, value: str | None, licence_id: str | None = None,
            zone: str | None = None) -> None:
        if licence_id is None and value:
            licence_id = licences.canonical_from_url(value) or licences.canonical_from_text(value)
        if licence_id:
            zone = zone or self.zone(element)
            if zone != "component":  # an embedded item's licence is never the page's
                self.hits.append(Hit(licence_id, kind, zone, len(self.hits), _shorten(value)))


def collect(page: Page) -> list[Hit]:
    """Every licence signal on the page with its kind and zone (material or site;
    components are dropped as soon as they are recognised)."""
    reader = _Reader(page)
    for element in page.root.iter(_SIGNAL_TAGS):
        tag = element.tag
        if not _is_signal(element, tag):
            continue
        try:
            if tag == "script":
                _add_jsonld(reader, element)
            elif tag == "meta":
                reader.add(element, "meta", _meta_value(element))
            elif tag == "img":
                _add_button(reader, element)
            else:
                _add_anchor(reader, element)
        except Exception:  # one odd signal must not lose the others
            log.warning("licence signal <%s> unreadable on %s", tag, page.url, exc_info=True)
    try:
        _add_text(reader)
    except Exception:  # the machine-readable signals found so far still count
        log.warning("licence text unreadable on %s", page.url, exc_info=True)
    return reader.hits


def _is_signal(element, tag: str) -> bool:
    """Whether an a/link/meta/img/script element can carry a licence signal:
    rel= or itemprop= links, links to creativecommons.org, meta with content and
    a name, CC button images, JSON-LD. (One tag filter in C and these tests in
    Python: several times cheaper than the same as one XPath over the page.)"""
    get = element.get
    if tag == "a":
        href = get("href")
        return href is not None and (
            get("rel") is not None or get("itemprop") is not None
            or _links_cc(href))
    if tag == "link":
        return get("href") is not None and (get("rel") is not None
                                            or get("itemprop") is not None)
    if tag == "meta":
        return get("content") is not None and (
            get("name") is not None or get("property") is not None
            or get("itemprop") is not None)
    if tag == "img":  # most images: a loop costs less than a generator for any()
        for source in map(get, _BUTTON_ATTRS):
            if source and ("creativecommons" in source or "licensebuttons" in source):
                return True
        return False
    return get("type") == "application/ld+json"


def _links_cc(href: str) -> bool:
    """Whether an href names creativecommons.org with only the letters of
    `_LOWER_CC` lowered, as the signal XPath always read it. The cheap lower()
    rules out nearly every link first."""
    return "creativecommons.org" in href.lower() and "creativecommons.org" in href.translate(
        _LOWER_CC)


def _add_button(reader: _Reader, element) -> None:
    for attr in _BUTTON_ATTRS:
        src = element.get(attr)
        licence_id = licences.canonical_from_badge(src)
        if licence_id:
            reader.add(element, "button", src, licence_id)
            return


def _add_anchor(reader: _Reader, element) -> None:
    """`a`/`link`: rel=license (any of its spellings), itemprop=license, or a plain link."""
    href = element.get("href")
    rel = (element.get("rel") or "").lower().split()
    if any(t in ("license", "licence") or t.endswith((":license", ".license")) for t in rel):
        licence_id = licences.canonical_from_url(href)
        if licence_id is None and element.tag == "a":
            # rel=license to a page of the site itself: the link's words or button say it
            badge = next((img.get("src") for img in element.iter("img")), None)
            licence_id = (licences.canonical_from_badge(badge)
                          or licences.canonical_from_text(_squash(element.text_content())))
        reader.add(element, "rel", href, licence_id)
    elif (element.get("itemprop") or "").lower() == "license":
        reader.add(element, "meta", href)
    elif element.tag == "a":
        licence_id = licences.canonical_from_url(href)
        if licence_id is None:
            return
        zone = reader.zone(element)
        if zone == "component":
            return
        line, start, end = _line_of(element)
        block = _block_of(element)
        if (next(element.iter("img"), None) is None
                and not (block is not None and _is_licence_field(block))
                and not _is_grant(line, start, end)):
            return  # a link in running text: a mention, not this page's licence
        reader.add(element, "link", href, licence_id, _scope(zone, line))


def _meta_value(element) -> str | None:
    names = {(element.get(attr) or "").lower() for attr in ("name", "property", "itemprop")}
    return element.get("content") if names & _META_NAMES else None


def _add_jsonld(reader: _Reader, script) -> None:
    """`license` of the top entities, their @graph items and mainEntity; not of
    nested media, and `sdLicense` (the markup's own licence) is ignored."""
    try:
        data = json.loads(script.text or "")
    except ValueError:
        return
    zone = reader.zone(script, credit=False)
    for entity, entity_zone in _licensed_entities(data, zone):
        for key in _JSONLD_KEYS:
            for value in _values(entity.get(key)):
                reader.add(script, "jsonld", value, zone=entity_zone)


def _licensed_entities(data, zone: str):
    tops = data if isinstance(data, list) else [data]
    for top in tops:
        if not isinstance(top, dict):
            continue
        graph = top.get("@graph")
        items = [top] + (graph if isinstance(graph, list) else [graph] if graph else [])
        for item in items:
            if not isinstance(item, dict):
                continue
            types = item.get("@type")
            types = {t for t in (types if isinstance(types, list) else [types])
                     if isinstance(t, str)}
            if types & _MEDIA_TYPES:
                continue
            yield item, ("site" if types & _SITE_TYPES else zone)
            main = item.get("mainEntity")
            if isinstance(main, dict):
                yield main, zone


def _values(value) -> list[str]:
    """A JSON-LD licence value: a URL or name, an object with @id/url/name, or a list."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [v for k in ("@id", "url", "name") if isinstance(v := value.get(k), str)]
    if isinstance(value, list):
        return [v for item in value for v in _values(item)]
    return []


def _in_sources(page: Page, element) -> bool:
    """Whether a body element stands under a heading for source credits."""
    heading = page.heading_before(element)
    return heading is not None and bool(_SOURCES_HEADING.match(heading.text_content()))


def _in_credit(element) -> bool:
    """Whether a body element stands in an image credit ("Foto: Jane (CC BY-NC)")."""
    block = _block_of(element)
    if block is None or block.tag in ("body", "html"):
        return False
    before = []
    for event, node in etree.iterwalk(block, events=("start", "end")):
        if node is element:
            break
        tag = node.tag if isinstance(node.tag, str) else ""
        if event == "start":
            if node is not block and tag in BLOCK_TAGS:
                before.append("\n")
            if node.text and tag not in _INVISIBLE and isinstance(node.tag, str):
                before.append(_squash(node.text))
        elif node is not block and node.tail:
            before.append(_squash(node.tail))
    return _is_credit("".join(before).rpartition("\n")[2])


def _is_credit(line: str) -> bool:
    """Whether a line is a credit line (`_CREDIT_LABEL`, `_CREDIT_START`). A label
    ends in a colon: a line without one is not searched for it (a search tries every
    word start of the line)."""
    return bool(_CREDIT_START.match(line) or (":" in line and _CREDIT_LABEL.search(line)))


def _block_of(element):
    for node in (element, *element.iterancestors()):
        if node.tag in BLOCK_TAGS and node.tag != "br":
            return node
        if node.tag == "head":
            return None
    return None


def _add_text(reader: _Reader) -> None:
    """Licence statements in the visible text, block by block.

    Only blocks with a text node that trips `TEXT_TRIGGER` are read; a block's
    text leaves out its nested blocks (they are read on their own), so a hit is
    attributed to the block it stands in.
    """
    blocks: dict = {}
    for text in _candidate_nodes(reader.page):
        holder = text.getparent()
        if text.is_tail:
            holder = holder.getparent()
        if holder is None or holder.tag in _INVISIBLE or not isinstance(holder.tag, str):
            continue
        if holder.tag not in BLOCK_TAGS and reader.page.zone(holder) == "component":
            continue  # an inline credit or caption: <span class="credit">
        block = _block_of(holder)
        if block is not None:
            blocks.setdefault(block, None)
    for block in blocks:
        zone = reader.zone(block, credit=False)
        if zone == "component":
            continue
        text = _block_text(block)
        for hit in licences.find_in_text(text):
            line_start = text.rfind("\n", 0, hit.start) + 1
            line_end = text.find("\n", hit.end)
            line = text[line_start:line_end if line_end != -1 else len(text)]
            start, end = hit.start - line_start, hit.end - line_start
            if zone == "material" and _is_credit(line[:start]):
                continue  # "Foto: Jane (CC BY-NC)": the photo's licence
            if not (_is_licence_field(block) or _is_grant(line, start, end)):
                continue  # named in running text: a mention, not a grant
            reader.add(block, "text", hit.text, hit.id, _scope(zone, line))


def _scope(zone: str, line: str) -> str:
    """A statement for the whole site is a site licence wherever it stands."""
    return "site" if zone == "material" and _site_wide(line) else zone


def _site_wide(line: str) -> bool:
    """Whether a line grants for the whole site (a material's own "tenzij anders
    vermeld" about its images is not)."""
    lowered = line.lower()
    if not any(hint in lowered for hint in _SITE_WIDE_HINTS):
        return False
    return bool(_ALL_CONTENT.search(line)
                or (_UNLESS_NOTED.search(line) and _SITE_WORD.search(line)))


def _is_grant(line: str, start: int, end: int) -> bool:
    """Whether the licence at line[start:end] is granted rather than mentioned: a
    licence line with few other words, a field label right before it, or a grant
    statement in its sentence."""
    sentence_start = 0
    for found in _SENTENCE_END.finditer(line, 0, start):
        sentence_start = found.end()
    after = _SENTENCE_END.search(line, end)
    sentence = line[sentence_start:after.start() if after else len(line)]
    at, until = start - sentence_start, end - sentence_start
    if (_FIELD_LABEL.search(sentence[:at]) or _GRANT.search(sentence)
            or _UNLESS_NOTED.search(line) or _site_wide(line)):
        return True
    rest = sentence[:at] + " " + sentence[until:]
    for other in licences.find_in_text(rest):  # other licences on the line are no prose
        rest = rest.replace(other.text, " ")
    return len(_WORD.findall(rest)) <= _PROSE_WORDS


def _is_licence_field(block) -> bool:
    """Whether a block is the value of a licence field: <th>Licentie</th><td>…</td>."""
    if block.tag not in ("td", "dd"):
        return False
    label = block.getprevious()
    return label is not None and bool(_LICENCE_FIELD.match(_squash(label.text_content())))


def _line_of(element) -> tuple[str, int, int]:
    """The line (block text between block boundaries) an inline element stands in,
    and where the element's own text starts and ends in it."""
    block = _block_of(element)
    if block is None or block is element:
        text = _squash(element.text_content())
        return text, 0, len(text)
    text, span = _walk_block(block, element)
    line_start = text.rfind("\n", 0, span[0]) + 1
    line_end = text.find("\n", span[1])
    line = text[line_start:line_end if line_end != -1 else len(text)]
    return line, span[0] - line_start, span[1] - line_start


def _candidate_nodes(page: Page) -> list:
    """The text nodes that may hold a licence statement (`TEXT_TRIGGER`)."""
    # Only the few nodes with a trigger word are asked what they stand in: the
    # same nodes as filtering all of them first, at a fraction of the cost.
    nodes = page.texts
    return [nodes[i] for i in page.holding(_TRIGGER_WORDS, word_start=True)
            if _holder_tag(nodes[i]) not in _NOT_TEXT and licences.TEXT_TRIGGER.search(nodes[i])]


def _holder_tag(text) -> str | None:
    """The tag of the element a text node stands in (for a tail: the parent's parent)."""
    holder = text.getparent() if text.is_text else text.getparent().getparent()
    return holder.tag if holder is not None else None


def _block_text(block) -> str:
    """The block's own text: inline descendants included, nested blocks as line breaks."""
    return _walk_block(block)[0]


def _walk_block(block, mark=None) -> tuple[str, list[int]]:
    """`_block_text`, and where the inline element `mark` (if given) starts and ends in it."""
    parts: list[str] = []
    span = [0, 0]

    def walk(node) -> None:
        if node.text:
            parts.append(_squash(node.text))
        for child in node:
            tag = child.tag
            if child is mark:
                span[0] = sum(map(len, parts))
                parts.append(_squash(child.text_content()))
                span[1] = sum(map(len, parts))
            elif isinstance(tag, str) and tag not in _INVISIBLE:
                if tag in BLOCK_TAGS:
                    parts.append("\n")
                else:
                    walk(child)
            if child.tail:
                parts.append(_squash(child.tail))

    walk(block)
    return "".join(parts), span


def resolve(hits: list[Hit]) -> LicenceResult:
    """Choose the result from the hits (spec: "which one wins"; see module doc)."""
    for scope in ("material", "site"):
        found = [hit for hit in hits if hit.zone == scope]
        positive = [hit for hit in found if hit.id != licences.ALL_RIGHTS_RESERVED]
        if positive:
            return _result(scope, positive)
        if found:
            return _result(scope, found)  # explicit all rights reserved, nothing positive
    return LicenceResult(id=None)


def _result(scope: str, hits: list[Hit]) -> LicenceResult:
    merged: list[tuple[str, Hit]] = []  # (id after merging, strongest hit for it)
    for hit in sorted(hits, key=lambda h: h.rank):
        for index, (licence_id, winner) in enumerate(merged):
            if hit.id == licence_id or licences.refines(hit.id, licence_id):
                break  # says the same with no more detail: absorbed
            if licences.refines(licence_id, hit.id):
                merged[index] = (hit.id, winner)  # adds version/port to the same licence
                break
        else:
            merged.append((hit.id, hit))
    licence_id, winner = merged[0]
    families = {licences.family(i) for i, _ in merged}
    return LicenceResult(
        id=licence_id,
        spdx=licences.spdx(licence_id),
        scope=scope,
        signal=winner.kind,
        location=winner.zone,
        evidence=winner.evidence,
        all_ids=[i for i, _ in merged],
        conflict=len(families) > 1,
    )


def _squash(text: str) -> str:
    """Source line breaks are just spaces; only block boundaries end a line.

    (Every run of whitespace becomes one space, the ends included: what
    `re.sub(r"\\s+", " ", text)` gives, as split() and join() do it faster.)"""
    words = text.split()
    if not words:
        return " " if text else ""
    squashed = " ".join(words)
    if text[0].isspace():
        squashed = " " + squashed
    return squashed + " " if text[-1].isspace() else squashed


def _shorten(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= _EVIDENCE_LIMIT else text[:_EVIDENCE_LIMIT - 1] + "…"

"""When did the material last change, as far as it declares?

    when, source = declared_date(page, headers, fetched_at, platform)

Sources, most specific first: the platform's colofon ("Laatst gewijzigd");
what the page itself declares (a labelled date in the content, JSON-LD
`dateModified` of the top entity or graph, meta tags, `<time>`), the latest of
those; the HTTP Last-Modified header; a labelled date in site chrome; and,
when no change date exists at all, the latest publication date. A date after
`fetched_at` or before 1990 is not believed. Sources are reported as
"colofon", "label", "jsonld", "meta", "time", "http", "site-label", with
":published" appended for a publication date.

Only the page's own dates count: a date in a reader's comment, a teaser of
another article, an embedded post or quote (`Page.zone` "component") is not
the material's, and a `<time>` in site chrome (a sidebar's list of posts) is
not either. Each source is read on its own: one that fails is logged and gives
nothing, the others still count.

Labels: Dutch, English and German wording ("Laatst bijgewerkt op", "voor het
laatst bewerkt op", "Last edited", "Posted on", "Aktualisiert am", "Stand:"),
also several on one line ("Gepubliceerd op … | Laatst bijgewerkt op …").

Dates are read with python-dateutil: a Dutch `parserinfo` (month names and
abbreviations, "om" before the time, day first), then a German and the English one.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from dateutil import parser as dateparser
from lxml import etree

from oermonitor.extract.page import Page
from oermonitor.extract.platforms import generic
from oermonitor.extract.platforms.generic import PlatformFacts

log = logging.getLogger(__name__)

EARLIEST = datetime(1990, 1, 1)
# How far a declared date may lie after the fetch: a few minutes of clock skew
# for dates with a zone, a day's worth of zones for local times without one.
_SKEW_AWARE = timedelta(minutes=5)
_SKEW_NAIVE = timedelta(hours=14)
# A Last-Modified this close to the response time is the time of the response.
_DYNAMIC = timedelta(minutes=2)
_MAX_TOKENS = 7  # "vrijdag 3 mei 2024 om 09:15 uur" is the longest real shape


class DutchDates(dateparser.parserinfo):
    """Dutch month and weekday names for dateutil: '24 februari 2023 om 13:06', '3 jan. 2025'."""

    JUMP = [*dateparser.parserinfo.JUMP, "om", "op", "uur"]
    MONTHS = [
        ("jan", "januari"), ("feb", "febr", "februari"), ("mrt", "maart"), ("apr", "april"),
        ("mei",), ("jun", "juni"), ("jul", "juli"), ("aug", "augustus"),
        ("sep", "sept", "september"), ("okt", "oktober"), ("nov", "november"),
        ("dec", "december"),
    ]
    WEEKDAYS = [
        ("ma", "maandag"), ("di", "dinsdag"), ("wo", "woensdag"), ("do", "donderdag"),
        ("vr", "vrijdag"), ("za", "zaterdag"), ("zo", "zondag"),
    ]


class GermanDates(dateparser.parserinfo):
    """German month names for dateutil: '12. März 2021', '3. Okt. 2022 um 10:15 Uhr'."""

    JUMP = [*dateparser.parserinfo.JUMP, "am", "um", "uhr", "vom"]
    MONTHS = [
        ("jan", "januar", "jän", "jänner"), ("feb", "februar"), ("mär", "mrz", "märz", "maerz"),
        ("apr", "april"), ("mai",), ("jun", "juni"), ("jul", "juli"), ("aug", "august"),
        ("sep", "sept", "september"), ("okt", "oktober"), ("nov", "november"),
        ("dez", "dezember"),
    ]
    WEEKDAYS = [
        ("mo", "montag"), ("di", "dienstag"), ("mi", "mittwoch"), ("do", "donnerstag"),
        ("fr", "freitag"), ("sa", "samstag"), ("so", "sonntag"),
    ]


_INFOS = (DutchDates(dayfirst=True), GermanDates(dayfirst=True),
          dateparser.parserinfo(dayfirst=True))
_MONTHS_NL = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
              "september", "oktober", "november", "december")
_COLOFON_DATE = re.compile(rf"(\d{{1,2}}) ({'|'.join(_MONTHS_NL)}) ((?:19|20)\d\d)"
                           r"(?: om (\d{1,2}):(\d\d))?")
# Zone names seen after ISO times ("2019-10-15T10:00:00 CET").
_ZONES = {"cet": timedelta(hours=1), "met": timedelta(hours=1), "cest": timedelta(hours=2),
          "mest": timedelta(hours=2), "utc": timedelta(0), "gmt": timedelta(0),
          "z": timedelta(0)}
_ISO_WITH_ZONE_NAME = re.compile(r"^(\d{4}-\d\d-\d\d[T ][\d:.]+)\s*([A-Za-z]{1,4})$")
# Control characters that some CMSs leave in JSON-LD (JSON allows none of them raw).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DEFAULT = datetime(1, 1, 1)
_OTHER_DEFAULT = datetime(1, 2, 2)
_PARSE_ERRORS = (ValueError, OverflowError, TypeError)

_MODIFIED = (r"(?:voor\s+het\s+)?laatst\s+(?:gewijzigd|bijgewerkt|aangepast|herzien|bewerkt)"
             r"(?:\s+op)?"
             r"|(?:datum\s+)?laatste\s+(?:wijziging|update|aanpassing|bewerking)(?:\s+op)?"
             r"|(?:bijgewerkt|gewijzigd|aangepast|herzien|bewerkt)(?:\s+op)?"
             r"|last\s+(?:updated|modified|changed|revised|update|edited)(?:\s+on)?"
             r"|(?:updated|modified|revised|edited)(?:\s+on)?|date\s+modified"
             r"|letzte\s+(?:aktualisierung|änderung)(?:\s+am)?|letztes\s+update(?:\s+am)?"
             r"|zuletzt\s+(?:aktualisiert|geändert|bearbeitet)(?:\s+am)?"
             r"|(?:aktualisiert|geändert|bearbeitet)(?:\s+am)?|stand(?=\s*:)"
             r"|(?:page\s+)?last\s+reviewed(?:\s+on)?")
_PUBLISHED = (r"(?:gepubliceerd|geplaatst|verschenen)(?:\s+op)?"
              r"|publicatiedatum|datum\s+(?:van\s+)?publicatie"
              r"|(?:first\s+)?published(?:\s+on)?|publication\s+date|date\s+published"
              r"|posted(?:\s+on)?|veröffentlicht(?:\s+am)?|erschienen(?:\s+am)?"
              r"|datum(?=\s*:)|date(?=\s*:)|(?:created|erstellt|aangemaakt)(?:\s+(?:on|am|op))?")
# Every label in a text node (several may share one line); which ones count is
# decided by what stands before them (`_label_allowed`).
_LABEL_ANY = re.compile(rf"(?<!\w)(?:(?P<modified>{_MODIFIED})|(?P<published>{_PUBLISHED}))\b",
                        re.I)
# A label starts a text node or follows a few words in it ("Deze pagina is laatst bijgewerkt op").
_LABEL = re.compile(rf"\s*(?:[^\n]{{0,40}}?\s)?(?:{_MODIFIED}|{_PUBLISHED})\b", re.I)
_LABEL_PREFIX = 40
# What ends one field on a line and starts the next: "… 08:12 | Laatst bijgewerkt op …".
_FIELD_BREAK = re.compile(r"[|·•–—;\n]|\s-\s|[.!?]\s")
# Words every label contains: a cheap search (`Page.holding`) finds the few text nodes
# worth a regex.
# (Stems: "werkt" finds bijgewerkt and bewerkt, "update" updated, "publica" publicatie
# and publication; each word is one pass over the page's text.)
_LABEL_WORDS = ("gewijzigd", "werkt", "aangepast", "herzien", "laatste", "gepubliceerd",
                "geplaatst", "verschenen", "publica", "update", "modified", "changed", "revised",
                "published", "edited", "posted", "aktualisier", "geändert", "bearbeitet", "stand:",
                "veröffentlicht", "erschienen", "datum:", "date:", "reviewed", "created",
                "erstellt", "aangemaakt")

_META_MODIFIED = frozenset({
    "article:modified_time", "og:updated_time", "dcterms.modified", "dc.date.modified",
    "dc.modified", "last-modified", "lastmod", "revised", "date.modified", "datemodified",
    "lastmodified", "last_modified", "dateupdate", "dateupdated", "date_updated",
    "article:updated_time", "updated_time", "modified_time",
})
_META_PUBLISHED = frozenset({
    "article:published_time", "dcterms.created", "dcterms.issued", "dcterms.date",
    "dc.date.created", "dc.date.issued", "dc.date", "dc.created", "dc.issued",
    "citation_publication_date", "citation_date", "citation_online_date", "date",
    "pubdate", "publish_date", "datepublished", "datecreated",
})
# JSON-LD nodes that describe something other than the material itself.
_JSONLD_SKIP = frozenset({
    "website", "organization", "person", "imageobject", "breadcrumblist",
    "sitenavigationelement", "searchaction", "videoobject", "audioobject", "comment",
})
_SIDEBAR_MARKS = re.compile(r"(?:^|[\s_-])(?:sidebar|side-bar|widget|menu|nav)", re.I)
_TIME_MODIFIED = re.compile(r"updated|modified|changed", re.I)
_TIME_PUBLISHED = re.compile(r"published|entry-date|pubdate|posted", re.I)
# Microdata on elements other than meta and time: <span itemprop="dateModified" content=…>.
# Microdata and RDFa on elements other than meta and time:
# <span itemprop="dateModified" content=…>, <abbr itemprop="datePublished" title=…>,
# Drupal's <span property="dc:date dc:created" content=…>.
_ITEMPROPS = etree.XPath("//@itemprop | //@property")  # attribute values: a cheap scan
_ITEMPROP_DATES = {
    "datemodified": True, "schema:datemodified": True, "dc:modified": True,
    "dcterms:modified": True, "datepublished": False, "schema:datepublished": False,
    "datecreated": False, "dc:date": False, "dc:created": False, "dcterms:created": False,
    "dcterms:issued": False, "dcterms:date": False,
}


def parse_date(text: str | None) -> datetime | None:
    """A date (and time) from declared text, or None when it holds no full date.

    ISO 8601 is read directly; anything else by dateutil over the leading
    date-like words (so "3 maart 2023 door Jan" reads as 3 March 2023). A date
    needs a year and a month; a missing day is the first of the month.
    """
    text = generic.squash(text)[:80]
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    colofon = _colofon_date(text)
    if colofon is not None:
        return colofon
    named = _ISO_WITH_ZONE_NAME.match(text)
    if named and named.group(2).lower() in _ZONES:
        try:
            value = datetime.fromisoformat(named.group(1))
        except ValueError:
            value = None
        if value is not None:
            return value.replace(tzinfo=timezone(_ZONES[named.group(2).lower()]))
    tokens = _date_words(text)
    # Numbers that start with a 4-digit year are year-month-day, never year-day-month.
    dayfirst = not (text[:4].isdigit() and not text[4:5].isdigit())
    for end in range(len(tokens), max(len(tokens) - 3, 0), -1):
        candidate = " ".join(tokens[:end]).rstrip(".,;:")
        for info in _INFOS:
            try:
                parsed = dateparser.parse(candidate, parserinfo=info, dayfirst=dayfirst,
                                          default=_DEFAULT)
            except _PARSE_ERRORS:
                continue
            if parsed.year == 1:
                return None  # no year: a time, a weekday, a bare day
            if parsed.month == 1 and parsed.day == 1 and not _has_month(candidate, info,
                                                                        dayfirst):
                return None  # a bare year
            return parsed
    return None


def _colofon_date(text: str) -> datetime | None:
    """'21 mei 2017 om 13:06', the shape of every Wikiwijs colofon, read directly:
    what dateutil reads from it, at a tenth of the cost. None for anything else
    (and for an impossible date, which dateutil then judges)."""
    found = _COLOFON_DATE.fullmatch(text)
    if found is None:
        return None
    day, month, year, hour, minute = found.groups()
    try:
        return datetime(int(year), _MONTHS_NL.index(month) + 1, int(day),
                        int(hour or 0), int(minute or 0))
    except ValueError:
        return None


def _has_month(candidate: str, info, dayfirst: bool) -> bool:
    """Whether dateutil read a month from the text (checked only for 1 January)."""
    parsed = dateparser.parse(candidate, parserinfo=info, dayfirst=dayfirst,
                              default=_OTHER_DEFAULT)
    return parsed.month == 1


def _date_words(text: str) -> list[str]:
    """The leading words that can belong to a date: numbers and known date words."""
    words = []
    for word in text.split()[:_MAX_TOKENS]:
        bare = word.strip(".,;:()").lower()
        if not (any(c.isdigit() for c in bare) or any(_knows(info, bare) for info in _INFOS)):
            break
        words.append(word)
    return words


def _knows(info, word: str) -> bool:
    return (info.jump(word) or info.month(word) is not None or info.weekday(word) is not None
            or info.ampm(word) is not None or info.utczone(word))


def iso(value: datetime) -> str:
    """'2023-02-24' for a bare date, '2023-02-24T13:06:00' (+zone) when a time was given."""
    if value.tzinfo is None and not (value.hour or value.minute or value.second):
        return value.date().isoformat()
    return value.isoformat(timespec="seconds")


def _utc(value: datetime) -> datetime:
    """Naive UTC for comparing; a naive value is taken as it stands."""
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _believable(value: datetime | None, fetched: datetime | None) -> bool:
    if value is None:
        return False
    moment = _utc(value)
    if moment < EARLIEST:
        return False
    if fetched is None:
        return True
    return moment <= fetched + (_SKEW_AWARE if value.tzinfo else _SKEW_NAIVE)


def from_headers(headers: dict[str, str], fetched_at: datetime | None) -> tuple[str | None, str | None]:
    """The HTTP Last-Modified date, unless it is merely the time of the response.

    Dynamic pages send "now" as Last-Modified: compared with the response's
    Date header (same clock), else with `fetched_at`, such a value is ignored.
    """
    modified = _header_modified(headers, fetched_at)
    return (iso(modified), "http") if modified is not None else (None, None)


def _header_modified(headers: dict[str, str], fetched_at: datetime | None) -> datetime | None:
    lowered = {key.lower(): value for key, value in (headers or {}).items()}
    modified = _http_date(lowered.get("last-modified"))
    if modified is None:
        return None
    response_time = _http_date(lowered.get("date"))
    if response_time is None and fetched_at is not None:
        response_time = fetched_at if fetched_at.tzinfo else fetched_at.replace(tzinfo=UTC)
    if response_time is not None and modified >= response_time - _DYNAMIC:
        return None
    return modified if _believable(modified, _fetched(fetched_at)) else None


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except _PARSE_ERRORS:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _fetched(fetched_at: datetime | None) -> datetime | None:
    return _utc(fetched_at) if fetched_at is not None else None


def declared_date(page: Page, headers: dict[str, str], fetched_at: datetime | None,
                  platform: PlatformFacts | None = None) -> tuple[str | None, str | None]:
    """The latest declared change of the material, else its publication: (ISO, source)."""
    fetched = _fetched(fetched_at)
    if platform is not None and platform.modified:
        value = parse_date(platform.modified)
        if value is not None and _believable(value, fetched):
            return iso(value), "colofon"
    modified: list[tuple[datetime, str]] = []
    published: list[tuple[datetime, str]] = []
    site: list[tuple[datetime, str]] = []
    for value, source, is_modified, zone, element in _candidates(page):
        if zone == "component" or not _believable(value, fetched):
            continue  # a comment's, a teaser's, an embedded post's date
        if zone == "site":
            if is_modified and not _in_sidebar(page, element):  # a sidebar's are other posts'
                site.append((value, "site-" + source))
        elif is_modified:
            modified.append((value, source))
        else:
            published.append((value, source + ":published"))
    header = _header_modified(headers, fetched_at)
    for tier in (modified, [(header, "http")] if header else [], site, published):
        if tier:
            value, source = max(tier, key=lambda item: _utc(item[0]))
            return iso(value), source
    return None, None


def _candidates(page: Page) -> list:
    """(datetime, source, is_modified, zone, element) for every date the page declares.

    Each source is read on its own: a page that trips one of them (odd markup,
    a parser's corner case) loses that source's dates, not the others'."""
    found = []
    for source in (_from_labels, _from_jsonld, _from_meta, _from_itemprops, _from_time):
        try:
            found.extend(source(page))
        except Exception:  # one source must not lose the page
            log.warning("date source %s failed on %s", source.__name__, page.url, exc_info=True)
    return found


def _in_sidebar(page: Page, element) -> bool:
    """Whether a site-chrome element stands in a sidebar, menu or navigation (whose
    dates are other posts'), rather than the page's header or footer (where a "last
    updated" line speaks for the page)."""
    for node in (element, *element.iterancestors()):
        if page.holds_own(node):
            continue  # a layout wrapper such as "navigation-container" around everything
        if node.tag in ("aside", "nav"):
            return True
        marks = f"{node.get('id') or ''} {node.get('class') or ''}".lower()
        if _SIDEBAR_MARKS.search(marks):
            return True
    return False


def _from_labels(page: Page):
    texts = generic.text_nodes(page)
    for node in [texts[i] for i in page.holding(_LABEL_WORDS, visible=True)]:
        try:
            found = list(_labels_in(node))
        except Exception:  # one odd label must not lose the others
            log.warning("date label unreadable on %s", page.url, exc_info=True)
            continue
        for label_is_modified, text, element, anchor in found:
            raw = element.get("datetime") if element is not None and element.tag == "time" \
                else None
            value = parse_date(raw) or parse_date(text)
            if value is not None:
                yield value, "label", label_is_modified, page.zone(anchor), anchor


def _labels_in(node):
    """(is_modified, value text, value element, label element) for each label in a text
    node: one that starts it (or follows a few words), and any after a field break
    on the same line. A label alone in its node takes the value that follows it."""
    matches = [m for m in _LABEL_ANY.finditer(node) if _label_allowed(node, m.start())]
    owner = node.getparent()
    anchor = owner if node.is_text else owner.getparent()
    if anchor is None:
        return
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(node)
        value = generic.squash(node[match.end():end]).lstrip(":").strip()
        is_modified = match.group("modified") is not None
        if value:
            yield is_modified, value, None, anchor
        elif len(matches) == 1:  # "Laatst gewijzigd" alone: the value follows the node
            for found in generic.labelled([node], _LABEL):
                yield is_modified, found.value, found.element, anchor


def _label_allowed(text: str, start: int) -> bool:
    """A label counts at the start of a field: within a few words of the node's start
    or of the last field break before it ("| Laatst bijgewerkt op")."""
    before = text[:start]
    breaks = list(_FIELD_BREAK.finditer(before))
    field_start = breaks[-1].end() if breaks else 0
    return len(before) - field_start <= _LABEL_PREFIX


def _from_jsonld(page: Page):
    for script in page.root.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(_CONTROL.sub(" ", script.text), strict=False)
        except ValueError:
            continue
        for node in _jsonld_nodes(data):
            for key, is_modified in (("dateModified", True), ("datePublished", False),
                                     ("dateCreated", False)):
                raw = node.get(key)
                value = parse_date(raw) if isinstance(raw, str) else None
                if value is not None:
                    yield value, "jsonld", is_modified, "material", script


def _jsonld_nodes(data):
    """The top entities: each top-level object, its @graph nodes and mainEntity."""
    tops = data if isinstance(data, list) else [data]
    for top in tops:
        if not isinstance(top, dict):
            continue
        graph = top.get("@graph")
        nodes = [top, *(graph if isinstance(graph, list) else [graph])]
        main = top.get("mainEntity")
        if isinstance(main, dict):
            nodes.append(main)
        for node in nodes:
            if isinstance(node, dict) and not _skipped_type(node.get("@type")):
                yield node


def _skipped_type(kind) -> bool:
    kinds = kind if isinstance(kind, list) else [kind]
    return any(isinstance(k, str) and k.lower() in _JSONLD_SKIP for k in kinds)


def _from_meta(page: Page):
    for meta in page.root.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop")
               or meta.get("http-equiv") or "").strip().lower()
        is_modified = key in _META_MODIFIED
        if is_modified or key in _META_PUBLISHED:
            value = parse_date(meta.get("content"))
            if value is not None:  # microdata in a teaser or comment is theirs (zone)
                yield value, "meta", is_modified, page.zone(meta), meta


def _from_itemprops(page: Page):
    """Microdata and RDFa dates on ordinary elements: the `datetime` or `content`
    attribute (an `abbr`'s `title`), else the element's text."""
    for itemprop in _ITEMPROPS(page.root):
        kinds = [_ITEMPROP_DATES[prop] for prop in itemprop.lower().split()
                 if prop in _ITEMPROP_DATES]
        kinds = [True] if True in kinds else kinds  # "dc:modified dc:date": a change
        element = itemprop.getparent()
        if not kinds or element.tag in ("meta", "time"):  # read by their own readers
            continue
        value = parse_date(element.get("datetime") or element.get("content")
                           or (element.get("title") if element.tag == "abbr" else None)
                           or element.text_content())
        if value is not None:
            yield value, "meta", kinds[0], page.zone(element), element


def _from_time(page: Page):
    """`<time datetime>` said to be a change or publication date, else the first plain one."""
    plain_seen = False
    for element in page.root.iter("time"):
        marks = " ".join(filter(None, (element.get("itemprop"), element.get("class"))))
        is_modified = bool(_TIME_MODIFIED.search(marks))
        plain = not is_modified and not (_TIME_PUBLISHED.search(marks)
                                         or element.get("pubdate") is not None)
        if plain and plain_seen:
            continue
        zone = page.zone(element)
        if zone != "material":
            continue  # a comment's, a teaser's, a sidebar's post's time
        value = parse_date(element.get("datetime") or element.text_content())
        if value is not None:
            plain_seen = plain_seen or plain
            yield value, "time", is_modified, zone, element

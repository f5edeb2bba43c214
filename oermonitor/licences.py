"""Licence ids: one canonical spelling for every way a licence gets written down.

Pure functions, no HTML (the page side is `extract/licence.py`). The rules are
those of docs/licence-spec.md:

  CC-<elements>-<version>[-<JUR>]   CC-BY-NC-SA-4.0, CC-BY-3.0-NL, CC-BY-3.0-IGO
  CC-<elements>                     version unknown (text, version-less button)
  CC0-1.0, CC-PDM-1.0               public-domain tools
  CC-SAMPLING-PLUS-1.0, CC-NC-1.0   retired legacy tools
  CC-NC-1.0-NL, CC-NC-SA-2.0-JP     retired licences without BY, ported (1.0, Japan 2.0)
  public-domain                     a generic public-domain claim
  all-rights-reserved               explicit, only when nothing positive was found

The traps this module exists for: `deed.nl` / `legalcode.nl` are the display
language, never the Dutch port (`/by/3.0/nl/` is); 4.0 has no ports; a version is
never guessed; text without "Nederland" means unported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote, urlsplit

ALL_RIGHTS_RESERVED = "all-rights-reserved"
PUBLIC_DOMAIN = "public-domain"
CC0 = "CC0-1.0"
PDM = "CC-PDM-1.0"

VERSIONS = frozenset({"1.0", "2.0", "2.1", "2.5", "3.0", "4.0"})
ELEMENT_ORDER = ("BY", "NC", "ND", "SA")
# Retired tools, by the id they get; 1.0 licences without BY are among them.
LEGACY = frozenset({
    "CC-NC-1.0", "CC-ND-1.0", "CC-SA-1.0", "CC-NC-SA-1.0", "CC-NC-ND-1.0",
    "CC-SAMPLING-1.0", "CC-SAMPLING-PLUS-1.0", "CC-NC-SAMPLING-PLUS-1.0", "CC-DEVNATIONS-2.0",
})
_LEGACY_UNITS = {"sampling": "CC-SAMPLING", "sampling+": "CC-SAMPLING-PLUS",
                 "nc-sampling+": "CC-NC-SAMPLING-PLUS", "devnations": "CC-DEVNATIONS"}
# Licences without BY were retired after 1.0, except in the Japan 2.0 ports; their
# ports keep the jurisdiction: /licenses/nc/1.0/nl/ is CC-NC-1.0-NL.
_LEGACY_PORTED = re.compile(r"^(CC-(?:NC|ND|SA|NC-ND|NC-SA))-(1\.0|2\.0)-([A-Z]{2})$")
OPEN_FAMILIES = frozenset({"CC-BY", "CC-BY-SA", "CC0", "CC-PDM", PUBLIC_DOMAIN})
# Ported CC licences that SPDX lists; every unported BY licence 1.0-4.0 is listed too.
SPDX_PORTS = frozenset({
    "CC-BY-2.5-AU", "CC-BY-3.0-AT", "CC-BY-3.0-AU", "CC-BY-3.0-DE", "CC-BY-3.0-IGO",
    "CC-BY-3.0-NL", "CC-BY-3.0-US", "CC-BY-NC-3.0-DE", "CC-BY-NC-ND-3.0-DE",
    "CC-BY-NC-ND-3.0-IGO", "CC-BY-NC-SA-2.0-DE", "CC-BY-NC-SA-2.0-FR", "CC-BY-NC-SA-2.0-UK",
    "CC-BY-NC-SA-3.0-DE", "CC-BY-NC-SA-3.0-IGO", "CC-BY-ND-3.0-DE", "CC-BY-SA-2.0-UK",
    "CC-BY-SA-2.1-JP", "CC-BY-SA-3.0-AT", "CC-BY-SA-3.0-DE", "CC-BY-SA-3.0-IGO",
})
_SPDX_UNPORTED_VERSIONS = frozenset({"1.0", "2.0", "2.5", "3.0", "4.0"})

_CC_ID = re.compile(r"^(CC-BY(?:-NC)?(?:-ND|-SA)?)(?:-(\d\.\d)(?:-([A-Z]{2}|IGO|SCOTLAND))?)?$")


@dataclass(frozen=True)
class Parts:
    family: str  # CC-BY-SA, CC0, CC-PDM, CC-SAMPLING-PLUS, public-domain, ...
    version: str | None = None
    jurisdiction: str | None = None


def parts(licence_id: str | None) -> Parts | None:
    """Split a canonical id; None when it is not one."""
    if not licence_id:
        return None
    if licence_id in (PUBLIC_DOMAIN, ALL_RIGHTS_RESERVED):
        return Parts(licence_id)
    if licence_id == CC0:
        return Parts("CC0", "1.0")
    if licence_id == PDM:
        return Parts("CC-PDM", "1.0")
    if licence_id in LEGACY:
        family, _, version = licence_id.rpartition("-")
        return Parts(family, version)
    ported = _LEGACY_PORTED.match(licence_id)
    if ported:
        family, version, jurisdiction = ported.groups()
        if version == "2.0" and jurisdiction != "JP":
            return None
        return Parts(family, version, jurisdiction)
    match = _CC_ID.match(licence_id)
    if not match:
        return None
    family, version, jurisdiction = match.groups()
    if version is not None and version not in VERSIONS:
        return None
    if jurisdiction and version == "4.0":
        return None
    return Parts(family, version, jurisdiction)


def is_canonical(licence_id: str | None) -> bool:
    return parts(licence_id) is not None


def family(licence_id: str | None) -> str | None:
    found = parts(licence_id)
    return found.family if found else None


def _cc_id(elements: set[str], version: str | None = None, jurisdiction: str | None = None,
           ) -> str | None:
    """Build a BY-family id from a set of elements; None for an impossible set."""
    if "BY" not in elements or {"ND", "SA"} <= elements:
        return None
    if version == "4.0":
        jurisdiction = None  # 4.0 has no ports: /by/4.0/nl/ and "4.0 NL" are plain 4.0
    text = "CC-" + "-".join(e for e in ELEMENT_ORDER if e in elements)
    if version:
        text += "-" + version
        if jurisdiction:
            text += "-" + jurisdiction.upper()
    return text


# ---------------------------------------------------------------- URLs

_CC_HOSTS = frozenset({"creativecommons.org", "www.creativecommons.org"})
_BADGE_HOSTS = frozenset({"i.creativecommons.org", "licensebuttons.net", "www.licensebuttons.net"})
_PRESSKIT_HOST = "mirrors.creativecommons.org"
_JUR = r"(?:/([a-z]{2}|igo|scotland))?"
_LICENCE_PATH = re.compile(
    r"^/(licenses|publicdomain)/([a-z+-]+)/(\d\.\d)" + _JUR
    + r"(?:/(?:deed(?:\.[a-z_-]+)?|legalcode(?:\.[a-z_-]+)?|rdf))?/?$")
_INFO_PATH = re.compile(r"^/share-your-work/public-domain/(cc0|pdm)/?$")
_BADGE_PATH = re.compile(r"^/(l|p)/([a-z+-]+)/(\d\.\d)" + _JUR + r"/\d+x\d+\.(?:png|gif|svg)$")
_PRESSKIT_PATH = re.compile(r"^/presskit/buttons/\d+x\d+/(?:png|svg)/([a-z0-9+-]+)\.(?:png|svg)$")
_HAS_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
_BARE_HOST = re.compile(r"^[a-z0-9-]+(?:\.[a-z0-9-]+)+/")
_ELEMENT_CODES = {"by": "BY", "nc": "NC", "nd": "ND", "sa": "SA"}
_ARCHIVE_HOSTS = frozenset({"web.archive.org", "wayback.archive.org", "archive.org"})
_ARCHIVED = re.compile(r"^(?:/web)?/\d{1,14}[a-z_]*/+((?:https?:/+)?[a-z0-9.-]+\.[a-z]{2,}/.*)$")


def _host_and_path(url: str) -> tuple[str, str]:
    """Normalise as the spec says: trim, unescape, add a scheme, lowercase,
    drop query and fragment, collapse `//`."""
    text = url.strip().replace("&amp;", "&").rstrip(".,;:!?)]}\"'").lower()
    if text.startswith("//"):
        text = "https:" + text
    elif not _HAS_SCHEME.match(text) and _BARE_HOST.match(text):
        text = "https://" + text
    try:
        split = urlsplit(text)
        host = split.hostname or ""
    except ValueError:
        return "", ""
    archived = _ARCHIVED.match(split.path) if host in _ARCHIVE_HOSTS else None
    if archived:  # web.archive.org/web/<stamp>/http://creativecommons.org/...
        return _host_and_path(archived.group(1))
    return host, re.sub(r"/{2,}", "/", unquote(split.path))


def _from_unit(unit: str, version: str, jurisdiction: str | None) -> str | None:
    """`by-nc-sa` + `3.0` + `nl` -> CC-BY-NC-SA-3.0-NL (unit as in CC's paths)."""
    if unit in _LEGACY_UNITS:
        legacy = f"{_LEGACY_UNITS[unit]}-{version}"
        return legacy if legacy in LEGACY else None
    codes = unit.split("-")
    if any(code not in _ELEMENT_CODES for code in codes) or len(set(codes)) != len(codes):
        return None
    elements = {_ELEMENT_CODES[code] for code in codes}
    if "BY" not in elements:
        legacy = "CC-" + "-".join(e for e in ELEMENT_ORDER if e in elements) + "-" + version
        if jurisdiction and (version == "1.0" or (version == "2.0" and jurisdiction == "jp")):
            legacy += "-" + jurisdiction.upper()
            return legacy if parts(legacy) else None
        return legacy if legacy in LEGACY else None
    if version not in VERSIONS:
        return None
    return _cc_id(elements, version, jurisdiction)


def _from_tool(category: str, unit: str, version: str, jurisdiction: str | None) -> str | None:
    if unit == "zero" and version == "1.0":
        return CC0
    if unit == "mark" and version == "1.0":
        return PDM
    if category == "publicdomain":
        return None
    return _from_unit(unit, version, jurisdiction)


@lru_cache(maxsize=4096)
def canonical_from_url(url: str | None) -> str | None:
    """The licence a creativecommons.org URL names, or None when it names none."""
    if not url:
        return None
    host, path = _host_and_path(url)
    if host not in _CC_HOSTS:
        return None
    if path == "/licenses/publicdomain" or path.startswith("/licenses/publicdomain/"):
        return PUBLIC_DOMAIN
    info = _INFO_PATH.match(path)
    if info:
        return CC0 if info.group(1) == "cc0" else PDM
    match = _LICENCE_PATH.match(path)
    return _from_tool(*match.groups()) if match else None


@lru_cache(maxsize=4096)
def canonical_from_badge(url: str | None) -> str | None:
    """The licence a button image's URL names (CC's own buttons, licensebuttons.net,
    CDN-wrapped copies, presskit buttons); single-element icons are decoration."""
    if not url:
        return None
    host, path = _host_and_path(url)
    first, _, rest = path.lstrip("/").partition("/")
    if host not in _BADGE_HOSTS and (first in _BADGE_HOSTS or first == _PRESSKIT_HOST):
        host, path = first, "/" + rest  # a CDN proxy such as i0.wp.com/<host>/<path>
    if host in _BADGE_HOSTS:
        match = _BADGE_PATH.match(path)
        if not match:
            return None
        kind, unit, version, jurisdiction = match.groups()
        return _from_tool("publicdomain" if kind == "p" else "licenses", unit, version,
                          jurisdiction)
    if host == _PRESSKIT_HOST:
        match = _PRESSKIT_PATH.match(path)
        return _from_presskit(match.group(1)) if match else None
    return None


def _from_presskit(name: str) -> str | None:
    if name == "cc-zero":
        return CC0
    if name == "publicdomain":
        return PDM
    name = re.sub(r"-(?:eu|jp)$", "", name)  # NC buttons with a euro or yen sign
    codes = name.split("-")
    if any(code not in _ELEMENT_CODES for code in codes):
        return None
    return _cc_id({_ELEMENT_CODES[code] for code in codes})


# ---------------------------------------------------------------- text

_S = r"(?:[^\S\n]|[-\u2010-\u2013])*"  # separators; never across a line (block) break


# Words that may stand between a licence's name and its version:
# "Attribution-ShareAlike License 4.0", "CC BY-SA versie 3.0", "Lizenz Version 4.0".
_VERSION_WORDS = r"(?:(?:licen[cs]e|licentie|lizenz)(?:{s}(?:version|versie))?|version|versie|v)"


def _version(prefix: str) -> str:
    words = _VERSION_WORDS.format(s=_S)
    return rf"(?:{_S}(?:{words}{_S})?(?P<{prefix}v>\d[.,]\d)\b)?"


_ABBR = (rf"\b(?:CC|Creative{_S}Commons){_S}(?P<a_el>BY\b(?:{_S}(?:NC|ND|SA)\b){{0,3}})"
         + _version("a_") + rf"(?:{_S}(?P<a_jur>NL|Nederland|Netherlands|IGO)\b)?")
_BY_WORD = r"(?:Naamsvermelding|Attribution|Namensnennung)"
_OTHER_WORDS = (rf"(?:Niet{_S}Commercieel|Non{_S}Commercial|Geen{_S}Afgeleide{_S}Werken"
                rf"|No{_S}Deriv(?:ative)?s|Gelijk{_S}Delen|Share{_S}Alike"
                rf"|Nicht{_S}kommerziell|Keine{_S}Bearbeitung(?:en)?"
                rf"|Weitergabe{_S}unter{_S}gleichen{_S}Bedingungen)")
_NAME = (rf"(?P<n_pre>\b(?:CC|Creative{_S}Commons){_S})?\b(?P<n_el>{_BY_WORD}"
         rf"(?:{_S}/?{_S}{_OTHER_WORDS}){{0,3}})\b" + _version("n_")
         + rf"(?:{_S}(?P<n_jur>Nederland|Netherlands|Internationa(?:al|le|l)|Unported|IGO)\b)?"
         rf"(?P<n_suf>{_S}(?:licentie|license|licence|lizenz)\b)?")
# Every statement below starts with one of these characters (ignoring case): the
# regex tests them first, so most positions of a text cost one character test
# instead of a try of every alternative (a quarter of the time, same matches).
# tests/test_licences.py checks the hits against the alternatives alone.
_TEXT_STARTS = "chwnapm/"
_TEXT_ALTERNATIVES = "|".join((
    r"(?P<url>(?:https?:)?(?://)?(?:www\.)?creativecommons\.org/[^\s\"'<>]+)",
    _ABBR,
    _NAME,
    rf"(?P<cc0>\bCC{_S}(?:0|Zero)\b)",
    rf"(?P<pdm>\b(?:Public{_S}Domain{_S}Mark|Publiek{_S}Domein{_S}Merk|Merk{_S}Publiek{_S}Domein)\b)",
    rf"(?P<pd>\bPubli(?:ek|c){_S}Dom(?:ein|ain)\b(?!{_S}(?:Mark|Merk|Dedication)))",
    rf"(?P<arr>\b(?:Alle{_S}rechten{_S}(?:zijn{_S})?voorbehouden"
    rf"|All{_S}rights{_S}(?:are{_S})?reserved"
    rf"|Alle{_S}Rechte{_S}(?:sind{_S})?(?:vorbehalten|beim{_S}(?:Autor|Urheber|Verfasser"
    rf"|Herausgeber|Verlag)\w*|bei{_S}(?:de[mnr]{_S})?(?:Autor|Urheber|Verfasser)\w*))\b)",
))
_TEXT = re.compile(f"(?=[{_TEXT_STARTS}])(?:{_TEXT_ALTERNATIVES})", re.I)
# Cheap test whether a text can hold any of the above (used before the full scan).
TEXT_TRIGGER = re.compile(r"\bcc|creative|naamsvermelding|attribution|namensnennung"
                          r"|publi(?:c|ek)\W*dom|rechten\W*(?:zijn\W*)?voorbehouden"
                          r"|rights\W*(?:are\W*)?reserved|alle\W*rechte\b", re.I)
_NAME_ELEMENTS = (("BY", re.compile(_BY_WORD, re.I)),
                  ("NC", re.compile(rf"Niet{_S}Commercieel|Non{_S}Commercial|Nicht{_S}kommerziell",
                                    re.I)),
                  ("ND", re.compile(rf"Geen{_S}Afgeleide|No{_S}Deriv|Keine{_S}Bearbeitung", re.I)),
                  ("SA", re.compile(rf"Gelijk{_S}Delen|Share{_S}Alike|Weitergabe{_S}unter", re.I)))
_SPACE_OR_DASH = re.compile(r"[^A-Za-z]+")
_PORT_WORDS = {"nl": "NL", "nederland": "NL", "netherlands": "NL", "igo": "IGO"}


@dataclass(frozen=True)
class TextHit:
    id: str
    start: int
    end: int
    text: str


def find_in_text(text: str) -> list[TextHit]:
    """Every licence statement in a text, in order (all-rights-reserved included)."""
    hits = []
    for match in _TEXT.finditer(text):
        found = _hit_id(match)
        if found:
            hits.append(TextHit(found, match.start(), match.end(), match.group(0)))
    return hits


def _hit_id(match: re.Match) -> str | None:
    kind = match.lastgroup
    groups = match.groupdict()
    if groups["url"]:
        return canonical_from_url(groups["url"])
    if groups["a_el"]:
        elements = {code.upper() for code in _SPACE_OR_DASH.split(groups["a_el"]) if code}
        return _versioned(elements, groups["a_v"], groups["a_jur"])
    if groups["n_el"]:
        if not (groups["n_pre"] or groups["n_v"] or groups["n_suf"]):
            return None  # a bare "Naamsvermelding" / "attribution" is ordinary prose
        elements = {code for code, word in _NAME_ELEMENTS if word.search(groups["n_el"])}
        return _versioned(elements, groups["n_v"], groups["n_jur"])
    return {"cc0": CC0, "pdm": PDM, "pd": PUBLIC_DOMAIN, "arr": ALL_RIGHTS_RESERVED}.get(kind or "")


def _versioned(elements: set[str], version: str | None, port: str | None) -> str | None:
    version = version.replace(",", ".") if version else None
    if version and version not in VERSIONS:
        return None
    # Without "Nederland" a 3.0 (or older) name is reported unported (spec).
    jurisdiction = _PORT_WORDS.get(port.lower()) if port and version else None
    return _cc_id(elements, version, jurisdiction)


def canonical_from_text(text: str | None) -> str | None:
    """The licence a text states: the first positive one, else all-rights-reserved
    when the text says so (a copyright notice beside a CC licence is just the
    notice), else None."""
    if not text:
        return None
    ids = [hit.id for hit in find_in_text(text)]
    positive = [i for i in ids if i != ALL_RIGHTS_RESERVED]
    if positive:
        return positive[0]
    return ALL_RIGHTS_RESERVED if ids else None


# ---------------------------------------------------------------- meaning

def spdx(licence_id: str | None) -> str | None:
    """SPDX identifier: the id itself where SPDX lists it, else `LicenseRef-<id>`."""
    found = parts(licence_id)
    if found is None:
        return None
    listed = (licence_id in (CC0, PDM) or licence_id in SPDX_PORTS
              or (found.family.startswith("CC-BY") and found.jurisdiction is None
                  and found.version in _SPDX_UNPORTED_VERSIONS))
    return licence_id if listed else f"LicenseRef-{licence_id}"


def openness(licence_id: str | None) -> str:
    """open (BY, BY-SA, CC0, PDM, public domain) | restricted (NC, ND, retired
    tools) | closed (all rights reserved) | unknown (nothing found)."""
    found = parts(licence_id)
    if found is None:
        return "unknown"
    if found.family == ALL_RIGHTS_RESERVED:
        return "closed"
    return "open" if found.family in OPEN_FAMILIES else "restricted"


OPENNESS_RANK = {"open": 3, "restricted": 2, "closed": 1, "unknown": 0}


def is_allowed(licence_id: str | None, allowed: tuple[str, ...]) -> bool:
    """Whether a licence is on the allowed list, whose entries are canonical ids
    (exact) or version-less families ("CC-BY" allows CC-BY-4.0 and CC-BY-3.0-NL,
    not CC-BY-SA-4.0). Case does not matter in the list."""
    found = parts(licence_id)
    if found is None or licence_id is None:
        return False
    wanted = {entry.strip().casefold() for entry in allowed}
    return licence_id.casefold() in wanted or found.family.casefold() in wanted


def is_allowed_entry(entry: str) -> bool:
    """Whether `entry` can stand in an `allowed_licences` list: a canonical id or
    the family of one ("CC-BY", "CC0", "CC-PDM"), in any case."""
    wanted = entry.strip().casefold()
    if is_canonical(entry.strip().upper()):
        return True
    return any(wanted in (known.casefold(), (getattr(parts(known), "family", None) or "").casefold())
               for known in _KNOWN_IDS if known)


_KNOWN_IDS = (CC0, PDM, PUBLIC_DOMAIN, ALL_RIGHTS_RESERVED, *sorted(LEGACY), *(
    _cc_id(set(("BY",) + extra)) for extra in
    ((), ("SA",), ("NC",), ("ND",), ("NC", "SA"), ("NC", "ND"))))


def refines(general: str | None, specific: str | None) -> bool:
    """Whether `specific` says the same licence as `general` with more detail:
    a version where there was none, a port where there was none, or a named
    public-domain tool where there was a generic public-domain claim."""
    a, b = parts(general), parts(specific)
    if a is None or b is None or general == specific:
        return False
    if a.family == PUBLIC_DOMAIN:
        return b.family in ("CC0", "CC-PDM")
    if a.family != b.family:
        return False
    if a.version is None:
        return b.version is not None
    return a.version == b.version and a.jurisdiction is None and b.jurisdiction is not None


# ---------------------------------------------------------------- change

@dataclass(frozen=True)
class LicenceChange:
    kind: str  # unchanged | refined | changed | appeared | disappeared | fetch_failed
    openness_down: bool = False  # changed only: the new licence is less open


def classify_change(old: str | None, new: str | None, *, old_scope: str | None = "material",
                    new_scope: str | None = "material", served: bool = True) -> LicenceChange:
    """How the material licence moved between two checks.

    Only material-scope licences count: a material licence replaced by just a
    site-footer default has disappeared. `refined` is the same licence stated with
    more (or less) detail, e.g. CC-BY-SA -> CC-BY-SA-4.0 or CC-BY-3.0 -> CC-BY-3.0-NL;
    a different version is `changed`. When the new check got no content
    (`served=False`) nothing can be said: `fetch_failed`, keep the last licence.
    """
    if not served:
        return LicenceChange("fetch_failed")
    before = old if old_scope in (None, "material") else None
    after = new if new_scope in (None, "material") else None
    if before is None and after is None:
        return LicenceChange("unchanged")
    if before is None:
        return LicenceChange("appeared")
    if after is None:
        return LicenceChange("disappeared")
    if before == after:
        return LicenceChange("unchanged")
    if refines(before, after) or refines(after, before):
        return LicenceChange("refined")
    down = OPENNESS_RANK[openness(after)] < OPENNESS_RANK[openness(before)]
    return LicenceChange("changed", openness_down=down)

"""Registering materials from Edurep, the national catalogue of learning materials.

A pilot's Wikiwijs materials are already described in Edurep, so a coordinator can
register them with one catalogue query instead of typing URLs:

    found = search(client, endpoint, query, limit=None)   # all SRU pages, or BadInput
    rows, skipped = to_rows(found.records, pilot=..., maintainer_email=...)
    registry.register(store, rows, now)

`import_from_edurep` does all three. Every page is fetched and parsed before
anything is written, so a diagnostic, an HTTP error or a malformed page halfway
leaves the database untouched.

`harvest` reads an OAI-PMH set instead; `deleted_materials` then names the
registered materials whose catalogue record was deleted (a sign the material may
be gone or withdrawn, worth telling the coordinator).

The records are NL-LOM (namespace ``http://www.imsglobal.org/xsd/imsmd_v1p2``), but
the prefix varies (``czp:``, ``lom:``, ``imsmd:`` or a default namespace), so all
paths below match on local names only.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import urljoin, urlsplit

import requests
from lxml import etree
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from oermonitor import licences, registry
from oermonitor.clock import typed_date
from oermonitor.errors import BadInput, OperationalError
from oermonitor.fetch import user_agent
from oermonitor.guard import BlockedAddress, ResolveFailed, Resolver, pinned_pool_classes
from oermonitor.settings import Settings
from oermonitor.store import Store
from oermonitor.validate import email_problem, url_problem
from oermonitor.watchdog import Watchdog

DEFAULT_ENDPOINT = "https://wszoeken.edurep.kennisnet.nl/edurep/sruns"
DEFAULT_OAI_ENDPOINT = "https://wszoeken.edurep.kennisnet.nl/edurep/oai"
PAGE_SIZE = 100  # the most records Edurep returns per SRU page
# SRU diagnostic "first record position out of range": Edurep stops paging after a
# few thousand records. Hit after the first page, it ends the search with a warning.
OUT_OF_RANGE = "info:srw/diagnostic/1/61"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
_CC_CODE = re.compile(r"^cc-((?:by|nc|nd|sa)(?:-(?:by|nc|nd|sa))*)-(\d)(\d)$")
_FIXED_CODES = {"cc0-10": "CC0-1.0", "pdm-10": "CC-PDM-1.0"}
_URL_IN_TEXT = re.compile(r"(?:https?:)?//[^\s\"'<>]+|\bcreativecommons\.org/[^\s\"'<>]+", re.I)
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})-(\d{2}))?(?:[T ].*)?$")


@dataclass(frozen=True)
class CatalogueRecord:
    """What oermonitor keeps of one catalogue record."""

    position: int  # 1-based position in the search result
    record_id: str | None  # e.g. "wikiwijsmaken:44170"
    url: str | None  # the first technical/location
    title: str | None
    licence: str | None  # canonical id (licence spec), None when not recognised
    licence_code: str | None  # the NL-LOM value as the catalogue gives it
    date: str | None  # publisher (else author) date: YYYY-MM-DD, or a bare year

    @property
    def label(self) -> str:
        return f"record {self.position} ({self.record_id or 'no id'})"


@dataclass
class SearchResult:
    total: int  # numberOfRecords as the catalogue reports it
    records: list[CatalogueRecord]
    pages: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Skipped:
    record: CatalogueRecord
    reason: str


@dataclass
class EdurepImport:
    search: SearchResult
    skipped: list[Skipped]
    summary: registry.ImportSummary

    @property
    def warnings(self) -> list[str]:
        return self.search.warnings + self.summary.warnings


# -- HTTP ------------------------------------------------------------------------


class _Session(requests.Session):
    """A requests Session for a client that follows redirects itself, hop by hop (to
    guard each one): requests would still read each Location for its own use, and
    fail on one that is not UTF-8."""

    def get_redirect_target(self, resp):
        return None


class _PinnedAdapter(HTTPAdapter):
    """A requests adapter whose connections go only to addresses `resolver` approved."""

    def __init__(self, resolver: Resolver, watchdog=None, **kwargs):
        self._pool_classes = pinned_pool_classes(resolver, watchdog)
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pool_classes


class CatalogueClient:
    """Catalogue requests: our User-Agent, the fetch timeouts, a retry on temporary
    server trouble, and the private-address guard on every redirect hop."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.resolver = Resolver(settings.allow_private_networks)
        self.session = _Session()
        self.session.headers["User-Agent"] = user_agent(settings.fetch.contact)
        self.watchdog = Watchdog()  # [fetch] total_timeout per request, to the last byte
        retry = Retry(total=settings.fetch.max_tries - 1, backoff_factor=settings.fetch.backoff_base,
                      status_forcelist=(502, 503, 504), allowed_methods=("GET",),
                      raise_on_status=False, respect_retry_after_header=False)
        adapter = _PinnedAdapter(self.resolver, self.watchdog, max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def check(self, url: str) -> None:
        """Refuse a non-http(s) URL and a host with a non-public address (unless allowed)."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise BadInput(f"endpoint {url!r} is not an http(s) URL")
        try:
            self.resolver.addresses(parts.hostname)
        except BlockedAddress as exc:
            raise BadInput(f"endpoint {url}: {exc}; set [fetch] allow_private_networks = true "
                           "to allow it") from None
        except ResolveFailed as exc:
            raise OperationalError(f"endpoint {url}: {exc}") from None

    def get(self, url: str, params: dict | None = None) -> requests.Response:
        fetch = self.settings.fetch
        for _ in range(fetch.max_redirects + 1):
            self.check(url)
            with self.watchdog.deadline(time.monotonic() + fetch.total_timeout) as timer:
                try:
                    response = self.session.get(url, params=params, allow_redirects=False,
                                                timeout=(fetch.connect_timeout, fetch.timeout))
                except requests.Timeout:
                    raise OperationalError(f"{url}: no answer within {fetch.timeout:g} s") \
                        from None
                except requests.RequestException as exc:
                    if timer.fired:
                        raise OperationalError(f"{url}: no complete answer within "
                                               f"{fetch.total_timeout:g} s") from None
                    raise OperationalError(f"{url}: cannot connect ({_reason(exc)})") from None
            if timer.fired:
                raise OperationalError(f"{url}: no complete answer within "
                                       f"{fetch.total_timeout:g} s")
            if not response.is_redirect:
                return response
            url, params = urljoin(response.url, response.headers["Location"]), None
        raise OperationalError(f"{url}: more than {fetch.max_redirects} redirects")

    def close(self) -> None:
        self.session.close()
        self.watchdog.close()

    def __enter__(self) -> CatalogueClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _reason(exc: BaseException) -> str:
    """The innermost cause of a requests error: the readable part of a long chain."""
    while (inner := exc.__cause__ or exc.__context__) is not None:
        exc = inner
    return re.sub(r"^\w+\(host=[^)]*\):\s*", "", str(exc)) or type(exc).__name__


# -- SRU ---------------------------------------------------------------------------


@dataclass
class SruPage:
    total: int
    records: list[CatalogueRecord]
    next_position: int | None


class SruDiagnostic(BadInput):
    """The catalogue refused the request (bad query, position out of range, ...)."""

    def __init__(self, uri: str, message: str):
        super().__init__(message)
        self.uri = uri


def sru_params(query: str, start: int, size: int) -> dict:
    return {"operation": "searchRetrieve", "version": "1.2", "recordPacking": "xml",
            "recordSchema": "lom", "query": query, "startRecord": start,
            "maximumRecords": size}


def search(client: CatalogueClient, endpoint: str, query: str, *,
           limit: int | None = None) -> SearchResult:
    """All records the query finds (at most `limit`), page by page (startRecord)."""
    result = SearchResult(total=0, records=[])
    start = 1
    while limit is None or len(result.records) < limit:
        size = PAGE_SIZE if limit is None else min(PAGE_SIZE, limit - len(result.records))
        response = client.get(endpoint, sru_params(query, start, size))
        where = f"{endpoint} (startRecord={start})"
        try:
            page = parse_page(response.content, where, first_position=start,
                              status=response.status_code)
        except SruDiagnostic as exc:
            if exc.uri == OUT_OF_RANGE and result.records:
                result.warnings.append(
                    f"the catalogue stops at record {start - 1} of {result.total}; "
                    "narrow the query to register the rest")
                break
            raise
        result.pages += 1
        result.total = page.total if result.pages == 1 else result.total
        result.records.extend(page.records)
        if page.next_position is None or not page.records:
            break
        if page.next_position <= start:
            raise BadInput(f"{where}: malformed SRU response: nextRecordPosition "
                           f"{page.next_position} does not move forward")
        start = page.next_position
    if limit is not None:
        del result.records[limit:]
    return result


def parse_page(data: bytes, where: str, *, first_position: int = 1,
               status: int = 200) -> SruPage:
    """One searchRetrieveResponse; diagnostics and HTTP errors become clear errors."""
    root = _parse_xml(data)
    if root is None or _local(root) != "searchRetrieveResponse":
        if status >= 500:
            raise OperationalError(f"{where}: the catalogue answered HTTP {status}")
        if status >= 400:
            raise BadInput(f"{where}: the catalogue answered HTTP {status}")
        what = "not XML" if root is None else f"<{_local(root)}> instead of <searchRetrieveResponse>"
        raise BadInput(f"{where}: malformed SRU response ({what})")
    diagnostic = _first(root, "diagnostics/diagnostic")
    if diagnostic is not None:
        uri = _text(diagnostic, "uri") or ""
        message = _text(diagnostic, "message") or uri or "unspecified"
        details = _text(diagnostic, "details")
        raise SruDiagnostic(uri, f"Edurep refused the search: {message}"
                                 + (f" ({details})" if details else ""))
    if status >= 400:
        raise (OperationalError if status >= 500 else BadInput)(
            f"{where}: the catalogue answered HTTP {status}")
    total = _integer(root, "numberOfRecords", where)
    if total is None:
        raise BadInput(f"{where}: malformed SRU response (no numberOfRecords)")
    records = [parse_record(el, first_position + i)
               for i, el in enumerate(_all(root, "records/record"))]
    return SruPage(total, records, _integer(root, "nextRecordPosition", where))


def parse_record(record: etree._Element, position: int) -> CatalogueRecord:
    """An SRU <record>: its identifier and the NL-LOM inside <recordData>."""
    lom = _first(record, "recordData/lom")
    fields = parse_lom(lom) if lom is not None else dict.fromkeys(
        ("url", "title", "licence", "licence_code", "date"))
    return CatalogueRecord(position=position, record_id=_text(record, "recordIdentifier"),
                           **fields)


def parse_lom(lom: etree._Element) -> dict:
    """The fields oermonitor uses from one NL-LOM record."""
    code = _text(lom, "rights/copyrightandotherrestrictions/value/langstring")
    return {
        "url": _text(lom, "technical/location"),
        "title": _langstring(_all(lom, "general/title/langstring")),
        "licence": catalogue_licence(code, _text(lom, "rights/description/langstring")),
        "licence_code": code,
        "date": _contribute_date(lom),
    }


def catalogue_licence(code: str | None, description: str | None) -> str | None:
    """The NL-LOM licence vocabulary as a canonical id; for `yes`/`no`/`unknown` (or a
    code we do not know) a licence URL in the rights description, if there is one."""
    code = (code or "").strip().lower()
    if code in _FIXED_CODES:
        return _FIXED_CODES[code]
    match = _CC_CODE.match(code)
    if match:
        elements = match.group(1).upper().split("-")
        ordered = "-".join(e for e in ("BY", "NC", "ND", "SA") if e in elements)
        major, minor = match.group(2), match.group(3)
        # NL-LOM's -30 (and older) codes stand for the Dutch ports; 4.0 has no ports.
        canonical = f"CC-{ordered}-{major}.{minor}" + ("-NL" if int(major) < 4 else "")
        return canonical if licences.is_canonical(canonical) else None
    for candidate in _URL_IN_TEXT.findall(description or ""):
        found = licences.canonical_from_url(candidate.rstrip(".,;:)]"))
        if found:
            return found
    return None


def _contribute_date(lom: etree._Element) -> str | None:
    """The publisher's date, else the author's (the catalogue has no last-modified)."""
    contributes = _all(lom, "lifecycle/contribute")
    for role in ("publisher", "author"):
        for contribute in contributes:
            if (_text(contribute, "role/value/langstring") or "").lower() != role:
                continue
            value = _iso_date(_text(contribute, "date/datetime"))
            if value:
                return value
    return None


def _iso_date(text: str | None) -> str | None:
    """`2015-12-08T10:33:43Z` and `2017-09-27` to the date; a bare year stays a year."""
    match = _DATE.match(text or "")
    if not match:
        return None
    year, month, day = match.groups()
    if month is None:
        return year
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


# -- namespace-agnostic XML helpers -------------------------------------------------


def _parse_xml(data: bytes) -> etree._Element | None:
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError:
        return None


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _xpath(path: str) -> str:
    return "/".join(f"*[local-name()='{step}']" for step in path.split("/"))


def _all(element: etree._Element, path: str) -> list[etree._Element]:
    return element.xpath(_xpath(path))


def _first(element: etree._Element, path: str) -> etree._Element | None:
    found = _all(element, path)
    return found[0] if found else None


def _text(element: etree._Element, path: str) -> str | None:
    """The first non-empty text at `path`, whitespace collapsed."""
    for found in _all(element, path):
        text = " ".join("".join(found.itertext()).split())
        if text:
            return text
    return None


def _langstring(elements: list[etree._Element]) -> str | None:
    """A Dutch langstring if there is one, else the first non-empty one."""
    texts = [(el.get("{http://www.w3.org/XML/1998/namespace}lang") or "",
              " ".join("".join(el.itertext()).split())) for el in elements]
    texts = [(lang.lower(), text) for lang, text in texts if text]
    for lang, text in texts:
        if lang.startswith("nl"):
            return text
    return texts[0][1] if texts else None


def _integer(element: etree._Element, path: str, where: str) -> int | None:
    text = _text(element, path)
    if text is None:
        return None
    if not text.isdigit():
        raise BadInput(f"{where}: malformed SRU response ({path} is {text!r})")
    return int(text)


# -- registering -----------------------------------------------------------------------


def to_rows(records: list[CatalogueRecord], *, pilot: str, maintainer_email: str,
            maintainer_name: str | None = None, pilot_end_date: str | None = None,
            coordinator_email: str | None = None) -> tuple[list[registry.MaterialRow], list[Skipped]]:
    """One registry row per record with a usable location; the rest is reported."""
    rows: list[registry.MaterialRow] = []
    skipped: list[Skipped] = []
    seen: dict[str, CatalogueRecord] = {}
    for record in records:
        if not record.url:
            skipped.append(Skipped(record, "no technical/location"))
            continue
        problem = url_problem(record.url)
        if problem:
            skipped.append(Skipped(record, problem))
            continue
        if record.url in seen:
            skipped.append(Skipped(record, f"same location as {seen[record.url].label}"))
            continue
        seen[record.url] = record
        rows.append(registry.MaterialRow(
            url=record.url, maintainer_email=maintainer_email, pilot=pilot,
            title=record.title, maintainer_name=maintainer_name, pilot_end_date=pilot_end_date,
            coordinator_email=coordinator_email, source="edurep",
            catalogue_id=record.record_id, catalogue_licence=record.licence,
            catalogue_date=record.date, line=record.position))
    return rows, skipped


def import_from_edurep(store: Store, settings: Settings, *, query: str, pilot: str,
                       maintainer_email: str, now: datetime, maintainer_name: str | None = None,
                       endpoint: str = DEFAULT_ENDPOINT, limit: int | None = None,
                       pilot_end_date: str | None = None, coordinator_email: str | None = None,
                       dry_run: bool = False) -> EdurepImport:
    """Search the catalogue, then register what it found in one transaction.

    The options are checked before anything is fetched (BadInput names the option)."""
    pilot, pilot_end_date = _check_options(query, pilot, maintainer_email, coordinator_email,
                                           pilot_end_date)
    with CatalogueClient(settings) as client:
        found = search(client, endpoint, query, limit=limit)
    rows, skipped = to_rows(found.records, pilot=pilot, maintainer_email=maintainer_email,
                            maintainer_name=maintainer_name, pilot_end_date=pilot_end_date,
                            coordinator_email=coordinator_email)
    warnings = registry.validate_rows(rows, "edurep")
    summary = registry.register(store, rows, now, dry_run=dry_run)
    summary.warnings[:0] = warnings
    return EdurepImport(found, skipped, summary)


def _check_options(query: str, pilot: str, maintainer_email: str,
                   coordinator_email: str | None,
                   pilot_end_date: str | None) -> tuple[str, str | None]:
    """(the pilot's name, the end date as ISO) when the import's options are sound."""
    if not query.strip():
        raise BadInput("--query is empty")
    if not pilot.strip():
        raise BadInput("--pilot is empty")
    problem = email_problem("--maintainer", maintainer_email) or (
        coordinator_email and email_problem("--coordinator", coordinator_email))
    if problem:
        raise BadInput(problem)
    if pilot_end_date is not None:
        parsed = typed_date(pilot_end_date)
        if parsed is None:
            raise BadInput(f"--pilot-end-date {pilot_end_date!r} is not a date "
                           "(use YYYY-MM-DD or DD-MM-YYYY)")
        pilot_end_date = parsed
    return pilot.strip(), pilot_end_date


# -- OAI-PMH: noticing records deleted from the catalogue ---------------------------------


@dataclass
class Harvest:
    """What an OAI-PMH ListRecords harvest saw: live records and deleted identifiers."""

    records: list[CatalogueRecord] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    pages: int = 0


@dataclass
class OaiPage:
    records: list[CatalogueRecord]
    deleted: list[str]
    token: str | None


def harvest(client: CatalogueClient, endpoint: str, set_spec: str, *,
            since: str | None = None) -> Harvest:
    """Every ListRecords page of `set_spec` (changed since `since`), by resumptionToken."""
    result = Harvest()
    params = {"verb": "ListRecords", "metadataPrefix": "lom", "set": set_spec}
    if since:
        params["from"] = since
    seen_tokens: set[str] = set()
    while True:
        response = client.get(endpoint, params)
        where = f"{endpoint} (page {result.pages + 1})"
        page = parse_oai_page(response.content, where, status=response.status_code,
                              first_position=len(result.records) + 1)
        result.pages += 1
        result.records.extend(page.records)
        result.deleted.extend(page.deleted)
        if page.token is None:
            return result
        if page.token in seen_tokens:
            raise BadInput(f"{where}: malformed OAI-PMH response: resumptionToken repeats")
        seen_tokens.add(page.token)
        params = {"verb": "ListRecords", "resumptionToken": page.token}


def parse_oai_page(data: bytes, where: str, *, status: int = 200,
                   first_position: int = 1) -> OaiPage:
    """One OAI-PMH response. Errors come with HTTP 200 and <error code="...">;
    `noRecordsMatch` is not an error but an empty harvest."""
    root = _parse_xml(data)
    if root is None or _local(root) != "OAI-PMH":
        if status >= 400:
            raise (OperationalError if status >= 500 else BadInput)(
                f"{where}: the catalogue answered HTTP {status}")
        what = "not XML" if root is None else f"<{_local(root)}> instead of <OAI-PMH>"
        raise BadInput(f"{where}: malformed OAI-PMH response ({what})")
    error = _first(root, "error")
    if error is not None:
        code = error.get("code") or "unknown"
        if code == "noRecordsMatch":
            return OaiPage([], [], None)
        text = " ".join("".join(error.itertext()).split())
        raise BadInput(f"Edurep OAI-PMH refused the request: {code}" + (f" ({text})" if text else ""))
    listing = _first(root, "ListRecords")
    if listing is None:
        raise BadInput(f"{where}: malformed OAI-PMH response (no ListRecords)")
    records: list[CatalogueRecord] = []
    deleted: list[str] = []
    for record in _all(listing, "record"):
        header = _first(record, "header")
        identifier = _text(header, "identifier") if header is not None else None
        if header is None or identifier is None:
            raise BadInput(f"{where}: malformed OAI-PMH response (record without identifier)")
        if header.get("status") == "deleted":
            deleted.append(identifier)
            continue
        lom = _first(record, "metadata/lom")
        if lom is not None:
            records.append(CatalogueRecord(position=first_position + len(records),
                                           record_id=identifier, **parse_lom(lom)))
    return OaiPage(records, deleted, _text(listing, "resumptionToken"))


def deleted_materials(store: Store, deleted: list[str]) -> list[dict]:
    """Registered materials (with pilot and maintainer) whose catalogue record is gone."""
    return list(store.materials(catalogue_ids=set(deleted)))

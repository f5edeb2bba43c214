"""The fetcher: how oermonitor talks to the web, politely and safely.

    fetcher = Fetcher(settings)          # one per run: robots.txt and DNS once per host
    result = fetcher.fetch(url, etag=..., last_modified=...)
    fetcher.close()

`fetch` never raises for network trouble: whatever happened is a `FetchResult`
whose `availability` uses the contract's vocabulary at the HTTP level (the
extractor may still refine a served page into `missing` or `login_required`).

What it takes care of, per URL:
- the private-address guard for the URL and every redirect hop (`guard`),
  connecting only to the addresses that were checked;
- robots.txt (`robots`), fetched once per origin with this same machinery;
- redirects followed here (at most `max_redirects`), loops detected,
  permanent (301/308) told apart from temporary;
- retries with exponential backoff and jitter for timeouts, resets, 5xx and
  429, honouring `Retry-After` up to `retry_after_cap` (a longer wait is
  reported at once instead of stalling the run);
- a total deadline per URL and a cap on the decoded body (`max_bytes`), so a
  huge page, a gzip bomb or an endless stream all stop early with little memory;
- conditional requests (If-None-Match / If-Modified-Since; 304 = not modified);
- charset decoding: BOM, then the Content-Type charset, then `<meta>`, then
  sniffing (bs4's `UnicodeDammit`).

A material is only called broken by the policy after repeated failures; the
fetcher just reports what it saw this time.

Requests go to urllib3's connection pools directly, not through a requests
`Session`. A Session prepares, merges and wraps every request in layers of its
own (environment settings, hooks, adapters, its own Response), which cost the
run more CPU per page than the HTTP exchange itself and which a fetcher that
follows redirects and retries itself does not need. What the Session gave that
matters is kept: the same request headers, certifi's CA bundle, cookies a site
sets kept for the run, credentials in a URL sent as Basic auth, non-ASCII URLs
prepared by requests (IDNA, percent-encoding), and nothing taken from the
environment (no proxies or netrc: connections go to the pinned addresses).
"""

from __future__ import annotations

import contextlib
import email.message
import email.utils
import http.cookiejar
import logging
import random
import re
import threading
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote, urljoin, urlsplit

import certifi
from urllib3 import PoolManager, Timeout
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    LocationValueError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.util import create_urllib3_context, make_headers

from oermonitor import __version__, guard
from oermonitor.models import FetchResult
from oermonitor.robots import MAX_ROBOTS_BYTES, RobotsCache
from oermonitor.settings import Settings
from oermonitor.watchdog import Watchdog

log = logging.getLogger(__name__)

REDIRECT_STATUSES = (301, 302, 303, 307, 308)
PERMANENT_STATUSES = (301, 308)
CHUNK = 64 * 1024
DRAIN_LIMIT = 64 * 1024  # of a redirect or error body: enough to reuse the connection
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
# gzip, deflate (br, zstd when their decoders are installed): what urllib3 decodes
ACCEPT_ENCODING = ", ".join(re.split(r",\s*", make_headers(accept_encoding=True)["accept-encoding"]))
TEXT_TYPES = ("application/xhtml+xml", "application/xml", "application/json",
              "application/ld+json", "application/javascript")
# WHATWG: these labels mean windows-1252 on the web.
WINDOWS_1252_LABELS = frozenset({"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1",
                                 "us-ascii", "ascii", "cp819", "iso_8859-1"})
BYTE_ORDER_MARKS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
BINARY_MAGIC = (b"%PDF-", b"PK\x03\x04", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"\x1f\x8b")
# A redirect that ends on one of these is a login wall (path segment, or first host label).
SIGN_IN_SEGMENTS = frozenset({
    "login", "log-in", "log_in", "logon", "signin", "sign-in", "sign_in", "servicelogin",
    "inloggen", "aanmelden", "authenticate", "auth", "sso", "saml", "saml2", "cas", "oauth",
    "oauth2", "authorize", "wayf",
})
SIGN_IN_HOSTS = frozenset({"login", "signin", "sso", "auth", "accounts", "idp", "aselect",
                           "aselect-s"})


def user_agent(contact: str = "") -> str:
    base = f"oermonitor/{__version__}"
    return f"{base} (+{contact})" if contact.strip() else base


@dataclass
class _Failure:
    """No usable response: what went wrong, and whether trying again may help."""

    availability: str
    error: str
    retryable: bool = False


_TOO_LATE = _Failure("timeout", "no complete answer within the time limit per URL",
                     retryable=True)


@dataclass
class _Response:
    """A response whose body has been read (up to the cap)."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    truncated: bool
    at: datetime


class Fetcher:
    """Fetches URLs for one run. Thread-safe; share one instance between workers.

    `ca_certs` names a CA bundle to trust instead of certifi's (for a test's own
    certificate).
    """

    def __init__(self, settings: Settings, *, resolver: guard.Resolver | None = None,
                 ca_certs: str | None = None):
        self.settings = settings.fetch
        self.user_agent = user_agent(self.settings.contact)
        self.resolver = resolver or guard.Resolver(settings.allow_private_networks)
        self._random = random.Random()
        self.headers = {  # in the order a requests Session sent them
            "User-Agent": self.user_agent,
            "Accept-Encoding": ACCEPT_ENCODING,
            "Accept": ACCEPT,
            "Connection": "keep-alive",
            "Accept-Language": "nl,en;q=0.8",
        }
        self.cookies = http.cookiejar.CookieJar()  # what sites set, for the run (thread-safe)
        self._has_cookies = False
        self.watchdog = Watchdog()
        pool = self.settings.concurrency + 4
        # One TLS context for the run: urllib3 would otherwise read the CA bundle again
        # for every new connection (some 20 ms of CPU each). Verification is the same:
        # certificate and host name required, TLS 1.2 or later. The bundle is read
        # before the first HTTPS request (`_prepare`), not by a run without one.
        self._tls = create_urllib3_context()
        self._ca_certs = ca_certs or certifi.where()
        self._tls_lock = threading.Lock()
        self._tls_ready = False
        self.pools = PoolManager(num_pools=max(16, pool), maxsize=pool, block=False,
                                 cert_reqs="CERT_REQUIRED", ssl_context=self._tls)
        self.pools.pool_classes_by_scheme = guard.pinned_pool_classes(self.resolver,
                                                                      self.watchdog)
        self.robots = (RobotsCache(self._fetch_robots, self.user_agent)
                       if self.settings.respect_robots_txt else None)

    def close(self) -> None:
        self.pools.clear()
        self.watchdog.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
              timeout: float | None = None) -> FetchResult:
        """Fetch `url` now. `timeout` overrides the read timeout of the settings."""
        headers = self.headers
        if etag or last_modified:
            headers = dict(headers)
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
        read_timeout = timeout or self.settings.timeout
        started = time.monotonic()
        deadline = started + max(self.settings.total_timeout, read_timeout)
        try:
            result = self._fetch(url, headers, read_timeout, deadline, self.settings.max_bytes,
                                 use_robots=self.robots is not None)
        except Exception as exc:  # one odd server must not end the run
            log.exception("unexpected failure fetching %s", url)
            result = FetchResult(url=url, availability="error", error=f"internal error: {exc}")
        result.elapsed = time.monotonic() - started
        return result

    def _fetch_robots(self, url: str) -> FetchResult:
        deadline = time.monotonic() + self.settings.total_timeout
        return self._fetch(url, self.headers, self.settings.timeout, deadline,
                           MAX_ROBOTS_BYTES, use_robots=False)

    # -- one URL: hops -------------------------------------------------------------

    def _fetch(self, url: str, headers: dict, read_timeout: float, deadline: float,
               max_bytes: int, *, use_robots: bool) -> FetchResult:
        problem = invalid_url(url)
        if problem:
            return FetchResult(url=url, availability="invalid_url", error=problem)
        current = url
        hops: list[tuple[str, int]] = []
        seen = {url}
        tries = 0
        for _ in range(self.settings.max_redirects + 1):
            outcome, used = self._visit(current, headers, read_timeout, deadline, max_bytes,
                                        use_robots)
            tries += used
            if isinstance(outcome, _Failure):
                return FetchResult(
                    url=url, availability=outcome.availability, error=outcome.error,
                    final_url=current, hops=hops, permanent_redirect=_all_permanent(hops),
                    tries=tries)
            location = outcome.headers.get("location")
            if outcome.status not in REDIRECT_STATUSES or not location:
                return self._result(url, outcome, hops, tries)
            target = urljoin(current, location.strip())
            hops.append((current, outcome.status))
            if invalid_url(target):
                return self._hop_failure(url, outcome, hops, tries, "error",
                                         f"redirect to an unusable URL: {target[:200]}")
            if target in seen:
                return self._hop_failure(url, outcome, hops, tries, "unreachable",
                                         f"redirect loop at {target}")
            seen.add(target)
            current = target
        return self._hop_failure(url, outcome, hops, tries, "unreachable",
                                 f"more than {self.settings.max_redirects} redirects")

    def _hop_failure(self, url, response: _Response, hops, tries, availability, error):
        return FetchResult(url=url, availability=availability, error=error,
                           final_url=response.url, status_code=response.status,
                           headers=response.headers, hops=hops, fetched_at=response.at,
                           permanent_redirect=_all_permanent(hops), tries=tries)

    def _visit(self, url, headers, read_timeout, deadline, max_bytes, use_robots):
        """Guard, robots.txt, then the request with retries. Returns (outcome, tries)."""
        try:
            self.resolver.addresses(urlsplit(url).hostname or "")
        except guard.BlockedAddress as exc:
            return _Failure("blocked_private_address", str(exc)), 0
        except guard.ResolveFailed as exc:
            return _Failure("unreachable", str(exc)), 0
        if use_robots:
            verdict = self.robots.check(url)
            if not verdict.allowed:
                return _Failure(verdict.availability or "blocked_by_robots", verdict.reason), 0
        return self._request(url, headers, read_timeout, deadline, max_bytes)

    # -- one hop: tries ------------------------------------------------------------

    def _request(self, url, headers, read_timeout, deadline, max_bytes):
        tries = 0
        while True:
            tries += 1
            outcome = self._attempt(url, headers, read_timeout, deadline, max_bytes)
            wait = self._retry_wait(outcome, tries, deadline)
            if wait is None:
                return outcome, tries
            time.sleep(wait)

    def _retry_wait(self, outcome: _Response | _Failure, tries: int, deadline: float):
        """Seconds to wait before trying again, or None to stop here."""
        if isinstance(outcome, _Failure):
            if not outcome.retryable:
                return None
            wait = None
        elif outcome.status == 429 or (outcome.status >= 500 and outcome.status != 501):
            wait = retry_after(outcome.headers.get("retry-after"), datetime.now(UTC))
            if wait is not None and wait > self.settings.retry_after_cap:
                return None
        else:
            return None
        if tries >= self.settings.max_tries:
            return None
        if wait is None:
            step = self.settings.backoff_base * 2 ** (tries - 1)
            wait = step / 2 + self._random.uniform(0, step / 2)
        return wait if time.monotonic() + wait < deadline else None

    def _attempt(self, url, headers, read_timeout, deadline, max_bytes) -> _Response | _Failure:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return _Failure("timeout", "no complete answer within the time limit per URL")
        timeouts = (min(self.settings.connect_timeout, read_timeout, remaining),
                    min(read_timeout, remaining))
        target, headers = self._prepare(url, headers)
        # The deadline holds from connect to last byte: status line and headers too.
        with self.watchdog.deadline(deadline) as timer:
            try:
                response = self.pools.urlopen(
                    "GET", target, headers=headers, retries=False, redirect=False,
                    preload_content=False, decode_content=False,
                    timeout=Timeout(connect=timeouts[0], read=timeouts[1]))
            except (Urllib3Error, OSError, ValueError) as exc:  # ValueError: a bad header
                return _TOO_LATE if timer.fired else _failure_from(exc, timeouts)
            try:
                if "set-cookie" in response.headers:
                    self._keep_cookies(target, response)
                if not 200 <= response.status < 300:
                    max_bytes = min(max_bytes, DRAIN_LIMIT)  # only the status matters
                body, truncated = read_capped(response, max_bytes, deadline)
            except (Urllib3Error, OSError) as exc:
                return _TOO_LATE if timer.fired else _failure_from(exc, timeouts)
            finally:
                response.close()  # a connection with unread data left is closed here,
                response.release_conn()  # one read to the end goes back to its pool
            if timer.fired:  # cut short: what was read is not the whole answer
                return _TOO_LATE
        return _Response(url, response.status,
                         {k.lower(): v for k, v in response.headers.itermerged()},
                         body, truncated, datetime.now(UTC))

    def _prepare(self, url: str, headers: dict) -> tuple[str, dict]:
        """The URL to request and the headers to send (cookies, URL credentials added);
        before the first HTTPS request, the CA bundle is read."""
        if not self._tls_ready and url[:6].lower() == "https:":
            with self._tls_lock:
                if not self._tls_ready:
                    self._tls.load_verify_locations(self._ca_certs)
                    self._tls_ready = True
        if not url.isascii():  # IDNA (UTS 46) and percent-encoding, as requests does
            import requests  # rare here; not loaded by a run that never needs it

            prepared = requests.PreparedRequest()
            prepared.prepare_url(url, None)
            url = prepared.url or url
        extra = {}
        if self._has_cookies:
            request = urllib.request.Request(url, headers=headers)
            self.cookies.add_cookie_header(request)
            if request.has_header("Cookie"):
                extra["Cookie"] = request.get_header("Cookie")
        if "@" in url:
            parts = urlsplit(url)
            if parts.username is not None or parts.password is not None:
                user, password = (unquote(parts.username or ""),
                                  unquote(parts.password or ""))
                extra["Authorization"] = make_headers(
                    basic_auth=f"{user}:{password}")["authorization"]
        return url, {**headers, **extra} if extra else headers

    def _keep_cookies(self, url: str, response) -> None:
        self.cookies.extract_cookies(response, urllib.request.Request(url))
        self._has_cookies = True

    # -- the final response ----------------------------------------------------------

    def _result(self, url: str, response: _Response, hops, tries) -> FetchResult:
        status = response.status
        availability, error = classify(status, response.headers)
        permanent = _all_permanent(hops)
        if availability == "ok" and permanent:
            availability, error = "moved", f"moved permanently to {response.url}"
        if hops and availability in ("ok", "moved", "forbidden") and is_sign_in_url(response.url):
            availability, error = "login_required", f"redirected to a sign-in page: {response.url}"
        media_type, charset = parse_content_type(response.headers.get("content-type"))
        text = None
        if availability in ("ok", "moved") and status != 304 and is_textual(media_type, response.body):
            text = decode(response.body, charset, is_html=media_type in (None, "text/html",
                                                                          "application/xhtml+xml"),
                          truncated=response.truncated)
        return FetchResult(
            url=url, availability=availability, final_url=response.url, status_code=status,
            error=error, headers=response.headers, body=response.body, text=text,
            content_type=media_type, hops=hops, permanent_redirect=permanent,
            not_modified=status == 304, truncated=response.truncated,
            fetched_at=response.at, tries=tries)


def is_sign_in_url(url: str) -> bool:
    """Does `url` look like a sign-in page (``/login``, ``/users/sign_in``, ``sso.host``)?

    Whole path segments only: a lesson at ``/inloggen-op-de-computer`` is not one.
    """
    parts = urlsplit(url)
    if (parts.hostname or "").split(".", 1)[0] in SIGN_IN_HOSTS:
        return True
    segments = (segment.split(".", 1)[0] for segment in parts.path.lower().split("/"))
    return any(segment in SIGN_IN_SEGMENTS for segment in segments)


def invalid_url(url: str) -> str | None:
    """Why `url` cannot be fetched as a web page, or None when it can."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        return f"not a valid URL: {exc}"
    if parts.scheme.lower() not in ("http", "https"):
        return f"not an http(s) URL: {url[:200]}"
    if not parts.hostname:
        return f"no host in URL: {url[:200]}"
    return None


def classify(status: int, headers: dict[str, str]) -> tuple[str, str | None]:
    """Availability and detail for the final HTTP status (after retries)."""
    if 200 <= status < 300 or status == 304:
        return "ok", None
    if status in (404, 410):
        return "missing", f"HTTP {status}"
    if status in (401, 403, 451):
        return "forbidden", f"HTTP {status}"
    if status == 429:
        wait = headers.get("retry-after")
        return "rate_limited", "HTTP 429" + (f" (Retry-After: {wait})" if wait else "")
    if status >= 500:
        wait = headers.get("retry-after")
        return "server_error", f"HTTP {status}" + (f" (Retry-After: {wait})" if wait else "")
    if status in REDIRECT_STATUSES:
        return "error", f"HTTP {status} without a Location"
    return "error", f"HTTP {status}"


def retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def read_capped(raw, max_bytes: int, deadline: float) -> tuple[bytes, bool]:
    """Read the decoded body, at most `max_bytes`, before `deadline`.

    `read1` returns what one read from the socket yields, decompressed but never
    more than asked for, so neither a gzip bomb nor a trickling endless stream can
    outgrow the cap or outlast the deadline by more than one read timeout.
    A body sent as is (no Content-Encoding, the usual case) skips urllib3's
    decoding layer, and one of known length needs no last read to see it end.
    """
    encoded = "content-encoding" in raw.headers
    parts: list[bytes] = []
    size = 0
    while True:
        chunk = raw.read1(min(CHUNK, max_bytes - size + 1), decode_content=encoded)
        if not chunk:
            return b"".join(parts), False
        if size + len(chunk) > max_bytes:
            parts.append(chunk[: max_bytes - size])
            return b"".join(parts), True
        parts.append(chunk)
        size += len(chunk)
        if not encoded and raw.length_remaining == 0:
            return b"".join(parts), False
        if time.monotonic() > deadline:
            raise ReadTimeoutError(None, None, "the body did not end within the time limit")  # type: ignore[arg-type]


def _failure_from(exc: Exception, timeouts: tuple[float, float]) -> _Failure:
    if isinstance(exc, ConnectTimeoutError) and not isinstance(exc, NewConnectionError):
        return _Failure("timeout", f"no connection within {timeouts[0]:g} s", retryable=True)
    if isinstance(exc, ReadTimeoutError | TimeoutError) or "timed out" in str(exc):
        return _Failure("timeout", f"no answer within {timeouts[1]:g} s", retryable=True)
    if isinstance(exc, SSLError):
        return _Failure("unreachable", f"TLS: {_reason(exc)}")
    if isinstance(exc, LocationValueError):
        return _Failure("invalid_url", str(exc))
    text = str(exc)
    if "refused" in text.lower():
        return _Failure("unreachable", "connection refused")
    if isinstance(exc, DecodeError):
        return _Failure("error", f"body could not be decoded: {_reason(exc)}")
    if isinstance(exc, NewConnectionError | ProtocolError | ConnectionError):
        return _Failure("unreachable", f"connection broken: {_reason(exc)}", retryable=True)
    return _Failure("error", _reason(exc))


def _reason(exc: Exception) -> str:
    """The innermost useful message of a wrapped urllib3 exception."""
    while exc.args and isinstance(exc.args[0], Exception):
        exc = exc.args[0]
    inner = getattr(exc, "reason", None)
    text = str(inner if isinstance(inner, Exception) else exc)
    return text[:300]


def _all_permanent(hops: list[tuple[str, int]]) -> bool:
    """Only a chain of permanent redirects says where the registered URL should point."""
    return bool(hops) and all(status in PERMANENT_STATUSES for _, status in hops)


def parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    """(media type, charset) from a Content-Type header; (None, None) without one.

    The usual shapes (``text/html``, ``text/html; charset=utf-8``, parameters as
    tokens or simple quoted strings) are read here; anything else is read as the
    email package reads a MIME header, which is what the result matches.
    """
    if not value or not value.strip():
        return None, None
    simple = _SIMPLE_CONTENT_TYPE.fullmatch(value)
    if simple:
        charset = None
        for name, param in _SIMPLE_PARAM.findall(simple.group(2)):
            if name.lower() == "charset":
                charset = param[1:-1] if param.startswith('"') else param
                break
        media_type = simple.group(1).lower()
    else:
        message = email.message.Message()
        message["content-type"] = value
        try:
            charset = message.get_param("charset")
        except TypeError:  # numbered and unnumbered RFC 2231 parts of one name
            charset = None
        media_type = message.get_content_type()
    charset = charset.strip().strip("'\"").lower() if isinstance(charset, str) else None
    return media_type, charset or None


_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"  # RFC 9110 token
_SIMPLE_PARAM_TEXT = rf"""[ \t]*([0-9A-Za-z_-]+)[ \t]*=[ \t]*({_TOKEN}|"[^"\\;]*")[ \t]*"""
_SIMPLE_PARAM = re.compile(";" + _SIMPLE_PARAM_TEXT)
_SIMPLE_CONTENT_TYPE = re.compile(
    rf"[ \t]*({_TOKEN}/{_TOKEN})[ \t]*((?:;{_SIMPLE_PARAM_TEXT})*)(?:;[ \t]*)?")


def is_textual(media_type: str | None, body: bytes) -> bool:
    if media_type is None:  # no Content-Type: read it unless it looks like a file
        head = body[:1024]
        return b"\x00" not in head and not head.startswith(BINARY_MAGIC)
    return (media_type.startswith("text/") or media_type in TEXT_TYPES
            or media_type.endswith(("+xml", "+json")))


def decode(body: bytes, charset: str | None, *, is_html: bool, truncated: bool = False) -> str:
    """Text of a body: BOM, the header's charset, `<meta>`, valid UTF-8, then sniffing.

    Valid UTF-8 is taken as UTF-8 before any statistical guess: on short pages
    the guessers readily call Dutch text in UTF-8 Korean.
    """
    if not body:  # nothing to decode (and nothing for the sniffer to warn about)
        return ""
    if truncated:
        body = _drop_partial_utf8(body)
    if charset in ("utf-8", "utf8") and not body.startswith(BYTE_ORDER_MARKS):
        # The common case, decoded as below would, without loading the sniffer.
        with contextlib.suppress(UnicodeDecodeError):
            return body.decode("utf-8")
    from bs4.dammit import EncodingDetector, UnicodeDammit  # some 50 ms to import

    _, bom = EncodingDetector.strip_byte_order_mark(body)
    declared = None if bom else (charset or EncodingDetector.find_declared_encoding(
        body, is_html=is_html))
    known = ["windows-1252" if declared.lower() in WINDOWS_1252_LABELS else declared] \
        if declared else []
    dammit = UnicodeDammit(body, known_definite_encodings=known, user_encodings=["utf-8"],
                           is_html=is_html)
    if dammit.unicode_markup is not None:
        return dammit.unicode_markup
    return body.decode("utf-8", "replace")


def _drop_partial_utf8(body: bytes) -> bytes:
    """A body cut at the cap may end inside a UTF-8 sequence; drop that stub."""
    for back in range(1, min(4, len(body)) + 1):
        byte = body[-back]
        if byte & 0xC0 == 0xC0:  # lead byte of a multi-byte sequence
            needed = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return body[:-back] if needed > back else body
        if byte & 0x80 == 0:  # ASCII: complete
            return body
    return body

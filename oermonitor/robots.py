"""robots.txt: fetched once per origin per run, read as RFC 9309 says.

What the answer to ``GET /robots.txt`` means (RFC 9309, section 2.3.1):

- 2xx: the rules apply;
- 4xx, or redirects that lead nowhere: "unavailable", everything is allowed;
- 5xx or no answer at all: "unreachable", nothing may be fetched. The material is
  then reported with what went wrong on that host (`server_error`, `timeout`,
  `unreachable`) rather than as blocked by robots.txt: the site is in trouble.

The rules are read by Protego (Scrapy's parser): `*` and `$` wildcards, the
longest match winning with `Allow` winning a tie, groups for the same agent
merged, percent-encoding normalised, as RFC 9309 and Google's reference parser
do. A group applies when its user-agent names our product token ("oermonitor"),
not words elsewhere in our User-Agent header. The body is read as UTF-8 (RFC 9309),
without a byte-order mark, also a cut-off one.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from protego import Protego

from oermonitor.models import FetchResult

MAX_ROBOTS_BYTES = 512_000  # RFC 9309: parse at least 500 KiB


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    availability: str | None = None  # set when robots.txt was unreachable: what the site did
    reason: str | None = None


ALLOWED = Verdict(True)


class Rules:
    """The rules of one robots.txt."""

    def __init__(self, text: str):
        self._parser = Protego.parse(text)

    def can_fetch(self, agent: str, url: str) -> bool:
        """Whether the crawler `agent` (its product token, or a whole User-Agent
        header in which the token stands as a word) may fetch `url`."""
        return self._parser.can_fetch(url, agent)


def product_token(user_agent: str) -> str:
    """'oermonitor/0.1.0 (+beheer@school.example)' -> 'oermonitor' (RFC 9309, 2.2.1)."""
    token = user_agent.strip().split("/", 1)[0].split(None, 1)
    return token[0] if token else user_agent


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}/robots.txt"


class RobotsCache:
    """Answers "may `user_agent` fetch this URL?", fetching each robots.txt once.

    `fetch(url)` must return the `FetchResult` for the robots.txt URL without
    consulting robots.txt itself. Thread-safe: concurrent questions about one
    origin wait for the single fetch.
    """

    def __init__(self, fetch: Callable[[str], FetchResult], user_agent: str):
        self._fetch = fetch
        self.user_agent = user_agent
        self.token = product_token(user_agent)
        self._rules: dict[str, Rules | Verdict] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def check(self, url: str) -> Verdict:
        rules = self.rules_for(url)
        if isinstance(rules, Verdict):
            return rules
        if rules.can_fetch(self.token, url):
            return ALLOWED
        return Verdict(False, "blocked_by_robots", f"robots.txt disallows {urlsplit(url).path or '/'}")

    def rules_for(self, url: str) -> Rules | Verdict:
        """The rules (or blanket verdict) of the origin of `url`, fetched on first use."""
        location = robots_url(url)
        rules = self._rules.get(location)  # a known origin: no locks
        if rules is not None:
            return rules
        with self._lock:
            lock = self._locks.setdefault(location, threading.Lock())
        with lock:
            if location not in self._rules:
                self._rules[location] = interpret(self._fetch(location))
            return self._rules[location]


def interpret(result: FetchResult) -> Rules | Verdict:
    """Rules, or a blanket verdict, from the response to GET /robots.txt."""
    status = result.status_code
    if status is not None and 200 <= status < 300:
        if result.body:  # RFC 9309: robots.txt is UTF-8, whatever the server says
            text = _without_bom(result.body).decode("utf-8", "replace")
        else:
            text = result.text or ""
        if result.truncated:  # larger than we read: keep the whole lines
            text = text.rsplit("\n", 1)[0]
        return parse(text)
    if status is not None and (300 <= status < 500):
        return ALLOWED  # unavailable (incl. redirects we stopped following): allow all
    if status is not None:
        return Verdict(False, "server_error",
                       f"robots.txt answered HTTP {status}; the site counts as unavailable")
    return Verdict(False, result.availability, f"robots.txt: {result.error or result.availability}")


def _without_bom(body: bytes) -> bytes:
    """The body without a UTF-8 byte-order mark, also a cut-off one."""
    for mark in (b"\xef\xbb\xbf", b"\xef\xbb", b"\xef"):
        if body.startswith(mark):
            return body[len(mark):]
    return body


def parse(text: str) -> Rules:
    """Rules from robots.txt text. A user-agent line names one product token: like
    Google's parser, the value ends at the first space ("User-agent: FooBot 2.1")."""
    return Rules(_USER_AGENT_VALUE.sub(r"\1", text.lstrip("\ufeff")))


_USER_AGENT_VALUE = re.compile(
    r"(?im)^([^\S\r\n]*user-agent[^\S\r\n]*:[^\S\r\n]*[^\s#]+)[^\S\r\n]+[^\r\n#]*")

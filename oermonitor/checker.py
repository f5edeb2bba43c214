"""One check of one URL: fetch, then extract (or reuse what an unchanged page gave).

    result, facts = check(fetcher, url, etag=..., last_modified=..., previous=facts_before,
                          body_hash=hash_before)

With validators from the previous check the request is conditional; a 304 means
the page did not change, so the previous extraction (`previous`, the `Facts`
of the material's latest check) still holds. Without `previous` there is
nothing to reuse and the page is fetched again unconditionally.

Many servers send no validators (or new ones every time) but the same bytes
night after night. So a served page's raw response is hashed (`response_hash`:
the bytes, the final URL and the headers extraction reads, and the oermonitor
version, so an upgrade reads every page afresh); when the hash equals the one
`previous` was read from (`body_hash`), the page is not parsed again and
`result.same_body` says so (recorded per check). A body that differs in a
single byte (a session token, a view counter) is read as usual.

Runs and `inspect` extract in an `ExtractPool` of worker processes
(`extractor=pool.extract`, see `oermonitor.workers`): each page is read under a
CPU deadline, and parsing, CPU work that in the fetch threads would queue for
the one interpreter lock the fetching needs too, runs on every core.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import replace

from oermonitor import __version__, scheduler
from oermonitor.extract import extract
from oermonitor.fetch import Fetcher
from oermonitor.models import SERVED, Facts, FetchResult
from oermonitor.settings import Settings
from oermonitor.workers import ExtractPool

# What a served page's content said about itself; still true while it is unchanged.
PAGE_VERDICTS = ("missing", "login_required")
# The response headers extraction reads besides the body (dates, decoding).
HASHED_HEADERS = ("content-type", "last-modified")


def check(fetcher: Fetcher, url: str, *, etag: str | None = None,
          last_modified: str | None = None, previous: Facts | None = None,
          body_hash: str | None = None, timeout: float | None = None,
          extractor: Callable[[FetchResult], Facts] = extract) -> tuple[FetchResult, Facts]:
    result, facts = fetch(fetcher, url, etag=etag, last_modified=last_modified,
                          previous=previous, body_hash=body_hash, timeout=timeout)
    return result, facts if facts is not None else extractor(result)


def fetch(fetcher: Fetcher, url: str, *, etag: str | None = None,
          last_modified: str | None = None, previous: Facts | None = None,
          body_hash: str | None = None,
          timeout: float | None = None) -> tuple[FetchResult, Facts | None]:
    """The network half of `check`: the response, and its facts when the previous
    ones still hold (None: the page must be read, by `extractor`)."""
    result = fetcher.fetch(url, etag=etag, last_modified=last_modified, timeout=timeout)
    if result.not_modified:
        if previous is None:
            result = fetcher.fetch(url, timeout=timeout)
        else:
            return result, _unchanged(result, previous)
    if result.availability in SERVED and not result.truncated:
        result.body_hash = response_hash(result)
        if previous is not None and body_hash == result.body_hash:
            result.same_body = True
            return result, _unchanged(result, previous)
    return result, None


def response_hash(result: FetchResult) -> str:
    """What a served page's facts are read from, as one hash (see the module docstring).

    SHA-256: the processor computes it (SHA extensions), at about twice the speed of
    BLAKE2 in software on a 40 KB page."""
    digest = hashlib.sha256()
    for part in (__version__, result.final_url or result.url,
                 *(result.headers.get(name, "") for name in HASHED_HEADERS)):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(result.body)
    return digest.hexdigest()


def _unchanged(result: FetchResult, previous: Facts) -> Facts:
    if previous.availability in PAGE_VERDICTS:
        return previous
    return replace(previous, availability=result.availability, error=result.error)


def inspect_record(url: str, result: FetchResult, facts: Facts) -> dict:
    """The contract's `inspect --json` object for one URL."""
    return {
        "url": url,
        "final_url": result.final_url,
        "status_code": result.status_code,
        "availability": facts.availability,
        "licence": facts.licence_id,
        "licence_scope": facts.licence_scope,
        "last_modified": facts.last_modified,
        "title": facts.title,
        "platform": facts.platform,
        "platform_id": facts.platform_id,
        "content_hash": facts.content_hash,
        "error": None if facts.availability == "ok" else (facts.error or result.error
                                                           or facts.availability),
    }


def inspect_urls(settings: Settings, urls: Sequence[str], *, timeout: float | None = None,
                 on_record: Callable[[dict], None] | None = None) -> list[dict]:
    """Check `urls` now, writing nothing: one `inspect_record` per URL, in the order given.

    `on_record` gets each record as soon as it and all before it are known (a long list
    shows progress). Pages are read in worker processes under a CPU deadline, forked
    before any fetch thread starts."""
    records: dict[int, dict] = {}
    ordered: list[dict] = []

    def work(index: int) -> tuple[FetchResult, Facts]:
        return check(fetcher, urls[index], timeout=timeout, extractor=pool.extract)

    def release() -> None:
        while len(ordered) in records:
            ordered.append(records.pop(len(ordered)))
            if on_record:
                on_record(ordered[-1])

    def done(index: int, outcome: tuple[FetchResult, Facts]) -> None:
        records[index] = inspect_record(urls[index], *outcome)
        release()

    with ExtractPool(min(os.cpu_count() or 1, settings.fetch.concurrency, len(urls)),
                     cpu_seconds=settings.run.extract_cpu_seconds) as pool, \
            Fetcher(settings) as fetcher:
        report = scheduler.run_all(
            range(len(urls)), url_of=lambda index: urls[index], work=work,
            concurrency=settings.fetch.concurrency, per_host_delay=settings.fetch.per_host_delay,
            per_host_concurrency=settings.fetch.per_host_concurrency, on_done=done)
    for index, error in report.failed:
        records[index] = {"url": urls[index], "availability": "error",
                          "error": f"internal error: {error}"}
    release()
    return ordered

"""One check of one URL: fetch, then extract (or reuse what an unchanged page gave).

    result, facts = check(fetcher, url, etag=..., last_modified=..., previous=facts_before)

With validators from the previous check the request is conditional; a 304 means
the page did not change, so the previous extraction (`previous`, the `Facts`
rebuilt from the material's snapshot) still holds. Without `previous` there is
nothing to reuse and the page is fetched again unconditionally.

A long run extracts in an `ExtractPool` of worker processes (`extractor=pool.extract`):
parsing and reading pages is CPU work that, in the fetch threads, would queue
for the one interpreter lock the fetching needs too.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace

from oermonitor.extract import extract, is_html
from oermonitor.fetch import Fetcher
from oermonitor.models import SERVED, Facts, FetchResult

log = logging.getLogger(__name__)

# What a served page's content said about itself; still true while it is unchanged.
PAGE_VERDICTS = ("missing", "login_required")


def check(fetcher: Fetcher, url: str, *, etag: str | None = None,
          last_modified: str | None = None, previous: Facts | None = None,
          timeout: float | None = None,
          extractor: Callable[[FetchResult], Facts] = extract) -> tuple[FetchResult, Facts]:
    result = fetcher.fetch(url, etag=etag, last_modified=last_modified, timeout=timeout)
    if result.not_modified:
        if previous is None:
            result = fetcher.fetch(url, timeout=timeout)
        else:
            return result, _unchanged(result, previous)
    return result, extractor(result)


def _unchanged(result: FetchResult, previous: Facts) -> Facts:
    if previous.availability in PAGE_VERDICTS:
        return previous
    return replace(previous, availability=result.availability, error=result.error)


class ExtractPool:
    """`extract` in `processes` worker processes (default: one per CPU), for many threads.

    The workers are forked at construction, so create the pool before starting
    any thread (forking a process with threads can copy a lock some thread
    holds). A thread calling `extract` waits for the worker's `Facts` without
    holding the interpreter lock. Should a worker die, the pool is broken and
    every later page is extracted in the calling thread: the run goes on.
    Workers ignore Ctrl-C and die of SIGTERM: the parent handles both and
    `close`s the pool.
    """

    def __init__(self, processes: int | None = None):
        processes = processes or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = ProcessPoolExecutor(
            processes, mp_context=multiprocessing.get_context("fork"),
            initializer=_worker_start)
        try:
            for started in [self._pool.submit(os.getpid) for _ in range(processes)]:
                started.result()
        except BaseException:
            self.close()
            raise

    def extract(self, result: FetchResult) -> Facts:
        pool = self._pool
        if pool is not None and result.availability in SERVED and is_html(result):
            try:
                # The raw bytes only matter for files, which stay in-process.
                return pool.submit(extract, replace(result, body=b"")).result()
            except BrokenProcessPool:
                if self._pool is not None:
                    self._pool = None
                    log.warning("an extraction process died; extracting in-process from now on")
                    pool.shutdown(wait=False, cancel_futures=True)
        return extract(result)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> ExtractPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _worker_start() -> None:
    """Prepare a forked worker: signals, garbage collector, the parent's death."""
    # Forked workers inherit the parent's Python signal handlers. Ctrl-C reaches the
    # whole process group but only the parent should act on it; SIGTERM ends a worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # What the parent had is never garbage here: keep the collector off it (a quarter
    # of a worker's time otherwise).
    gc.freeze()
    # A parent killed outright (SIGKILL) cannot close the pool: end with it.
    threading.Thread(target=_exit_with_parent, daemon=True).start()


def _exit_with_parent() -> None:
    multiprocessing.connection.wait([multiprocessing.parent_process().sentinel])
    os._exit(1)


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

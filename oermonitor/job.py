"""The nightly job: check what is due, record each check, send the emails.

    report = run(store, settings, today=date.today(), now=utcnow())

Due materials (never checked first, then the longest unchecked) are checked
concurrently by the scheduler with one `Fetcher` per run, conditionally when
the material has an ETag or Last-Modified; a page whose raw response is the same
as last time keeps its facts without being read again (`checker`). A check gives
its request slot back once the response is in; the page is read after that.
Each check is recorded and committed in the calling thread as soon as it
completes, so a run killed at any moment loses at most the checks in flight and
the next run simply continues. Then the
notifier sends what is due, and old history is compacted.

Pages are read in worker processes (`workers.ExtractPool`, at most one per CPU),
each under a CPU deadline (`[run] extract_cpu_seconds`): the fetch threads only
fetch, one reader thread per process hands it the fetched pages that are waiting
(up to eight in one message: every hand-over between processes costs wake-ups and
cold caches on both sides), the reading of pages runs on every core, and a
page built to be slow to read is recorded as an `error` instead of stalling the run.

Failing materials come back sooner than healthy ones: after n failures in a row
the next check is due `retry_failing_after_hours * 2**(n-1)` later, capped at
`recheck_after_hours`.

Caller's duties (the CLI does them): hold the run lock (`oermonitor.lock`).
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from oermonitor import checker, history, notify, scheduler, workers
from oermonitor.errors import OperationalError
from oermonitor.fetch import Fetcher
from oermonitor.models import SERVED, Facts, FetchResult, LicenceResult
from oermonitor.notify import NotifyReport
from oermonitor.settings import Settings
from oermonitor.store import Store, loads, utcnow

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (done, total)


@dataclass
class RunReport:
    run_id: int
    today: date
    dry_run: bool = False
    due: int = 0
    checked: int = 0
    postponed: int = 0  # due but not started: the time budget ran out
    abandoned: int = 0  # running when the time budget ran out: nothing recorded
    availability: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)  # internal failures, per material
    emails: int = 0
    notify: NotifyReport | None = None
    notify_error: str | None = None
    compacted: int = 0
    status: str = "running"
    elapsed: float = 0.0

    def to_dict(self) -> dict:
        return {"due": self.due, "checked": self.checked, "postponed": self.postponed,
                "abandoned": self.abandoned,
                "availability": dict(self.availability), "errors": self.errors,
                "emails": self.emails, "notify_error": self.notify_error,
                "compacted": self.compacted, "elapsed": round(self.elapsed, 1)}

    def summary_line(self) -> str:
        """One line for the operator (and cron's mail when something went wrong)."""
        counts = ", ".join(f"{n} {a}" for a, n in sorted(self.availability.items(),
                                                          key=lambda kv: (-kv[1], kv[0])))
        parts = [f"run {self.run_id}: {self.checked} checked" + (f" ({counts})" if counts else "")]
        if self.postponed:
            parts.append(f"{self.postponed} postponed (time budget)")
        if self.abandoned:
            parts.append(f"{self.abandoned} abandoned unfinished (time budget)")
        if self.errors:
            parts.append(f"{len(self.errors)} internal errors")
        if self.notify_error:
            parts.append(f"{self.emails} emails sent, then failed: {self.notify_error}")
        elif self.dry_run:
            parts.append(f"{self.emails} emails due (dry run: nothing sent)")
        else:
            parts.append(f"{self.emails} emails sent")
        if self.compacted:
            parts.append(f"{self.compacted} old checks compacted")
        parts.append(f"{self.elapsed:.1f}s")
        return ", ".join(parts)


def run(store: Store, settings: Settings, *, today: date, now: datetime,
        dry_run: bool = False, max_duration: float | None = None,
        progress: Progress | None = None,
        clock: Callable[[], datetime] = utcnow) -> RunReport:
    """One run of the job. `now` selects what is due; `clock` stamps each check.

    `max_duration` (seconds; default `settings.run.max_duration`, 0 = none) bounds
    the checking: once spent, no check starts and the checks in flight are
    abandoned (nothing is recorded for them; they stay due). An SMTP failure is reported in
    `notify_error` after everything else was recorded; the caller decides the
    exit code. `dry_run` still checks and records the checks (they are facts),
    but sends nothing, records nothing as sent and does not compact.
    """
    started = time.monotonic()
    budget = settings.run.max_duration if max_duration is None else max_duration
    deadline = started + budget if budget else None
    report = RunReport(run_id=store.start_run(now, today.isoformat(), dry_run),
                       today=today, dry_run=dry_run)
    try:
        due = store.due_materials(now, settings.policy.recheck_after_hours)
        report.due = len(due)
        log.info("run %s: %d materials due", report.run_id, len(due))
        _check_all(store, settings, due, report, deadline=deadline, progress=progress,
                   clock=clock)
        _notify(store, settings, report, today=today, now=clock())
        if not dry_run:
            report.compacted = compact(store, settings, clock())
        report.status = "failed" if report.notify_error else "done"
    except KeyboardInterrupt:
        report.status = "interrupted"
        raise
    except BaseException:
        report.status = "failed"
        raise
    finally:
        report.elapsed = time.monotonic() - started
        store.finish_run(report.run_id, clock(), report.status, report.checked,
                         report.emails, report.to_dict())
    return report


def _check_all(store: Store, settings: Settings, due: list[dict], report: RunReport, *,
               deadline: float | None, progress: Progress | None,
               clock: Callable[[], datetime]) -> None:
    """Check `due` concurrently; record each in this thread as it completes."""
    if not due:
        return
    latest = store.latest_checks(m["id"] for m in due if _reusable(m))
    previous = {m["id"]: previous_facts(m, latest.get(m["id"])) for m in due}
    fetcher = Fetcher(settings)
    # The pool forks its workers now, before the scheduler starts any thread.
    extract_pool = workers.ExtractPool(
        min(os.cpu_count() or 1, settings.fetch.concurrency, len(due)),
        cpu_seconds=settings.run.extract_cpu_seconds)

    def work(material: dict) -> tuple[FetchResult, Facts | None]:
        # Runs in a worker thread: no database access here. An exception is logged
        # and reported by the scheduler without stopping the other checks.
        return checker.fetch(fetcher, material["url"], etag=material["etag"],
                             last_modified=material["http_last_modified"],
                             previous=previous[material["id"]],
                             body_hash=material["body_hash"])

    def read(fetched: list[tuple[dict, tuple[FetchResult, Facts | None]]]) -> list:
        # The requests are over (their slots already serve the next ones): in one of the
        # scheduler's reader threads, the pages that must be read go to one extraction
        # process together, each still under its own CPU deadline.
        outcomes: list = [outcome for _, outcome in fetched]
        unread = [index for index, (_, facts) in enumerate(outcomes) if facts is None]
        pages = [outcomes[index][0] for index in unread]
        for index, page, facts in zip(unread, pages, extract_pool.extract_many(pages),
                                      strict=True):
            outcomes[index] = facts if isinstance(facts, Exception) else (page, facts)
        return outcomes

    def on_done(material: dict, outcome: tuple[FetchResult, Facts]) -> None:
        _record(store, settings, material, *outcome, report=report, now=clock())
        if progress:
            progress(report.checked, len(due))

    try:
        schedule = scheduler.run_all(
            due, url_of=lambda m: m["url"], work=work,
            concurrency=settings.fetch.concurrency,
            per_host_delay=settings.fetch.per_host_delay,
            per_host_concurrency=settings.fetch.per_host_concurrency,
            deadline=deadline, on_done=on_done, then_many=read,
            readers=extract_pool.processes)  # a reader per process: none waits for another
    finally:
        fetcher.close()
        extract_pool.close()
    report.errors = [f"{m['url']}: {exc!r}" for m, exc in schedule.failed]
    report.postponed = len(schedule.not_started)
    report.abandoned = len(schedule.abandoned)
    if report.postponed or report.abandoned:
        log.info("time budget spent: %d due materials postponed to the next run",
                 report.postponed + report.abandoned)


def _record(store: Store, settings: Settings, material: dict, result: FetchResult,
            facts: Facts, *, report: RunReport, now: datetime) -> None:
    history.record(store, material, result, facts, settings, now, run_id=report.run_id)
    report.checked += 1
    report.availability[facts.availability] += 1
    log.info("%s: %s", material["url"], facts.availability)


def check_one(store: Store, settings: Settings, material: dict, *,
              clock: Callable[[], datetime] = utcnow) -> dict:
    """Check one material now, as the nightly run would (same fetcher, guard, policy and
    bookkeeping), outside any run; returns the recorded check row. For "I fixed it"."""
    latest = store.checks(material["id"], limit=1)
    previous = previous_facts(material, latest[0] if latest else None)
    fetcher = Fetcher(settings)
    # Read in a worker under the same CPU deadline as the nightly run: a hostile page
    # must not hold a web request (or the command) for longer.
    extract_pool = workers.ExtractPool(1, cpu_seconds=settings.run.extract_cpu_seconds)
    try:
        result, facts = checker.check(fetcher, material["url"], etag=material["etag"],
                                      last_modified=material["http_last_modified"],
                                      previous=previous, body_hash=material["body_hash"],
                                      extractor=extract_pool.extract)
    finally:
        fetcher.close()
        extract_pool.close()
    return history.record(store, material, result, facts, settings, clock())


def _reusable(material: dict) -> bool:
    """Could this check reuse the last facts (a 304, or the same bytes as last time)?"""
    return bool(material.get("etag") or material.get("http_last_modified")
                or material.get("body_hash"))


def previous_facts(material: dict, check: dict | None) -> Facts | None:
    """The facts an unchanged page stands for: those of the latest check, if served.

    Only needed (and only given) when a 304 or an identical body can reuse them.
    """
    if not _reusable(material) or not check:
        return None
    if check["availability"] not in SERVED:
        return None
    all_ids = loads(check["licence_all"], [])
    licence = None
    if check["licence"] or all_ids:
        licence = LicenceResult(id=check["licence"], scope=check["licence_scope"],
                                all_ids=all_ids, conflict=bool(check["licence_conflict"]))
    platform_id = check["platform_id"]
    return Facts(availability=check["availability"], licence=licence,
                 last_modified=check["last_modified"],
                 last_modified_source=check["last_modified_source"],
                 title=check["title"], platform_id=platform_id,
                 platform=platform_id.split(":", 1)[0] if platform_id else None,
                 content_hash=check["content_hash"])


def _notify(store: Store, settings: Settings, report: RunReport, *, today: date,
            now: datetime) -> None:
    try:
        report.notify = notify.send_due(store, settings, today, now,
                                        dry_run=report.dry_run, run_id=report.run_id)
    except OperationalError as exc:
        # What did get through is logged as sent by the notifier; the rest waits.
        log.error("sending emails failed: %s", exc)
        report.notify = getattr(exc, "report", None)
        report.notify_error = str(exc)
    if report.notify is not None:
        report.emails = (len(report.notify.planned) if report.dry_run
                         else report.notify.emails)


def compact(store: Store, settings: Settings, now: datetime) -> int:
    """Apply history retention (`settings.run.history_days`); returns rows deleted."""
    deleted = store.compact_checks(now - timedelta(days=settings.run.history_days))
    if deleted:
        log.info("compacted %d old checks", deleted)
    return deleted

"""Run work items over worker threads, polite per host and interleaved between hosts.

    report = run_all(materials, url_of=lambda m: m["url"], work=check_one,
                     concurrency=8, per_host_delay=1.0, on_done=record)

- at most `concurrency` items run at once, at most `per_host_concurrency` per host,
  and two starts on one host are at least `per_host_delay` seconds apart;
- hosts take turns, so 500 materials on one host do not hold up 50 elsewhere: the
  run takes about max over hosts of (items on the host x delay), not the sum;
- `per_host_delay = 0` means no politeness limit at all: up to `concurrency`
  requests go to one host at once (one's own server, the benchmarks);
- `on_done(item, result)` runs in the calling thread as each item completes, so
  the caller can write to SQLite there;
- with `then`, an item's slot is given back as soon as `work(item)` returns (the
  request is over), and `then(item, work's result)` finishes it in the same
  thread; its result goes to `on_done`. The next request need not wait for the
  reading of the last page. At most `concurrency` more items may be in `then`
  (reading falls behind): no new item starts until one of them is done;
- at `deadline` (a `time.monotonic()` value) no new item starts and the items
  still running are abandoned: their results, whenever they come, are dropped.
  The report lists what was done, what was abandoned and what was not started.

An exception from `work` is logged and reported (`failed`) without stopping the
others. An exception in the calling thread (from `on_done`, or Ctrl-C/SIGTERM
raised as KeyboardInterrupt) abandons the running items at once and propagates.
Items run in daemon threads, so an abandoned item that is stuck cannot keep the
process alive; `work` must therefore leave shared state (the database) to `on_done`.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

log = logging.getLogger(__name__)
INF = float("inf")


@dataclass
class ScheduleReport:
    done: list = field(default_factory=list)  # items whose work returned
    failed: list = field(default_factory=list)  # (item, exception) when work raised
    not_started: list = field(default_factory=list)  # items left when the deadline passed
    abandoned: list = field(default_factory=list)  # items still running at the deadline
    elapsed: float = 0.0


@dataclass
class _Host:
    queue: deque = field(default_factory=deque)
    running: int = 0
    next_start: float = 0.0


def host_of(url: str) -> str:
    """The politeness key: the host name; an unparseable URL is its own key."""
    try:
        return (urlsplit(url).hostname or url).lower()
    except ValueError:
        return url


T = TypeVar("T")  # an item to work on
R = TypeVar("R")  # what the work gave for it


def run_all(items: Iterable[T], *, url_of: Callable[[T], str], work: Callable[[T], R],
            concurrency: int, per_host_delay: float, per_host_concurrency: int = 2,
            deadline: float | None = None,
            on_done: Callable[[T, Any], None] | None = None,
            then: Callable[[T, R], Any] | None = None) -> ScheduleReport:
    started = time.monotonic()
    concurrency = max(1, concurrency)
    per_host = concurrency if per_host_delay <= 0 else max(1, min(per_host_concurrency,
                                                                   concurrency))
    hosts: dict[str, _Host] = {}
    for item in items:
        hosts.setdefault(host_of(url_of(item)), _Host()).queue.append(item)
    turn = deque(hosts)  # hosts with items waiting, in turn order
    report = ScheduleReport()
    running: dict[Future, tuple[T, str, Future | None]] = {}  # holding a slot
    finishing: dict[Future, T] = {}  # `then` running, slot given back
    # Every future lands here when done: one queue to wait on, not all the futures
    # (concurrent.futures.wait locks each of them on every call).
    completions: queue.SimpleQueue[Future] = queue.SimpleQueue()
    threads = _Threads(work, then, completions.put)

    def failed(item: T, error: BaseException | None) -> None:
        log.error("work on %s failed: %r", url_of(item), error)
        report.failed.append((item, error))

    def done(item: T, result: Any) -> None:
        report.done.append(item)
        if on_done is not None:
            on_done(item, result)

    try:
        while turn or running or finishing:
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                for name in turn:
                    report.not_started.extend(hosts[name].queue)
                    hosts[name].queue.clear()
                turn.clear()
                report.abandoned.extend(item for item, _, _ in running.values())
                report.abandoned.extend(finishing.values())
                running.clear()
                finishing.clear()
                break
            # Items still in `then` count too, up to as many again: when reading falls
            # behind fetching, fetched pages must not pile up in memory.
            room = min(concurrency, 2 * concurrency - len(finishing)) - len(running)
            until = _start_ready(hosts, turn, running, threads.submit, room, per_host,
                                 per_host_delay, now)
            if deadline is not None:
                until = min(until, deadline)
            if not running and not finishing:  # every waiting host is in its delay
                if turn:
                    time.sleep(max(0.0, until - time.monotonic()))
                continue
            timeout = None if until == INF else max(0.0, until - time.monotonic())
            for future in _completed(completions, timeout):
                if future in finishing:
                    item = finishing.pop(future)
                    error = future.exception()
                    failed(item, error) if error is not None else done(item, future.result())
                    continue
                if future not in running:  # a `then` seen before its slot, or abandoned
                    continue
                item, name, rest = running.pop(future)
                hosts[name].running -= 1
                error = future.exception()
                if error is not None:
                    failed(item, error)
                elif rest is None:
                    done(item, future.result())
                elif not rest.done():
                    finishing[rest] = item
                elif rest.exception() is not None:
                    failed(item, rest.exception())
                else:
                    done(item, rest.result())
    except BaseException:
        for future in running:
            future.cancel()
        raise
    finally:
        threads.stop()
    if report.abandoned:
        log.warning("time budget spent: %d checks in flight abandoned", len(report.abandoned))
    report.elapsed = time.monotonic() - started
    return report


class _Threads:
    """Daemon threads that run submitted items, reused from one item to the next.

    A thread is started only when every existing one is busy, so there are never more
    than the items ever in flight at once (`concurrency` plus those in `then`).
    Starting a thread per item costs more than a typical `then` step itself.
    """

    def __init__(self, work: Callable, then: Callable | None,
                 completed: Callable[[Future], None]):
        self.work, self.then, self.completed = work, then, completed
        self.tasks: queue.SimpleQueue = queue.SimpleQueue()
        self.idle = 0
        self.started = 0
        self.lock = threading.Lock()

    def submit(self, item) -> tuple[Future, Future | None]:
        """Run `work(item)`, then `then(item, result)`, in one of the threads.

        The first future holds `work`'s outcome (the slot), the second `then`'s; each
        is given to `completed` when done.
        """
        future: Future = Future()
        rest: Future | None = Future() if self.then is not None else None
        for each in (future, rest):
            if each is not None:
                each.add_done_callback(self.completed)
        with self.lock:
            spawn = self.idle == 0
            if spawn:
                self.started += 1
            else:
                self.idle -= 1
        if spawn:
            threading.Thread(target=self._serve, name="oermonitor-work", daemon=True).start()
        self.tasks.put((item, future, rest))
        return future, rest

    def stop(self) -> None:
        """Let every thread end once it is free (a stuck one ends when unstuck)."""
        for _ in range(self.started):
            self.tasks.put(None)

    def _serve(self) -> None:
        while True:
            task = self.tasks.get()
            if task is None:
                return
            self._run(*task)
            with self.lock:
                self.idle += 1

    def _run(self, item, future: Future, rest: Future | None) -> None:
        if not future.set_running_or_notify_cancel():
            if rest is not None:
                rest.cancel()
            return
        try:
            result = self.work(item)
        except BaseException as exc:
            future.set_exception(exc)
            return
        if rest is None or self.then is None:
            future.set_result(result)
            return
        rest.set_running_or_notify_cancel()
        future.set_result(result)
        try:
            rest.set_result(self.then(item, result))
        except BaseException as exc:
            rest.set_exception(exc)


def _completed(completions: queue.SimpleQueue, timeout: float | None) -> list[Future]:
    """The futures done by now: waits up to `timeout` for the first."""
    try:
        finished = [completions.get(timeout=timeout)]
    except queue.Empty:
        return []
    while True:
        try:
            finished.append(completions.get_nowait())
        except queue.Empty:
            return finished


def _start_ready(hosts, turn, running, submit, room, per_host, delay, now) -> float:
    """Start up to `room` items that may start now, one per host per pass; return when
    to look again."""
    started = True
    while started and turn and room > 0:
        started = False
        for _ in range(len(turn)):
            if room <= 0:
                break
            name = turn[0]
            turn.rotate(-1)
            host = hosts[name]
            if host.running < per_host and host.next_start <= now:
                item = host.queue.popleft()
                host.running += 1
                host.next_start = now + delay
                future, rest = submit(item)
                running[future] = (item, name, rest)
                room -= 1
                started = True
                if not host.queue:
                    turn.remove(name)
    waiting = [hosts[name].next_start for name in turn
               if hosts[name].running < per_host and hosts[name].next_start > now]
    return min(waiting, default=INF)

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
  request is over), and `then(item, work's result)` finishes it in one of
  `readers` threads of its own; its result goes to `on_done`. The next request
  need not wait for the reading of the last page, and a thread that fetched
  never waits for a reader. At most `concurrency` more items may be in `then`
  (reading falls behind): no new item starts until one of them is done;
- `then_many` instead of `then` gets a list of (item, work's result) pairs: a
  reader takes what is waiting, up to `batch` at a time (one when nothing else
  waits), and `then_many` returns each pair's outcome, or the exception that
  stands for it. Several pages read in one hand-over cost less than one each;
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
            then: Callable[[T, R], Any] | None = None,
            readers: int | None = None,
            then_many: Callable[[list[tuple[T, R]]], list] | None = None,
            batch: int = 8) -> ScheduleReport:
    started = time.monotonic()
    concurrency = max(1, concurrency)
    per_host = concurrency if per_host_delay <= 0 else max(1, min(per_host_concurrency,
                                                                   concurrency))
    hosts: dict[str, _Host] = {}
    for item in items:
        hosts.setdefault(host_of(url_of(item)), _Host()).queue.append(item)
    turn = deque(hosts)  # hosts with items waiting, in turn order
    report = ScheduleReport()
    running: set[_Task] = set()  # holding a slot
    finishing: set[_Task] = set()  # `then` running, slot given back
    # The threads say what became of each task on one queue, the only thing this
    # thread waits on: one wake-up serves every message that came in meanwhile.
    messages: queue.SimpleQueue[tuple[_Task, str, Any]] = queue.SimpleQueue()
    if then is not None and then_many is not None:
        raise ValueError("give `then` or `then_many`, not both")
    threads = _Threads(work, messages.put, _one_by_one(then) if then else then_many,
                       max(1, readers or concurrency), batch if then_many else 1)

    def start(item: T, name: str) -> None:
        task = _Task(item, name)
        running.add(task)
        threads.submit(task)

    try:
        while turn or running or finishing:
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                for name in turn:
                    report.not_started.extend(hosts[name].queue)
                    hosts[name].queue.clear()
                turn.clear()
                report.abandoned.extend(task.item for task in running | finishing)
                break
            # Items still in `then` count too, up to as many again: when reading falls
            # behind fetching, fetched pages must not pile up in memory.
            room = min(concurrency, 2 * concurrency - len(finishing)) - len(running)
            until = _start_ready(hosts, turn, start, room, per_host, per_host_delay, now)
            if deadline is not None:
                until = min(until, deadline)
            if not running and not finishing:  # every waiting host is in its delay
                if turn:
                    time.sleep(max(0.0, until - time.monotonic()))
                continue
            timeout = None if until == INF else max(0.0, until - time.monotonic())
            # With `then`, a task's SLOT comes first (it is sent before the task goes to
            # a reader), then DONE or FAILED; without, DONE or FAILED alone.
            for task, outcome, value in _received(messages, timeout):
                if task in running:
                    running.discard(task)
                    hosts[task.host].running -= 1
                    if outcome == SLOT:
                        finishing.add(task)
                        continue
                else:
                    finishing.discard(task)
                if outcome == FAILED:
                    log.error("work on %s failed: %r", url_of(task.item), value)
                    report.failed.append((task.item, value))
                else:
                    report.done.append(task.item)
                    if on_done is not None:
                        on_done(task.item, value)
    finally:
        threads.stop()  # tasks not started yet never start; running ones are abandoned
    if report.abandoned:
        log.warning("time budget spent: %d checks in flight abandoned", len(report.abandoned))
    report.elapsed = time.monotonic() - started
    return report


SLOT, DONE, FAILED = "slot", "done", "failed"  # what a thread reports of a task


class _Task:
    """One item on its way through a thread."""

    __slots__ = ("item", "host")

    def __init__(self, item, host: str):
        self.item, self.host = item, host


class _Threads:
    """Daemon threads that run submitted tasks, reused from one task to the next, and
    the threads that run `then`.

    A thread for `work` is started only when every existing one is busy, so there are
    never more than `concurrency` (starting a thread per item costs more than a
    typical `then` step itself). `then` runs in a fixed number of `readers` threads,
    fed by a queue: when reading is the slow part, the fetched pages wait in that
    queue, not in threads of their own that each wait for their turn.
    """

    def __init__(self, work: Callable, report: Callable[[tuple[_Task, str, Any]], None],
                 then_many: Callable | None, readers: int, batch: int):
        self.work, self.report, self.then_many = work, report, then_many
        self.batch = max(1, batch)
        self.tasks: queue.SimpleQueue = queue.SimpleQueue()
        self.fetched: queue.SimpleQueue = queue.SimpleQueue()  # (task, work's result)
        self.idle = 0
        self.started = 0
        self.stopped = False
        self.lock = threading.Lock()
        self.readers = readers if then_many is not None else 0
        for _ in range(self.readers):
            threading.Thread(target=self._read, name="oermonitor-read", daemon=True).start()

    def submit(self, task: _Task) -> None:
        """Run `work(task.item)` in one of the threads, then `then(task.item, result)` in a
        reader, reporting (task, SLOT/DONE/FAILED, result or exception) as it goes."""
        with self.lock:
            spawn = self.idle == 0
            if spawn:
                self.started += 1
            else:
                self.idle -= 1
        if spawn:
            threading.Thread(target=self._serve, name="oermonitor-work", daemon=True).start()
        self.tasks.put(task)

    def stop(self) -> None:
        """Start no further task; let every thread end once it is free (a stuck one
        ends when unstuck)."""
        self.stopped = True
        for _ in range(self.started):
            self.tasks.put(None)
        for _ in range(self.readers):
            self.fetched.put(None)

    def _serve(self) -> None:
        while True:
            task = self.tasks.get()
            if task is None:
                return
            if not self.stopped:
                self._run(task)
            with self.lock:
                self.idle += 1

    def _run(self, task: _Task) -> None:
        try:
            result = self.work(task.item)
        except BaseException as exc:
            self.report((task, FAILED, exc))
            return
        if self.then_many is None:
            self.report((task, DONE, result))
            return
        self.report((task, SLOT, None))  # before the reader can report DONE
        self.fetched.put((task, result))

    def _read(self) -> None:
        assert self.then_many is not None
        ending = False
        while not ending:
            fetched = self.fetched.get()
            if fetched is None:
                return
            batch = [fetched]  # and what else is waiting, up to `batch`
            while len(batch) < self.batch:
                try:
                    more = self.fetched.get_nowait()
                except queue.Empty:
                    break
                if more is None:  # read what was taken, then end
                    ending = True
                    break
                batch.append(more)
            if self.stopped:
                continue
            try:
                outcomes = self.then_many([(task.item, result) for task, result in batch])
            except BaseException as exc:
                outcomes = [exc] * len(batch)
            for (task, _), outcome in zip(batch, outcomes, strict=True):
                failed = isinstance(outcome, BaseException)
                self.report((task, FAILED if failed else DONE, outcome))


def _one_by_one(then: Callable) -> Callable[[list], list]:
    """`then` as a `then_many`: each item's outcome, or the exception it raised."""
    def many(pairs: list) -> list:
        outcomes = []
        for item, result in pairs:
            try:
                outcomes.append(then(item, result))
            except BaseException as exc:
                outcomes.append(exc)
        return outcomes
    return many


def _received(messages: queue.SimpleQueue, timeout: float | None) -> list:
    """The messages sent by now: waits up to `timeout` for the first."""
    try:
        received = [messages.get(timeout=timeout)]
    except queue.Empty:
        return []
    while True:
        try:
            received.append(messages.get_nowait())
        except queue.Empty:
            return received


def _start_ready(hosts, turn, start, room, per_host, delay, now) -> float:
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
                start(item, name)
                room -= 1
                started = True
                if not host.queue:
                    turn.remove(name)
    waiting = [hosts[name].next_start for name in turn
               if hosts[name].running < per_host and hosts[name].next_start > now]
    return min(waiting, default=INF)

"""Reading pages in worker processes, each page under a CPU deadline.

    with ExtractPool(processes=2, cpu_seconds=5) as pool:   # before any thread starts
        facts = pool.extract(fetch_result)                   # from any thread
        many = pool.extract_many(fetch_results)              # several in one hand-over

A crafted page can make a regular expression or a parser work for hours. So a
page is never read in the process that runs the job: a worker process reads it,
with the kernel's CPU limit (``RLIMIT_CPU``) set `cpu_seconds` (rounded up to
whole seconds, so at most one second more) above what the worker had used. A
worker that passes it is ended by the kernel (SIGXCPU) wherever it is, even
inside C code; that page's facts are availability ``error`` with a detail
saying so, a fresh worker takes the dead one's place, and the run goes on. A
wall-clock backstop (`wall_seconds`) ends a worker that hangs without using CPU.

The first workers are forked at construction, so create the pool before starting
any thread (forking a process with threads can copy a lock some thread holds).
Replacements come from a fork server (started on first need), which has no
threads. A thread calling `extract` waits for its worker without holding the
interpreter lock, so reading pages also runs on every core.

Workers ignore Ctrl-C and die of SIGTERM: the parent handles both and `close`s
the pool, which ends them. A page whose worker is ended that way is not
reported as a page error (`ExtractionAborted`): the run is being stopped.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import math
import multiprocessing
import multiprocessing.connection
import os
import resource
import signal
import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import TypeVar, cast

from oermonitor.extract import extract, is_html
from oermonitor.models import SERVED, Facts, FetchResult

log = logging.getLogger(__name__)

CPU_SECONDS = 5.0  # default per page; settings: [run] extract_cpu_seconds
_STOPPED = (-signal.SIGTERM, -signal.SIGINT)
_F = TypeVar("_F", Facts, None)


class ExtractionAborted(Exception):
    """The pool was closed (the run is stopping) while this page was being read."""


class _Worker:
    def __init__(self, context, cpu_seconds: float):
        self.conn, child = multiprocessing.Pipe()
        self.process = context.Process(target=_serve, args=(child, cpu_seconds), daemon=True,
                                       name="oermonitor-extract")
        self.process.start()
        child.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.close()
        if self.process.is_alive():
            with contextlib.suppress(OSError):
                self.process.kill()
        self.process.join(5)


class ExtractPool:
    """`extract` in `processes` worker processes (default: one per CPU), for many threads."""

    def __init__(self, processes: int | None = None, *, cpu_seconds: float = CPU_SECONDS,
                 wall_seconds: float | None = None):
        self.processes = max(1, processes or os.cpu_count() or 1)
        self.cpu_seconds = cpu_seconds
        self.wall_seconds = wall_seconds or max(30.0, 6 * cpu_seconds)
        self._ready = threading.Condition()
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._closed = False
        try:
            context = multiprocessing.get_context("fork")
            for _ in range(self.processes):
                self._add(_Worker(context, cpu_seconds))
        except BaseException:
            self.close()
            raise

    def extract(self, result: FetchResult) -> Facts:
        """The facts of one fetched URL, read by a worker (files are hashed in-process)."""
        [facts] = self.extract_many([result])
        if isinstance(facts, Exception):
            raise facts
        return facts

    def extract_many(self, results: Sequence[FetchResult]) -> list[Facts | Exception]:
        """The facts of each fetched URL, in order, or the exception that stands for it
        (a bug in a reader). The pages go to one worker in one message and are read one
        after another, each under its own CPU deadline: far fewer hand-overs between
        processes than one `extract` each. A page that ends its worker is an `error`;
        the pages after it go to the worker that takes its place."""
        out: list[Facts | Exception | None] = [None] * len(results)
        pages = []
        for index, result in enumerate(results):
            if result.availability in SERVED and is_html(result):
                pages.append(index)
            else:
                out[index] = extract(result)
        while pages:
            answered = self._read_pages([results[index] for index in pages])
            for index, facts in zip(pages, answered, strict=False):  # a prefix answered
                out[index] = facts
            pages = pages[len(answered):]
        return cast(list[Facts | Exception], out)  # every place is filled by now

    def close(self) -> None:
        """End every worker now; threads waiting for one get `ExtractionAborted`."""
        with self._ready:
            self._closed = True
            workers, self._idle = list(self._all), []
            self._all.clear()
            self._ready.notify_all()
        for worker in workers:
            with contextlib.suppress(OSError):
                worker.process.terminate()
        for worker in workers:
            worker.stop()

    def __enter__(self) -> ExtractPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- internals -------------------------------------------------------------

    def _add(self, worker: _Worker) -> None:
        with self._ready:
            if not self._closed:
                self._all.add(worker)
                self._idle.append(worker)
                self._ready.notify()
                return
        worker.stop()  # closed while it started

    def _take(self) -> _Worker:
        """An idle, live worker (one that died while idle is replaced first)."""
        while True:
            with self._ready:
                while not self._idle and not self._closed:
                    self._ready.wait()
                if self._closed:
                    raise ExtractionAborted("the extraction pool was closed")
                worker = self._idle.pop()
            if worker.process.is_alive():
                return worker
            log.warning("an idle extraction process had ended (exit code %s); replaced",
                        worker.process.exitcode)
            worker.stop()
            self._replace(worker, None)

    def _read_pages(self, results: list[FetchResult]) -> list[Facts | Exception]:
        """What one worker said of `results`, in order: all of them, or up to and
        including the page it ended on (or that passed the wall-clock backstop)."""
        worker = self._take()
        answered: list[Facts | Exception] = []
        try:
            # The raw bytes only matter for files, which stay in-process.
            worker.conn.send([replace(result, body=b"") for result in results])
            for _ in results:
                if not worker.conn.poll(self.wall_seconds):
                    worker.stop()
                    answered.append(self._replace(worker, Facts(
                        availability="error", error="reading the page took longer than "
                        f"{self.wall_seconds:g} s; stopped")))
                    return answered
                kind, value = worker.conn.recv()
                answered.append(RuntimeError(f"reading the page failed: {value}")
                                if kind == "raised" else value)
        except (EOFError, OSError):
            worker.stop()
            answered.append(self._replace(worker, self._died(worker)))
            return answered
        self._give_back(worker)
        return answered

    def _give_back(self, worker: _Worker) -> None:
        with self._ready:
            if self._closed:
                return
            self._idle.append(worker)
            self._ready.notify()

    def _died(self, worker: _Worker) -> Facts:
        code = worker.process.exitcode
        if self._closed or code in _STOPPED:
            raise ExtractionAborted("the run is stopping")
        if code == -signal.SIGXCPU:
            detail = (f"reading the page took more than {math.ceil(self.cpu_seconds)} s of "
                      "processor time; stopped (a page built to be slow to read?)")
        else:
            how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            detail = f"reading the page failed: the reading process ended ({how})"
        log.warning("%s", detail)
        return Facts(availability="error", error=detail)

    def _replace(self, worker: _Worker, facts: _F) -> _F:
        """Put a fresh worker in `worker`'s place (from the fork server: threads run now)."""
        with self._ready:
            self._all.discard(worker)
            if self._closed:
                raise ExtractionAborted("the extraction pool was closed")
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["oermonitor.workers"])
        self._add(_Worker(context, self.cpu_seconds))
        return facts


def _serve(conn: multiprocessing.connection.Connection, cpu_seconds: float) -> None:
    """A worker's life: read pages from `conn` until it closes."""
    _worker_start()
    while True:
        try:
            results = conn.recv()
        except (EOFError, OSError):
            return
        for result in results:  # one reply per page, as soon as it is read
            _limit_cpu(cpu_seconds)
            reply: tuple[str, object]
            try:
                reply = ("facts", extract(result))
            except Exception as exc:  # a bug in a reader: reported for this page only
                reply = ("raised", f"{type(exc).__name__}: {exc}")
            conn.send(reply)


def _limit_cpu(seconds: float) -> None:
    """SIGXCPU (which ends the process) once this page used `seconds` of CPU."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = math.ceil(used) + math.ceil(seconds)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _worker_start() -> None:
    """Prepare a worker: signals, no core files, garbage collector, the parent's death."""
    # Forked workers inherit the parent's Python signal handlers. Ctrl-C reaches the
    # whole process group but only the parent should act on it; SIGTERM ends a worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGXCPU, signal.SIG_DFL)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # SIGXCPU would dump one
    # What the parent had is never garbage here: keep the collector off it (a quarter
    # of a worker's time otherwise).
    gc.freeze()
    # A parent killed outright (SIGKILL) cannot close the pool: end with it.
    threading.Thread(target=_exit_with_parent, daemon=True).start()


def _exit_with_parent() -> None:
    parent = multiprocessing.parent_process()
    if parent is not None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

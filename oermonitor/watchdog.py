"""A deadline for blocking socket I/O, whatever the other end does.

    watchdog = Watchdog()
    with watchdog.deadline(time.monotonic() + 60) as timer:
        response = session.get(url, ...)       # connections call watchdog.watch(sock)
        body = response.raw.read(...)
    if timer.fired: ...                        # the deadline cut the exchange short

A socket timeout bounds each read, not the exchange: a server that sends one
byte of its status line, headers or body every few seconds keeps a request
alive for ever. Here every socket the current thread connects or reuses inside
`deadline(...)` is watched by one thread per `Watchdog`; when the deadline
passes, the connection is shut down (``shutdown(SHUT_RDWR)`` on a duplicate of
its descriptor, so the owner's socket object, TLS layer included, is left to its
owner), and whatever read was waiting returns at once. The caller then sees
`timer.fired` and reports a timeout, never a short body as a complete one.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(eq=False)
class Timer:
    """One exchange's deadline and the duplicates of the sockets it used."""

    when: float
    sockets: list[socket.socket] = field(default_factory=list)
    fired: bool = False


class Watchdog:
    """Shuts down the connections of exchanges that outlive their deadline. Thread-safe."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._cond = threading.Condition()
        self._timers: set[Timer] = set()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._wakes_at = float("inf")  # when the watching thread looks next

    @contextlib.contextmanager
    def deadline(self, when: float) -> Iterator[Timer]:
        """Watch the sockets this thread uses until the block ends (or `when` passes)."""
        timer = Timer(when)
        outer = getattr(self._local, "timer", None)
        self._local.timer = timer
        try:
            yield timer
        finally:
            self._local.timer = outer
            with self._cond:
                self._timers.discard(timer)
                for dup in timer.sockets:
                    dup.close()
                timer.sockets.clear()

    def watch(self, sock: socket.socket) -> None:
        """Called by a connection for the socket it is about to use (this thread's)."""
        timer = getattr(self._local, "timer", None)
        if timer is None:
            return
        try:  # a plain socket for the same connection (an SSLSocket cannot dup itself)
            dup = socket.fromfd(sock.fileno(), sock.family, sock.type)
        except OSError:
            return
        with self._cond:
            if self._closed:  # the run stopped: an abandoned exchange gets no further
                with contextlib.suppress(OSError):
                    dup.shutdown(socket.SHUT_RDWR)
                dup.close()
                return
            timer.sockets.append(dup)
            self._timers.add(timer)
            if timer.fired or time.monotonic() >= timer.when:
                self._fire(timer)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="oermonitor-deadlines",
                                                daemon=True)
                self._thread.start()
            elif timer.when < self._wakes_at:  # else it looks in time anyway: no wake-up
                self._cond.notify()

    def close(self) -> None:
        """Stop watching; exchanges still running are cut off now (they were abandoned)."""
        with self._cond:
            self._closed = True
            for timer in self._timers:
                self._fire(timer)
            self._timers.clear()
            self._cond.notify()

    def _run(self) -> None:
        with self._cond:
            while not self._closed:
                now = time.monotonic()
                for timer in [t for t in self._timers if t.when <= now]:
                    self._fire(timer)
                    self._timers.discard(timer)
                upcoming = min((t.when for t in self._timers), default=None)
                self._wakes_at = float("inf") if upcoming is None else upcoming
                self._cond.wait(None if upcoming is None else max(0.0, upcoming - now))
                self._wakes_at = float("-inf")  # awake: any new timer is seen

    @staticmethod
    def _fire(timer: Timer) -> None:
        timer.fired = True
        for dup in timer.sockets:
            with contextlib.suppress(OSError):
                dup.shutdown(socket.SHUT_RDWR)

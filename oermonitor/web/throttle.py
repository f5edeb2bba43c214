"""A small in-process rate limit: at most `limit` events per key within `seconds`.

    fetches = Throttle(limit=10, seconds=600)
    if not fetches.allow(("fetch", material_id), now):
        ...  # a friendly "try again in a few minutes" page (429)

`oermonitor serve` is one process (waitress threads), so memory is the right place;
a restart forgets, which only ever allows more. Thread-safe.
"""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from collections.abc import Hashable
from datetime import datetime, timedelta


class Throttle:
    def __init__(self, limit: int, seconds: float):
        self.limit = limit
        self.window = timedelta(seconds=seconds)
        self._seen: dict[Hashable, deque[datetime]] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, key: Hashable, now: datetime) -> bool:
        """Count one event for `key` at `now` if the limit allows it; False if not."""
        with self._lock:
            seen = self._seen[key]
            while seen and seen[0] <= now - self.window:
                seen.popleft()
            if len(seen) >= self.limit:
                return False
            seen.append(now)
            if len(self._seen) > 10_000:  # forget keys that went quiet
                for quiet in [k for k, v in self._seen.items() if not v]:
                    del self._seen[quiet]
            return True

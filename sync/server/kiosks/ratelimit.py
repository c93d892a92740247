"""Failed-attempt limiting for enrollment: an 80-bit code cannot be guessed, but a script
hammering /enroll still wastes the database and fills logs, so it is slowed down.

In memory, per client address, over a sliding window measured by the server's clock. One
server process per region is the deployment; several processes would each allow the limit.
"""
from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta


class FailureLimiter:
    def __init__(self, max_failures: int = 10, window: timedelta = timedelta(minutes=10)) -> None:
        self.max_failures, self.window = max_failures, window
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str, now: datetime) -> int | None:
        """Seconds until `key` may try again, or None if it may try now."""
        with self._lock:
            recent = self._recent(key, now)
            if len(recent) < self.max_failures:
                return None
            return max(1, int((recent[0] + self.window - now).total_seconds()) + 1)

    def failed(self, key: str, now: datetime) -> None:
        with self._lock:
            self._recent(key, now).append(now)

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        recent = self._failures.setdefault(key, deque())
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        if len(self._failures) > 10_000:  # many addresses: forget the idle ones
            for other in [k for k, v in self._failures.items() if not v and k != key]:
                del self._failures[other]
        return recent

"""Failed-attempt limiting wherever a secret can be guessed (enrollment codes, carrier API keys,
admin tokens, the SMS delivery-report secret, pickup-page tokens): none can be guessed in
practice, but a script hammering them still wastes the database and fills logs, so it is
slowed down.

In memory, per client address, over a sliding window measured by the server's clock. One
server process per region is the deployment; several processes would each allow the limit.
"""
from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sync import protocol as p
from sync.server.errors import ApiError

COUNTED_STATUSES = frozenset({401, 403, 404})  # a wrong or unknown secret


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


GUESS_LIMIT = 20
"""Failed attempts per client and secret kind in GUESS_WINDOW before 429: generous for a
carrier's script with a stale key or residents behind one mobile operator's NAT who mistype a
link, tiny against a guessing script (every secret here has at least 128 random bits)."""
GUESS_WINDOW = timedelta(minutes=10)


def guess_limiter() -> FailureLimiter:
    """The limiter of every guessable secret: carrier API keys, admin tokens, the SMS delivery
    report secret, pickup-page tokens. Keys are "kind:client", so each kind counts apart."""
    return FailureLimiter(GUESS_LIMIT, GUESS_WINDOW)



def refuse_if_limited(limiter: FailureLimiter, key: str, now: datetime, what: str) -> None:
    """429 with Retry-After if `key` failed too often lately."""
    wait = limiter.retry_after(key, now)
    if wait is not None:
        raise ApiError(429, p.ERROR_RATE_LIMITED, f"too many failed {what}; try again later",
                       {"Retry-After": str(wait)})


@contextmanager
def guarded(limiter: FailureLimiter, key: str, now: datetime, what: str) -> Iterator[None]:
    """Run the block that checks a secret for `key` ("kind:client"): refused at once with 429
    and Retry-After once that key failed too often; a 401/403/404 from the block counts."""
    refuse_if_limited(limiter, key, now, what)
    try:
        yield
    except ApiError as exc:
        if exc.status in COUNTED_STATUSES:
            limiter.failed(key, now)
        raise

"""Pausing the pickup keypad after too many wrong codes.

Counted on the monotonic clock: a Pi without RTC may jump its wall clock by decades, which
must neither lift a pause early nor lock a resident out for ever. A restart forgets the
count; the attempts themselves are audited in the database either way.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable

MAX_WRONG = 5
WINDOW_S = 600.0  # 5 wrong codes within 10 minutes...
PAUSE_S = 300.0  # ...pause entry for 5 minutes


class Lockout:
    def __init__(self, *, max_wrong: int = MAX_WRONG, window_s: float = WINDOW_S,
                 pause_s: float = PAUSE_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_wrong, self.window_s, self.pause_s = max_wrong, window_s, pause_s
        self._clock = clock
        self._wrong: deque[float] = deque()
        self._until = 0.0
        self._lock = threading.Lock()

    def seconds_left(self) -> int:
        """0 when codes may be entered; else whole seconds until they may again."""
        with self._lock:
            left = self._until - self._clock()
        return max(0, int(left + 0.999))

    def wrong(self) -> bool:
        """Counts a wrong code; True if this one starts a pause."""
        with self._lock:
            now = self._clock()
            self._wrong.append(now)
            while self._wrong and now - self._wrong[0] > self.window_s:
                self._wrong.popleft()
            if len(self._wrong) < self.max_wrong:
                return False
            self._wrong.clear()
            self._until = now + self.pause_s
            return True

    @property
    def attempts_counted(self) -> int:
        with self._lock:
            return len(self._wrong)

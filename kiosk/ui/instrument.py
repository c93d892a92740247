"""Measurement hooks for bench/ui, off unless their environment variable names an output file:

- SERVICEPUNKT_FRAME_STATS: the longest main-thread frame, written when the app stops;
- SERVICEPUNKT_SESSION_LOOP=<count>:<file>: runs that many scripted visits (pickup screen,
  six digits, a wrong code checked on a worker, idle reset) and writes the resident-set size
  after the first and after the last, then stops the app.
"""
from __future__ import annotations

import json
import os
import resource
import time
from pathlib import Path

from kivy.clock import Clock

FRAME_ENV_VAR = "SERVICEPUNKT_FRAME_STATS"
LOOP_ENV_VAR = "SERVICEPUNKT_SESSION_LOOP"


def start_instruments(app) -> None:
    if os.environ.get(FRAME_ENV_VAR):
        app.frame_stats = FrameStats(Path(os.environ[FRAME_ENV_VAR]))
    if os.environ.get(LOOP_ENV_VAR):
        count, target = os.environ[LOOP_ENV_VAR].split(":", 1)
        app.session_loop = SessionLoop(app, int(count), Path(target))
        Clock.schedule_once(app.session_loop.next, 0.5)


def rss_kib() -> int:
    """Current resident set from /proc (getrusage only knows the peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class FrameStats:
    def __init__(self, target: Path) -> None:
        self.target, self.longest_ms, self._last = target, 0.0, None
        Clock.schedule_interval(self._frame, 0)

    def _frame(self, _dt) -> None:
        now = time.perf_counter()
        if self._last is not None:
            self.longest_ms = max(self.longest_ms, (now - self._last) * 1000)
            self.target.write_text(json.dumps({"longest_frame_ms": round(self.longest_ms, 1)}))
        self._last = now


class SessionLoop:
    def __init__(self, app, count: int, target: Path) -> None:
        self.app, self.count, self.target = app, count, target
        self.done, self.rss = 0, {}

    def next(self, *_args) -> None:
        session = self.app.session
        session.wake()
        session.go("pickup")
        for digit in "000000":
            self.app.key_pressed(digit)
        session.pickup.submit()  # checked on a worker thread; the answer comes back by Clock
        Clock.schedule_once(self._finish_visit, 0.3)

    def _finish_visit(self, _dt) -> None:
        self.app.session.end_session()
        self.done += 1
        if self.done in (1, self.count):
            self.rss[str(self.done)] = rss_kib()
        if self.done >= self.count:
            self.target.write_text(json.dumps({"visits": self.done, "rss_kib": self.rss}))
            self.app.stop()
        else:
            Clock.schedule_once(self.next, 0)

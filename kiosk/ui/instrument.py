"""Measurement hooks for bench/ui, off unless their environment variable names an output file:

- SERVICEPUNKT_FRAME_STATS: the longest main-thread frame, and how much of it was the buffer
  swap (under Xvfb that is Mesa's llvmpipe rasterizing the frame on the CPU; on the kiosk's
  GPU it is not main-thread work) against the rest (our Python, Kivy's layout and drawing);
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
        app.frame_stats = FrameStats(Path(os.environ[FRAME_ENV_VAR]), app)
    if os.environ.get(LOOP_ENV_VAR):
        count, target = os.environ[LOOP_ENV_VAR].split(":", 1)
        app.session_loop = SessionLoop(app, int(count), Path(target))
        app.session_loop.start_when_ready()


def rss_kib() -> int:
    """Current resident set from /proc (getrusage only knows the peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class FrameStats:
    SLOWEST_KEPT = 5

    def __init__(self, target: Path, app) -> None:
        from kivy.core.window import Window

        self.target, self.app, self._last = target, app, None
        self.slowest: list[dict] = []  # the longest frames, each with where the app was
        self.longest_work_cpu_ms = 0.0
        self._swap_s = self._swap_cpu_s = 0.0  # buffer swaps since the last frame
        self._last_cpu = time.thread_time()
        self._flip = Window.flip
        Window.flip = self._timed_flip
        Clock.schedule_interval(self._frame, 0)

    def _timed_flip(self) -> None:
        started, started_cpu = time.perf_counter(), time.thread_time()
        self._flip()
        self._swap_s += time.perf_counter() - started
        self._swap_cpu_s += time.thread_time() - started_cpu

    def _frame(self, _dt) -> None:
        """Wall time per frame, and the main thread's own CPU time without the swap: on a
        machine shared with other work the wall time also counts waiting for a core."""
        now, cpu = time.perf_counter(), time.thread_time()
        if self._last is not None:
            work_cpu_ms = (cpu - self._last_cpu - self._swap_cpu_s) * 1000
            self._record((now - self._last) * 1000, self._swap_s * 1000, work_cpu_ms)
        self._last, self._last_cpu, self._swap_s, self._swap_cpu_s = now, cpu, 0.0, 0.0

    def _record(self, frame_ms: float, swap_ms: float, work_cpu_ms: float) -> None:
        if not self.target.exists():  # the bench removed the file: start again from here
            self.slowest, self.longest_work_cpu_ms = [], 0.0
        frame = {"ms": round(frame_ms, 1), "swap_ms": round(swap_ms, 1), "screen": self.app.session.screen,
                 "at_s": round(time.monotonic(), 2)}
        self.longest_work_cpu_ms = max(self.longest_work_cpu_ms, work_cpu_ms)
        self.slowest = sorted([*self.slowest, frame], key=lambda f: -f["ms"])[:self.SLOWEST_KEPT]
        longest = self.slowest[0]
        temp = self.target.with_suffix(".tmp")  # replaced whole: the bench may read at any moment
        temp.write_text(json.dumps({"longest_frame_ms": longest["ms"], "swap_in_longest_ms": longest["swap_ms"],
                                    "longest_work_ms": max(f["ms"] - f["swap_ms"] for f in self.slowest),
                                    "longest_work_cpu_ms": round(self.longest_work_cpu_ms, 1),
                                    "slowest": self.slowest}))
        os.replace(temp, self.target)


class SessionLoop:
    def __init__(self, app, count: int, target: Path) -> None:
        self.app, self.count, self.target = app, count, target
        self.done, self.rss = 0, {}

    def start_when_ready(self, *_args) -> None:
        """Visits begin once the runtime is built, so the first one is a normal one."""
        if self.app.runtime is None:
            Clock.schedule_once(self.start_when_ready, 0.2)
        else:
            Clock.schedule_once(self.next, 0.5)

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

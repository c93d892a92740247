"""Measurement hooks for bench/ui, off unless their environment variable names an output file:

- SERVICEPUNKT_FRAME_STATS: the longest main-thread frames, each split into the buffer swap
  (under Xvfb that is Mesa's llvmpipe rasterizing the frame on the CPU; on the kiosk's GPU
  it is not main-thread work), the wait for the next frame, and the app's own work;
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
        app.frame_stats = FrameStats(Path(os.environ[FRAME_ENV_VAR]), lambda: app.session.screen)
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


def run_delay_s() -> float:
    """How long this thread has waited for a core so far (0 where the kernel does not say)."""
    try:
        return int(Path("/proc/thread-self/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


class FrameStats:
    """Times every frame of the main loop, split three ways: waiting for the next frame (the
    Clock sleeps to keep 60 fps), the buffer swap (Window.flip: under Xvfb Mesa's llvmpipe
    rasterizes the whole frame there), and the rest, which is the app's own work (our
    Python, Kivy's layout, text rendering, uploading textures, issuing the draw calls).
    The work is split again into the main thread's CPU time, its time waiting for a core
    (the scheduler's run delay, /proc/thread-self/schedstat) and the rest of the waiting (the
    GIL while a worker thread runs, files, locks).
    Also used by bench/ui's bare Kivy app, so both are measured the same way."""

    SLOWEST_KEPT = 5

    def __init__(self, target: Path, where=lambda: "") -> None:
        from kivy.core.window import Window

        self.target, self.where, self._last = target, where, None
        self._reset()
        self._swap_s = self._swap_cpu_s = self._idle_s = self._outside_delay_s = 0.0  # since the last frame
        self._last_cpu, self._last_delay = time.thread_time(), run_delay_s()
        self._flip, self._idle = Window.flip, Clock.idle
        Window.flip, Clock.idle = self._timed_flip, self._timed_idle
        Clock.schedule_interval(self._frame, 0)

    def _reset(self) -> None:
        self.frames, self.slowest, self.most_work, self.most_work_cpu = 0, [], None, 0.0

    def _timed_flip(self) -> None:
        started, started_cpu, started_delay = time.perf_counter(), time.thread_time(), run_delay_s()
        self._flip()
        self._swap_s += time.perf_counter() - started
        self._swap_cpu_s += time.thread_time() - started_cpu
        self._outside_delay_s += run_delay_s() - started_delay

    def _timed_idle(self):
        started, started_delay = time.perf_counter(), run_delay_s()
        try:
            return self._idle()
        finally:
            self._idle_s += time.perf_counter() - started
            self._outside_delay_s += run_delay_s() - started_delay

    def _frame(self, _dt) -> None:
        """Called once a frame, after the Clock's wait: the interval since the last call is
        one whole frame. CPU time is the main thread's (time.thread_time): unlike the wall
        time it does not count waiting for a core on a machine shared with other work."""
        now, cpu, delay = time.perf_counter(), time.thread_time(), run_delay_s()
        if self._last is not None:
            wall_ms, swap_ms, idle_ms = (now - self._last) * 1000, self._swap_s * 1000, self._idle_s * 1000
            self._record({"ms": round(wall_ms, 1), "swap_ms": round(swap_ms, 1),
                          "work_ms": round(wall_ms - swap_ms - idle_ms, 1),
                          "work_cpu_ms": round((cpu - self._last_cpu - self._swap_cpu_s) * 1000, 1),
                          "work_core_wait_ms": round((delay - self._last_delay - self._outside_delay_s) * 1000, 1),
                          "where": self.where(), "at_s": round(time.monotonic(), 2)})
        self._last, self._last_cpu, self._last_delay = now, cpu, delay
        self._swap_s = self._swap_cpu_s = self._idle_s = self._outside_delay_s = 0.0

    def _record(self, frame: dict) -> None:
        if not self.target.exists():  # the bench removed the file: start again from here
            self._reset()
        self.frames += 1
        self.slowest = sorted([*self.slowest, frame], key=lambda f: -f["ms"])[:self.SLOWEST_KEPT]
        if self.most_work is None or frame["work_ms"] > self.most_work["work_ms"]:
            self.most_work = frame
        self.most_work_cpu = max(self.most_work_cpu, frame["work_cpu_ms"])
        temp = self.target.with_suffix(".tmp")  # replaced whole: the bench may read at any moment
        temp.write_text(json.dumps({"frames": self.frames, "longest": self.slowest[0], "most_work": self.most_work,
                                    "most_work_cpu_ms": self.most_work_cpu, "slowest": self.slowest}))
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

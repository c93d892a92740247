"""Is this machine's wall clock synchronised? The kernel's answer, not a guess from the date.

A Raspberry Pi has no RTC: until NTP answers, its clock is wherever fake-hwclock left it at
the last shutdown, days or weeks behind, and a date after the build date proves nothing. The
kernel keeps the NTP discipline state: systemd-timesyncd (or chrony, ntpd) clears STA_UNSYNC
through adjtimex(2) once it has set the clock, and the kernel sets it again when the clock
goes undisciplined. `timedatectl show -p NTPSynchronized` reads the same bit (systemd's
timedated calls adjtimex too), so asking adjtimex directly gives the same answer without a
D-Bus round trip. One read-only system call, but ~20 us on a virtualised machine, so the
answer is reused for a second: every enqueue asks.

Where adjtimex cannot be asked (not Linux: a developer's Mac), the old heuristic stands in:
a clock before the software existed is not set.
"""
from __future__ import annotations

import ctypes
import functools
import threading
import time
from collections.abc import Callable

# Wall time before this cannot be real (the software did not exist yet). Only the fallback.
CLOCK_PLAUSIBLE_AFTER_MS = 1_793_491_200_000  # 2026-11-01T00:00:00Z
STA_UNSYNC = 0x0040  # <linux/timex.h>: the clock is not synchronised
TIME_ERROR = 5  # adjtimex's return value while the clock is not synchronised


class Timex(ctypes.Structure):
    """struct timex of <linux/timex.h> (the same layout on 32- and 64-bit: longs throughout),
    with the kernel's reserved tail so the call never writes past the buffer."""

    _fields_ = [
        ("modes", ctypes.c_uint), ("offset", ctypes.c_long), ("freq", ctypes.c_long),
        ("maxerror", ctypes.c_long), ("esterror", ctypes.c_long), ("status", ctypes.c_int),
        ("constant", ctypes.c_long), ("precision", ctypes.c_long), ("tolerance", ctypes.c_long),
        ("time_sec", ctypes.c_long), ("time_usec", ctypes.c_long), ("tick", ctypes.c_long),
        ("ppsfreq", ctypes.c_long), ("jitter", ctypes.c_long), ("shift", ctypes.c_int),
        ("stabil", ctypes.c_long), ("jitcnt", ctypes.c_long), ("calcnt", ctypes.c_long),
        ("errcnt", ctypes.c_long), ("stbcnt", ctypes.c_long), ("tai", ctypes.c_int),
        ("reserved", ctypes.c_int * 11),
    ]


AdjTimex = Callable[[Timex], int]  # fills the struct, returns the clock state (or -1)


@functools.cache
def _libc_adjtimex() -> AdjTimex | None:
    try:
        function = ctypes.CDLL(None, use_errno=True).adjtimex
    except (AttributeError, OSError):
        return None
    function.argtypes = [ctypes.POINTER(Timex)]
    function.restype = ctypes.c_int
    return lambda timex: int(function(ctypes.byref(timex)))


def kernel_says_synced(adjtimex: AdjTimex | None = None) -> bool | None:
    """True/False as the kernel's NTP state says; None if it cannot be asked. `modes = 0`
    only reads: nothing is changed and no privilege is needed."""
    call = adjtimex if adjtimex is not None else _libc_adjtimex()
    if call is None:
        return None
    timex = Timex(modes=0)
    state = call(timex)
    if state < 0:
        return None
    return state != TIME_ERROR and not timex.status & STA_UNSYNC


def plausible(wall_ms: int) -> bool:
    return wall_ms >= CLOCK_PLAUSIBLE_AFTER_MS


def ask_now(adjtimex: AdjTimex | None = None) -> bool:
    """The wall clock can be trusted for dates: the kernel says so, or (no kernel to ask)
    it is at least later than the software."""
    synced = kernel_says_synced(adjtimex)
    return synced if synced is not None else plausible(time.time_ns() // 1_000_000)


class ClockSyncCheck:
    """`ask_now()`, its answer reused for `max_age_s` (the state changes once a boot, or when
    NTP is lost for long; a second late is harmless)."""

    def __init__(self, ask: Callable[[], bool] = ask_now, *, max_age_s: float = 1.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._ask, self._max_age_s, self._monotonic = ask, max_age_s, monotonic
        self._lock = threading.Lock()
        self._answer: tuple[float, bool] | None = None

    def __call__(self) -> bool:
        now = self._monotonic()
        with self._lock:
            if self._answer is not None and now - self._answer[0] < self._max_age_s:
                return self._answer[1]
        synced = self._ask()
        with self._lock:
            self._answer = (now, synced)
        return synced


clock_synchronised = ClockSyncCheck()  # a cache of the kernel's state, not a setting

"""When the screen dims: inside the configured period (local time, HH:MM, may span midnight)
and nobody has touched it for a while. A touch brightens it at once; it dims again once the
visit's idle time has passed without a touch. Never dark: the level is a share of full.

The kiosk's clock can be wrong until NTP has synced (a Pi has no RTC): then the period is
off by as much, which dims or brightens a screen at the wrong time and does nothing worse.
"""
from __future__ import annotations

from datetime import time as TimeOfDay

from kiosk.ui.presenters.base import Presenter

FULL = 1.0


def time_of_day(text: str) -> TimeOfDay:
    hours, minutes = text.split(":")
    return TimeOfDay(int(hours), int(minutes))


def in_period(now: TimeOfDay, start: TimeOfDay, end: TimeOfDay) -> bool:
    """Start included, end excluded; a period whose end is before its start spans midnight."""
    if start < end:
        return start <= now < end
    return now >= start or now < end


class DimmingPresenter(Presenter):
    def __init__(self, *, dim_from: str | None, dim_until: str | None, level: float, awake_s: float) -> None:
        super().__init__()
        self.period = (time_of_day(dim_from), time_of_day(dim_until)) if dim_from and dim_until else None
        self.level, self.awake_s = level, awake_s
        self.brightness = FULL
        self._awake_until = float("-inf")

    @property
    def dimmed(self) -> bool:
        return self.brightness < FULL

    def touched(self, now: float) -> None:
        """`now` is monotonic seconds. Brightens at once, not on the next tick."""
        self._awake_until = now + self.awake_s
        self._set(FULL)

    def tick(self, local_time: TimeOfDay, now: float) -> None:
        """Called about once a second with the wall clock's time of day and monotonic seconds."""
        scheduled = self.period is not None and in_period(local_time, *self.period)
        self._set(self.level if scheduled and now >= self._awake_until else FULL)

    def _set(self, brightness: float) -> None:
        if brightness != self.brightness:
            self.brightness = brightness
            self.changed()

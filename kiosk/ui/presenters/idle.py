"""When nobody has touched the kiosk for a while: warn, then clear the session.

EAA and WCAG 2.2.1: the warning comes at least 20 s before the reset, through more than one
sense (the app shows it and says it), and one touch on "More time" restarts the clock, as
often as the person needs.
"""
from __future__ import annotations

from dataclasses import dataclass

WARNING_S = 30.0

IDLE, WARNING, RESET = "idle", "warning", "reset"


@dataclass
class IdleTimer:
    timeout_s: float
    warning_s: float = WARNING_S
    last_touch: float = 0.0

    def touched(self, now: float) -> None:
        self.last_touch = now

    def state(self, now: float) -> str:
        quiet = now - self.last_touch
        if quiet >= self.timeout_s + self.warning_s:
            return RESET
        return WARNING if quiet >= self.timeout_s else IDLE

    def seconds_left(self, now: float) -> int:
        """Until the reset, for the countdown in the warning."""
        return max(0, round(self.last_touch + self.timeout_s + self.warning_s - now))

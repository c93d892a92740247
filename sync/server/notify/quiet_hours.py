"""Quiet hours: residents' SMS and e-mails are not sent at night. A message due in the quiet
period waits in the queue until it ends; on-duty alerts (someone waits in the video room right
now) and staff alarms (a door stands open) are sent at once.

The period is local time at the service points (Europe/Stockholm) and may cross midnight:
"21:00-08:00" is quiet from 21:00 until 08:00 the next morning.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sync import protocol as p

LOCAL = ZoneInfo(p.DIRECTORY_TIMEZONE)
_PERIOD = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
OFF = ("off", "none", "no")


@dataclass(frozen=True)
class QuietHours:
    start: time  # local wall-clock times
    end: time

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise ValueError("quiet hours must start and end at different times")

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(LOCAL).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # across midnight

    @classmethod
    def parse(cls, text: str) -> QuietHours | None:
        """"21:00-08:00", or "off" for none; raises ValueError otherwise."""
        text = text.strip().lower()
        if text in OFF:
            return None
        match = _PERIOD.match(text.replace(" ", ""))
        if match is None:
            raise ValueError(f"{text!r} is not HH:MM-HH:MM or off")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        return cls(time(h1, m1), time(h2, m2))

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


DEFAULT_QUIET_HOURS = QuietHours(time(21, 0), time(8, 0))

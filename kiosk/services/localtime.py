"""The service point's time: the screen's clock, opening hours, meetings and night dimming are
all Swedish local time, whatever zone the kiosk's system is set to (a Pi imaged elsewhere or
left at the default runs in UTC, an hour or two behind the opening hours beside it)."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sync.directory_terms import DIRECTORY_TIMEZONE

SERVICE_POINT_TIME = ZoneInfo(DIRECTORY_TIMEZONE)


def local_now(now: datetime | None = None) -> datetime:
    """`now` (an aware datetime; the current instant if None) at the service point."""
    return (now or datetime.now(UTC)).astimezone(SERVICE_POINT_TIME)


def clock_text(now: datetime | None = None) -> str:
    """What the status bar's clock shows: "14:05"."""
    return local_now(now).strftime("%H:%M")

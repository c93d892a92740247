"""Moments as a person at the service point reads them: local time with the zone's name.

Both command lines (the technician's `kiosk`, the coordinator's `kiosk-central`) show times
this way. The databases keep UTC; a bare UTC timestamp made technicians subtract an hour or
two in their heads, and an unmarked local one is ambiguous across the daylight-saving change.
"""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sync.directory_terms import DIRECTORY_TIMEZONE

NONE = "none"  # what an absent moment reads as


def service_point_zone(name: str | None = None) -> ZoneInfo:
    """The zone called NAME (default: the service points' Europe/Stockholm); ValueError if
    there is no such zone."""
    try:
        return ZoneInfo(name or DIRECTORY_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as Europe/Stockholm") from None


def local_text(moment: datetime | str | None, zone: ZoneInfo) -> str:
    """"2026-12-07 23:10:37 CET" for MOMENT in ZONE. A naive datetime or ISO string is UTC
    (the kiosk's outbox keeps naive UTC); None reads as "none"."""
    if moment is None:
        return NONE
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M:%S %Z}"

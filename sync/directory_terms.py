"""The directory's plain terms (sync/protocol.py, scope "directory"), without pydantic: the
kiosk's screens need them before the first frame, and the wire models need pydantic, which
`kiosk run` leaves until its window answers."""
from __future__ import annotations

DIRECTORY_TIMEZONE = "Europe/Stockholm"  # opening hours are local time at the service points
E_SERVICE_CATEGORIES: tuple[str, ...] = ("health", "benefits", "tax", "work", "municipality", "other")

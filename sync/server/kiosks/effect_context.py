"""What an event's effect works with: the ingest transaction, the kiosk, the batch's parcels.

Its own module so that the effects of every feature (parcels/effects.py) and the dispatcher
(effects.py) both import it, without importing each other.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from sync import protocol as p
from sync.server.db.kiosks import Device
from sync.server.db.parcels import Parcel

# A kiosk's wall clock this close to the server's estimate of the event is believed, and so is
# the deadline it computed from it; further off, the deadline is re-based (kiosk_deadline()).
TRUSTED_CLOCK_SKEW = timedelta(minutes=10)


@dataclass(frozen=True)
class EventTiming:
    """What the kiosk's clock said when the event happened, and what the server estimates
    (clocks.py: from the boot's monotonic clock when it can, else its own receive time)."""

    kiosk_wall: datetime
    kiosk_synced: bool
    occurred_at: datetime

    @classmethod
    def of(cls, clock: p.Clock, occurred_at: datetime) -> EventTiming:
        return cls(datetime.fromtimestamp(clock.wall_ms / 1000, UTC), clock.clock_synced, occurred_at)

    @property
    def kiosk_clock_trusted(self) -> bool:
        return self.kiosk_synced and abs(self.kiosk_wall - self.occurred_at) <= TRUSTED_CLOCK_SKEW


@dataclass
class EffectContext:
    session: Session
    device: Device
    parcels: dict[str, Parcel]  # every parcel the batch names that exists, by id
    now: datetime  # when the server received the batch
    # parcel_transitions rows, inserted by ingest in one executemany after the parcels
    transitions: list[dict[str, Any]] = field(default_factory=list)
    # The clock of the event being applied, set by ingest before each effect: a deadline the
    # kiosk computed from a clock that was off is re-based on the server's estimate.
    timing: EventTiming | None = None


Effect = Callable[[EffectContext, Any, str], "str | None"]

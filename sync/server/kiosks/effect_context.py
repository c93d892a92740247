"""What an event's effect works with: the ingest transaction, the kiosk, the batch's parcels.

Its own module so that the effects of every feature (parcels/effects.py) and the dispatcher
(effects.py) both import it, without importing each other.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from sync.server.db.kiosks import Device
from sync.server.db.parcels import Parcel


@dataclass
class EffectContext:
    session: Session
    device: Device
    parcels: dict[str, Parcel]  # every parcel the batch names that exists, by id
    now: datetime  # when the server received the batch
    # parcel_transitions rows, inserted by ingest in one executemany after the parcels
    transitions: list[dict[str, Any]] = field(default_factory=list)


Effect = Callable[[EffectContext, Any, str], "str | None"]

"""Business effects of accepted events, applied in the ingest transaction.

Each effect runs at most once because it runs only when its event row is first inserted
(UNIQUE(event_id)), and the effect rows themselves carry the event_id (unique) that made them.
An effect that cannot apply returns a reason: the event is then stored as rejected.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from sync import protocol as p
from sync.server.models import Device, Parcel

Effect = Callable[[Session, Device, Any, str], "str | None"]


def _parcel_stored(session: Session, device: Device, ev: p.ParcelStored, event_id: str) -> str | None:
    existing = session.get(Parcel, ev.parcel_id)
    if existing is not None:
        return f"parcel {ev.parcel_id} already stored by event {existing.stored_event_id}"
    session.add(
        Parcel(
            parcel_id=ev.parcel_id,
            service_point_id=device.service_point_id,
            tracking_id=ev.tracking_id,
            compartment=ev.compartment,
            state="stored",
            stored_event_id=event_id,
        )
    )
    return None


def _parcel_picked_up(
    session: Session, device: Device, ev: p.ParcelPickedUp, event_id: str
) -> str | None:
    parcel = session.get(Parcel, ev.parcel_id)
    if parcel is None or parcel.service_point_id != device.service_point_id:
        return f"no parcel {ev.parcel_id} at {device.service_point_id}"
    if parcel.state == "picked_up":
        return f"parcel {ev.parcel_id} already picked up by event {parcel.picked_up_event_id}"
    parcel.state = "picked_up"
    parcel.picked_up_event_id = event_id
    return None


EFFECTS: Mapping[str, Effect] = {
    "parcel.stored": _parcel_stored,
    "parcel.picked_up": _parcel_picked_up,
}


def apply_effect(
    session: Session, device: Device, type_: str, payload: dict[str, Any], event_id: str
) -> str | None:
    """Apply a validated event's effect; return a reason if it cannot apply (nothing changed)."""
    model = p.EVENT_PAYLOADS[type_].model_validate(payload, strict=True)
    effect = EFFECTS.get(type_)
    return None if effect is None else effect(session, device, model, event_id)

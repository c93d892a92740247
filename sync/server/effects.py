"""Business effects of accepted events, applied in the ingest transaction.

Each effect runs at most once because it runs only when its event row is first inserted
(UNIQUE(event_id)), and the effect rows themselves carry the event_id (unique) that made them.
An effect that cannot apply returns a reason: the event is then stored as rejected.
The parcels a batch refers to are loaded once up front (`load_parcels`), not per event.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync import protocol as p
from sync.server.models import Device, Parcel


@dataclass
class EffectContext:
    session: Session
    device: Device
    parcels: dict[str, Parcel]  # every parcel the batch names that exists, by id


Effect = Callable[[EffectContext, Any, str], "str | None"]


def load_parcels(session: Session, events: Sequence[p.Event]) -> dict[str, Parcel]:
    ids = {str(e.payload.get("parcel_id")) for e in events if e.type.startswith("parcel.")}
    if not ids:
        return {}
    return {row.parcel_id: row for row in session.scalars(select(Parcel).where(Parcel.parcel_id.in_(ids)))}


def _parcel_stored(ctx: EffectContext, ev: p.ParcelStored, event_id: str) -> str | None:
    existing = ctx.parcels.get(ev.parcel_id)
    if existing is not None:
        return f"parcel {ev.parcel_id} already stored by event {existing.stored_event_id}"
    parcel = Parcel(
        parcel_id=ev.parcel_id,
        service_point_id=ctx.device.service_point_id,
        tracking_id=ev.tracking_id,
        compartment=ev.compartment,
        state="stored",
        stored_event_id=event_id,
    )
    ctx.session.add(parcel)
    ctx.parcels[ev.parcel_id] = parcel
    return None


def _parcel_picked_up(ctx: EffectContext, ev: p.ParcelPickedUp, event_id: str) -> str | None:
    parcel = ctx.parcels.get(ev.parcel_id)
    if parcel is None or parcel.service_point_id != ctx.device.service_point_id:
        return f"no parcel {ev.parcel_id} at {ctx.device.service_point_id}"
    if parcel.state == "picked_up":
        return f"parcel {ev.parcel_id} already picked up by event {parcel.picked_up_event_id}"
    parcel.state = "picked_up"
    parcel.picked_up_event_id = event_id
    return None


EFFECTS: Mapping[str, Effect] = {
    "parcel.stored": _parcel_stored,
    "parcel.picked_up": _parcel_picked_up,
}


def apply_effect(ctx: EffectContext, type_: str, payload: dict[str, Any], event_id: str) -> str | None:
    """Apply a validated event's effect; return a reason if it cannot apply (nothing changed)."""
    model = p.EVENT_PAYLOADS[type_].model_validate(payload, strict=True)
    effect = EFFECTS.get(type_)
    return None if effect is None else effect(ctx, model, event_id)


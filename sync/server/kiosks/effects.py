"""Business effects of accepted events, applied in the ingest transaction.

Each effect runs at most once because it runs only when its event row is first inserted
(UNIQUE(event_id)), and the effect rows themselves carry the event_id (unique) that made them.
An effect that cannot apply returns a reason: the event is then stored as rejected.
The parcels a batch refers to are loaded once up front (`load_parcels`), not per event.
The parcel and door effects themselves are in parcels/effects.py.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync import protocol as p
from sync.server.db.parcels import Parcel
from sync.server.kiosks.effect_context import Effect, EffectContext
from sync.server.parcels import effects as parcel_effects


def load_parcels(session: Session, events: Sequence[p.Event]) -> dict[str, Parcel]:
    """The batch's parcels by id; their pre-advices are prefetched alongside."""
    ids = {str(e.payload.get("parcel_id")) for e in events if e.type.startswith("parcel.")}
    if not ids:
        return {}
    parcels = {row.parcel_id: row for row in session.scalars(select(Parcel).where(Parcel.parcel_id.in_(ids)))}
    tracking = {str(e.payload.get("tracking_id")) for e in events if e.type == "parcel.stored"}
    parcel_effects.prefetch_pre_advices(session, tracking | {row.tracking_id for row in parcels.values()})
    return parcels


EFFECTS: Mapping[str, Effect] = {
    "parcel.stored": parcel_effects.parcel_stored,
    "parcel.picked_up": parcel_effects.parcel_picked_up,
    "parcel.returned": parcel_effects.parcel_returned,
    "door.opened": parcel_effects.door_opened,
    "door.left_open": parcel_effects.door_left_open,
    "pickup.locked_out": parcel_effects.pickup_locked_out,
}


def apply_effect(ctx: EffectContext, type_: str, payload: dict[str, Any], event_id: str) -> str | None:
    """Apply a validated event's effect; return a reason if it cannot apply (nothing changed)."""
    model = p.EVENT_PAYLOADS[type_].model_validate(payload, strict=True)
    effect = EFFECTS.get(type_)
    return None if effect is None else effect(ctx, model, event_id)


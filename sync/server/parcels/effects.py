"""Effects of the parcel and door events (registered in effects.py), in the ingest transaction.

Each state change writes exactly one ParcelTransition keyed by its event id; the event row's
own UNIQUE(event_id) already guarantees an effect runs once, the transition's unique key makes
a second application fail loudly rather than count twice.
"""
from __future__ import annotations

import json
import secrets
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sync import protocol as p
from sync.server.db.kiosks import ChangeLog, ServicePoint
from sync.server.db.parcels import Carrier, DoorAudit, Parcel, PreAdvice
from sync.server.kiosks.effect_context import EffectContext
from sync.server.kiosks.feed import append_change
from sync.server.notify.queue import (
    ACTIVE_STATES,
    cancel_parcel_notices,
    queue_carrier_report,
    queue_parcel_notices,
    queue_staff_door_alarm,
)

# Deadlines are days in the shops' time zone, not UTC.
LOCAL_TZ = ZoneInfo("Europe/Stockholm")


def local_date(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def parcel_stored(ctx: EffectContext, ev: p.ParcelStored, event_id: str) -> str | None:
    existing = ctx.parcels.get(ev.parcel_id)
    if existing is not None:
        return f"parcel {ev.parcel_id} already stored by event {existing.stored_event_id}"
    advice = _open_pre_advice(ctx.session, ev.tracking_id, ctx.device.service_point_id)
    carrier_id = ev.carrier or (advice.carrier_id if advice else None)
    carrier = ctx.session.get(Carrier, carrier_id) if carrier_id else None
    parcel = Parcel(
        parcel_id=ev.parcel_id, service_point_id=ctx.device.service_point_id,
        tracking_id=ev.tracking_id, compartment=ev.compartment,
        state="stored" if ev.compartment else "held", stored_event_id=event_id,
        carrier=carrier_id, size_class=ev.size_class, stored_at=ctx.now,
        deadline=_deadline(ev, advice, carrier, ctx.now), pickup_code=ev.pickup_code,
    )
    _set_recipient(parcel, ev.recipient, advice)
    if parcel.pickup_code and (parcel.recipient_phone or parcel.recipient_email):
        parcel.link_token = secrets.token_urlsafe(18)
    ctx.session.add(parcel)
    ctx.parcels[ev.parcel_id] = parcel
    if advice is not None and advice.parcel_id is None:
        advice.parcel_id = ev.parcel_id
    _transition(ctx, parcel, event_id)
    queue_parcel_notices(ctx.session, parcel, "pickup_ready", ctx.now)
    queue_carrier_report(ctx.session, parcel, event_id, parcel.state, ctx.now,
                         deadline=parcel.deadline.isoformat() if parcel.deadline else None)
    return None


_PREFETCHED = "parcel_effects.pre_advices"


def prefetch_pre_advices(session: Session, tracking_ids: set[str]) -> None:
    """Load the pre-advices a batch may touch in one query (a 500-event batch would otherwise
    ask 500 times), remembering which ids were asked for, found or not."""
    found = {} if not tracking_ids else {
        row.tracking_id: row
        for row in session.scalars(select(PreAdvice).where(PreAdvice.tracking_id.in_(tracking_ids)))}
    session.info[_PREFETCHED] = (frozenset(tracking_ids), found)


def _pre_advice(session: Session, tracking_id: str) -> PreAdvice | None:
    asked, found = session.info.get(_PREFETCHED, (frozenset(), {}))
    return found.get(tracking_id) if tracking_id in asked else session.get(PreAdvice, tracking_id)


def _open_pre_advice(session: Session, tracking_id: str, service_point_id: str) -> PreAdvice | None:
    advice = _pre_advice(session, tracking_id)
    if advice is None or advice.state != "open" or advice.service_point_id != service_point_id:
        return None
    return advice


def _deadline(ev: p.ParcelStored, advice: PreAdvice | None, carrier: Carrier | None,
              now: datetime) -> date:
    if ev.deadline is not None:
        return date.fromisoformat(ev.deadline)
    if advice is not None:
        days = advice.deadline_days
    else:
        days = carrier.deadline_days if carrier is not None else p.DEFAULT_DEADLINE_DAYS
    return local_date(now) + timedelta(days=days)


def _set_recipient(parcel: Parcel, recipient: p.Recipient | None, advice: PreAdvice | None) -> None:
    """The kiosk's recipient (staff typed it) wins; else the carrier's pre-advice."""
    if recipient is not None:
        parcel.recipient_name, parcel.recipient_phone = recipient.name, recipient.phone
        parcel.recipient_email, parcel.language = recipient.email, recipient.language
    elif advice is not None:
        parcel.recipient_name, parcel.recipient_phone = advice.recipient_name, advice.recipient_phone
        parcel.recipient_email, parcel.language = advice.recipient_email, advice.language
    else:
        parcel.language = "sv"


def parcel_picked_up(ctx: EffectContext, ev: p.ParcelPickedUp, event_id: str) -> str | None:
    parcel, problem = _active_parcel(ctx, ev.parcel_id)
    if parcel is None:
        return problem
    parcel.state, parcel.picked_up_event_id, parcel.picked_up_via = "picked_up", event_id, ev.via
    _finish(ctx, parcel, event_id, via=ev.via)
    return None


def parcel_returned(ctx: EffectContext, ev: p.ParcelReturned, event_id: str) -> str | None:
    parcel, problem = _active_parcel(ctx, ev.parcel_id)
    if parcel is None:
        return problem
    parcel.state, parcel.returned_event_id = "returned", event_id
    _finish(ctx, parcel, event_id)
    return None


def _active_parcel(ctx: EffectContext, parcel_id: str) -> tuple[Parcel | None, str | None]:
    parcel = ctx.parcels.get(parcel_id)
    if parcel is None or parcel.service_point_id != ctx.device.service_point_id:
        return None, f"no parcel {parcel_id} at {ctx.device.service_point_id}"
    if parcel.state == "picked_up":
        return None, f"parcel {parcel_id} already picked up by event {parcel.picked_up_event_id}"
    if parcel.state not in ACTIVE_STATES:
        return None, f"parcel {parcel_id} is already {parcel.state}"
    return parcel, None


def _finish(ctx: EffectContext, parcel: Parcel, event_id: str, **extra: str) -> None:
    """Picked up or returned: the pre-advice leaves the kiosks' feed, no more messages go
    out, the carrier hears of it, and the 30-day purge clock starts."""
    parcel.done_at = ctx.now
    _transition(ctx, parcel, event_id)
    cancel_parcel_notices(ctx.session, parcel.parcel_id)
    advice = _pre_advice(ctx.session, parcel.tracking_id)
    if advice is not None and advice.state == "open" and advice.service_point_id == parcel.service_point_id:
        withdraw_pre_advice(ctx.session, advice, ctx.now)
    queue_carrier_report(ctx.session, parcel, event_id, parcel.state, ctx.now, **extra)


def withdraw_pre_advice(session: Session, advice: PreAdvice, now: datetime) -> None:
    """Delete the pre-advice from its service point's feed. Its earlier upserts (which carry
    the recipient's data) go from the log at once: a superseded row harms no cursor, and a
    kiosk that never saw the upsert just applies the tombstone."""
    advice.state, advice.version = "done", advice.version + 1
    session.execute(delete(ChangeLog).where(
        ChangeLog.scope == p.SCOPE_PARCELS, ChangeLog.service_point_id == advice.service_point_id,
        ChangeLog.entity == "pre_advice", ChangeLog.entity_id == advice.tracking_id,
    ))
    append_change(session, scope=p.SCOPE_PARCELS, service_point_id=advice.service_point_id,
                  entity="pre_advice", entity_id=advice.tracking_id, version=advice.version,
                  op="delete", data=None, now=now)


def _transition(ctx: EffectContext, parcel: Parcel, event_id: str) -> None:
    """One ParcelTransition row; ingest inserts the batch's rows together, after the parcels."""
    ctx.transitions.append({"parcel_id": parcel.parcel_id, "event_id": event_id,
                            "state": parcel.state, "at": ctx.now})


def _audit(ctx: EffectContext, kind: str, event_id: str, **fields: object) -> None:
    ctx.session.add(DoorAudit(event_id=event_id, device_id=ctx.device.device_id,
                              service_point_id=ctx.device.service_point_id, kind=kind,
                              received_at=ctx.now, **fields))


def door_opened(ctx: EffectContext, ev: p.DoorOpened, event_id: str) -> str | None:
    _audit(ctx, "door.opened", event_id, compartment=ev.compartment, reason=ev.reason,
           outcome=ev.outcome, actor=ev.actor, parcel_id=ev.parcel_id)
    return None


def door_left_open(ctx: EffectContext, ev: p.DoorLeftOpen, event_id: str) -> str | None:
    _audit(ctx, "door.left_open", event_id, compartment=ev.compartment,
           detail=json.dumps({"open_for_s": ev.open_for_s}))
    point = ctx.session.get_one(ServicePoint, ctx.device.service_point_id)
    queue_staff_door_alarm(ctx.session, point, event_id, ev, ctx.now)
    return None


def pickup_locked_out(ctx: EffectContext, ev: p.PickupLockedOut, event_id: str) -> str | None:
    _audit(ctx, "pickup.locked_out", event_id,
           detail=json.dumps({"wrong_attempts": ev.wrong_attempts, "paused_for_s": ev.paused_for_s}))
    return None

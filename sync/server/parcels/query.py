"""Read-only views of parcels for the CLI and the admin API: lists, one parcel with its
history, notifications and carrier reports, and the overdue list (returns to make)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.server.db.parcels import (
    Notification,
    Parcel,
    ParcelTransition,
    WebhookDelivery,
)
from sync.server.errors import AdminError
from sync.server.notify.queue import ACTIVE_STATES
from sync.server.parcels.effects import local_date


def list_parcels(session: Session, service_point_id: str | None = None,
                 state: str | None = None) -> list[Parcel]:
    query = select(Parcel).order_by(Parcel.service_point_id, Parcel.stored_at, Parcel.parcel_id)
    if service_point_id:
        query = query.where(Parcel.service_point_id == service_point_id.strip().upper())
    if state:
        query = query.where(Parcel.state == state)
    return list(session.scalars(query))


def overdue_parcels(session: Session, now: datetime, service_point_id: str | None = None) -> list[Parcel]:
    """Parcels still in the shop whose last pickup day has passed: staff return them."""
    today = local_date(now)
    query = (select(Parcel).where(Parcel.state.in_(ACTIVE_STATES), Parcel.deadline < today)
             .order_by(Parcel.service_point_id, Parcel.deadline, Parcel.parcel_id))
    if service_point_id:
        query = query.where(Parcel.service_point_id == service_point_id.strip().upper())
    return list(session.scalars(query))


def find_parcel(session: Session, tracking_or_parcel_id: str) -> Parcel:
    parcel = session.get(Parcel, tracking_or_parcel_id) or session.scalar(
        select(Parcel).where(Parcel.tracking_id == tracking_or_parcel_id)
        .order_by(Parcel.stored_at.desc()).limit(1))
    if parcel is None:
        raise AdminError(f"no parcel with tracking or parcel id {tracking_or_parcel_id!r}")
    return parcel


def delivery_summary(session: Session, parcel_id: str) -> str:
    """"sms:delivered email:sent" - one word per notification of the parcel, newest kind last."""
    rows = session.scalars(select(Notification).where(Notification.parcel_id == parcel_id)
                           .order_by(Notification.id))
    return " ".join(f"{n.kind}/{n.channel}:{n.state}" for n in rows) or "-"


def _iso(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


def parcel_dict(parcel: Parcel, *, with_personal: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "parcel_id": parcel.parcel_id, "tracking_id": parcel.tracking_id,
        "service_point": parcel.service_point_id, "carrier": parcel.carrier,
        "state": parcel.state, "compartment": parcel.compartment, "size_class": parcel.size_class,
        "stored_at": _iso(parcel.stored_at), "deadline": _iso(parcel.deadline),
        "done_at": _iso(parcel.done_at), "picked_up_via": parcel.picked_up_via,
        "purged_at": _iso(parcel.purged_at), "language": parcel.language,
    }
    if with_personal:
        data["recipient"] = {"name": parcel.recipient_name, "phone": parcel.recipient_phone,
                             "email": parcel.recipient_email}
    return data


def parcel_detail(session: Session, parcel: Parcel) -> dict[str, Any]:
    """Everything about one parcel; the code itself is never shown."""
    data = parcel_dict(parcel, with_personal=True)
    transitions = session.scalars(select(ParcelTransition).where(
        ParcelTransition.parcel_id == parcel.parcel_id))
    data["history"] = [
        {"state": t.state, "at": _iso(t.at), "event_id": t.event_id}
        for t in sorted(transitions, key=lambda t: (t.at, t.state not in ACTIVE_STATES))
    ]
    data["notifications"] = [
        {"kind": n.kind, "channel": n.channel, "to": n.to_address, "state": n.state,
         "attempts": n.attempts, "last_error": n.last_error, "sent_at": _iso(n.sent_at),
         "delivered_at": _iso(n.delivered_at), "next_attempt_at": _iso(n.next_attempt_at)}
        for n in session.scalars(select(Notification).where(
            Notification.parcel_id == parcel.parcel_id).order_by(Notification.id))
    ]
    data["carrier_reports"] = [
        {"event_id": w.event_id, "state": w.state, "attempts": w.attempts,
         "delivered_at": _iso(w.delivered_at), "payload": w.payload}
        for w in session.scalars(select(WebhookDelivery).where(
            WebhookDelivery.parcel_id == parcel.parcel_id).order_by(WebhookDelivery.id))
    ]
    return data

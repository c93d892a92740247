"""Queueing notifications and carrier reports, in the caller's transaction (no sending here).

Every row has a unique key (`dedupe_key`, or the event id for webhooks), so queueing the same
thing twice is a no-op; the notifier (notifier.py) sends what is due.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sync import protocol as p
from sync.server.db.kiosks import ServicePoint
from sync.server.db.parcels import Carrier, Notification, Parcel, WebhookDelivery
from sync.server.notify import messages

ACTIVE_STATES = ("stored", "held")


def queue_message(session: Session, now: datetime, **fields: Any) -> bool:
    """Queue one message unless its dedupe_key is taken; True if queued. A message without a
    parcel_id carries its text in `body` ("subject\ntext"), written when queued.

    Insert-or-ignore on the key, not look-then-insert: several server processes run notifiers,
    and two rounds scheduling the same reminder at once both saw "not there yet"; the loser's
    insert then broke the unique key and its whole round (every send in it) failed. Now the
    loser waits for the winner's row and inserts nothing."""
    row = {"state": "queued", "attempts": 0, "next_attempt_at": now, "created_at": now, **fields}
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (insert(Notification).values(row)
                 .on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(Notification.id))
    return session.execute(statement).scalar_one_or_none() is not None  # rowcount: -1 on psycopg


def queue_parcel_notices(session: Session, parcel: Parcel, kind: str, now: datetime) -> int:
    """`kind` (pickup_ready | reminder) on every channel the recipient has; returns how many."""
    if parcel.pickup_code is None or parcel.link_token is None:
        return 0
    queued = 0
    for channel, address in (("sms", parcel.recipient_phone), ("email", parcel.recipient_email)):
        if address:
            queued += queue_message(session, now, dedupe_key=f"parcel:{parcel.parcel_id}:{kind}:{channel}",
                             service_point_id=parcel.service_point_id, parcel_id=parcel.parcel_id,
                             kind=kind, channel=channel, to_address=address, language=parcel.language)
    return queued


def cancel_parcel_notices(session: Session, parcel_id: str) -> None:
    """A parcel that is done needs no more messages (its code no longer opens anything)."""
    session.execute(
        update(Notification)
        .where(Notification.parcel_id == parcel_id, Notification.state == "queued")
        .values(state="cancelled", last_error="parcel no longer waiting")
    )


def queue_staff_door_alarm(session: Session, point: ServicePoint, event_id: str,
                           payload: p.DoorLeftOpen, now: datetime) -> int:
    """Tell the shop's staff contact (if configured) that a door is standing open."""
    alarm = messages.staff_door_alarm(place=point.name, compartment=payload.compartment,
                                      open_for_s=payload.open_for_s)
    queued = 0
    for channel, address in (("sms", point.staff_phone), ("email", point.staff_email)):
        if address:
            queued += queue_message(session, now, dedupe_key=f"event:{event_id}:{channel}",
                             service_point_id=point.id, parcel_id=None, kind="door_left_open",
                             channel=channel, to_address=address, language="sv",
                             body=f"{alarm.subject}\n{alarm.text}")
    return queued


def queue_carrier_report(session: Session, parcel: Parcel, event_id: str, status: str,
                         now: datetime, **extra: Any) -> bool:
    """Report `status` to the parcel's carrier if it has a webhook. No personal data in it."""
    carrier = session.get(Carrier, parcel.carrier) if parcel.carrier else None
    if carrier is None or not carrier.webhook_url:
        return False
    body = {"tracking_id": parcel.tracking_id, "parcel_id": parcel.parcel_id, "status": status,
            "service_point": parcel.service_point_id, "at": now.isoformat(timespec="seconds"),
            **extra}
    session.add(WebhookDelivery(event_id=event_id, carrier_id=carrier.id, parcel_id=parcel.parcel_id,
                                payload=p.canonical_json(body), state="pending", attempts=0,
                                next_attempt_at=now, created_at=now))
    return True

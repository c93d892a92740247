"""Purge of recipients' personal data on the server, 30 days after a parcel is done.

Cleared: the recipient's name, phone and e-mail and the pickup code (and the link to the QR
page) on the parcel, its pre-advice and its notifications, and the same fields inside the
stored parcel.stored event and any conflicting copy of it. The event keeps its payload_hash,
so a late replay of it is still recognised as a duplicate. A pre-advice whose parcel never
arrived is withdrawn from its kiosks' feed and purged after STALE_PRE_ADVICE.
Run by the notifier every round and by `kiosk-central parcels purge`.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sync.server.db.kiosks import EventConflict, EventRow
from sync.server.db.parcels import Notification, Parcel, PreAdvice
from sync.server.parcels.effects import withdraw_pre_advice

RETENTION = timedelta(days=30)
STALE_PRE_ADVICE = timedelta(days=90)
PERSONAL_PAYLOAD_FIELDS = ("recipient", "pickup_code")


def purge_personal_data(session: Session, now: datetime, retention: timedelta = RETENTION) -> int:
    """Purge every parcel done for at least `retention`; returns how many parcels."""
    parcels = list(session.scalars(select(Parcel).where(
        Parcel.done_at <= now - retention, Parcel.purged_at.is_(None))))
    for parcel in parcels:
        _purge_parcel(session, parcel, now)
    _purge_stale_pre_advice(session, now)
    return len(parcels)


def _purge_parcel(session: Session, parcel: Parcel, now: datetime) -> None:
    parcel.recipient_name = parcel.recipient_phone = parcel.recipient_email = None
    parcel.pickup_code = parcel.link_token = None
    parcel.purged_at = now
    session.execute(update(Notification).where(Notification.parcel_id == parcel.parcel_id)
                    .values(to_address=None, body=None))
    advice = session.get(PreAdvice, parcel.tracking_id)
    if advice is not None and advice.parcel_id == parcel.parcel_id:
        _clear_pre_advice(advice, now)
    stored = session.scalar(select(EventRow).where(EventRow.event_id == parcel.stored_event_id))
    if stored is not None:
        stored.payload = _redacted(stored.payload)
    for conflict in session.scalars(select(EventConflict).where(
            EventConflict.type == "parcel.stored",
            EventConflict.payload.contains(json.dumps(parcel.parcel_id, ensure_ascii=False),
                                           autoescape=True))):
        conflict.payload = _redacted(conflict.payload)


def _redacted(payload: str) -> str:
    try:
        data = json.loads(payload)
    except ValueError:
        return "{}"
    if isinstance(data, dict):
        for key in PERSONAL_PAYLOAD_FIELDS:
            if key in data:
                data[key] = None
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _clear_pre_advice(advice: PreAdvice, now: datetime) -> None:
    advice.recipient_name = advice.recipient_phone = advice.recipient_email = None
    advice.purged_at = now


def _purge_stale_pre_advice(session: Session, now: datetime) -> None:
    for advice in session.scalars(select(PreAdvice).where(
            PreAdvice.state == "open", PreAdvice.parcel_id.is_(None),
            PreAdvice.created_at <= now - STALE_PRE_ADVICE)):
        withdraw_pre_advice(session, advice, now)
        advice.state = "expired"
        _clear_pre_advice(advice, now)

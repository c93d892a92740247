"""Small steps the parcel service tests share: what staff and residents do at the locker."""
from __future__ import annotations

import json
import threading

from sqlalchemy import select

from hardware.protocols.barcode import s10_check_digit
from kiosk.services.parcels import StoredParcel
from kiosk.store.models import PreAdvice
from sync.outbox import OutboxEvent


def s10(serial: str) -> str:
    return f"CP{serial}{s10_check_digit(serial)}SE"


def store_one(parcels, bus, tracking: str, *, phone: str = "0701234567", item: bool = True) -> StoredParcel:
    """Staff scans, (types a phone,) puts the parcel in and closes the door."""
    intake = parcels.receive(tracking)
    if intake.needs_phone:
        intake = parcels.with_phone(intake, phone)
    placed = parcels.place(intake)
    if isinstance(placed, StoredParcel):
        return placed  # held at the counter
    bus.set_item(0, placed.compartment.lock, item)
    bus.close_door(0, placed.compartment.lock)
    [closed] = parcels.wait_until_closed([placed.compartment], stop=threading.Event())
    return parcels.complete_drop_off(placed, closed)


def outbox(sessions) -> list[tuple[str, dict]]:
    with sessions() as session:
        rows = session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq)).all()
        return [(row.type, json.loads(row.payload)) for row in rows]


def event_types(sessions) -> list[str]:
    return [kind for kind, _ in outbox(sessions)]


def add_pre_advice(sessions, tracking: str, *, size: str = "M", days: int = 7, language: str = "fi") -> None:
    with sessions.begin() as session:
        session.add(PreAdvice(tracking_id=tracking, carrier="PostNord", recipient_name="Aino Niemi",
                              recipient_phone="+46701112233", recipient_email=None, recipient_language=language,
                              size_class=size, deadline_days=days, version=1))


def acknowledge_all(sessions) -> None:
    """What the sync worker records when the server accepts everything sent."""
    with sessions.begin() as session:
        for row in session.scalars(select(OutboxEvent)):
            row.state = "accepted"

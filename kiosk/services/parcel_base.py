"""What the parcel desks share: the database, the doors, the locker map and the calendar."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Callable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kiosk.config import Compartment
from kiosk.services.pickup_codes import hashing as codes
from kiosk.services.doors import Doors
from kiosk.services.storage import StorageHealth
from kiosk.store.models import Parcel, ParcelState
from sync.protocol import DEFAULT_DEADLINE_DAYS
from sync.system_clock import clock_synchronised, plausible


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def local_today(synced: Callable[[], bool] = clock_synchronised) -> date | None:
    """Today's date, or None while NTP has not set the clock (a Pi boots without RTC, at
    whatever date fake-hwclock saved): then no deadline is written here, and the server
    sets one from when it received the parcel."""
    return date.today() if synced() else None


def clock_today() -> date | None:
    """Today by the wall clock, synchronised or not, unless obviously unset: for comparing
    with dates from the same clock (is a parcel stored here a week ago overdue?), never for a
    date a resident is told."""
    return date.today() if plausible(time.time_ns() // 1_000_000) else None


@dataclass
class ParcelContext:
    sessions: sessionmaker[Session]
    doors: Doors
    compartments: Sequence[Compartment]
    on_committed: Callable[[], None] = lambda: None
    today: Callable[[], date | None] = local_today
    code_key: bytes | None = None  # None: no digests written, a code is tried on every hash
    by_id: dict[str, Compartment] = field(init=False)

    def __post_init__(self) -> None:
        self.by_id = {c.id: c for c in self.compartments}

    @property
    def storage(self) -> StorageHealth:
        """Every desk's writes go through `storage.guard()`: a full disk is StorageFull."""
        return self.doors.storage

    def compartment(self, parcel: Parcel) -> Compartment | None:
        return self.by_id.get(parcel.compartment_id) if parcel.compartment_id else None


def waiting(session: Session, *states: str) -> Sequence[Parcel]:
    wanted = states or ParcelState.WAITING
    return session.scalars(select(Parcel).where(Parcel.state.in_(wanted)).order_by(Parcel.stored_at)).all()


def matching_code(session: Session, code: str, *states: str, key: bytes | None = None) -> list[Parcel]:
    """Every waiting parcel this code opens (one code may cover several parcels), each
    verified against its slow hash; with the kiosk's code key only the rows the code's
    digest finds are verified, and the rows stored before digests existed."""
    return [p for p in code_candidates(session, code, *states, key=key)
            if codes.code_matches(code, p.code_salt, p.code_hash)]


def code_candidates(session: Session, code: str, *states: str, key: bytes | None) -> Sequence[Parcel]:
    if key is None:
        return waiting(session, *states)
    found = (Parcel.code_digest == codes.lookup_digest(code, key)) | Parcel.code_digest.is_(None)
    query = select(Parcel).where(Parcel.state.in_(states or ParcelState.WAITING), found)
    return session.scalars(query.order_by(Parcel.stored_at)).all()


def last_day(parcel: Parcel) -> date:
    return parcel.deadline or (parcel.stored_at.date() + timedelta(days=DEFAULT_DEADLINE_DAYS))


def recipient_payload(parcel: Parcel) -> dict | None:
    if not (parcel.recipient_phone or parcel.recipient_email):
        return None
    fields = {"name": parcel.recipient_name, "phone": parcel.recipient_phone,
              "email": parcel.recipient_email, "language": parcel.recipient_language or "sv"}
    return {key: value for key, value in fields.items() if value is not None}

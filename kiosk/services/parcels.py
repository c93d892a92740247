"""Parcels in the lockers: staff drop-off and resident pickup, offline.

Every state change is one local transaction holding both the parcel row and its outbox event,
so a power cut can never leave a stored parcel the server will not hear about.
"""
from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hardware.devices.locker import LockAddress, Locker
from hardware.errors import HardwareError
from hardware.protocols.barcode import Barcode, classify
from kiosk.config import Compartment
from kiosk.services import codes
from kiosk.services.errors import N_, UserFacingError
from kiosk.store.models import Parcel, ParcelState, PickupAttempt
from sync.outbox import enqueue

ACCEPTED_BARCODE_KINDS = ("s10", "sscc")
WRONG_CODE = N_("Koden stämmer inte. Kontrollera koden i ditt meddelande och försök igen.")
DOOR_POLL_S = 0.2


@dataclass(frozen=True)
class OpenedForDropOff:
    """A door opened for a parcel that is not stored yet."""

    tracking_id: str
    barcode_kind: str
    compartment: Compartment


@dataclass(frozen=True)
class StoredParcel:
    parcel_id: str
    compartment_id: str
    pickup_code: str


@dataclass(frozen=True)
class ParcelForPickup:
    parcel_id: str
    compartment: Compartment


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class ParcelService:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        locker: Locker,
        compartments: Sequence[Compartment],
        on_committed: Callable[[], None] = lambda: None,
    ) -> None:
        self._sessions = sessions
        self._locker = locker
        self._compartments = {c.id: c for c in compartments}
        self._on_committed = on_committed  # e.g. wake the sync worker

    # -- staff drop-off -------------------------------------------------------------------

    def check_barcode(self, scanned: Barcode | str) -> Barcode:
        """Accepts the scanner's classification, or text typed by hand."""
        barcode = scanned if isinstance(scanned, Barcode) else classify(scanned)
        if barcode.kind not in ACCEPTED_BARCODE_KINDS:
            raise UserFacingError(N_("Streckkoden känns inte igen som ett kollinummer."))
        if not barcode.valid:
            raise UserFacingError(N_("Streckkodens kontrollsiffra stämmer inte. Skanna igen."))
        return barcode

    def open_for_drop_off(self, scanned: Barcode | str) -> OpenedForDropOff:
        barcode = self.check_barcode(scanned)
        with self._sessions() as session:
            if self._is_stored(session, barcode.value):
                raise UserFacingError(N_("Paketet {tracking_id} ligger redan i ett fack."), tracking_id=barcode.value)
            compartment = self._free_compartment(session)
        self._open(compartment)
        return OpenedForDropOff(barcode.value, barcode.kind, compartment)

    def complete_drop_off(self, opened: OpenedForDropOff) -> StoredParcel:
        with self._sessions.begin() as session:
            code = self._unique_code(session)
            salt, digest = codes.hash_code(code)
            parcel = Parcel(
                id=str(uuid.uuid4()),
                tracking_id=opened.tracking_id,
                barcode_kind=opened.barcode_kind,
                compartment_id=opened.compartment.id,
                state=ParcelState.STORED,
                code_salt=salt,
                code_hash=digest,
                stored_at=utc_now(),
            )
            session.add(parcel)
            enqueue(session, type="parcel.stored", payload={
                "parcel_id": parcel.id,
                "tracking_id": parcel.tracking_id,
                "compartment": parcel.compartment_id,
            })
        self._on_committed()
        return StoredParcel(parcel.id, parcel.compartment_id, code)

    # -- resident pickup ------------------------------------------------------------------

    def parcels_for_code(self, code: str) -> list[ParcelForPickup]:
        """Checks a code locally (works offline) and audits the attempt."""
        with self._sessions.begin() as session:
            matches = [p for p in self._stored(session) if codes.code_matches(code, p.code_salt, p.code_hash)]
            session.add(PickupAttempt(attempted_at=utc_now(), success=bool(matches), parcel_count=len(matches)))
        if not matches:
            raise UserFacingError(WRONG_CODE)
        return [ParcelForPickup(p.id, self._compartments[p.compartment_id]) for p in matches]

    def open_for_pickup(self, parcels: Sequence[ParcelForPickup]) -> None:
        for parcel in parcels:
            self._open(parcel.compartment)

    def complete_pickup(self, parcels: Sequence[ParcelForPickup]) -> None:
        with self._sessions.begin() as session:
            for item in parcels:
                parcel = session.get(Parcel, item.parcel_id)
                if parcel is None or parcel.state != ParcelState.STORED:
                    continue  # already completed: completing twice must not send a second event
                parcel.state = ParcelState.PICKED_UP
                parcel.picked_up_at = utc_now()
                enqueue(session, type="parcel.picked_up", payload={
                    "parcel_id": parcel.id,
                    "compartment": parcel.compartment_id,
                })
        self._on_committed()

    # -- doors ----------------------------------------------------------------------------

    def wait_until_closed(self, compartments: Sequence[Compartment], *, stop: threading.Event) -> bool:
        """Blocks (on a worker thread) until every door reads closed; False if stopped first."""
        pending = list(compartments)
        while pending and not stop.is_set():
            pending = [c for c in pending if not self._door_closed(c)]
            if pending:
                stop.wait(DOOR_POLL_S)
        return not pending

    def _door_closed(self, compartment: Compartment) -> bool:
        try:
            return self._locker.state(_address(compartment)).door_closed
        except HardwareError:
            return False  # a missed poll is retried; a door is never assumed closed

    def _open(self, compartment: Compartment) -> None:
        try:
            self._locker.open(_address(compartment))
        except HardwareError as error:
            raise UserFacingError(N_("Facket {compartment} gick inte att öppna. Kontakta personalen."),
                                  compartment=compartment.id) from error

    # -- queries --------------------------------------------------------------------------

    def occupied_compartment_ids(self, session: Session) -> set[str]:
        return {p.compartment_id for p in self._stored(session)}

    def _free_compartment(self, session: Session) -> Compartment:
        occupied = self.occupied_compartment_ids(session)
        for compartment in self._compartments.values():
            if compartment.id not in occupied:
                return compartment
        raise UserFacingError(N_("Alla fack är upptagna. Lämna paketet vid disken."))

    @staticmethod
    def _stored(session: Session) -> Sequence[Parcel]:
        return session.scalars(select(Parcel).where(Parcel.state == ParcelState.STORED)).all()

    @staticmethod
    def _is_stored(session: Session, tracking_id: str) -> bool:
        query = select(Parcel.id).where(Parcel.tracking_id == tracking_id, Parcel.state == ParcelState.STORED)
        return session.scalar(query) is not None

    def _unique_code(self, session: Session) -> str:
        """A new code that opens no other stored parcel (collisions are rare but fatal)."""
        stored = self._stored(session)
        while True:
            code = codes.new_code()
            if not any(codes.code_matches(code, p.code_salt, p.code_hash) for p in stored):
                return code


def _address(compartment: Compartment) -> LockAddress:
    return LockAddress(board=compartment.board, lock=compartment.lock)

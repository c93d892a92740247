"""Parcels in the lockers: staff drop-off (this module), resident and counter pickup
(pickup.py), returns (returns.py) and restart reconciliation and purging (upkeep.py). Offline.

Every state change is one local transaction holding both the parcel row and its outbox event,
so a power cut can never leave a stored parcel the server will not hear about.

Drop-off: scan -> `receive()` (barcode checked, pre-advice matched; without one, staff type
the recipient's phone: `with_phone()`) -> `place()` opens the smallest free compartment that
fits, or holds the parcel at the counter when none does -> staff closes the door ->
`complete_drop_off()` once the sensors confirm the door closed with the parcel inside.
"""
from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Callable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hardware.devices.locker import Locker
from hardware.protocols.barcode import Barcode, classify
from kiosk.config import Compartment
from kiosk.services.pickup_codes import hashing as codes
from kiosk.services.doors import Closed, Doors, LEFT_OPEN_AFTER_S, LeftOpen
from kiosk.services.errors import N_, UserFacingError
from kiosk.services.pickup_codes.lockout import Lockout
from kiosk.services.outcomes import StoredParcel
from kiosk.services.parcel_base import (ParcelContext, local_today, matching_code, recipient_payload, utc_now,
                                        waiting)
from kiosk.services.phone import normalise_phone
from kiosk.services.pickup import PickupDesk
from kiosk.services.returns import ReturnDesk
from kiosk.services.staff import StaffMember
from kiosk.services.storage import DROP_OFF_NOT_RECORDED, STORAGE_FULL, StorageHealth
from kiosk.services.upkeep import Reconciled, Upkeep
from kiosk.store.models import Parcel, ParcelState, PreAdvice
from sync.outbox import enqueue
from sync.protocol import DEFAULT_DEADLINE_DAYS

ACCEPTED_BARCODE_KINDS = ("s10", "sscc")
SIZES = ("S", "M", "L")
DEFAULT_SIZE = "M"  # a parcel without pre-advice: staff sees it, but the kiosk cannot
EMPTY_AFTER_STORE = N_("Facket {compartment} verkar tomt. Inget registrerades. Skanna paketet igen.")


@dataclass(frozen=True)
class Intake:
    """A scanned parcel, not yet placed. `recipient` is None until a pre-advice or staff gave one."""

    tracking_id: str
    barcode_kind: str
    carrier: str | None = None
    size_class: str = DEFAULT_SIZE
    deadline_days: int = DEFAULT_DEADLINE_DAYS
    recipient: dict | None = None

    @property
    def needs_phone(self) -> bool:
        return self.recipient is None


@dataclass(frozen=True)
class OpenedForDropOff:
    """A door opened for a parcel that is not stored yet."""

    intake: Intake
    compartment: Compartment
    staff: StaffMember | None = None

    @property
    def tracking_id(self) -> str:
        return self.intake.tracking_id


class ParcelService:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        locker: Locker,
        compartments: Sequence[Compartment],
        on_committed: Callable[[], None] = lambda: None,
        item_sensors: bool = True,
        left_open_after_s: float = LEFT_OPEN_AFTER_S,
        lockout: Lockout | None = None,
        today=local_today,
        code_key: bytes | None = None,
    ) -> None:
        """`code_key`: this kiosk's key for the codes' lookup digests (codes.py); the app
        passes it, after `code_index.attach_key()` checked the stored digests were made with it."""
        self.storage = StorageHealth(sessions)
        self.doors = Doors(sessions=sessions, locker=locker, item_sensors=item_sensors,
                           left_open_after_s=left_open_after_s, on_committed=on_committed, storage=self.storage)
        self._ctx = ParcelContext(sessions, self.doors, compartments, on_committed, today, code_key)
        self._sessions = sessions
        self.pickup = PickupDesk(self._ctx, lockout or Lockout())
        self.returns = ReturnDesk(self._ctx)
        self.upkeep = Upkeep(self._ctx)
        # When space returns, what the full disk left behind is settled and shown to staff.
        self.on_reconciled: Callable[[Reconciled], None] = lambda _found: None
        self.storage.on_recovered = self._storage_recovered

    def _storage_recovered(self) -> None:
        self.on_reconciled(self.upkeep.reconcile())

    # -- scanning and the recipient --------------------------------------------------------

    def check_barcode(self, scanned: Barcode | str) -> Barcode:
        """Accepts the scanner's classification, or text typed by hand."""
        barcode = scanned if isinstance(scanned, Barcode) else classify(scanned)
        if barcode.kind not in ACCEPTED_BARCODE_KINDS:
            raise UserFacingError(N_("Streckkoden känns inte igen som ett kollinummer."))
        if not barcode.valid:
            raise UserFacingError(N_("Streckkodens kontrollsiffra stämmer inte. Skanna igen."))
        return barcode

    def receive(self, scanned: Barcode | str) -> Intake:
        barcode = self.check_barcode(scanned)
        with self._sessions() as session:
            if self._is_waiting(session, barcode.value):
                raise UserFacingError(N_("Paketet {tracking_id} ligger redan här."), tracking_id=barcode.value)
            advice = session.get(PreAdvice, barcode.value)
            return _intake(barcode, advice)

    @staticmethod
    def with_phone(intake: Intake, typed: str) -> Intake:
        """The recipient's phone as staff typed it; raises UserFacingError if it is no number."""
        return replace(intake, recipient={"phone": normalise_phone(typed), "language": "sv"})

    # -- placing ----------------------------------------------------------------------------

    def place(self, intake: Intake, staff: StaffMember | None = None) -> OpenedForDropOff | StoredParcel:
        """Opens the smallest free compartment the parcel fits; none: held at the counter."""
        with self._sessions() as session:
            occupied = {p.compartment_id for p in waiting(session, ParcelState.STORED)}
        compartment = self._free_compartment(intake.size_class, occupied)
        if compartment is None:
            return self._store(intake, None, staff)
        self.doors.open(compartment, reason="store", actor=_actor(staff))
        return OpenedForDropOff(intake, compartment, staff)

    def wait_until_closed(self, compartments: Sequence[Compartment], *, stop: threading.Event,
                          on_left_open: LeftOpen | None = None) -> list[Closed] | None:
        return self.doors.wait_closed(compartments, stop=stop, on_left_open=on_left_open)

    def watch_found_open(self, compartment_ids: Sequence[str], *, stop: threading.Event,
                         on_closed: Callable[[str], None] | None = None) -> list[str] | None:
        """The doors `upkeep.reconcile()` found open: reported, watched until each is closed
        (`on_closed` gets each one's id as it closes); None if stopped first. A closed door's
        parcel is settled at once (picked up, or still inside), not at the next start."""
        known = [self._ctx.by_id[c] for c in compartment_ids if c in self._ctx.by_id]

        def settle(door) -> None:
            self.upkeep.reconcile()
            if on_closed is not None:
                on_closed(door.compartment.id)

        closed = self.doors.watch_found_open(known, stop=stop, on_closed=settle)
        return None if closed is None else [door.compartment.id for door in closed]

    def complete_drop_off(self, opened: OpenedForDropOff, closed: Closed | None = None) -> StoredParcel:
        """Stores the parcel once its door closed; refuses if the item sensor saw nothing."""
        if closed is not None and closed.item_present is False:
            raise UserFacingError(EMPTY_AFTER_STORE, compartment=opened.compartment.id)
        return self._store(opened.intake, opened.compartment, opened.staff)

    def _store(self, intake: Intake, compartment: Compartment | None, staff: StaffMember | None) -> StoredParcel:
        today = self._ctx.today()
        deadline = today + timedelta(days=intake.deadline_days) if today else None
        key = self._ctx.code_key
        message = DROP_OFF_NOT_RECORDED if compartment is not None else STORAGE_FULL
        with self.storage.guard(message, compartment=compartment.id if compartment else ""), \
                self._sessions.begin() as session:
            code = self._unique_code(session, key)
            salt, digest = codes.hash_code(code)
            parcel = _new_parcel(intake, compartment, staff, deadline, salt, digest)
            parcel.code_digest = codes.lookup_digest(code, key) if key is not None else None
            session.add(parcel)
            enqueue(session, type="parcel.stored", payload=_stored_payload(parcel, code))
        self._ctx.on_committed()
        return StoredParcel(parcel.id, parcel.compartment_id, code, parcel.tracking_id,
                            deadline.isoformat() if deadline else None)

    def _free_compartment(self, size: str, occupied: set[str | None]) -> Compartment | None:
        """The smallest compartment that fits, in map order, that holds no parcel: neither
        by the database nor, where the board has sensors, by its item sensor (a parcel left
        from an interrupted drop-off blocks it). An unreadable board is tried: opening it
        then fails loudly instead of every parcel silently going to the counter."""
        fits = [c for c in self._ctx.compartments if SIZES.index(c.size) >= SIZES.index(size)
                and c.id not in occupied]
        for compartment in sorted(fits, key=lambda c: SIZES.index(c.size)):
            state = self.doors.read(compartment)
            if state is None or (state.door_closed and not (self.doors.item_sensors and state.item_present)):
                return compartment
        return None

    @staticmethod
    def _is_waiting(session: Session, tracking_id: str) -> bool:
        query = select(Parcel.id).where(Parcel.tracking_id == tracking_id, Parcel.state.in_(ParcelState.WAITING))
        return session.scalar(query) is not None

    @staticmethod
    def _unique_code(session: Session, key: bytes | None) -> str:
        """A new code that opens no other waiting parcel (collisions are rare but fatal)."""
        while True:
            code = codes.new_code()
            if not matching_code(session, code, key=key):
                return code


def _actor(staff: StaffMember | None) -> str:
    return staff.id if staff is not None and staff.id else "staff"


def _intake(barcode: Barcode, advice: PreAdvice | None) -> Intake:
    if advice is None:
        return Intake(barcode.value, barcode.kind)
    recipient = {"name": advice.recipient_name, "phone": advice.recipient_phone,
                 "email": advice.recipient_email, "language": advice.recipient_language}
    return Intake(barcode.value, barcode.kind, advice.carrier, advice.size_class, advice.deadline_days,
                  {key: value for key, value in recipient.items() if value is not None})


def _new_parcel(intake: Intake, compartment, staff, deadline, salt, digest) -> Parcel:
    recipient = intake.recipient or {}
    return Parcel(
        id=str(uuid.uuid4()), tracking_id=intake.tracking_id, barcode_kind=intake.barcode_kind,
        compartment_id=compartment.id if compartment else None,
        state=ParcelState.STORED if compartment else ParcelState.HELD,
        code_salt=salt, code_hash=digest, stored_at=utc_now(), carrier=intake.carrier,
        size_class=intake.size_class, deadline=deadline, staff_id=staff.id if staff else None,
        recipient_name=recipient.get("name"), recipient_phone=recipient.get("phone"),
        recipient_email=recipient.get("email"), recipient_language=recipient.get("language"),
    )


def _stored_payload(parcel: Parcel, code: str) -> dict:
    payload = {
        "parcel_id": parcel.id, "tracking_id": parcel.tracking_id, "compartment": parcel.compartment_id,
        "carrier": parcel.carrier, "size_class": parcel.size_class, "pickup_code": code,
        "deadline": parcel.deadline.isoformat() if parcel.deadline else None,
        "recipient": recipient_payload(parcel), "staff_id": parcel.staff_id,
    }
    return {key: value for key, value in payload.items() if value is not None or key == "compartment"}

"""Resident pickup (code on the keypad or the notification's QR) and counter hand-over.

Codes are checked locally against salted hashes, so pickup works with the server away.
Every attempt is audited; after too many wrong codes the keypad pauses (lockout.py) and a
pickup.locked_out event tells the server. Before a door opens the parcel is marked
`door_pending`, so a kiosk restarted with the door open settles it from the sensors.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from kiosk.config import Compartment
from kiosk.services.doors import RESIDENT, Closed, DoorFault
from kiosk.services.errors import N_, UserFacingError
from kiosk.services.pickup_codes.lockout import Lockout
from kiosk.services.outcomes import LOCKED_TEXT, LockedOut  # noqa: F401  (LOCKED_TEXT: still importable from here)
from kiosk.services.parcel_base import ParcelContext, matching_code, utc_now
from kiosk.services.staff import StaffMember
from kiosk.store.models import Parcel, ParcelState, PickupAttempt
from sync.outbox import enqueue
from sync.protocol import PICKUP_CODE_PATTERN, QR_PICKUP_PREFIX

WRONG_CODE = N_("Koden stämmer inte. Kontrollera koden i ditt meddelande och försök igen.")
UNKNOWN_QR = N_("QR-koden känns inte igen. Visa QR-koden från ditt meddelande eller skriv koden.")
NOT_AT_COUNTER = N_("Koden gäller inget paket som väntar vid disken.")
_CODE = re.compile(PICKUP_CODE_PATTERN)


@dataclass(frozen=True)
class ParcelForPickup:
    parcel_id: str
    compartment: Compartment | None  # None: at the counter
    tracking_id: str = ""


@dataclass(frozen=True)
class PickupOpening:
    """Doors that opened for one code, and those that failed (their parcels stay put)."""

    opened: list[ParcelForPickup]
    faults: list[DoorFault] = field(default_factory=list)


@dataclass(frozen=True)
class PickupResult:
    picked_up: list[ParcelForPickup]
    left_behind: list[ParcelForPickup]  # the door closed with the parcel still inside


def code_from_qr(text: str) -> str:
    """'SPKT1:123456' -> '123456'; raises UserFacingError for any other QR."""
    code = text.strip()[len(QR_PICKUP_PREFIX):] if text.strip().startswith(QR_PICKUP_PREFIX) else ""
    if not _CODE.match(code):
        raise UserFacingError(UNKNOWN_QR)
    return code


class PickupDesk:
    def __init__(self, ctx: ParcelContext, lockout: Lockout) -> None:
        self._ctx, self.lockout = ctx, lockout

    # -- checking a code --------------------------------------------------------------------

    def parcels_for_code(self, code: str, *, via: str = "code") -> list[ParcelForPickup]:
        """The resident's waiting parcels in compartments for this code. Audited; counts
        toward the pause when wrong; raises LockedOut while paused."""
        left = self.lockout.seconds_left()
        if left:
            raise LockedOut(left)
        with self._ctx.storage.guard(), self._ctx.sessions.begin() as session:
            matches = matching_code(session, code, ParcelState.STORED, key=self._ctx.code_key) if _CODE.match(code) else []
            session.add(PickupAttempt(attempted_at=utc_now(), success=bool(matches),
                                      parcel_count=len(matches), via=via))
            paused = not matches and self.lockout.wrong()
            if paused:
                enqueue(session, type="pickup.locked_out", payload={
                    "wrong_attempts": self.lockout.max_wrong, "paused_for_s": int(self.lockout.pause_s)})
        if paused:
            self._ctx.on_committed()
            raise LockedOut(self.lockout.seconds_left())
        if not matches:
            raise UserFacingError(WRONG_CODE)
        return [self._for_pickup(p) for p in matches]

    def parcels_for_qr(self, text: str) -> list[ParcelForPickup]:
        return self.parcels_for_code(code_from_qr(text), via="qr")

    def _for_pickup(self, parcel: Parcel) -> ParcelForPickup:
        return ParcelForPickup(parcel.id, self._ctx.compartment(parcel), parcel.tracking_id)

    # -- the doors --------------------------------------------------------------------------

    def open_for_pickup(self, parcels: Sequence[ParcelForPickup], *, via: str = "code") -> PickupOpening:
        """Opens every door of this code. Raises the fault if none opened."""
        opened, faults = [], []
        for item in parcels:
            mark = _pending_marker(item.parcel_id, f"pickup:{via}")
            try:
                self._ctx.doors.open(item.compartment, reason="pickup", actor=RESIDENT, parcel_id=item.parcel_id,
                                     with_record=mark)
            except DoorFault as fault:
                self._mark_pending(item.parcel_id, None)  # nothing changed for this parcel
                faults.append(fault)
            else:
                opened.append(item)
        if not opened and faults:
            raise faults[0]
        return PickupOpening(opened, faults)

    def _mark_pending(self, parcel_id: str, pending: str | None) -> None:
        with self._ctx.storage.guard(), self._ctx.sessions.begin() as session:
            _pending_marker(parcel_id, pending)(session)

    def complete_pickup(self, parcels: Sequence[ParcelForPickup], closed: Sequence[Closed] | None = None,
                        *, via: str = "code") -> PickupResult:
        """Picked up where the door closed and the item sensor reads empty (or the board has
        no item sensor); a parcel still inside stays stored. Completing twice sends nothing."""
        still_inside = {c.compartment.id for c in closed or () if c.item_present}
        picked, left = [], []
        with self._ctx.storage.guard(), self._ctx.sessions.begin() as session:
            for item in parcels:
                parcel = session.get(Parcel, item.parcel_id)
                if parcel is None or parcel.state != ParcelState.STORED:
                    continue
                parcel.door_pending = None
                if item.compartment is not None and item.compartment.id in still_inside:
                    left.append(item)
                    continue
                close_parcel(session, parcel, ParcelState.PICKED_UP, via=via)
                picked.append(item)
        self._ctx.on_committed()
        return PickupResult(picked, left)

    # -- the counter ----------------------------------------------------------------------

    def held_for_code(self, typed_or_scanned: str) -> tuple[list[ParcelForPickup], str]:
        """Parcels held at the counter for a typed code or a scanned QR (staff side: no pause)."""
        text = typed_or_scanned.strip()
        via = "qr" if text.startswith(QR_PICKUP_PREFIX) else "code"
        code = code_from_qr(text) if via == "qr" else text
        with self._ctx.storage.guard(), self._ctx.sessions.begin() as session:
            matches = matching_code(session, code, ParcelState.HELD, key=self._ctx.code_key) if _CODE.match(code) else []
            session.add(PickupAttempt(attempted_at=utc_now(), success=bool(matches),
                                      parcel_count=len(matches), via="counter"))
        if not matches:
            raise UserFacingError(NOT_AT_COUNTER)
        return [self._for_pickup(p) for p in matches], via

    def hand_over(self, parcels: Sequence[ParcelForPickup], staff: StaffMember | None) -> int:
        with self._ctx.storage.guard(), self._ctx.sessions.begin() as session:
            done = 0
            for item in parcels:
                parcel = session.get(Parcel, item.parcel_id)
                if parcel is not None and parcel.state == ParcelState.HELD:
                    close_parcel(session, parcel, ParcelState.PICKED_UP, via="counter")
                    done += 1
        self._ctx.on_committed()
        return done


def _pending_marker(parcel_id: str, pending: str | None) -> Callable[[Session], None]:
    """Marks the parcel `door_pending` in the caller's transaction: committed with the door's
    opening record, before the unlock, so a restart with the door open settles it."""
    def mark(session: Session) -> None:
        parcel = session.get(Parcel, parcel_id)
        if parcel is not None:
            parcel.door_pending = pending
    return mark


def close_parcel(session, parcel: Parcel, state: str, *, via: str = "code", staff_id: str | None = None) -> None:
    """Picked up or returned: the state, its time and its one event, in the caller's transaction."""
    parcel.state, parcel.door_pending = state, None
    if state == ParcelState.PICKED_UP:
        parcel.picked_up_at = utc_now()
        payload = {"parcel_id": parcel.id, "compartment": parcel.compartment_id, "via": via}
        kind = "parcel.picked_up"
    else:
        parcel.returned_at = utc_now()
        payload = {"parcel_id": parcel.id, "compartment": parcel.compartment_id, "staff_id": staff_id}
        kind = "parcel.returned"
    event = enqueue(session, type=kind, payload={k: v for k, v in payload.items() if v is not None})
    parcel.closing_event_id = event.event_id

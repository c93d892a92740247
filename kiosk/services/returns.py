"""Returns: parcels past their last pickup day go back to the carrier.

Staff sees the overdue list, opens a parcel's door (or takes it from the counter shelf),
and scans its label to confirm: only the right label returns the right parcel.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hardware.protocols.barcode import Barcode, classify
from kiosk.services.errors import N_, UserFacingError
from kiosk.services.parcel_base import ParcelContext, clock_today, last_day, waiting
from kiosk.services.pickup import close_parcel
from kiosk.services.staff import StaffMember
from kiosk.store.models import Parcel, ParcelState

WRONG_PARCEL = N_("Det är inte paketet {tracking_id}. Skanna rätt paket.")
NOT_WAITING = N_("Paketet finns inte längre bland returerna.")


@dataclass(frozen=True)
class OverdueParcel:
    parcel_id: str
    tracking_id: str
    compartment_id: str | None  # None: on the counter shelf
    last_day: date


class ReturnDesk:
    def __init__(self, ctx: ParcelContext) -> None:
        self._ctx = ctx

    def overdue(self) -> list[OverdueParcel]:
        """Waiting parcels whose last pickup day has passed (none while the clock is unset)."""
        # Overdue is a difference between two readings of the kiosk's own clock: an NTP-less
        # offline kiosk still sees its overdue parcels (the stored date came from that clock too).
        today = self._ctx.today() or clock_today()
        if today is None:
            return []
        with self._ctx.sessions() as session:
            return [OverdueParcel(p.id, p.tracking_id, p.compartment_id, last_day(p))
                    for p in waiting(session) if last_day(p) < today]

    def open_for_return(self, parcel_id: str, staff: StaffMember | None) -> OverdueParcel:
        """Opens the parcel's door (none for the counter shelf); raises DoorFault."""
        parcel = self._waiting(parcel_id)
        compartment = self._ctx.by_id.get(parcel.compartment_id or "")
        actor = staff.id if staff and staff.id else "staff"
        if compartment is not None:
            self._set_pending(parcel_id, f"return:{actor}")
            try:
                self._ctx.doors.open(compartment, reason="return", actor=actor, parcel_id=parcel_id)
            except Exception:
                self._set_pending(parcel_id, None)
                raise
        return OverdueParcel(parcel.id, parcel.tracking_id, parcel.compartment_id, last_day(parcel))

    def confirm_return(self, parcel_id: str, scanned: Barcode | str, staff: StaffMember | None) -> None:
        """The scanned label must be this parcel's; then it is returned (one event)."""
        barcode = scanned if isinstance(scanned, Barcode) else classify(scanned)
        with self._ctx.storage.guard(), self._ctx.sessions.begin() as session:
            parcel = session.get(Parcel, parcel_id)
            if parcel is None or parcel.state not in ParcelState.WAITING:
                raise UserFacingError(NOT_WAITING)
            if barcode.value != parcel.tracking_id:
                raise UserFacingError(WRONG_PARCEL, tracking_id=parcel.tracking_id)
            close_parcel(session, parcel, ParcelState.RETURNED, staff_id=staff.id if staff and staff.id else None)
        self._ctx.on_committed()

    def _waiting(self, parcel_id: str) -> Parcel:
        with self._ctx.sessions() as session:
            parcel = session.get(Parcel, parcel_id)
        if parcel is None or parcel.state not in ParcelState.WAITING:
            raise UserFacingError(NOT_WAITING)
        return parcel

    def _set_pending(self, parcel_id: str, pending: str | None) -> None:
        with self._ctx.storage.guard(), self._ctx.sessions.begin() as session:
            parcel = session.get(Parcel, parcel_id)
            if parcel is not None:
                parcel.door_pending = pending

"""The drop-off slip printed for the shop's records: which parcel, where, until when.

Never the pickup code: the slip lies on the counter, and the code is the resident's key.
The slip is in Swedish, the shop's language, whatever language the screen shows.
"""
from __future__ import annotations

from datetime import datetime

from hardware.devices.printer import Receipt
from hardware.errors import HardwareError
from kiosk.services.errors import N_, UserFacingError

PRINT_FAILED = N_("Kvittot kunde inte skrivas ut. Kontrollera skrivarens papper och lucka.")
PRINT_WAITING = N_("Skrivaren väntar: fyll på papper eller stäng luckan, så skrivs kvittot ut.")


def drop_off_slip(stored, place: str, staff_name: str = "", now: datetime | None = None) -> Receipt:
    when = (now or datetime.now()).strftime("%Y-%m-%d %H:%M")
    where = f"Fack {stored.compartment_id}" if stored.compartment_id else "Vid disken"
    lines = [f"Kolli: {stored.tracking_id}", where, f"Inlämnat: {when}"]
    if stored.deadline:
        lines.append(f"Hämtas senast: {stored.deadline}")
    if staff_name:
        lines.append(f"Personal: {staff_name}")
    return Receipt(title=f"{place}: inlämnat paket", lines=tuple(lines))


def print_slip(printer, receipt: Receipt) -> str:
    """Prints once (never re-sent); returns the outcome or raises UserFacingError."""
    if printer is None:
        raise UserFacingError(PRINT_FAILED)
    try:
        report = printer.print_receipt(receipt)
    except HardwareError as error:
        raise UserFacingError(PRINT_FAILED) from error
    if report.outcome == "waiting":
        raise UserFacingError(PRINT_WAITING)
    if report.outcome != "printed":
        raise UserFacingError(PRINT_FAILED)
    return report.outcome

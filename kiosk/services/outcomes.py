"""The services' light results and errors: what the presenters compare against at module level.

Nothing here imports SQLAlchemy, pydantic or a driver, so the first screen can import it
without the runtime (tests/ui/test_startup.py). The service modules re-export these names.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kiosk.services.errors import N_, N_plural, UserFacingError

if TYPE_CHECKING:  # kiosk.config imports pydantic; only the annotation needs it
    from kiosk.config import Compartment

LOCKED_TEXT = N_plural("För många fel koder. Vänta {minutes} minut eller fråga personalen.",
                       "För många fel koder. Vänta {minutes} minuter eller fråga personalen.", "minutes")
STORAGE_FULL = N_("Kioskens minne är fullt, så inget kan registreras just nu och inga fack öppnas. "
                  "Ta emot paket vid disken och ring teknisk support.")
DROP_OFF_NOT_RECORDED = N_("Kioskens minne är fullt: paketet i fack {compartment} registrerades inte och "
                           "ligger kvar inlåst. Lägg inte in fler paket. Ring teknisk support; när minnet "
                           "är åtgärdat visas facket för personalen.")


class DoorFault(UserFacingError):
    """A door did not open (or may not have): nothing about its parcel changed."""

    def __init__(self, message: str, compartment: Compartment, outcome: str) -> None:
        super().__init__(message, compartment=compartment.id)
        self.compartment, self.outcome = compartment, outcome


class StorageFull(UserFacingError):
    """A write failed because the kiosk's storage is full; nothing of it was recorded
    (kiosk/services/storage.py tells it from other database errors)."""


class LockedOut(UserFacingError):
    def __init__(self, seconds: int) -> None:
        super().__init__(LOCKED_TEXT, minutes=max(1, (seconds + 59) // 60))
        self.seconds = seconds


@dataclass(frozen=True)
class StoredParcel:
    parcel_id: str
    compartment_id: str | None  # None: held at the counter
    pickup_code: str
    tracking_id: str = ""
    deadline: str | None = None

    @property
    def held_at_counter(self) -> bool:
        return self.compartment_id is None


@dataclass(frozen=True)
class StaffMember:
    name: str
    id: str = ""  # the server's id of the badge: who stored, handed over or returned a parcel


class BookingStatus(str, enum.Enum):
    NOW = "now"            # within its window: go to the room
    EARLY = "early"        # too early; `appointment.starts_at` says when
    OVER = "over"          # it has ended
    UNKNOWN = "unknown"    # no meeting with this code here

"""Resident pickup: type the code on the keypad, the door opens, take the parcel, close it."""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Callable

from kiosk.services.codes import CODE_LENGTH
from kiosk.services.errors import N_
from kiosk.ui.presenters.base import Message, Presenter, Runner

if TYPE_CHECKING:  # the services import SQLAlchemy: not on the start-up path
    from kiosk.services.parcels import ParcelForPickup, ParcelService

ENTRY, CHECKING, DOOR_OPEN, CLOSING, DONE = "entry", "checking", "door_open", "closing", "done"
INSTRUCTION = Message.of(N_("Skriv koden från ditt meddelande."))
UNEXPECTED = N_("Något gick fel. Försök igen eller fråga personalen.")


class PickupPresenter(Presenter):
    def __init__(self, parcels: ParcelService, run: Runner, *, code_length: int = CODE_LENGTH) -> None:
        super().__init__()
        self._parcels = parcels
        self._run = run
        self.code_length = code_length
        self._stop = threading.Event()
        self.reset()

    def reset(self) -> None:
        self._stop.set()
        self._stop = threading.Event()
        self.phase = ENTRY
        self.digits = ""
        self.opened: list[ParcelForPickup] = []
        self.message = INSTRUCTION
        self.changed()

    @property
    def masked_code(self) -> str:
        """Shows how many digits are typed, never which (someone may be looking)."""
        return " ".join("•" * len(self.digits) + "_" * (self.code_length - len(self.digits)))

    @property
    def compartment_ids(self) -> str:
        return ", ".join(p.compartment.id for p in self.opened)

    @property
    def door_open(self) -> bool:
        """From the code check until the pickup is saved: the flow must not be abandoned."""
        return self.phase in (CHECKING, DOOR_OPEN, CLOSING)

    @property
    def can_submit(self) -> bool:
        return self.phase == ENTRY and len(self.digits) == self.code_length

    def press_digit(self, digit: str) -> None:
        if self.phase != ENTRY or not digit.isdigit() or len(self.digits) >= self.code_length:
            return
        self.digits += digit
        self.message = INSTRUCTION  # a new attempt: the last error has been read
        self.changed()

    def erase(self) -> None:
        if self.phase == ENTRY and self.digits:
            self.digits = self.digits[:-1]
            self.changed()

    def submit(self) -> None:
        if self.phase != ENTRY:
            return
        if len(self.digits) != self.code_length:
            self._show(Message.of(N_("Koden har {count} siffror."), "error", count=self.code_length))
            return
        code, self.digits, self.phase = self.digits, "", CHECKING
        self._show(Message.of(N_("Kontrollerar koden …")))
        self._run(lambda: self._check_and_open(code), self._doors_opened, self._failed)

    def _check_and_open(self, code: str) -> list[ParcelForPickup]:
        parcels = self._parcels.parcels_for_code(code)
        self._parcels.open_for_pickup(parcels)
        return parcels

    def _doors_opened(self, parcels: list[ParcelForPickup]) -> None:
        self.opened, self.phase = parcels, DOOR_OPEN
        self._show(Message.of(N_("Fack {compartments} är öppet. Ta ditt paket och stäng luckan."),
                              "success", compartments=self.compartment_ids))
        stop = self._stop
        self._run(lambda: self._parcels.wait_until_closed([p.compartment for p in parcels], stop=stop),
                  self._doors_closed, self._failed)

    def _doors_closed(self, closed: bool) -> None:
        if not closed:
            return  # the session was reset while waiting
        self.phase = CLOSING
        self._run(lambda: self._parcels.complete_pickup(self.opened), self._completed, self._failed)

    def _completed(self, _result: object) -> None:
        self.phase = DONE
        self._show(Message.of(N_("Tack! Paketet är uthämtat."), "success"))

    def _failed(self, error: BaseException) -> None:
        self.phase = ENTRY
        self._show(Message.from_error(error, UNEXPECTED))

    def _show(self, message: Message) -> None:
        self.message = message
        self.changed()

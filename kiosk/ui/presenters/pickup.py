"""Resident pickup: type the code (or show the QR), the door opens, take the parcel, close it.

Faults are never silent: a door that does not open says so and changes nothing; a door left
open raises an alarm until it closes; too many wrong codes pause the keypad, shown and read.
"""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from kiosk.services.pickup_codes.hashing import CODE_LENGTH
from kiosk.services.errors import N_, N_plural
from kiosk.services.outcomes import DoorFault, LockedOut
from kiosk.ui.presenters.base import Message, Presenter, Runner
from kiosk.ui.presenters.keypad.code_entry import CODE_LENGTH_TEXT, CodeEntry
from kiosk.ui.startup import ServicesNotReady

if TYPE_CHECKING:  # the services import SQLAlchemy: not on the start-up path (see _lazy)
    from kiosk.services.parcels import ParcelService
    from kiosk.services.pickup import ParcelForPickup, PickupOpening, PickupResult

ENTRY, CHECKING, DOOR_OPEN, CLOSING, DONE = "entry", "checking", "door_open", "closing", "done"
LOCKED, FAULT = "locked", "fault"
INSTRUCTION = Message.of(N_("Skriv koden från ditt meddelande, eller håll QR-koden mot läsaren."))
UNEXPECTED = N_("Något gick fel. Försök igen eller fråga personalen.")
TAKE_PARCEL = N_plural("Fack {compartments} är öppet. Ta ditt paket och stäng luckan.",
                       "Fack {compartments} är öppna. Ta dina paket och stäng luckorna.", "doors")
LEFT_OPEN = N_("Luckan till fack {compartment} är fortfarande öppen. Stäng luckan, tack.")
LEFT_BEHIND = N_plural("Paketet ligger kvar i fack {compartments}. Skriv koden igen för att hämta det.",
                       "Paketen ligger kvar i fack {compartments}. Skriv koden igen för att hämta dem.", "parcels")
PICKED_UP = N_("Tack! Paketet är uthämtat.")
SOME_FAILED = N_("Fack {compartment} gick inte att öppna. Fråga personalen om det paketet.")


class PickupPresenter(Presenter):
    def __init__(self, parcels: ParcelService, run: Runner, *, code_length: int = CODE_LENGTH) -> None:
        super().__init__()
        self._parcels = parcels
        self._run = run
        # Shown as typed: a code opens one door once, and the resident is alone at the screen;
        # dots made people lose their place in six digits. Read aloud still never says them.
        self.code = CodeEntry(code_length, masked=False)
        self._stop = threading.Event()
        self.reset()

    def reset(self) -> None:
        self._stop.set()
        self._stop = threading.Event()
        self.phase = ENTRY
        self.code.clear()
        self.via = "code"
        self.opened: list[ParcelForPickup] = []
        self.alarm: Message | None = None  # a door left open: shown above everything else
        self.message = INSTRUCTION
        if seconds := self._seconds_locked():
            self.phase = LOCKED
            self.message = Message.from_error(LockedOut(seconds), UNEXPECTED)
        self.changed()

    def _seconds_locked(self) -> int | None:
        """None while the services are not running: unknown, which neither starts nor lifts a pause."""
        try:
            return self._parcels.pickup.lockout.seconds_left()
        except ServicesNotReady:
            return None

    @property
    def compartment_ids(self) -> str:
        return ", ".join(p.compartment.id for p in self.opened)

    @property
    def door_open(self) -> bool:
        """From the code check until the pickup is saved: the flow must not be abandoned."""
        return self.phase in (CHECKING, DOOR_OPEN, CLOSING)

    @property
    def finished(self) -> bool:
        """The pickup is over: the screen offers Klar, which ends the visit at once."""
        return self.phase == DONE

    @property
    def accepts_input(self) -> bool:
        return self.phase in (ENTRY, DONE, FAULT)

    def press_digit(self, digit: str) -> None:
        if not self.accepts_input or not self.code.press(digit):
            return
        self.phase = ENTRY
        self.message = INSTRUCTION  # a new attempt: the last error has been read
        self.changed()

    def erase(self) -> None:
        if self.phase == ENTRY and self.code.erase():
            self.changed()

    def submit(self) -> None:
        if not self.accepts_input:
            return
        if not self.code.complete:
            self._show(Message.of(CODE_LENGTH_TEXT, "error", count=self.code.length))
            return
        code = self.code.take()
        self._check(lambda: self._parcels.pickup.parcels_for_code(code), "code")

    def scanned(self, text: str) -> None:
        """The notification's QR held to the scanner: same as typing its code."""
        if self.accepts_input:
            self.code.clear()
            self._check(lambda: self._parcels.pickup.parcels_for_qr(text), "qr")

    def _check(self, find, via: str) -> None:
        self.phase, self.via = CHECKING, via
        # The worker first: the door waits on it, not on the frame this message redraws.
        self._run(lambda: self._open(find()), self._doors_opened, self._failed)
        self._show(Message.of(N_("Kontrollerar koden …")))

    def _open(self, parcels: list[ParcelForPickup]) -> PickupOpening:
        return self._parcels.pickup.open_for_pickup(parcels, via=self.via)

    def _doors_opened(self, opening: PickupOpening) -> None:
        self.opened, self.phase = opening.opened, DOOR_OPEN
        message = Message.of(TAKE_PARCEL, "success", compartments=self.compartment_ids, doors=len(self.opened))
        if opening.faults:
            message = Message.of(SOME_FAILED, "error", compartment=opening.faults[0].compartment.id)
        self._show(message)
        stop, bridge = self._stop, self._run
        self._run(lambda: self._parcels.wait_until_closed(
            [p.compartment for p in opening.opened], stop=stop,
            on_left_open=lambda c, _s: bridge(lambda: c, self._left_open, self._failed)),
            self._doors_closed, self._failed)

    def _left_open(self, compartment) -> None:
        if self.phase == DOOR_OPEN:
            self.alarm = Message.of(LEFT_OPEN, "error", compartment=compartment.id)
            self.changed()

    def _doors_closed(self, closed) -> None:
        if closed is None:
            return  # the session was reset while waiting
        self.phase, self.alarm = CLOSING, None
        opened, via = self.opened, self.via
        self._run(lambda: self._parcels.pickup.complete_pickup(opened, closed, via=via),
                  self._completed, self._failed)

    def _completed(self, result: PickupResult) -> None:
        self.phase = DONE
        if result.left_behind:
            ids = ", ".join(p.compartment.id for p in result.left_behind)
            self._show(Message.of(LEFT_BEHIND, "error", compartments=ids, parcels=len(result.left_behind)))
        else:
            self._show(Message.of(PICKED_UP, "success"))

    def _failed(self, error: BaseException) -> None:
        self.opened, self.alarm = [], None  # what is shown must be this attempt's doors, not the last one's
        self.phase = LOCKED if isinstance(error, LockedOut) else FAULT if isinstance(error, DoorFault) else ENTRY
        self._show(Message.from_error(error, UNEXPECTED))

    def tick(self) -> None:
        """About once a second: lifts the pause when it is over."""
        if self.phase == LOCKED and self._seconds_locked() == 0:
            self.phase = ENTRY
            self._show(INSTRUCTION)

    def _show(self, message: Message) -> None:
        self.message = message
        self.changed()

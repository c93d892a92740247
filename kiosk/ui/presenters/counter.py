"""Staff at the counter: a parcel held there is handed over when the resident's code is typed
or the QR from the notification is scanned."""
from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.services.codes import CODE_LENGTH
from kiosk.services.errors import N_
from kiosk.ui.presenters.base import Message, Presenter, Runner
from kiosk.ui.presenters.code_entry import CodeEntry
from kiosk.ui.presenters.pickup import UNEXPECTED

if TYPE_CHECKING:  # the services import SQLAlchemy: not on the start-up path
    from kiosk.services.parcels import ParcelService


ENTRY, CHECKING, HANDED = "entry", "checking", "handed"
COUNTER_INSTRUCTION = N_("Skanna kundens QR-kod eller skriv kundens kod.")
HAND_OVER = N_("Lämna ut paketet {tracking_ids}. Det är registrerat som uthämtat.")


class CounterPresenter(Presenter):
    def __init__(self, parcels: ParcelService, run: Runner, *, code_length: int = CODE_LENGTH) -> None:
        super().__init__()
        self._parcels, self._run = parcels, run
        self.code = CodeEntry(code_length, masked=False)  # the resident's one-time code, read off their phone
        self.member = None
        self.reset()

    def reset(self) -> None:
        self.phase, self.handed = ENTRY, ""
        self.code.clear()
        self.message = Message.of(COUNTER_INSTRUCTION)
        self.changed()

    def press_digit(self, digit: str) -> None:
        if self.phase != CHECKING and self.code.press(digit):
            self.phase = ENTRY
            self.changed()

    def erase(self) -> None:
        if self.code.erase():
            self.changed()

    def submit(self) -> None:
        if self.phase != CHECKING and self.code.complete:
            self._check(self.code.take())

    def scanned(self, text: str) -> None:
        if self.phase != CHECKING:
            self.code.clear()
            self._check(str(text))

    def _check(self, text: str) -> None:
        self.phase = CHECKING
        self._show(Message.of(N_("Kontrollerar koden …")))
        member = self.member
        desk = self._parcels.pickup

        def hand_over():
            found, _via = desk.held_for_code(text)
            desk.hand_over(found, member)
            return ", ".join(p.tracking_id for p in found)
        self._run(hand_over, self._handed, self._failed)

    def _handed(self, tracking_ids: str) -> None:
        self.phase, self.handed = HANDED, tracking_ids
        self._show(Message.of(HAND_OVER, "success", tracking_ids=tracking_ids))

    def _failed(self, error: BaseException) -> None:
        self.phase = ENTRY
        self._show(Message.from_error(error, UNEXPECTED))

    def _show(self, message: Message) -> None:
        self.message = message
        self.changed()

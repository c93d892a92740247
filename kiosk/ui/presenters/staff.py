"""Staff drop-off: scan a parcel, a free door opens, staff closes it, the pickup code is shown."""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from kiosk.services.errors import N_
from kiosk.ui.presenters.base import Message, Presenter, Runner
from kiosk.ui.presenters.pickup import UNEXPECTED

if TYPE_CHECKING:  # the services import SQLAlchemy: not on the start-up path
    from kiosk.services.parcels import Barcode, OpenedForDropOff, ParcelService, StoredParcel

SCAN, OPENING, DOOR_OPEN, STORING, STORED = "scan", "opening", "door_open", "storing", "stored"
STORED_TEXT = N_("Paketet ligger i fack {compartment}. Skanna nästa paket.")


class StaffPresenter(Presenter):
    def __init__(self, parcels: ParcelService, run: Runner) -> None:
        super().__init__()
        self._parcels = parcels
        self._run = run
        self._stop = threading.Event()
        self.reset()

    def reset(self) -> None:
        self._stop.set()
        self._stop = threading.Event()
        self.phase = SCAN
        self.staff_name = ""
        self.opened: OpenedForDropOff | None = None
        self.stored: StoredParcel | None = None
        self.message = Message.of(N_("Skanna paketets streckkod."))
        self.changed()

    def begin(self, staff_name: str) -> None:
        self.reset()
        self.staff_name = staff_name
        self.changed()

    @property
    def accepts_scan(self) -> bool:
        return self.phase in (SCAN, STORED)

    @property
    def can_cancel(self) -> bool:
        return self.phase == DOOR_OPEN

    @property
    def can_leave(self) -> bool:
        """Leaving while a door is open or a parcel is being saved would lose that parcel."""
        return self.phase in (SCAN, STORED)

    def scanned(self, data: Barcode | str) -> None:
        if not self.accepts_scan:
            return  # one parcel at a time: a second scan while a door is open is ignored
        self.phase, self.stored = OPENING, None
        self._show(Message.of(N_("Söker ett ledigt fack …")))
        self._run(lambda: self._parcels.open_for_drop_off(data), self._door_opened, self._failed)

    def cancel(self) -> None:
        """Staff changed their mind with the door open: nothing is stored."""
        if self.phase != DOOR_OPEN:
            return
        self._stop.set()
        self._stop = threading.Event()
        self.phase, self.opened = SCAN, None
        self._show(Message.of(N_("Avbrutet. Paketet registrerades inte; ta ut det och stäng luckan."), "error"))

    def _door_opened(self, opened: OpenedForDropOff) -> None:
        self.opened, self.phase = opened, DOOR_OPEN
        self._show(Message.of(N_("Lägg paketet i fack {compartment} och stäng luckan."),
                              "success", compartment=opened.compartment.id))
        stop = self._stop
        self._run(lambda: self._parcels.wait_until_closed([opened.compartment], stop=stop),
                  lambda closed: self._door_closed(opened, closed), self._failed)

    def _door_closed(self, opened: OpenedForDropOff, closed: bool) -> None:
        if not closed or self.opened is not opened:
            return  # cancelled while waiting
        self.phase = STORING
        self._run(lambda: self._parcels.complete_drop_off(opened), self._stored, self._failed)

    def _stored(self, stored: StoredParcel) -> None:
        self.phase, self.stored, self.opened = STORED, stored, None
        self._show(Message.of(STORED_TEXT, "success", compartment=stored.compartment_id))

    def _failed(self, error: BaseException) -> None:
        self.phase, self.opened = SCAN, None
        self._show(Message.from_error(error, UNEXPECTED))

    def _show(self, message: Message) -> None:
        self.message = message
        self.changed()

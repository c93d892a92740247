"""Doors found open at start-up: a restart interrupted a pickup or a return and the door was
never closed. Each shows the left-open alarm on the screens people see (attract, home, staff)
until its sensor reads closed; the door service reports it once (door.left_open).

Shown the same way: a full disk (nothing can be recorded, no door opens), and compartments
holding something no parcel record accounts for (a drop-off a full disk could not record),
found at start-up and again when space returns, until the next check finds them empty."""
from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Sequence

from kiosk.services.errors import N_
from kiosk.services.outcomes import STORAGE_FULL
from kiosk.ui.presenters.base import Message, Presenter, Runner
from kiosk.ui.presenters.pickup import LEFT_OPEN

if TYPE_CHECKING:  # the services import SQLAlchemy: not on the start-up path
    from kiosk.services.parcels import ParcelService
    from kiosk.services.upkeep import Reconciled

log = logging.getLogger(__name__)
UNKNOWN_ITEM = N_("Till personalen: fack {compartment} innehåller något som inte är registrerat. "
                  "Ring teknisk support.")


class OpenDoorsPresenter(Presenter):
    def __init__(self, run: Runner) -> None:
        super().__init__()
        self._run = run
        self._stop = threading.Event()
        self.open: list[str] = []  # compartment ids, in the order found
        self.unknown_items: list[str] = []  # compartments with an unrecorded item inside
        self.storage_full = False

    @property
    def alarms(self) -> list[Message]:
        storage = [Message.of(STORAGE_FULL, "error")] if self.storage_full else []
        return storage + [Message.of(LEFT_OPEN, "error", compartment=compartment) for compartment in self.open] + \
            [Message.of(UNKNOWN_ITEM, "error", compartment=compartment) for compartment in self.unknown_items]

    def found(self, parcels: ParcelService, reconciled: Reconciled) -> None:
        """What a reconcile found (at start-up, or when space returned): doors to watch,
        unrecorded items to show; the storage alarm ends once a check could write."""
        self.unknown_items = list(reconciled.unknown_items)
        self.storage_full = reconciled.storage_full
        self.changed()
        if reconciled.open_doors:
            self.watch(parcels, reconciled.open_doors)

    def set_storage_full(self, full: bool) -> None:
        if full != self.storage_full:
            self.storage_full = full
            self.changed()

    def watch(self, parcels: ParcelService, compartment_ids: Sequence[str]) -> None:
        """Shows each door's alarm at once (reconcile just read it open) and polls the sensors
        on a worker until every door is closed."""
        fresh = [c for c in compartment_ids if c not in self.open]
        if not fresh:
            return
        self.open.extend(fresh)
        self.changed()
        stop, run = self._stop, self._run
        self._run(lambda: parcels.watch_found_open(
            fresh, stop=stop, on_closed=lambda compartment: run(lambda: compartment, self._closed, self._failed)),
            lambda _closed: None, self._failed)

    def _closed(self, compartment: str) -> None:
        if compartment in self.open:
            self.open.remove(compartment)
            self.changed()

    def _failed(self, error: BaseException) -> None:
        # The alarm stays: a door is never assumed closed because its watch failed.
        log.error("watching the doors found open stopped: %r", error)

    def stop(self) -> None:
        """The app is closing: the watch ends (the doors are checked again at the next start)."""
        self._stop.set()

"""Doors found open at start-up: a restart interrupted a pickup or a return and the door was
never closed. Each shows the left-open alarm on the screens people see (attract, home, staff)
until its sensor reads closed; the door service reports it once (door.left_open)."""
from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Sequence

from kiosk.ui.presenters.base import Message, Presenter, Runner
from kiosk.ui.presenters.pickup import LEFT_OPEN

if TYPE_CHECKING:  # the services import SQLAlchemy: not on the start-up path
    from kiosk.services.parcels import ParcelService

log = logging.getLogger(__name__)


class OpenDoorsPresenter(Presenter):
    def __init__(self, run: Runner) -> None:
        super().__init__()
        self._run = run
        self._stop = threading.Event()
        self.open: list[str] = []  # compartment ids, in the order found

    @property
    def alarms(self) -> list[Message]:
        return [Message.of(LEFT_OPEN, "error", compartment=compartment) for compartment in self.open]

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

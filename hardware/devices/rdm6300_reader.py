"""RDM6300 125 kHz reader behind the `CardReader` interface.

The module repeats a card's frame while it is in the field and says nothing otherwise,
so "card removed" is silence for `absent_s`. It cannot be asked anything: the device
counts as connected while its port is open. As with the PN532, a card fires once per
presentation: a held card does not fire again after the port was lost and reopened.
"""

from __future__ import annotations

import threading
import time

from hardware.devices._worker import ErrorCallback, ListeningDevice, call_safely
from hardware.devices.card_reader import CardCallback
from hardware.protocols import rdm6300
from hardware.transport import SerialPort

RDM6300 = "RDM6300 card reader"
READ_WINDOW_S = 0.05


class Rdm6300Reader(ListeningDevice):
    device_name = RDM6300

    def __init__(self, port_url: str, *, baudrate: int = 9600, absent_s: float = 0.5,
                 retry_s: float = 1.0) -> None:
        self._port = SerialPort(port_url, device=RDM6300, baudrate=baudrate)
        self._absent_s = absent_s  # several repeat periods, so one lost frame is no removal
        self._retry_s = retry_s
        self._decoder = rdm6300.Rdm6300Decoder()
        self._on_card: CardCallback | None = None
        self._changed = threading.Condition()
        self._present: str | None = None  # None also while the port is lost
        self._held: str | None = None  # the card that fired and has not been seen leaving
        self._last_seen = 0.0

    @property
    def present_uid(self) -> str | None:
        return self._present

    def start(self, on_card: CardCallback, *, on_error: ErrorCallback | None = None) -> None:
        self._on_card = on_card
        self._listen(on_error)

    def read_uid(self, timeout: float) -> str | None:
        if self._worker is not None:
            with self._changed:
                self._changed.wait_for(lambda: self._present is not None, timeout)
                return self._present
        deadline = time.monotonic() + timeout
        try:
            self._connect()
            while time.monotonic() < deadline:
                tags = self._decoder.feed(self._port.read(READ_WINDOW_S))
                if tags:
                    return tags[-1].uid_hex
            return None
        finally:
            self._port.close()

    def _connect(self) -> None:
        self._port.open()
        self._decoder = rdm6300.Rdm6300Decoder()  # drop half a frame from before
        self._last_seen = time.monotonic()  # a held card gets `absent_s` to show up again

    def _disconnect(self) -> None:
        self._port.close()
        with self._changed:  # unknown until frames come again; the held card stays held
            self._present = None
            self._changed.notify_all()

    def _step(self) -> None:
        tags = self._decoder.feed(self._port.read(READ_WINDOW_S))
        if tags:
            self._last_seen = time.monotonic()
            self._note(tags[-1].uid_hex)
        elif self._held and time.monotonic() - self._last_seen >= self._absent_s:
            self._note(None)

    def _note(self, uid: str | None) -> None:
        with self._changed:
            fire = uid is not None and uid != self._held
            self._present = self._held = uid
            self._changed.notify_all()
        if fire and self._on_card is not None:
            call_safely(self._on_card, uid)

"""Builds drivers from plain settings, watches their health and publishes what happens.

One poll thread asks every polled device a harmless question each `poll_s`: lock boards
their status (door and item changes become events), the printer its DLE EOT status.
Card readers and scanners listen on threads of their own; the poll only reads whether
they are connected. A device counts as gone only after `gone_after` missed polls in a
row (one lost reply on a busy bus is not an outage), and as back at its first good poll.
Reconnecting is the drivers' own: the next use reopens the port.

The manager never repeats a physical action: `open` and `print_receipt` call the
driver once; an outcome the driver cannot confirm comes back as OutcomeUnknown or a
PrintReport saying "unknown", for a person to check.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from hardware.devices._worker import call_safely
from hardware.devices.card_reader import CardReader, PN532Reader
from hardware.devices.locker import CompartmentState, KerongLocker, LockAddress, Locker
from hardware.devices.models import PRINTER_MODELS
from hardware.devices.printer import EscPosPrinter, PrintReport, Receipt, ReceiptPrinter
from hardware.devices.rdm6300_reader import Rdm6300Reader
from hardware.devices.scanner import BarcodeScanner, SerialScanner
from hardware.devices.wkly_locker import WklyLocker
from hardware.errors import HardwareError

log = logging.getLogger(__name__)
GONE_AFTER = 3
D = TypeVar("D")


@dataclass(frozen=True)
class DeviceSettings:
    """kind: locker | card_reader | scanner | printer; options: driver keyword arguments
    (baudrate, hook_closed_bit, suffix, model, code_page, ...); boards: lockers to poll."""

    kind: str
    protocol: str
    port: str
    options: Mapping[str, Any] = field(default_factory=dict)
    boards: tuple[int, ...] = (0,)


@dataclass(frozen=True)
class DeviceEvent:
    """kind: door_opened, door_closed, item_changed, card_presented, barcode_scanned,
    printer_status, device_gone, device_back."""

    kind: str
    device: str
    data: Mapping[str, Any] = field(default_factory=dict)


def _printer(port: str, *, model: str = "epson-tm-t88", code_page: str | None = None,
             **options: Any) -> EscPosPrinter:
    chosen = PRINTER_MODELS[model]
    if code_page:
        chosen = dataclasses.replace(chosen, code_page=code_page)
    return EscPosPrinter(port, model=chosen, **options)


DRIVERS: dict[tuple[str, str], Callable[..., Any]] = {
    ("locker", "kerong"): KerongLocker, ("locker", "wkly"): WklyLocker,
    ("card_reader", "pn532"): PN532Reader, ("card_reader", "rdm6300"): Rdm6300Reader,
    ("scanner", "serial"): SerialScanner, ("printer", "escpos"): _printer,
}


def build_driver(settings: DeviceSettings) -> Any:
    factory = DRIVERS.get((settings.kind, settings.protocol))
    if factory is None:
        raise ValueError(f"no driver for {settings.kind} protocol {settings.protocol!r}")
    return factory(settings.port, **settings.options)


class DeviceManager:
    def __init__(self, settings: list[DeviceSettings], *, poll_s: float = 1.0,
                 gone_after: int = GONE_AFTER) -> None:
        self.settings = {s.kind: s for s in settings}
        self.drivers = {s.kind: build_driver(s) for s in settings}
        self.poll_s = poll_s
        self.gone_after = gone_after
        self.missed = {kind: 0 for kind in self.drivers}
        self.present = {kind: True for kind in self.drivers}
        self._last: dict[str, Any] = {}
        self._subscribers: list[Callable[[DeviceEvent], None]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def subscribe(self, callback: Callable[[DeviceEvent], None]) -> None:
        self._subscribers.append(callback)

    def driver(self, kind: str) -> Any:
        return self.drivers.get(kind)

    # Each kind's driver by the interface of its class (DRIVERS builds only those for a kind).
    def locker(self) -> Locker | None:
        return cast("Locker | None", self.drivers.get("locker"))

    def card_reader(self) -> CardReader | None:
        return cast("CardReader | None", self.drivers.get("card_reader"))

    def scanner(self) -> BarcodeScanner | None:
        return cast("BarcodeScanner | None", self.drivers.get("scanner"))

    def printer(self) -> ReceiptPrinter | None:
        return cast("ReceiptPrinter | None", self.drivers.get("printer"))

    def answered(self, kind: str) -> bool:
        """Whether the device has answered a poll since start (the updater's health check)."""
        return kind in self._last

    def listen(self) -> None:
        """Start card readers and scanners with callbacks that publish events."""
        for kind, driver in self.drivers.items():
            if kind == "card_reader":
                driver.start(lambda uid, k=kind: self._publish("card_presented", k, uid=uid))
            elif kind == "scanner":
                driver.start(lambda scan, k=kind: self._publish(
                    "barcode_scanned", k, data=scan.data, barcode=scan.barcode))

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="device manager", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()
        for kind, driver in self.drivers.items():
            call_safely(driver.stop if kind in ("card_reader", "scanner") else driver.close)

    def open(self, address: LockAddress) -> None:
        self._configured(self.locker(), "locker").open(address)  # once: the driver confirms or reports

    def print_receipt(self, receipt: Receipt) -> PrintReport:
        return self._configured(self.printer(), "printer").print_receipt(receipt)  # once, never re-sent

    @staticmethod
    def _configured(driver: D | None, kind: str) -> D:
        if driver is None:
            raise KeyError(kind)  # what the dict lookup raised before: no such device configured
        return driver

    def poll_once(self) -> None:
        for kind, driver in self.drivers.items():
            try:
                state = self._check(kind, driver)
            except HardwareError as exc:
                self._missed(kind, exc)
                continue
            self._answered(kind, state)

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            self.poll_once()

    def _check(self, kind: str, driver: Any) -> Any:
        if kind == "locker":
            return {b: driver.board_states(b) for b in self.settings[kind].boards}
        if kind == "printer":
            return driver.status()
        if not driver.connected and driver.last_error is not None:
            raise driver.last_error  # its own thread keeps trying to reconnect
        return None  # a listener that is connected, connecting, or not started

    def _missed(self, kind: str, exc: HardwareError) -> None:
        self.missed[kind] += 1
        if self.present[kind] and self.missed[kind] >= self.gone_after:
            self.present[kind] = False
            self._publish("device_gone", kind, error=str(exc))

    def _answered(self, kind: str, state: Any) -> None:
        self.missed[kind] = 0
        if not self.present[kind]:
            self.present[kind] = True
            self._publish("device_back", kind)
        previous, self._last[kind] = self._last.get(kind), state
        if kind == "locker" and previous is not None:
            self._door_events(previous, state)
        elif kind == "printer" and state != previous:
            self._publish("printer_status", kind, status=state)

    def _door_events(self, before: dict[int, dict[int, CompartmentState]],
                     after: dict[int, dict[int, CompartmentState]]) -> None:
        for board, locks in after.items():
            for lock, now in locks.items():
                was = before.get(board, {}).get(lock)
                if was is None:
                    continue
                if was.door_closed != now.door_closed:
                    kind = "door_closed" if now.door_closed else "door_opened"
                    self._publish(kind, "locker", board=board, lock=lock)
                if was.item_present != now.item_present:
                    self._publish("item_changed", "locker", board=board, lock=lock,
                                  present=now.item_present)

    def _publish(self, kind: str, device: str, **data: Any) -> None:
        event = DeviceEvent(kind, device, data)
        for callback in list(self._subscribers):
            call_safely(callback, event)

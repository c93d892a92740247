"""Barcode scanners in serial (USB-CDC) mode.

Bytes are read raw from the port, never through a keyboard layout, so `]`, GS (0x1D)
and digits arrive as sent whatever the kiosk's locale. `on_scan` runs on the driver's
own thread: the UI hands it to its main thread itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from hardware.devices._worker import ErrorCallback, ListeningDevice, call_safely
from hardware.protocols import barcode
from hardware.transport import SerialPort

SCANNER = "barcode scanner"
READ_WINDOW_S = 0.1  # how often the reading thread looks at its stop flag


@dataclass(frozen=True)
class ScanResult:
    raw: bytes  # the line as received, AIM id included, suffix removed
    data: str  # decoded text without the AIM id
    aim_id: str | None  # e.g. "]C1", or None if the scanner sent none / aim=False
    barcode: barcode.Barcode


ScanCallback = Callable[[ScanResult], None]


class BarcodeScanner(Protocol):
    def start(self, on_scan: ScanCallback, *, on_error: ErrorCallback | None = None) -> None:
        """Start reading; `on_scan` fires once per scanned line."""

    def stop(self) -> None:
        """Stop reading, join the thread and close the port."""


def to_scan_result(line: bytes, *, aim: bool) -> ScanResult:
    """One suffix-free scanner line -> ScanResult (pure, shared with tests and tools)."""
    aim_id, payload = barcode.parse_aim(line) if aim else (None, line)
    data = barcode.decode_text(payload).strip()
    return ScanResult(line, data, aim_id, barcode.classify(data, aim_id))


class SerialScanner(ListeningDevice):
    """A scanner that ends each barcode with a suffix (CR, LF or CR LF; "auto" takes all).

    `aim=True` strips and reports a leading AIM symbology id; with AIM ids disabled in
    the scanner this is harmless, as parcel ids never start with `]`.
    """

    device_name = SCANNER

    def __init__(self, port_url: str, *, baudrate: int = 9600, suffix: str = "auto",
                 aim: bool = True, retry_s: float = 1.0) -> None:
        self._port = SerialPort(port_url, device=SCANNER, baudrate=baudrate)
        self._suffix = suffix
        self._splitter = barcode.LineSplitter(suffix)  # validates suffix early
        self._aim = aim
        self._retry_s = retry_s
        self._on_scan: ScanCallback | None = None

    def start(self, on_scan: ScanCallback, *, on_error: ErrorCallback | None = None) -> None:
        self._on_scan = on_scan
        self._listen(on_error)

    def _connect(self) -> None:
        self._port.open()
        self._splitter = barcode.LineSplitter(self._suffix)  # drop a half line from before

    def _step(self) -> None:
        for line in self._splitter.feed(self._port.read(READ_WINDOW_S)):
            if self._on_scan is not None:
                call_safely(self._on_scan, to_scan_result(line, aim=self._aim))

"""ESC/POS receipt printers over serial.

Output goes through python-escpos (`escpos.printer.Serial`): code page, text, native
QR, cut. Status is our own DLE EOT 1-4 codec on the same port, because python-escpos
decodes neither cover-open nor cutter errors and waits a full timeout per query.

A print is never re-sent by the driver. `print_receipt` checks the printer first,
sends once, then re-reads the status and reports what it says happened.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, TypeVar

import serial

from hardware.devices.models import PRINTER_MODELS, PrinterModel
from hardware.errors import DeviceRefused, DeviceTimeout, DeviceUnavailable, HardwareError
from hardware.protocols import escpos_status as st
from hardware.transport import IO_ERRORS

if TYPE_CHECKING:
    from escpos.printer import Serial as EscposSerial


def _escpos_errors() -> tuple[type[Exception], ...]:
    """python-escpos is imported on first use: importing it parses its printer-capability
    database (about 0.5 s), which every kiosk start and every CLI command paid before."""
    from escpos.exceptions import Error

    return (Error,)

PRINTER = "receipt printer"
T = TypeVar("T")
DEFAULT_MODEL = PRINTER_MODELS["epson-tm-t88"]


@dataclass(frozen=True)
class Receipt:
    title: str
    lines: tuple[str, ...] = ()
    qr: str | None = None


Outcome = Literal["printed", "waiting", "unknown"]


@dataclass(frozen=True)
class PrintReport:
    """printed: sent and the printer is fine; waiting: the printer holds it until paper
    or cover is fixed (it prints then, by itself); unknown: the line broke mid-job."""

    outcome: Outcome
    status: st.PrinterStatus | None
    detail: str = ""


class ReceiptPrinter(Protocol):
    def status(self) -> st.PrinterStatus: ...

    def print_receipt(self, receipt: Receipt) -> PrintReport: ...

    def close(self) -> None: ...


class EscPosPrinter:
    def __init__(self, port_url: str, *, model: PrinterModel = DEFAULT_MODEL,
                 baudrate: int | None = None, timeout: float | None = None) -> None:
        self.url = port_url
        self.model = model
        self._baudrate = baudrate or model.baudrate
        self._timeout = timeout or model.reply_timeout_s
        self._lock = threading.Lock()
        self._escpos: EscposSerial | None = None
        self._overdue = False  # a status query went unanswered in time on this connection

    @property
    def port(self) -> str:
        return self.url

    def status(self) -> st.PrinterStatus:
        with self._lock:
            return self._io(self._read_status)

    def print_receipt(self, receipt: Receipt) -> PrintReport:
        with self._lock:
            before = self._io(self._read_status)
            if not before.can_print:
                raise DeviceRefused(PRINTER, self.url, ", ".join(before.problems))
            try:
                self._io(lambda: self._send(receipt))
                after = self._io(self._read_status)
            except (DeviceUnavailable, DeviceTimeout) as exc:
                return self._after_break(exc)  # sent, maybe in part: never send again
            return self._report(after)

    def close(self) -> None:
        with self._lock:
            self._drop()

    def __enter__(self) -> EscPosPrinter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- one job ---------------------------------------------------------------------

    def _send(self, receipt: Receipt) -> None:
        p = self._printer()
        p.hw("INIT")
        p.charcode(self.model.code_page)
        p.set(align="center", bold=True)
        p.textln(receipt.title)
        p.set(align="left", bold=False)
        for line in receipt.lines:
            p.textln(line)
        if receipt.qr:
            p.set(align="center")
            p.qr(receipt.qr, native=True, size=self.model.qr_size)
        p.cut()
        p.device.flush()

    def _report(self, status: st.PrinterStatus) -> PrintReport:
        if status.can_print:
            return PrintReport("printed", status)
        return PrintReport("waiting", status, ", ".join(status.problems))

    def _after_break(self, exc: HardwareError) -> PrintReport:
        """The line broke mid-job: look once more, report, and do not print again."""
        try:
            status = self._io(self._read_status)
        except HardwareError:
            status = None
        return PrintReport("unknown", status, f"lost the printer during the job: {exc.detail}")

    # --- status ----------------------------------------------------------------------

    def _read_status(self) -> st.PrinterStatus:
        device = self._printer().device
        device.reset_input_buffer()  # a late byte from an old query is not this answer
        device.write(b"".join(st.encode_query(n) for n in self.model.status_queries))
        wanted = len(self.model.status_queries)
        # After a timeout, that query's answer may still come, after this flush. The
        # printer answers in order, so then the last full set of replies is ours.
        replies = self._collect(device, sets=2 if self._overdue else 1)
        if len(replies) < wanted:
            self._overdue = True
            raise DeviceTimeout(PRINTER, self.url, f"{len(replies)} of {wanted} status replies")
        self._overdue = False
        last = len(replies) // wanted * wanted
        return st.merge(replies[last - wanted:last])

    def _collect(self, device: serial.Serial, sets: int) -> list[st.StatusReply]:
        """Up to `sets` replies per query: the first set within the timeout, a further
        one only if it follows before the line has been quiet for the timeout again."""
        decoder = st.StatusDecoder()
        for n in self.model.status_queries * sets:
            decoder.expect(n)
        wanted, replies = len(self.model.status_queries), list[st.StatusReply]()
        deadline = time.monotonic() + self._timeout
        while len(replies) < wanted * sets and time.monotonic() < deadline:
            had_one = len(replies) >= wanted
            replies += decoder.feed(device.read(max(1, device.in_waiting)))
            if not had_one and len(replies) >= wanted:
                deadline = time.monotonic() + self._timeout
        return replies

    # --- the port --------------------------------------------------------------------

    def _io(self, action: Callable[[], T]) -> T:
        """Run `action` on the open port; an I/O error closes it (reopened next call)."""
        errors: tuple[type[BaseException], ...] = (*IO_ERRORS, *_escpos_errors())
        try:
            return action()
        except errors as exc:
            self._drop()
            raise DeviceUnavailable(PRINTER, self.url, str(exc)) from exc

    def _printer(self) -> EscposSerial:
        if self._escpos is None:
            from escpos.printer import Serial as EscposSerial

            printer = EscposSerial(devfile=self.url, baudrate=self._baudrate, timeout=0.02,
                                   dsrdtr=self.model.dsrdtr, profile=self.model.profile)
            printer.open()  # raises DeviceNotFoundError (an escpos Error) if it cannot
            self._escpos = printer
        return self._escpos

    def _drop(self) -> None:
        printer, self._escpos, self._overdue = self._escpos, None, False
        if printer is not None and printer.device is not None:
            with contextlib.suppress(*IO_ERRORS):
                printer.device.close()  # not printer.close(): it flushes a dead port

"""ESC/POS real-time status `DLE EOT n` (10 04 n) and its one-byte replies, sans I/O.

Every reply byte has fixed bits: bit 1 and bit 4 set, bit 0 and bit 7 clear (so "all
fine" is 0x12). A byte without that pattern is noise, never a status. python-escpos
decodes only "offline" and the paper sensor; cover open and cutter errors are ours.
See reference/hardware-protocols.md section 4.2.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import Enum
from typing import Any

from hardware.errors import FrameError

DLE_EOT = b"\x10\x04"
PRINTER, OFFLINE_CAUSE, ERROR_CAUSE, PAPER_SENSOR = 1, 2, 3, 4
QUERIES = (PRINTER, OFFLINE_CAUSE, ERROR_CAUSE, PAPER_SENSOR)
FIXED_MASK, FIXED_VALUE = 0x93, 0x12
BIT2, BIT3, BIT5, BIT6 = 0x04, 0x08, 0x20, 0x40


class Paper(str, Enum):
    OK = "ok"
    NEAR_END = "near-end"
    OUT = "out"


def encode_query(n: int) -> bytes:
    if n not in QUERIES:
        raise ValueError(f"DLE EOT n must be 1..4, got {n}")
    return DLE_EOT + bytes([n])


def is_status_byte(byte: int) -> bool:
    return byte & FIXED_MASK == FIXED_VALUE


@dataclass(frozen=True)
class StatusReply:
    """One checked reply byte and the query it answers."""

    n: int
    value: int

    def bit(self, mask: int) -> bool:
        return bool(self.value & mask)


def decode_reply(n: int, value: int) -> StatusReply:
    if n not in QUERIES or not is_status_byte(value):
        raise FrameError(f"not a DLE EOT {n} status byte: {value:#04x}")
    return StatusReply(n, value)


@dataclass(frozen=True)
class PrinterStatus:
    """What the four replies say, merged. Fields of a query not asked stay at defaults."""

    online: bool = True
    cover_open: bool = False
    paper: Paper = Paper.OK
    paper_stop: bool = False  # printing stopped because the paper ended
    cutter_error: bool = False
    unrecoverable_error: bool = False
    auto_recoverable_error: bool = False
    error: bool = False  # "an error occurred" (DLE EOT 2, bit 6)

    @property
    def can_print(self) -> bool:
        return self.online and not self.problems

    @property
    def problems(self) -> tuple[str, ...]:
        """Stable English keys, for the UI to translate and the CLI to print."""
        found = [name for name, on in (
            ("offline", not self.online), ("cover open", self.cover_open),
            ("paper out", self.paper is Paper.OUT), ("cutter error", self.cutter_error),
            ("unrecoverable error", self.unrecoverable_error)) if on]
        return tuple(found)


def _paper(value: int) -> Paper:
    # Epson sets both bits of a pair; some clones set one. Either bit counts, so a
    # clone never hides a paper end behind a half-set pair.
    if value & (BIT5 | BIT6):
        return Paper.OUT
    return Paper.NEAR_END if value & (BIT2 | BIT3) else Paper.OK


def merge(replies: list[StatusReply]) -> PrinterStatus:
    fields: dict[str, Any] = {}  # PrinterStatus's keyword arguments
    for r in replies:
        if r.n == PRINTER:
            fields["online"] = not r.bit(BIT3)
        elif r.n == OFFLINE_CAUSE:
            fields.update(cover_open=r.bit(BIT2), paper_stop=r.bit(BIT5), error=r.bit(BIT6))
        elif r.n == ERROR_CAUSE:
            fields.update(cutter_error=r.bit(BIT3), unrecoverable_error=r.bit(BIT5),
                          auto_recoverable_error=r.bit(BIT6))
        else:
            fields["paper"] = _paper(r.value)
    return PrinterStatus(**fields)


def encode_reply(n: int, status: PrinterStatus) -> int:
    """The byte a printer in `status` answers to DLE EOT n (for simulators)."""
    bits = {
        PRINTER: [(not status.online, BIT3)],
        OFFLINE_CAUSE: [(status.cover_open, BIT2), (status.paper_stop, BIT5),
                        (status.error, BIT6)],
        ERROR_CAUSE: [(status.cutter_error, BIT3), (status.unrecoverable_error, BIT5),
                      (status.auto_recoverable_error, BIT6)],
        PAPER_SENSOR: [(status.paper is not Paper.OK, BIT2 | BIT3),
                       (status.paper is Paper.OUT, BIT5 | BIT6)],
    }[n]
    value = FIXED_VALUE
    for on, mask in bits:
        value |= mask if on else 0
    if n == PAPER_SENSOR and status.paper is Paper.OUT:
        value &= ~(BIT2 | BIT3)  # 0x72, the value python-escpos reads as "no paper"
    return value


class StatusDecoder:
    """Pairs reply bytes with the queries sent, oldest first.

    Bytes that cannot be a status (wrong fixed bits) or arrive with no query
    outstanding are counted in `discarded` and never reported.
    """

    def __init__(self) -> None:
        self._pending: deque[int] = deque()
        self.discarded = 0
        self.dropped = 0  # for the transport: this codec has no checksum to fail

    def expect(self, n: int) -> None:
        encode_query(n)  # validates n
        self._pending.append(n)

    def feed(self, data: bytes) -> list[StatusReply]:
        replies = []
        for byte in data:
            if self._pending and is_status_byte(byte):
                replies.append(StatusReply(self._pending.popleft(), byte))
            else:
                self.discarded += 1
        return replies

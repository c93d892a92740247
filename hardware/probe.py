"""Which device is on this port? Harmless queries, one protocol after another.

Order matters: first it only listens (an RDM6300 with a card talks unasked). A printer
prints whatever it does not understand, so it is asked next, with DLE EOT 1 (a real-time
status query it answers and never prints). The PN532 wake-up and the lock-board status
queries follow; each of those devices ignores the others' frames (no matching start code).
Nothing here unlocks or prints.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from hardware.errors import HardwareError
from hardware.protocols import escpos_status, kerong, pn532, rdm6300, wkly
from hardware.transport import Channel, FrameReader, SerialPort

T = TypeVar("T")


@dataclass(frozen=True)
class ProbeResult:
    protocol: str  # escpos | pn532 | kerong | wkly | rdm6300
    detail: str


def _ask(url: str, baudrate: int, request: bytes, read: Callable[[Channel], T]) -> T:
    with SerialPort(url, device="probe", baudrate=baudrate) as port:
        return port.exchange(request, read)


def identify_escpos(url: str, timeout: float = 0.3, baudrate: int = 19200) -> ProbeResult | None:
    """A printer answers DLE EOT 1 with exactly one status byte and says nothing else."""
    def read(channel: Channel) -> bytes:
        deadline, data = time.monotonic() + timeout, b""
        while (chunk := channel.read(deadline)):
            data += chunk
        return data
    reply = _ask(url, baudrate, escpos_status.encode_query(1), read)
    if len(reply) != 1 or not escpos_status.is_status_byte(reply[0]):
        return None
    status = escpos_status.merge([escpos_status.decode_reply(1, reply[0])])
    return ProbeResult("escpos", f"ESC/POS printer, {'online' if status.online else 'offline'}")


def identify_pn532(url: str, timeout: float = 0.3, baudrate: int = 115200) -> ProbeResult | None:
    def read(channel: Channel) -> pn532.Event | None:
        reader = FrameReader(channel, pn532.PN532Decoder())
        return reader.expect(lambda e: isinstance(e, pn532.Frame)
                             and e.is_response_to(pn532.CMD_GET_FIRMWARE_VERSION), timeout)
    request = pn532.WAKEUP + pn532.sam_configuration() + pn532.get_firmware_version()
    frame = _ask(url, baudrate, request, read)
    if not isinstance(frame, pn532.Frame):
        return None
    fw = pn532.parse_firmware_version(frame)
    return ProbeResult("pn532", f"PN532 card reader, IC {fw.ic:#04x} firmware {fw.ver}.{fw.rev}")


def identify_kerong(url: str, timeout: float = 0.3, baudrate: int = 19200) -> ProbeResult | None:
    def read(channel: Channel) -> list[int]:
        reader, boards = FrameReader(channel, kerong.KerongDecoder()), list[int]()
        while (frame := reader.expect(lambda f: f.cmd in (kerong.REPLY_ALL, kerong.REPLY_STATUS),
                                      timeout)) is not None:
            boards.append(frame.board)
        return boards
    boards = _ask(url, baudrate, kerong.encode_query_all(), read)
    if not boards:
        return None
    return ProbeResult("kerong", f"Kerong lock boards {', '.join(map(str, sorted(boards)))}")


def identify_wkly(url: str, timeout: float = 0.5, baudrate: int = 9600,
                  boards: range = range(0, 4)) -> ProbeResult | None:
    found = [b for b in boards if _wkly_board(url, b, timeout, baudrate)]
    if not found:
        return None
    return ProbeResult("wkly", f"WKLY lock boards {', '.join(map(str, found))}")


def _wkly_board(url: str, board: int, timeout: float, baudrate: int) -> bool:
    def read(channel: Channel) -> wkly.WklyFrame | None:
        return FrameReader(channel, wkly.WklyDecoder()).expect(
            lambda f: f.addr == board and f.cmd == wkly.CMD_QUERY_ALL, timeout)
    return _ask(url, baudrate, wkly.encode_query_all(board), read) is not None


def listen_rdm6300(url: str, timeout: float = 0.5, baudrate: int = 9600) -> ProbeResult | None:
    """An RDM6300 cannot be asked; it is recognised only while a card is on it."""
    def read(channel: Channel) -> rdm6300.Tag | None:
        return FrameReader(channel, rdm6300.Rdm6300Decoder()).next(timeout)
    tag = _ask(url, baudrate, b"", read)
    return None if tag is None else ProbeResult("rdm6300", f"RDM6300 reader, card {tag.uid_hex}")


# Listening first sends nothing; the printer next, as it prints what it does not know.
PROBES = (listen_rdm6300, identify_escpos, identify_pn532, identify_kerong, identify_wkly)


def probe(url: str) -> ProbeResult | None:
    """The first protocol that answers; None if nothing did. HardwareError if the port
    cannot be opened at all."""
    for identify in PROBES:
        result = identify(url)
        if result is not None:
            return result
    return None


__all__ = ["HardwareError", "ProbeResult", "probe", *[p.__name__ for p in PROBES]]

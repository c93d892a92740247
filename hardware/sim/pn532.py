"""Byte-exact simulator of an NXP PN532 on HSU with one ISO 14443 A card slot.

Like the chip: it sleeps until a 0x55 wake-up preamble, ACKs every good command,
wants SAMConfiguration before listing targets, and answers InListPassiveTarget only
when a card is in the field, possibly long after the command (until the host aborts
with an ACK).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from hardware.protocols import pn532

FIRMWARE = pn532.FirmwareVersion(ic=0x32, ver=1, rev=6, support=7)
WAKEUP_BYTE = 0x55

HISTORY = 1000  # commands remembered for assertions; bounded for long runs


def encode_target_response(uid: bytes) -> bytes:
    """InListPassiveTarget response for one type A card (SENS_RES/SEL_RES of a
    MIFARE Classic for 4-byte UIDs, of an Ultralight/NTAG for 7-byte ones)."""
    sens_res, sel_res = (0x0044, 0x00) if len(uid) == 7 else (0x0004, 0x08)
    params = bytes([1, 1, sens_res >> 8, sens_res & 0xFF, sel_res, len(uid)]) + uid
    return pn532.encode_response(pn532.CMD_IN_LIST_PASSIVE_TARGET, params)


class PN532Sim:
    checksum_offset = -2  # DCS is followed by the postamble; the pty harness flips DCS

    def __init__(self, firmware: pn532.FirmwareVersion = FIRMWARE, *,
                 require_wakeup: bool = True) -> None:
        self.firmware = firmware
        self.commands: deque[int] = deque(maxlen=HISTORY)  # recent command codes
        self.aborts = 0
        self._decoder = pn532.PN532Decoder()
        self._awake = not require_wakeup
        self._sam_configured = False
        self._card: bytes | None = None
        self._remove_at: float | None = None
        self._pending = False  # an InListPassiveTarget is waiting for a card
        self._last_reply = b""
        self._emit: Callable[[bytes], None] | None = None
        self._lock = threading.Lock()

    def attach(self, emit: Callable[[bytes], None]) -> None:
        """The harness gives us a way to speak unasked (the card arrives later)."""
        self._emit = emit

    @property
    def card(self) -> str | None:
        with self._lock:
            uid = self._current_card()
        return uid.hex().upper() if uid else None

    def place_card(self, uid_hex: str | None) -> None:
        """Put a card in the field (None removes it); it stays until removed."""
        uid = bytes.fromhex(uid_hex) if uid_hex else None
        if uid is not None and len(uid) not in (4, 7, 10):
            raise ValueError(f"a type A UID has 4, 7 or 10 bytes, got {uid_hex!r}")
        with self._lock:
            self._card, self._remove_at = uid, None
            late = self._answer_pending()
        if late and self._emit is not None:
            self._emit(late)

    def remove_card(self) -> None:
        self.place_card(None)

    def tap_card(self, uid_hex: str, seconds: float = 1.0) -> None:
        """Present a card for `seconds`, then take it away."""
        self.place_card(uid_hex)
        with self._lock:
            self._remove_at = time.monotonic() + seconds

    def feed(self, data: bytes) -> bytes:
        with self._lock:
            data = self._wake(data)
            return b"".join(self._handle(event) for event in self._decoder.feed(data))

    def _wake(self, data: bytes) -> bytes:
        if self._awake:
            return data
        start = data.find(WAKEUP_BYTE)
        self._awake = start >= 0
        return data[start:] if self._awake else b""

    def _current_card(self) -> bytes | None:
        if self._remove_at is not None and time.monotonic() >= self._remove_at:
            self._card, self._remove_at = None, None
        return self._card

    def _answer_pending(self) -> bytes:
        card = self._current_card() if self._pending else None
        if card is None:
            return b""
        self._pending = False
        self._last_reply = encode_target_response(card)
        return self._last_reply

    def _handle(self, event: pn532.Event) -> bytes:
        if isinstance(event, pn532.Ack):
            self.aborts += self._pending
            self._pending = False  # the host gave up waiting
            return b""
        if isinstance(event, pn532.Nack):
            return self._last_reply  # "say that again"
        if not isinstance(event, pn532.Frame) or event.tfi != pn532.HOST_TFI:
            return b""
        self.commands.append(event.code)
        reply = self._run(event)
        if reply:
            self._last_reply = reply
        return pn532.ACK + reply

    def _run(self, frame: pn532.Frame) -> bytes:
        code = frame.code
        if code == pn532.CMD_GET_FIRMWARE_VERSION:
            fw = self.firmware
            return pn532.encode_response(code, bytes([fw.ic, fw.ver, fw.rev, fw.support]))
        if code == pn532.CMD_SAM_CONFIGURATION:
            self._sam_configured = True
            return pn532.encode_response(code)
        if code == pn532.CMD_IN_LIST_PASSIVE_TARGET and self._sam_configured:
            self._pending = True
            return self._answer_pending()
        if code == pn532.CMD_IN_RELEASE:
            return pn532.encode_response(code, b"\x00")
        return pn532.ERROR_FRAME

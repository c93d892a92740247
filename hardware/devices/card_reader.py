"""Card readers: staff badges and resident cards, identified by UID only.

`CardReader` is what the kiosk calls; `PN532Reader` drives an NXP PN532 over HSU.
`on_card` runs on the driver's own thread: the UI hands it to its main thread itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol, TypeVar

from hardware.devices._worker import ErrorCallback, ListeningDevice, call_safely
from hardware.errors import DeviceRefused, FrameError, ProtocolError
from hardware.protocols import pn532
from hardware.transport import Channel, FrameReader, SerialPort

PN532 = "PN532 card reader"
UNREADABLE = "unreadable"  # a poll whose answer failed its checksum (never a hex UID)
CardCallback = Callable[[str], None]
T = TypeVar("T")


class CardReader(Protocol):
    def start(self, on_card: CardCallback, *, on_error: ErrorCallback | None = None) -> None:
        """Start listening; `on_card(uid_hex)` fires once per card presentation."""

    def stop(self) -> None:
        """Stop listening, join the thread and close the port."""

    def read_uid(self, timeout: float) -> str | None:
        """The UID of a card on the reader (waiting up to `timeout`), else None."""


class PN532Reader(ListeningDevice):
    """PN532 over UART: wake-up, SAMConfiguration, then poll InListPassiveTarget.

    A poll listens for `poll_interval` seconds; if no card answers the host aborts
    with an ACK, as the PN532 itself never gives up. A card counts as removed after
    `absent_polls` empty polls in a row, so one missed poll does not fire it again.

    A card fires once per presentation: a held card does not fire again after a missed
    poll, a corrupt reply, a late answer or a reconnect. Only polls that see the reader
    empty `absent_polls` times end a presentation (a card taken away and brought back
    while the reader was unreachable therefore does not fire twice).
    """

    device_name = PN532

    def __init__(self, port_url: str, *, baudrate: int = 115200, poll_interval: float = 0.2,
                 ack_timeout: float = 0.5, reply_timeout: float = 1.0,
                 absent_polls: int = 2, retry_s: float = 1.0) -> None:
        self._port = SerialPort(port_url, device=PN532, baudrate=baudrate)
        self._poll_interval = poll_interval
        self._ack_timeout = ack_timeout  # PN532 ACKs in ~15 ms; USB dongles add latency
        self._reply_timeout = reply_timeout
        self._absent_polls = absent_polls
        self._retry_s = retry_s
        self._on_card: CardCallback | None = None
        self._changed = threading.Condition()
        self._present: str | None = None  # what the polls say now (None during an outage)
        self._held: str | None = None  # the card that fired and has not been seen leaving
        self._absent = 0
        self._polls = 0
        self.firmware: pn532.FirmwareVersion | None = None

    @property
    def present_uid(self) -> str | None:
        """The card on the reader as the polling thread last saw it."""
        return self._present

    @property
    def polls(self) -> int:
        """Completed polls, for health checks (and tests that wait for a poll)."""
        return self._polls

    def start(self, on_card: CardCallback, *, on_error: ErrorCallback | None = None) -> None:
        self._on_card = on_card
        self._listen(on_error)

    def read_uid(self, timeout: float) -> str | None:
        if self._worker is not None:
            with self._changed:
                self._changed.wait_for(lambda: self._present is not None, timeout)
                return self._present
        try:
            self._connect()
            uid = self._poll(timeout)
        finally:
            self._port.close()
        if uid is UNREADABLE:
            raise ProtocolError(PN532, self.port, "the card's answer failed its checksum")
        return uid

    # --- one device session --------------------------------------------------------

    def _connect(self) -> None:
        self._port.open()
        self._command(pn532.WAKEUP + pn532.sam_configuration(), pn532.CMD_SAM_CONFIGURATION)
        frame = self._command(pn532.get_firmware_version(), pn532.CMD_GET_FIRMWARE_VERSION)
        self.firmware = self._parse(pn532.parse_firmware_version, frame)

    def _disconnect(self) -> None:
        self._port.close()
        with self._changed:  # unknown until the next poll; the held card stays held
            self._present = None
            self._changed.notify_all()

    def _step(self) -> None:
        uid = self._poll(self._poll_interval)
        if uid is UNREADABLE:
            return  # the answer failed its checksum: neither "card" nor "no card"
        self._note(uid)
        worker = self._worker  # stop() may clear the attribute meanwhile
        if uid is not None and worker is not None:
            worker.stopping.wait(self._poll_interval)  # no need to re-read a held card flat out

    def _poll(self, window: float) -> str | None:
        """The UID on the reader, None if none answered, UNREADABLE if one answered badly."""
        return self._port.exchange(pn532.in_list_passive_target(),
                                   lambda ch: self._read_target(ch, window))

    def _note(self, uid: str | None) -> None:
        with self._changed:
            self._polls += 1
            self._absent = 0 if uid else self._absent + 1
            gone = self._absent >= self._absent_polls
            if uid is not None or gone:
                self._present = uid
            fire = uid is not None and uid != self._held
            if uid is not None or gone:
                self._held = uid
            self._changed.notify_all()
        if fire and self._on_card is not None:
            call_safely(self._on_card, uid)

    # --- frames --------------------------------------------------------------------

    def _command(self, request: bytes, code: int) -> pn532.Frame:
        def read(channel: Channel) -> pn532.Frame:
            reader = FrameReader(channel, pn532.PN532Decoder())
            self._expect_ack(reader)
            event = reader.require(lambda e: _answers(e, code), self._reply_timeout,
                                   f"response to command {code:#04x}")
            return self._response(event, code)
        return self._port.exchange(request, read)

    def _read_target(self, channel: Channel, window: float) -> str | None:
        reader = FrameReader(channel, pn532.PN532Decoder())
        self._expect_ack(reader)
        event = reader.expect(lambda e: not isinstance(e, pn532.Ack), window)
        if event is None:
            channel.write(pn532.ACK)  # no card: abort, or the PN532 listens forever
            return UNREADABLE if reader.dropped else None
        frame = self._response(event, pn532.CMD_IN_LIST_PASSIVE_TARGET)
        targets = self._parse(pn532.parse_passive_targets, frame)
        return targets[0].uid_hex if targets else None

    def _expect_ack(self, reader: FrameReader[pn532.Event]) -> None:
        # The PN532 ACKs a command before it answers it, so a response ahead of our ACK
        # is a late answer to an earlier command (a card that came just as we aborted):
        # skipped, never taken for this command's answer.
        event = reader.require(lambda e: not isinstance(e, pn532.Frame), self._ack_timeout,
                               "ACK")
        if isinstance(event, pn532.ErrorFrame):
            raise DeviceRefused(PN532, self.port, "error frame instead of ACK")
        if not isinstance(event, pn532.Ack):
            raise ProtocolError(PN532, self.port, f"expected ACK, got {event}")

    def _response(self, event: pn532.Event, code: int) -> pn532.Frame:
        if isinstance(event, pn532.ErrorFrame):
            raise DeviceRefused(PN532, self.port, f"error frame for command {code:#04x}")
        if not isinstance(event, pn532.Frame) or not event.is_response_to(code):
            raise ProtocolError(PN532, self.port, f"unexpected reply to {code:#04x}: {event}")
        return event

    def _parse(self, parse: Callable[[pn532.Frame], T], frame: pn532.Frame) -> T:
        try:
            return parse(frame)
        except FrameError as exc:
            raise ProtocolError(PN532, self.port, str(exc)) from exc


def _answers(event: pn532.Event, code: int) -> bool:
    """An error frame, or the response to command `code` (a stale one to another is skipped)."""
    return isinstance(event, pn532.ErrorFrame) or (
        isinstance(event, pn532.Frame) and event.is_response_to(code))

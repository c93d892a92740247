"""Parcel-locker boards: one interface, one driver per board family.

`Locker` is what the kiosk calls; `KerongLocker` drives Kerong KR-CU16 boards on one
RS485 bus. All methods block for at most a few round trips and are thread-safe (one
lock per port, held for each request/reply pair).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from hardware.errors import (
    DeviceRefused,
    DeviceTimeout,
    DeviceUnavailable,
    HardwareError,
    OutcomeUnknown,
    ProtocolError,
)
from hardware.protocols import kerong
from hardware.transport import Channel, FrameReader, SerialPort

log = logging.getLogger(__name__)

KERONG = "Kerong lock board"
CONFIRM_POLL_S = 0.05  # pause between status polls while waiting for a door to open


@dataclass(frozen=True)
class LockAddress:
    board: int
    lock: int  # 1-based, as printed on the cabinet

    def __str__(self) -> str:
        return f"board {self.board} lock {self.lock}"


@dataclass(frozen=True)
class CompartmentState:
    door_closed: bool
    item_present: bool


def confirm_after(send: Callable[[], object], is_open: Callable[[], bool],
                  device: str, port: str, address: LockAddress) -> bool:
    """Send an unlock, then ask the board whether the door opened.

    An unplug during the send leaves the outcome open: the status is re-read (the
    transport reconnects) and reported. If that fails too, OutcomeUnknown says so.
    """
    try:
        send()
    except DeviceUnavailable as exc:
        log.warning("%s; unlock of %s may have gone out, re-reading status", exc, address)
    try:
        return is_open()
    except HardwareError as exc:
        raise OutcomeUnknown(device, port, f"unlock of {address} sent, door state "
                                           f"unreadable: {exc.summary}") from exc


class Locker(Protocol):
    def open(self, address: LockAddress) -> None:
        """Unlock and return once the door reports open; raise HardwareError otherwise."""

    def state(self, address: LockAddress) -> CompartmentState: ...

    def board_states(self, board: int) -> dict[int, CompartmentState]:
        """Lock number (1-based) -> state, for every lock on the board."""

    def close(self) -> None: ...


class KerongLocker:
    """Kerong KR-CU16 boards (several on one bus) behind the `Locker` interface.

    Sensor polarity is data, not code, because the sources disagree:
    `hook_closed_bit=1` follows four open-source drivers (lkaas-kerong, locker-service,
    CartWise, the TS "Kerrong" module) that read a set hook bit as "closed/locked";
    suryavirkapur/kerong-lib reads it the other way round. Calibrate on the first real
    board. `item_present_bit` likewise for the IR sensor [unconfirmed].
    """

    def __init__(self, port_url: str, *, baudrate: int = 19200, timeout: float = 0.3,
                 hook_closed_bit: int = 1, item_present_bit: int = 1, retries: int = 2,
                 locks: int = kerong.LOCKS_PER_BOARD, confirm_s: float = 1.0) -> None:
        self._port = SerialPort(port_url, device=KERONG, baudrate=baudrate)
        self._timeout = timeout
        self._hook_closed_bit = hook_closed_bit
        self._item_present_bit = item_present_bit
        self._retries = retries
        self._locks = locks
        self._confirm_s = confirm_s  # how long a released hook may take to show open

    @property
    def port(self) -> str:
        return self._port.url

    def open(self, address: LockAddress) -> None:
        unlock = kerong.encode_unlock(address.board, address.lock)
        self._port.open()  # a port that is missing now means nothing was sent: plain error
        for attempt in range(1, self._retries + 2):
            # Only unlock again after the board itself says the door is still closed;
            # if the board cannot say, the outcome is reported, never re-sent blindly.
            if confirm_after(lambda: self._port.exchange(
                    unlock, lambda ch: self._drain(ch, address.board)),
                    lambda: self._wait_open(address), KERONG, self.port, address):
                return
            log.warning("%s on %s: %s still closed after unlock %d",
                        KERONG, self.port, address, attempt)
        raise DeviceRefused(KERONG, self.port,
                            f"{address} still reads closed after {self._retries + 1} unlocks")

    def state(self, address: LockAddress) -> CompartmentState:
        kerong.address(address.board, address.lock)  # validates the range
        return self._compartment(self.status(address.board), address.lock)

    def board_states(self, board: int) -> dict[int, CompartmentState]:
        status = self.status(board)
        return {lock: self._compartment(status, lock) for lock in range(1, self._locks + 1)}

    def status(self, board: int) -> kerong.BoardStatus:
        """Raw sensor bits of one board, retried on timeout or a corrupt reply."""
        query = kerong.encode_status_query(board)
        for _ in range(self._retries):
            try:
                return self._port.exchange(query, lambda ch: self._read_status(ch, board))
            except (DeviceTimeout, ProtocolError) as exc:
                log.info("%s; retrying", exc)
        return self._port.exchange(query, lambda ch: self._read_status(ch, board))

    def close(self) -> None:
        self._port.close()

    def __enter__(self) -> KerongLocker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _compartment(self, status: kerong.BoardStatus, lock: int) -> CompartmentState:
        return CompartmentState(
            door_closed=status.hook_bit(lock) == self._hook_closed_bit,
            item_present=status.item_bit(lock) == self._item_present_bit)

    def _drain(self, channel: Channel, board: int) -> None:
        # Sources disagree on whether a board answers 0x31. Wait for one frame from it,
        # at most `timeout`, so a late answer cannot collide with the next query on the
        # half-duplex bus. Its content is not trusted as the post-unlock state.
        FrameReader(channel, kerong.KerongDecoder()).expect(
            lambda frame: frame.board == board, self._timeout)

    def _wait_open(self, address: LockAddress) -> bool:
        deadline = time.monotonic() + self._confirm_s
        while self.state(address).door_closed:
            if time.monotonic() >= deadline:
                return False
            time.sleep(CONFIRM_POLL_S)
        return True

    def _read_status(self, channel: Channel, board: int) -> kerong.BoardStatus:
        frame = FrameReader(channel, kerong.KerongDecoder()).require(
            lambda f: f.cmd == kerong.REPLY_STATUS and f.board == board, self._timeout,
            f"board {board} status query")
        return kerong.BoardStatus.from_frame(frame)

"""WKLY-type lock-control boards behind the same `Locker` interface as Kerong boards.

The board answers an open with the lock's new state; the driver still confirms with a
query, as an answer can be lost. An open is re-sent only after the board says the lock
is still closed, never because an answer did not come.
WKLY boards have no item sensor: `item_present` is always False.
"""

from __future__ import annotations

import logging

from hardware.devices.locker import CompartmentState, LockAddress, confirm_after
from hardware.devices.models import LOCKER_MODELS
from hardware.errors import DeviceRefused, DeviceTimeout, FrameError, ProtocolError
from hardware.protocols import wkly
from hardware.transport import Channel, FrameReader, SerialPort

log = logging.getLogger(__name__)
WKLY = "WKLY lock board"
MODEL = LOCKER_MODELS["wkly-12"]


class WklyLocker:
    def __init__(self, port_url: str, *, baudrate: int = MODEL.baudrate,
                 timeout: float = MODEL.reply_timeout_s, retries: int = 2,
                 locks: int = MODEL.locks_per_board) -> None:
        self._port = SerialPort(port_url, device=WKLY, baudrate=baudrate)
        self._timeout = timeout
        self._retries = retries
        self._locks = locks

    @property
    def port(self) -> str:
        return self._port.url

    def open(self, address: LockAddress) -> None:
        request = wkly.encode_open(address.board, address.lock)
        self._port.open()  # missing now means nothing was sent: a plain error
        for attempt in range(1, self._retries + 2):
            if confirm_after(lambda: self._port.exchange(request, self._read_any),
                             lambda: not self.state(address).door_closed, WKLY, self.port,
                             address):
                return
            log.warning("%s on %s: %s still closed after open %d", WKLY, self.port,
                        address, attempt)
        raise DeviceRefused(WKLY, self.port,
                            f"{address} still reads closed after {self._retries + 1} opens")

    def state(self, address: LockAddress) -> CompartmentState:
        reply = self._ask(wkly.encode_query(address.board, address.lock), address.board,
                          wkly.CMD_QUERY)
        try:
            channel = wkly.parse_channel_state(reply)
        except FrameError as exc:
            raise ProtocolError(WKLY, self.port, str(exc)) from exc
        if not channel.ok:
            raise DeviceRefused(WKLY, self.port, f"board has no {address}")
        return CompartmentState(door_closed=channel.closed, item_present=False)

    def board_states(self, board: int) -> dict[int, CompartmentState]:
        reply = self._ask(wkly.encode_query_all(board), board, wkly.CMD_QUERY_ALL)
        try:
            closed = wkly.parse_all_states(reply)
        except FrameError as exc:
            raise ProtocolError(WKLY, self.port, str(exc)) from exc
        return {n: CompartmentState(c, False) for n, c in closed.items() if n <= self._locks}

    def close(self) -> None:
        self._port.close()

    def __enter__(self) -> WklyLocker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _ask(self, request: bytes, board: int, cmd: int) -> wkly.WklyFrame:
        """A query, retried on timeout or a corrupt reply (queries change nothing)."""
        def read(channel: Channel) -> wkly.WklyFrame:
            return FrameReader(channel, wkly.WklyDecoder()).require(
                lambda f: f.addr == board and f.cmd == cmd, self._timeout,
                f"board {board} command {cmd:#04x}")
        for _ in range(self._retries):
            try:
                return self._port.exchange(request, read)
            except (DeviceTimeout, ProtocolError) as exc:
                log.info("%s; retrying", exc)
        return self._port.exchange(request, read)

    def _read_any(self, channel: Channel) -> None:
        # The open's own answer is not trusted as the state (it may be lost or late);
        # wait for it so it cannot collide with the query on the half-duplex bus.
        FrameReader(channel, wkly.WklyDecoder()).expect(
            lambda f: f.cmd == wkly.CMD_OPEN, self._timeout)

"""Byte-exact simulator of WKLY lock-control boards sharing one RS485 bus.

Per channel it keeps whether the door is closed. Opening releases the lock and the door
springs open until a person closes it. A frame with a bad XOR gets no reply. WKLY
boards have no item sensor, so `item_present` is kept only for the control API.
"""

from __future__ import annotations

from collections import deque

from hardware.protocols import wkly
from hardware.sim.bus import LockerBusSim
from hardware.sim.kerong import HISTORY, LockSim


class WklyBoardSim:
    def __init__(self, address: int, channels: int = 12) -> None:
        wkly.encode_query_all(address)  # validates the address
        self.address = address
        self.locks = {n: LockSim() for n in range(1, channels + 1)}
        self.unlocks: deque[int] = deque(maxlen=HISTORY)
        self.jammed: set[int] = set()  # fault: these locks never release

    def handle(self, frame: wkly.WklyFrame) -> bytes:
        if frame.cmd in (wkly.CMD_OPEN, wkly.CMD_QUERY) and len(frame.data) == 1:
            return self._channel(frame.cmd, frame.data[0])
        if frame.cmd == wkly.CMD_QUERY_ALL:
            return wkly.encode_all_reply(self.address, [s.door_closed for s in self.locks.values()])
        if frame.cmd == wkly.CMD_OPEN_ALL:
            for n in self.locks:
                self._release(n)
            return wkly.encode_frame(self.address, frame.cmd, bytes([wkly.STATUS_OK]))
        return b""

    def lock(self, channel: int) -> LockSim:
        if channel not in self.locks:
            raise ValueError(f"WKLY board {self.address} has no channel {channel}")
        return self.locks[channel]

    def _channel(self, cmd: int, channel: int) -> bytes:
        if channel not in self.locks:
            return wkly.encode_channel_reply(self.address, cmd, channel, True, ok=False)
        if cmd == wkly.CMD_OPEN:
            self._release(channel)
        closed = self.locks[channel].door_closed
        return wkly.encode_channel_reply(self.address, cmd, channel, closed)

    def _release(self, channel: int) -> None:
        self.unlocks.append(channel)
        if channel not in self.jammed:
            self.locks[channel].door_closed = False


class WklyBus(LockerBusSim):
    """Several WKLY boards on one bus; same outside-world API as `KerongBus`."""

    def __init__(self, boards: list[WklyBoardSim]) -> None:
        super().__init__({board.address: board for board in boards}, wkly.WklyDecoder())

    def _dispatch(self, frame: wkly.WklyFrame) -> bytes:
        board = self.boards.get(frame.addr)
        return board.handle(frame) if board is not None else b""

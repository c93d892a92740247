"""Byte-exact simulator of Kerong KR-CU16 boards sharing one RS485 bus.

Physical state per lock: is the door closed, is there an item inside. An unlock
releases the hook and the door springs open; it stays open until a person closes it
(`close_door`). Frames with a bad checksum get no reply, as on a real board.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from hardware.protocols import kerong
from hardware.sim.bus import LockerBusSim

HISTORY = 1000  # commands remembered for assertions; bounded for long runs


@dataclass
class LockSim:
    door_closed: bool = True
    item_present: bool = False


class KerongBoardSim:
    """One board. `hook_closed_bit` / `item_present_bit` set the sensor polarity."""

    def __init__(self, board_id: int, locks: int = 16, *, hook_closed_bit: int = 1,
                 item_present_bit: int = 1, reply_to_unlock: bool = True) -> None:
        kerong.address(board_id)  # validates the id
        self.board_id = board_id
        self.locks = {n: LockSim() for n in range(1, locks + 1)}
        self.hook_closed_bit = hook_closed_bit
        self.item_present_bit = item_present_bit
        self.reply_to_unlock = reply_to_unlock
        self.unlocks: deque[int] = deque(maxlen=HISTORY)  # recent unlocked lock numbers
        self.jammed: set[int] = set()  # fault: these hooks never release

    def status(self) -> kerong.BoardStatus:
        hook = item = 0
        for n, lock in self.locks.items():
            hook |= self._bit(lock.door_closed, self.hook_closed_bit) << (n - 1)
            item |= self._bit(lock.item_present, self.item_present_bit) << (n - 1)
        return kerong.BoardStatus(self.board_id, hook, item)

    def handle(self, frame: kerong.KerongFrame) -> bytes:
        """Reply to one frame addressed to this board (b"" for no reply)."""
        if frame.cmd == kerong.CMD_STATUS:
            return kerong.encode_status_reply(self.status())
        if frame.cmd == kerong.CMD_QUERY_ALL:
            return kerong.encode_status_reply(self.status(), kerong.REPLY_ALL)
        if frame.cmd == kerong.CMD_UNLOCK:
            return self._unlock([frame.lock])
        if frame.cmd == kerong.CMD_UNLOCK_ALL:
            return self._unlock(list(self.locks))
        return b""

    def lock(self, lock: int) -> LockSim:
        if lock not in self.locks:
            raise ValueError(f"board {self.board_id} has no lock {lock}")
        return self.locks[lock]

    def _unlock(self, numbers: list[int]) -> bytes:
        for n in numbers:
            self.unlocks.append(n)
            if n in self.locks and n not in self.jammed:
                self.locks[n].door_closed = False  # the spring pushes the door open
        return kerong.encode_status_reply(self.status()) if self.reply_to_unlock else b""

    @staticmethod
    def _bit(condition: bool, polarity: int) -> int:
        return polarity if condition else 1 - polarity


class KerongBus(LockerBusSim):
    """Several boards on one bus; `feed` is what the pty harness calls."""

    def __init__(self, boards: list[KerongBoardSim]) -> None:
        super().__init__({board.board_id: board for board in boards}, kerong.KerongDecoder())

    def _dispatch(self, frame: kerong.KerongFrame) -> bytes:
        if frame.cmd == kerong.CMD_QUERY_ALL:  # every board answers, in id order
            return b"".join(self.boards[i].handle(frame) for i in sorted(self.boards))
        board = self.boards.get(frame.board)
        return board.handle(frame) if board is not None else b""

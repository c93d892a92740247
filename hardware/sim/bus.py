"""What every simulated lock-board bus shares, whatever its protocol: the physical doors
and item sensors a person (the control API, a test) changes, and one lock shared with the
pty thread that answers frames. A protocol's bus adds its decoder and `_dispatch`."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from hardware.transport import Decoder


class LockerBusSim:
    def __init__(self, boards: Mapping[int, Any], decoder: Decoder[Any]) -> None:
        self.boards = boards  # board id -> board simulator with .locks and .lock(n)
        self.decoder = decoder
        self._lock = threading.Lock()  # the harness thread and the control API both touch state

    def feed(self, data: bytes) -> bytes:
        with self._lock:
            return b"".join(self._dispatch(frame) for frame in self.decoder.feed(data))

    def open_door(self, board: int, lock: int) -> None:
        self._set(board, lock, door_closed=False)

    def close_door(self, board: int, lock: int) -> None:
        self._set(board, lock, door_closed=True)

    def set_item(self, board: int, lock: int, present: bool) -> None:
        self._set(board, lock, item_present=present)

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{"board": board_id, "lock": n, "door_closed": s.door_closed, "item_present": s.item_present}
                    for board_id, b in self.boards.items() for n, s in b.locks.items()]

    def board(self, board: int) -> Any:
        if board not in self.boards:
            raise ValueError(f"no board {board} on the bus")
        return self.boards[board]

    def _set(self, board: int, lock: int, **state: bool) -> None:
        with self._lock:
            target = self.board(board).lock(lock)
            for name, value in state.items():
                setattr(target, name, value)

    def _dispatch(self, frame: Any) -> bytes:
        raise NotImplementedError

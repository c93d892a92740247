"""Kerong KR-CU16 lock-board protocol (RS485), sans I/O.

Frames are `02 ADDR CMD [data] 03 SUM` where SUM is the 8-bit sum of every preceding
byte. ADDR = board << 4 | (lock - 1); locks are numbered 1..16 as printed on the
cabinet. See docs: reference/hardware-protocols.md section 1.1.
"""

from __future__ import annotations

from dataclasses import dataclass

from hardware.errors import FrameError

STX = 0x02
ETX = 0x03
BUS_ADDR = 0xF0  # "all boards on the bus", used with CMD_QUERY_ALL

CMD_STATUS = 0x30
CMD_UNLOCK = 0x31
CMD_QUERY_ALL = 0x32
CMD_UNLOCK_ALL = 0x33
CMD_SET_PULSE = 0x37
CMD_DELAYED_UNLOCK = 0x39
REPLY_STATUS = 0x35
REPLY_ALL = 0x36
REPLY_PULSE = 0x38

# Total frame length per command byte: the decoder needs it to find the checksum.
# 0x37/0x38/0x39 lengths come from one source only [unconfirmed on real boards].
FRAME_LENGTH = {
    CMD_STATUS: 5, CMD_UNLOCK: 5, CMD_QUERY_ALL: 5, CMD_UNLOCK_ALL: 5,
    REPLY_STATUS: 9, REPLY_ALL: 9,
    CMD_SET_PULSE: 7, REPLY_PULSE: 7, CMD_DELAYED_UNLOCK: 6,
}

MAX_BOARD = 15
LOCKS_PER_BOARD = 16


def checksum(data: bytes) -> int:
    return sum(data) & 0xFF


def encode_frame(addr: int, cmd: int, data: bytes = b"") -> bytes:
    body = bytes([STX, addr, cmd, *data, ETX])
    return body + bytes([checksum(body)])


def address(board: int, lock: int = 1) -> int:
    if not 0 <= board <= MAX_BOARD:
        raise ValueError(f"Kerong board id must be 0..{MAX_BOARD}, got {board}")
    if not 1 <= lock <= LOCKS_PER_BOARD:
        raise ValueError(f"Kerong lock must be 1..{LOCKS_PER_BOARD}, got {lock}")
    return board << 4 | (lock - 1)


def encode_status_query(board: int) -> bytes:
    return encode_frame(address(board), CMD_STATUS)


def encode_unlock(board: int, lock: int) -> bytes:
    return encode_frame(address(board, lock), CMD_UNLOCK)


def encode_query_all() -> bytes:
    return encode_frame(BUS_ADDR, CMD_QUERY_ALL)


@dataclass(frozen=True)
class KerongFrame:
    """One checked frame, either direction."""

    addr: int
    cmd: int
    data: bytes = b""

    @property
    def board(self) -> int:
        return self.addr >> 4

    @property
    def lock(self) -> int:
        """1-based lock number from the low nibble."""
        return (self.addr & 0x0F) + 1

    def to_bytes(self) -> bytes:
        return encode_frame(self.addr, self.cmd, self.data)


@dataclass(frozen=True)
class BoardStatus:
    """Raw sensor bits of one board; bit 0 = lock 1. Polarity is the driver's call."""

    board: int
    hook_bits: int
    item_bits: int

    def hook_bit(self, lock: int) -> int:
        return self.hook_bits >> (lock - 1) & 1

    def item_bit(self, lock: int) -> int:
        return self.item_bits >> (lock - 1) & 1

    @classmethod
    def from_frame(cls, frame: KerongFrame) -> BoardStatus:
        if frame.cmd not in (REPLY_STATUS, REPLY_ALL) or len(frame.data) != 4:
            raise FrameError(f"not a Kerong status reply: {frame}")
        d = frame.data
        return cls(frame.board, d[0] | d[1] << 8, d[2] | d[3] << 8)

    def to_frame(self, cmd: int = REPLY_STATUS) -> KerongFrame:
        data = bytes([self.hook_bits & 0xFF, self.hook_bits >> 8,
                      self.item_bits & 0xFF, self.item_bits >> 8])
        return KerongFrame(self.board << 4, cmd, data)


def encode_status_reply(status: BoardStatus, cmd: int = REPLY_STATUS) -> bytes:
    return status.to_frame(cmd).to_bytes()


def decode_frame(raw: bytes) -> KerongFrame:
    """Parse exactly one complete frame or raise FrameError."""
    frames = KerongDecoder().feed(raw)
    if len(frames) != 1 or frames[0].to_bytes() != bytes(raw):
        raise FrameError(f"not one valid Kerong frame: {bytes(raw).hex(' ')}")
    return frames[0]


class KerongDecoder:
    """Incremental decoder: feed bytes as they arrive, get checked frames out.

    Resynchronises on the next STX after garbage. A candidate with a wrong ETX or
    checksum is dropped (counted in `dropped`) and the search restarts one byte later,
    so a real frame hidden behind a false STX is still found.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self.dropped = 0  # candidate frames rejected for ETX or checksum
        self.discarded = 0  # bytes skipped while hunting for a frame start

    def feed(self, data: bytes) -> list[KerongFrame]:
        # One flat loop: the drivers call this once per reply, on the kiosk's critical path.
        buf = self._buf
        buf += data
        frames = []
        while buf:
            start = buf.find(STX)
            if start:  # garbage in front (or no STX at all: everything is garbage)
                self._discard(len(buf) if start < 0 else start)
                if start < 0:
                    break
            if len(buf) < 3:
                break
            length = FRAME_LENGTH.get(buf[2])
            if length is None:
                self._discard(1)  # an STX byte that starts no known frame
                continue
            if len(buf) < length:
                break
            frame = self._check(bytes(buf[:length]))
            if frame is None:
                self.dropped += 1
                self._discard(1)  # a real frame may hide behind this false STX
                continue
            del buf[:length]
            frames.append(frame)
        return frames

    def _discard(self, count: int) -> None:
        del self._buf[:count]
        self.discarded += count

    @staticmethod
    def _check(raw: bytes) -> KerongFrame | None:
        if raw[-2] != ETX or raw[-1] != checksum(raw[:-1]):
            return None
        return KerongFrame(raw[1], raw[2], raw[3:-2])

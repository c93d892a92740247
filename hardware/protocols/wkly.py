"""WKLY-type lock-control boards (generic 12/24-channel parcel-locker boards), sans I/O.

Frame, both directions: `57 4B 4C 59` ("WKLY") | LEN | ADDR | CMD | data | XOR, where LEN is
the whole frame's length (header and checksum included) and XOR covers every preceding
byte. Channels are 1-based. See reference/hardware-protocols.md section 1.2.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

from hardware.errors import FrameError

HEADER = b"WKLY"
MIN_LENGTH = 8  # header, LEN, ADDR, CMD, XOR: a frame with no data
MAX_LENGTH = 64  # a 24-channel query-all reply is 36 bytes; a longer LEN is a false start
MAX_BOARD = 31

CMD_OPEN_MANY = 0x80
CMD_FLASH = 0x81
CMD_OPEN = 0x82
CMD_QUERY = 0x83
CMD_QUERY_ALL = 0x84
EVENT_CHANGED = 0x85  # unsolicited, board -> host
CMD_OPEN_ALL = 0x86

STATUS_OK = 0x00
STATUS_FAIL = 0xFF
LOCK_OPEN = 0x00  # lock state byte: 00 open, 01 closed
LOCK_CLOSED = 0x01


def checksum(data: bytes) -> int:
    return reduce(lambda a, b: a ^ b, data, 0)


def encode_frame(addr: int, cmd: int, data: bytes = b"") -> bytes:
    body = HEADER + bytes([len(data) + MIN_LENGTH, addr, cmd]) + data
    return body + bytes([checksum(body)])


def _board(board: int) -> int:
    if not 0 <= board <= MAX_BOARD:
        raise ValueError(f"WKLY board address must be 0..{MAX_BOARD}, got {board}")
    return board


def _channel(channel: int) -> int:
    if not 1 <= channel <= 0xFF:
        raise ValueError(f"WKLY channel must be 1..255, got {channel}")
    return channel


def encode_open(board: int, channel: int) -> bytes:
    return encode_frame(_board(board), CMD_OPEN, bytes([_channel(channel)]))


def encode_query(board: int, channel: int) -> bytes:
    return encode_frame(_board(board), CMD_QUERY, bytes([_channel(channel)]))


def encode_query_all(board: int) -> bytes:
    return encode_frame(_board(board), CMD_QUERY_ALL)


@dataclass(frozen=True)
class WklyFrame:
    """One checked frame, either direction."""

    addr: int
    cmd: int
    data: bytes = b""

    def to_bytes(self) -> bytes:
        return encode_frame(self.addr, self.cmd, self.data)


@dataclass(frozen=True)
class ChannelState:
    """Reply to open (0x82) or query (0x83), or an unsolicited change (0x85)."""

    board: int
    ok: bool
    channel: int
    closed: bool


def parse_channel_state(frame: WklyFrame) -> ChannelState:
    if frame.cmd in (CMD_OPEN, CMD_QUERY) and len(frame.data) == 3:
        status, channel, state = frame.data
        return ChannelState(frame.addr, status == STATUS_OK, channel, state == LOCK_CLOSED)
    if frame.cmd == EVENT_CHANGED and len(frame.data) == 2:
        channel, state = frame.data
        return ChannelState(frame.addr, True, channel, state == LOCK_CLOSED)
    raise FrameError(f"not a WKLY channel state: {frame}")


def parse_all_states(frame: WklyFrame) -> dict[int, bool]:
    """Reply to query-all -> channel (1-based) -> closed."""
    data = frame.data
    if frame.cmd != CMD_QUERY_ALL or len(data) < 2 or len(data) != 2 + data[1]:
        raise FrameError(f"not a WKLY query-all reply: {frame}")
    if data[0] != STATUS_OK:
        raise FrameError(f"WKLY board {frame.addr} reports failure to query-all")
    return {n: state == LOCK_CLOSED for n, state in enumerate(data[2:], start=1)}


def encode_channel_reply(board: int, cmd: int, channel: int, closed: bool, ok: bool = True) -> bytes:
    status = STATUS_OK if ok else STATUS_FAIL
    return encode_frame(board, cmd, bytes([status, channel, LOCK_CLOSED if closed else LOCK_OPEN]))


def encode_all_reply(board: int, closed: list[bool]) -> bytes:
    states = bytes(LOCK_CLOSED if c else LOCK_OPEN for c in closed)
    return encode_frame(board, CMD_QUERY_ALL, bytes([STATUS_OK, len(states)]) + states)


class WklyDecoder:
    """Incremental decoder; resyncs on the next "WKLY" header after garbage.

    A candidate whose LEN is impossible or whose XOR fails is dropped (counted in
    `dropped`) and the hunt restarts one byte later.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self.dropped = 0
        self.discarded = 0

    def feed(self, data: bytes) -> list[WklyFrame]:
        self._buf += data
        frames = []
        while (frame := self._next()) is not None:
            frames.append(frame)
        return frames

    def _next(self) -> WklyFrame | None:
        while self._skip_to_header() and len(self._buf) > len(HEADER):
            length = self._buf[4]
            if not MIN_LENGTH <= length <= MAX_LENGTH:
                self._drop()
                continue
            if len(self._buf) < length:
                return None
            raw = bytes(self._buf[:length])
            if raw[-1] == checksum(raw[:-1]):
                del self._buf[:length]
                return WklyFrame(raw[5], raw[6], raw[7:-1])
            self._drop()
        return None

    def _skip_to_header(self) -> bool:
        start = self._buf.find(HEADER)
        if start < 0:  # keep a tail that may be the start of a header
            keep = next((n for n in (3, 2, 1) if self._buf.endswith(HEADER[:n])), 0)
            start = len(self._buf) - keep
        self.discarded += start
        del self._buf[:start]
        return self._buf.startswith(HEADER)

    def _drop(self) -> None:
        self.dropped += 1
        self.discarded += 1
        del self._buf[:1]


def decode_frame(raw: bytes) -> WklyFrame:
    """Parse exactly one complete frame or raise FrameError."""
    frames = WklyDecoder().feed(raw)
    if len(frames) != 1 or frames[0].to_bytes() != bytes(raw):
        raise FrameError(f"not one valid WKLY frame: {bytes(raw).hex(' ')}")
    return frames[0]

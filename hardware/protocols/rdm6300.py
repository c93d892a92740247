"""RDM6300 125 kHz (EM4100) reader output, sans I/O.

The module only talks: while a card is in the field it repeats a 14-byte frame
`02 | 10 ASCII hex (version byte + 32-bit id) | 2 ASCII hex XOR checksum | 03`.
There is no "card removed" frame; silence is the only sign. See
reference/hardware-protocols.md section 2.3.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass
from functools import reduce

from hardware.errors import FrameError

STX = 0x02
ETX = 0x03
FRAME_LENGTH = 14
_HEX = frozenset(b"0123456789ABCDEFabcdef")


@dataclass(frozen=True)
class Tag:
    version: int
    card_id: int  # the 32-bit number printed on the fob (in decimal)

    @property
    def uid_hex(self) -> str:
        """Version byte and id as 10 hex digits: the kiosk's card identity."""
        return f"{self.version:02X}{self.card_id:08X}"


def _xor(data: bytes) -> int:
    return reduce(lambda a, b: a ^ b, data, 0)


def encode_tag(tag: Tag) -> bytes:
    data = bytes([tag.version]) + tag.card_id.to_bytes(4, "big")
    text = (data.hex() + f"{_xor(data):02x}").upper().encode("ascii")
    return bytes([STX]) + text + bytes([ETX])


def encode_uid(uid_hex: str) -> bytes:
    """Frame for a 10-hex-digit uid as `Tag.uid_hex` gives it (for simulators)."""
    data = bytes.fromhex(uid_hex)
    if len(data) != 5:
        raise ValueError(f"an EM4100 id has 5 bytes (10 hex digits), got {uid_hex!r}")
    return encode_tag(Tag(data[0], int.from_bytes(data[1:], "big")))


def _check(raw: bytes) -> Tag | None:
    if raw[-1] != ETX or not all(b in _HEX for b in raw[1:-1]):
        return None
    data = binascii.unhexlify(raw[1:11])
    if _xor(data) != int(raw[11:13], 16):
        return None
    return Tag(data[0], int.from_bytes(data[1:], "big"))


class Rdm6300Decoder:
    """Incremental decoder; resyncs on the next STX; bad frames counted in `dropped`."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.dropped = 0
        self.discarded = 0

    def feed(self, data: bytes) -> list[Tag]:
        self._buf += data
        tags = []
        while (tag := self._next()) is not None:
            tags.append(tag)
        return tags

    def _next(self) -> Tag | None:
        while self._skip_to_stx():
            if len(self._buf) < FRAME_LENGTH:
                return None
            tag = _check(bytes(self._buf[:FRAME_LENGTH]))
            if tag is not None:
                del self._buf[:FRAME_LENGTH]
                return tag
            self.dropped += 1
            self.discarded += 1
            del self._buf[:1]
        return None

    def _skip_to_stx(self) -> bool:
        start = self._buf.find(STX)
        skip = len(self._buf) if start < 0 else start
        self.discarded += skip
        del self._buf[:skip]
        return start >= 0


def decode_frame(raw: bytes) -> Tag:
    tags = Rdm6300Decoder().feed(raw)
    if len(tags) != 1 or len(raw) != FRAME_LENGTH:
        raise FrameError(f"not one valid RDM6300 frame: {bytes(raw).hex(' ')}")
    return tags[0]

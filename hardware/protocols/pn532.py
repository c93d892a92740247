"""NXP PN532 HSU (UART) framing and the few commands needed to read a card UID, sans I/O.

Normal frame: 00 | 00 FF | LEN | LCS | TFI PD0..PDn | DCS | 00, where LEN counts TFI+PD,
LEN+LCS = 0 and TFI+PD+DCS = 0 (mod 256). Extended frames (LEN > 255) put FF FF in the
length slot and follow with LENm LENl LCS. See reference/hardware-protocols.md 2.1 and
NXP UM0701-02 section 6.2.
"""

from __future__ import annotations

from dataclasses import dataclass

from hardware.errors import FrameError

START = b"\x00\xff"
HOST_TFI = 0xD4
PN532_TFI = 0xD5
ERROR_TFI = 0x7F
VALID_TFI = (HOST_TFI, PN532_TFI, ERROR_TFI)

ACK = bytes.fromhex("0000ff00ff00")
NACK = bytes.fromhex("0000ffff0000")
ERROR_FRAME = bytes.fromhex("0000ff01ff7f8100")
# HSU is asleep after power-on; a long 0x55/0x00 preamble wakes it (Adafruit's choice).
WAKEUP = b"\x55\x55" + bytes(15)

CMD_GET_FIRMWARE_VERSION = 0x02
CMD_SAM_CONFIGURATION = 0x14
CMD_IN_LIST_PASSIVE_TARGET = 0x4A
CMD_IN_RELEASE = 0x52
BRTY_106_TYPE_A = 0x00
SEL_RES_ISO14443_4 = 0x20  # SEL_RES bit saying an ATS follows the UID


def _lcs(length: int) -> int:
    return -length & 0xFF


def encode_frame(payload: bytes, tfi: int = HOST_TFI) -> bytes:
    """Wrap TFI+payload into a normal frame, or an extended one when it needs to be."""
    body = bytes([tfi]) + payload
    dcs = _lcs(sum(body))
    if len(body) <= 255:
        head = bytes([len(body), _lcs(len(body))])
    else:
        hi, lo = divmod(len(body), 256)
        head = bytes([0xFF, 0xFF, hi, lo, _lcs(hi + lo)])
    return b"\x00" + START + head + body + bytes([dcs, 0x00])


def encode_command(code: int, params: bytes = b"") -> bytes:
    return encode_frame(bytes([code]) + params)


def encode_response(code: int, params: bytes = b"") -> bytes:
    """A PN532 -> host frame; response code = command code + 1 (for simulators)."""
    return encode_frame(bytes([code + 1]) + params, tfi=PN532_TFI)


def get_firmware_version() -> bytes:
    return encode_command(CMD_GET_FIRMWARE_VERSION)


def sam_configuration(mode: int = 0x01, timeout: int = 0x14, irq: int = 0x01) -> bytes:
    """Normal mode; timeout in 50 ms units (0x14 = 1 s); defaults as Adafruit sends them."""
    return encode_command(CMD_SAM_CONFIGURATION, bytes([mode, timeout, irq]))


def in_list_passive_target(max_targets: int = 1, brty: int = BRTY_106_TYPE_A) -> bytes:
    return encode_command(CMD_IN_LIST_PASSIVE_TARGET, bytes([max_targets, brty]))


def in_release(target: int = 0) -> bytes:
    """Release target `target`; 0 means all targets."""
    return encode_command(CMD_IN_RELEASE, bytes([target]))


@dataclass(frozen=True)
class Ack:
    pass


@dataclass(frozen=True)
class Nack:
    pass


@dataclass(frozen=True)
class ErrorFrame:
    """Application-level error: the PN532 could not parse or run the command."""


@dataclass(frozen=True)
class Frame:
    """A checked information frame: TFI and PD bytes (code + params)."""

    tfi: int
    data: bytes

    @property
    def code(self) -> int:
        return self.data[0] if self.data else -1

    @property
    def params(self) -> bytes:
        return self.data[1:]

    def is_response_to(self, command: int) -> bool:
        return self.tfi == PN532_TFI and self.code == command + 1


Event = Ack | Nack | ErrorFrame | Frame
ACK_EVENT, NACK_EVENT = Ack(), Nack()  # immutable and alike: the decoder hands out these


@dataclass(frozen=True)
class FirmwareVersion:
    ic: int
    ver: int
    rev: int
    support: int


@dataclass(frozen=True)
class TargetA:
    """One ISO 14443 type A target from InListPassiveTarget."""

    tg: int
    sens_res: int
    sel_res: int
    uid: bytes
    ats: bytes = b""

    @property
    def uid_hex(self) -> str:
        return self.uid.hex().upper()


def parse_firmware_version(frame: Frame) -> FirmwareVersion:
    if not frame.is_response_to(CMD_GET_FIRMWARE_VERSION) or len(frame.params) != 4:
        raise FrameError(f"not a GetFirmwareVersion response: {frame.data.hex(' ')}")
    return FirmwareVersion(*frame.params)


def parse_passive_targets(frame: Frame) -> list[TargetA]:
    """Targets of a 106 kbps type A InListPassiveTarget response (NbTg may be 0)."""
    if not frame.is_response_to(CMD_IN_LIST_PASSIVE_TARGET) or not frame.params:
        raise FrameError(f"not an InListPassiveTarget response: {frame.data.hex(' ')}")
    data, targets = frame.params[1:], []
    for _ in range(frame.params[0]):
        target, data = _parse_target_a(data)
        targets.append(target)
    return targets


def _parse_target_a(data: bytes) -> tuple[TargetA, bytes]:
    if len(data) < 5 or len(data) < 5 + data[4]:
        raise FrameError(f"truncated type A target: {data.hex(' ')}")
    end = 5 + data[4]
    tg, sens_res, sel_res, uid = data[0], data[1] << 8 | data[2], data[3], data[5:end]
    ats = b""
    if sel_res & SEL_RES_ISO14443_4 and end < len(data):
        ats = data[end:end + data[end]]  # ATS length byte counts itself
        end += data[end]
    return TargetA(tg, sens_res, sel_res, bytes(uid), bytes(ats)), data[end:]


class PN532Decoder:
    """Incremental decoder for both directions; resyncs on the next 00 FF start code.

    Frames with a bad LCS or DCS are dropped (counted in `dropped`) and the search
    restarts one byte later. Zeros between frames are preamble/postamble, not garbage.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self.dropped = 0
        self.discarded = 0

    def feed(self, data: bytes) -> list[Event]:
        # One flat loop with few calls: the card reader runs it for every poll, on the
        # path from a card touching the reader to the kiosk reacting.
        buf = self._buf
        buf += data
        events: list[Event] = []
        while True:
            start = buf.find(START)
            skip = len(buf) - (buf[-1:] == b"\x00") if start < 0 else start
            if skip:  # garbage; zeros are preamble/postamble and not counted as garbage
                self.discarded += skip - buf.count(0, 0, skip)
                del buf[:skip]
            if start < 0:
                return events
            result = _parse(buf)
            if result is None:
                return events  # need more bytes
            event, used = result
            if event is None:
                self.dropped += 1
                del buf[:1]  # a false start: look again one byte later
                continue
            if used < len(buf) and buf[used] == 0:
                used += 1  # the postamble
            del buf[:used]
            events.append(event)


def _parse(buf: bytearray) -> tuple[Event | None, int] | None:
    """(event, bytes used without postamble), (None, 0) if invalid, None if incomplete.

    buf starts with the start code 00 FF.
    """
    size = len(buf)
    if size < 4:
        return None
    if buf[2] == 0x00 and buf[3] == 0xFF:
        return ACK_EVENT, 4
    if buf[2] == 0xFF and buf[3] == 0x00:
        return NACK_EVENT, 4
    if buf[2] == 0xFF and buf[3] == 0xFF:  # extended: FF FF LENm LENl LCS
        if size < 7:
            return None
        length, body_at = buf[4] << 8 | buf[5], 7
        length_ok = (buf[4] + buf[5] + buf[6]) & 0xFF == 0
    else:  # normal: LEN LCS
        length, body_at = buf[2], 4
        length_ok = (buf[2] + buf[3]) & 0xFF == 0
    if not length_ok or length == 0:
        return None, 0
    if size > body_at and buf[body_at] not in VALID_TFI:
        return None, 0  # reject a false start early instead of waiting for LEN bytes
    end = body_at + length
    if size < end + 1:
        return None
    body = bytes(buf[body_at:end])
    if (sum(body) + buf[end]) & 0xFF:
        return None, 0
    return _event(body), end + 1


def _event(body: bytes) -> Event:
    if len(body) == 1 and body[0] == ERROR_TFI:
        return ErrorFrame()
    return Frame(body[0], body[1:])

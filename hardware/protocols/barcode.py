"""Barcode scanner bytes and Nordic parcel identifiers, sans I/O.

A serial scanner sends `[AIM id][data][suffix]`: the suffix is CR, LF or CR LF as
programmed, the AIM id (`]C1` = GS1-128, ...) only if enabled. Parcels carry either a
UPU S10 id (`CP123456785SE`) or a GS1 SSCC in AI (00). See
reference/hardware-protocols.md section 5.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from hardware.errors import FrameError

CR, LF, GS = 0x0D, 0x0A, "\x1d"
SUFFIXES = {"auto": None, "\r": b"\r", "\n": b"\n", "\r\n": b"\r\n"}
MAX_LINE = 4096  # a scanner line longer than this is noise (suffix lost), not a barcode

AIM_SYMBOLOGIES = {
    "]A0": "Code 39", "]C0": "Code 128", "]C1": "GS1-128", "]E0": "EAN-13",
    "]E4": "EAN-8", "]I0": "Interleaved 2 of 5", "]d1": "Data Matrix",
    "]d2": "GS1 DataMatrix", "]e0": "GS1 DataBar", "]Q1": "QR Code", "]Q3": "GS1 QR Code",
}
GS1_AIM_IDS = frozenset({"]C1", "]d2", "]e0", "]Q3"})
_AIM = re.compile(rb"\]([A-Za-z][0-9A-Za-z])")


class LineSplitter:
    """Splits scanner bytes into lines on the configured suffix; empty lines are dropped.

    "auto" ends a line at CR or LF and treats CR LF as one suffix, even when the two
    bytes arrive in different reads. A line longer than `max_length` (a lost suffix,
    line noise) is thrown away up to its next suffix.
    """

    def __init__(self, suffix: str = "auto", max_length: int = MAX_LINE) -> None:
        if suffix not in SUFFIXES:
            raise ValueError(f"suffix must be one of {sorted(SUFFIXES)!r}, got {suffix!r}")
        self._suffix = SUFFIXES[suffix]
        self._max = max_length
        self._buf = bytearray()
        self._after_cr = False
        self._skipping = False  # inside an overlong line, waiting for its end
        self.overflowed = 0  # lines thrown away for exceeding max_length

    def feed(self, data: bytes) -> list[bytes]:
        lines = self._feed_auto(data) if self._suffix is None else self._feed_fixed(data)
        return [line for line in lines if line]

    def _feed_fixed(self, data: bytes) -> list[bytes]:
        *lines, rest = (self._buf + data).split(self._suffix)
        if lines and self._skipping:
            lines[0], self._skipping = bytearray(), False
        self._buf = bytearray(rest)
        self._check_overflow()
        return [bytes(line.strip(b"\r\n")) for line in lines]

    def _feed_auto(self, data: bytes) -> list[bytes]:
        lines = []
        for byte in data:
            if byte == LF and self._after_cr:
                self._after_cr = False  # second half of CR LF
                continue
            self._after_cr = byte == CR
            if byte in (CR, LF):
                lines.append(b"" if self._skipping else bytes(self._buf))
                self._buf.clear()
                self._skipping = False
            elif not self._skipping:
                self._buf.append(byte)
                self._check_overflow()
        return lines

    def _check_overflow(self) -> None:
        if len(self._buf) > self._max:
            self._buf.clear()
            self._skipping = True
            self.overflowed += 1


def parse_aim(line: bytes) -> tuple[str | None, bytes]:
    """Split a leading AIM symbology id (`]C1`) off; (None, line) if there is none."""
    match = _AIM.match(line)
    if match is None:
        return None, line
    return match.group(0).decode("ascii"), line[match.end():]


def decode_text(raw: bytes) -> str:
    """UTF-8 if it is valid, else Latin-1 (which maps every byte, so never fails)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


# --- check digits -------------------------------------------------------------------

S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
_S10 = re.compile(r"[A-Z]{2}\d{9}[A-Z]{2}")


def s10_check_digit(serial: str) -> int:
    """UPU S10 check digit of the 8-digit serial number."""
    if len(serial) != 8 or not serial.isdigit():
        raise ValueError(f"S10 serial must be 8 digits, got {serial!r}")
    c = 11 - sum(int(d) * w for d, w in zip(serial, S10_WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(c, c)


def is_valid_s10(code: str) -> bool:
    return bool(_S10.fullmatch(code)) and s10_check_digit(code[2:10]) == int(code[10])


def gs1_check_digit(body: str) -> int:
    """GS1 mod-10: weights 3,1,3,... from the rightmost body digit."""
    if not body.isdigit():
        raise ValueError(f"GS1 body must be digits, got {body!r}")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return -total % 10


def sscc_check_digit(body: str) -> int:
    if len(body) != 17:
        raise ValueError(f"SSCC body must be 17 digits, got {body!r}")
    return gs1_check_digit(body)


def is_valid_sscc(code: str) -> bool:
    return len(code) == 18 and code.isdigit() and sscc_check_digit(code[:17]) == int(code[17])


# --- GS1 element strings -------------------------------------------------------------

# AI -> (fixed length, or None for variable up to the next GS), max data length.
# A subset: the AIs seen on parcel labels. Unknown AIs stop the parse.
GS1_AIS: dict[str, tuple[int | None, int]] = {
    "00": (18, 18), "01": (14, 14), "02": (14, 14), "10": (None, 20), "11": (6, 6),
    "12": (6, 6), "13": (6, 6), "15": (6, 6), "16": (6, 6), "17": (6, 6), "20": (2, 2),
    "21": (None, 20), "22": (None, 20), "30": (None, 8), "37": (None, 8),
    "400": (None, 30), "401": (None, 30), "402": (17, 17), "403": (None, 30),
    **{f"41{i}": (13, 13) for i in range(8)},
    "420": (None, 20), "421": (None, 12),
}


def _lookup_ai(data: str) -> tuple[str, int | None, int]:
    if data[:2] in ("31", "32", "33", "34", "35", "36"):
        return data[:4], 6, 6  # measures: 4-digit AI with a 6-digit value
    for size in (2, 3):
        if data[:size] in GS1_AIS:
            return (data[:size], *GS1_AIS[data[:size]])
    raise FrameError(f"unknown GS1 application identifier at {data[:4]!r}")


def parse_gs1(data: str) -> dict[str, str]:
    """Element string (FNC1 separators as ASCII GS) -> {AI: value}."""
    result, rest = {}, data.lstrip(GS)
    while rest:
        ai, fixed, longest = _lookup_ai(rest)
        rest = rest[len(ai):]
        end = fixed if fixed is not None else _field_end(rest, longest)
        if len(rest) < end:
            raise FrameError(f"GS1 AI ({ai}) is truncated")
        result[ai], rest = rest[:end], rest[end:].lstrip(GS)
    return result


def _field_end(rest: str, longest: int) -> int:
    end = rest.find(GS)
    return min(longest, len(rest) if end < 0 else end)


def _unbracket(text: str) -> str:
    """'(00)3735...' (human-readable form) -> element string with GS between fields."""
    return GS.join(m.group(1) + m.group(2) for m in re.finditer(r"\((\d{2,4})\)([^(]*)", text))


# --- classification ------------------------------------------------------------------

Kind = Literal["s10", "sscc", "unknown"]


@dataclass(frozen=True)
class Barcode:
    kind: Kind
    value: str
    valid: bool
    reason: str = ""


def classify(data: str, aim_id: str | None = None) -> Barcode:
    """What a scanned string is: an S10 id, an SSCC, or unknown; and whether it checks."""
    text = data.strip()
    sscc = _find_sscc(text, aim_id)
    if sscc is not None:
        return _checked("sscc", sscc, is_valid_sscc(sscc), "SSCC")
    if _S10.fullmatch(text.upper()):
        return _checked("s10", text.upper(), is_valid_s10(text.upper()), "S10")
    return Barcode("unknown", text, False, "not an S10 or SSCC parcel id")


def _find_sscc(text: str, aim_id: str | None) -> str | None:
    if text.startswith("("):
        text = _unbracket(text)
    elif re.fullmatch(r"\d{18}", text):
        return text
    if aim_id in GS1_AIM_IDS or GS in text or re.fullmatch(r"00\d{18}", text):
        try:
            return parse_gs1(text).get("00")
        except FrameError:
            return None
    return None


def _checked(kind: Kind, value: str, valid: bool, name: str) -> Barcode:
    return Barcode(kind, value, valid, "" if valid else f"{name} check digit does not match")

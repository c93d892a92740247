"""A tokenizer for the ESC/POS subset receipts use, sans I/O.

The printer simulator and the tests use it to see what a host sent: text, line feeds,
style and code-page commands, native QR codes, cuts, and the real-time DLE EOT query
(which a printer answers even in the middle of a job). Unknown `ESC x` / `GS x`
commands are taken as having no parameter, as the subset here cannot know better.
"""

from __future__ import annotations

from dataclasses import dataclass

ESC, GS, DLE, LF = 0x1B, 0x1D, 0x10, 0x0A
EOT = 0x04

# Commands with one parameter byte, by their second byte.
ESC_ONE = {ord(c) for c in "tadE!-MG{V3J"}
GS_ONE = {ord(c) for c in "!BbhwHf"}
CUT = ord("V")
# Code page number (ESC t n) -> Python codec, for the pages Nordic receipts need.
CODE_PAGES = {0: "cp437", 2: "cp850", 5: "cp865", 16: "cp1252", 19: "cp858"}


@dataclass(frozen=True)
class Token:
    """kind: "text" (data = the bytes), "lf", "cmd" (name like "ESC t", data = params),
    "status" (data = bytes([n])), or "other" (a lone control byte)."""

    kind: str
    data: bytes = b""
    name: str = ""


def _length(buf: bytes) -> int | None:
    """Bytes the command at buf[0] (ESC or GS or DLE) needs; None if not known yet."""
    if len(buf) < 2:
        return None
    lead, op = buf[0], buf[1]
    if lead == DLE:
        return 3 if op == EOT else 1
    if lead == ESC:
        return 3 if op in ESC_ONE else 2
    return _gs_length(buf)


def _gs_length(buf: bytes) -> int | None:
    op = buf[1]
    if op in GS_ONE:
        return 3
    if op == CUT:
        return None if len(buf) < 3 else (4 if buf[2] in (65, 66, 97, 98, 103, 104) else 3)
    if op == ord("("):  # GS ( fn pL pH data
        return None if len(buf) < 5 else 5 + buf[3] + 256 * buf[4]
    if op == ord("k"):
        return _barcode_length(buf)
    if op == ord("v"):  # GS v 0 m xL xH yL yH raster
        return None if len(buf) < 8 else 8 + (buf[4] + 256 * buf[5]) * (buf[6] + 256 * buf[7])
    return 2


def _barcode_length(buf: bytes) -> int | None:
    if len(buf) < 3:
        return None
    if buf[2] <= 6:  # function A: data ends with NUL
        end = buf.find(b"\x00", 3)
        return None if end < 0 else end + 1
    return None if len(buf) < 4 else 4 + buf[3]


def _name(raw: bytes) -> str:
    lead = {ESC: "ESC", GS: "GS", DLE: "DLE"}[raw[0]]
    return f"{lead} {chr(raw[1])}" if 0x20 <= raw[1] < 0x7F else f"{lead} {raw[1]:#04x}"


class EscPosTokenizer:
    """Feed bytes as they arrive; complete tokens come out, partial commands wait."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[Token]:
        self._buf += data
        tokens = []
        while self._buf and (token := self._next()) is not None:
            tokens.append(token)
        return tokens

    def _next(self) -> Token | None:
        first = self._buf[0]
        if first in (ESC, GS, DLE):
            return self._command()
        if first == LF:
            return self._take(1, Token("lf"))
        if first < 0x20:
            return self._take(1, Token("other", bytes([first])))
        end = next((i for i, b in enumerate(self._buf) if b < 0x20), len(self._buf))
        return self._take(end, Token("text", bytes(self._buf[:end])))

    def _command(self) -> Token | None:
        size = _length(bytes(self._buf[:8]) if self._buf[1:2] != b"k" else bytes(self._buf))
        if size is None or len(self._buf) < size:
            return None
        raw = bytes(self._buf[:size])
        if raw[0] == DLE:
            token = Token("status", raw[2:], "DLE EOT") if size == 3 else Token("other", raw)
        else:
            token = Token("cmd", raw[2:], _name(raw))
        return self._take(size, token)

    def _take(self, size: int, token: Token) -> Token:
        del self._buf[:size]
        return token

"""Byte-exact simulator of an ESC/POS receipt printer with paper and cover.

It answers DLE EOT 1-4 at once, even offline or mid-job, as a real printer does. Print
data that arrives while the printer is offline (cover open, paper out, cutter jammed)
waits in the receive buffer and prints after recovery, as on Epson printers; nothing
is lost and nothing prints twice. What was printed is kept as text lines per receipt.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from hardware.protocols import escpos_status as st
from hardware.protocols.escpos_stream import CODE_PAGES, EscPosTokenizer, Token

HISTORY = 200  # receipts remembered for assertions; bounded for long runs


@dataclass
class Receipt:
    lines: list[str] = field(default_factory=list)
    qr_codes: list[bytes] = field(default_factory=list)
    cut: bool = False


class PrinterSim:
    def __init__(self) -> None:
        self.paper = st.Paper.OK
        self.cover_open = False
        self.cutter_error = False
        self.receipts: deque[Receipt] = deque(maxlen=HISTORY)  # finished (cut) receipts
        self.current = Receipt()
        self.status_queries = 0
        self._tokens = EscPosTokenizer()
        self._held: list[Token] = []
        self._code_page = "cp437"
        self._line = bytearray()
        self._qr_data = b""
        self._lock = threading.Lock()

    @property
    def online(self) -> bool:
        return not (self.cover_open or self.paper is st.Paper.OUT or self.cutter_error)

    def status(self) -> st.PrinterStatus:
        out = self.paper is st.Paper.OUT
        return st.PrinterStatus(
            online=self.online, cover_open=self.cover_open, paper=self.paper,
            paper_stop=out, cutter_error=self.cutter_error,
            error=self.cutter_error, unrecoverable_error=False)

    def feed(self, data: bytes) -> bytes:
        with self._lock:
            replies = bytearray()
            for token in self._tokens.feed(data):
                if token.kind == "status":
                    replies += self._status_reply(token.data[0])
                elif self.online and not self._held:
                    self._print(token)
                else:
                    self._held.append(token)
            return bytes(replies)

    def set_paper(self, paper: st.Paper | str) -> None:
        self._change(paper=st.Paper(paper))

    def set_cover(self, open_: bool) -> None:
        self._change(cover_open=open_)

    def set_cutter_error(self, jammed: bool) -> None:
        self._change(cutter_error=jammed)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"paper": self.paper.value, "cover_open": self.cover_open,
                    "online": self.online, "receipts": len(self.receipts),
                    "held_bytes": sum(len(t.data) for t in self._held)}

    def _change(self, **state: object) -> None:
        with self._lock:
            for name, value in state.items():
                setattr(self, name, value)
            while self.online and self._held:  # recovered: the buffer prints now
                self._print(self._held.pop(0))

    def _status_reply(self, n: int) -> bytes:
        self.status_queries += 1
        if n not in st.QUERIES:
            return b""
        return bytes([st.encode_reply(n, self.status())])

    def _print(self, token: Token) -> None:
        if token.kind == "text":
            self._line += token.data
        elif token.kind == "lf":
            self.current.lines.append(self._line.decode(self._code_page, "replace"))
            self._line.clear()
        elif token.kind == "cmd":
            self._command(token)

    def _command(self, token: Token) -> None:
        if token.name == "ESC @":
            self._code_page = CODE_PAGES[0]
        elif token.name == "ESC t":
            self._code_page = CODE_PAGES.get(token.data[0], self._code_page)
        elif token.name == "GS (" and token.data[:1] == b"k":
            self._qr(token.data)
        elif token.name == "GS V":
            self.current.cut = True
            self.receipts.append(self.current)
            self.current = Receipt()

    def _qr(self, data: bytes) -> None:
        fn = data[4] if len(data) > 4 else None
        if fn == 0x50:  # store symbol data (after cn fn m)
            self._qr_data = data[6:]
        elif fn == 0x51:  # print the stored symbol
            self.current.qr_codes.append(self._qr_data)

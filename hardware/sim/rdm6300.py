"""Simulator of an RDM6300 125 kHz reader: it repeats the card's frame while one is present.

The module never answers the host, so `feed` returns nothing; a timer thread sends the
frame every `repeat_s` through the pty harness it is attached to.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from hardware.protocols import rdm6300

REPEAT_S = 0.1  # the module repeats continuously; 10 frames a second is close enough


class Rdm6300Sim:
    checksum_offset = -2  # the ASCII checksum's last digit; ETX follows it

    def __init__(self, repeat_s: float = REPEAT_S) -> None:
        self.repeat_s = repeat_s
        self._frame: bytes | None = None
        self._uid: str | None = None
        self._remove_at: float | None = None
        self._emit: Callable[[bytes], None] | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def card(self) -> str | None:
        return self._uid

    def attach(self, emit: Callable[[bytes], None]) -> None:
        self._emit = emit
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="rdm6300 sim", daemon=True)
            self._thread.start()

    def place_card(self, uid_hex: str | None) -> None:
        frame = rdm6300.encode_uid(uid_hex) if uid_hex else None
        with self._lock:
            self._frame, self._uid = frame, uid_hex.upper() if uid_hex else None
            self._remove_at = None
        self._wake.set()

    def tap_card(self, uid_hex: str, seconds: float = 1.0) -> None:
        """Hold a card to the reader for `seconds`, then take it away."""
        self.place_card(uid_hex)
        with self._lock:
            self._remove_at = time.monotonic() + seconds

    def feed(self, data: bytes) -> bytes:
        return b""  # output-only module

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                if self._remove_at is not None and time.monotonic() >= self._remove_at:
                    self._frame = self._uid = self._remove_at = None
                frame = self._frame
            if frame is not None and self._emit is not None:
                self._emit(frame)
                self._stop.wait(self.repeat_s)
            else:
                self._wake.wait()
                self._wake.clear()

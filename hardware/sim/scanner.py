"""A serial barcode scanner: it ignores the host and sends `[AIM id]data[suffix]` per scan."""

from __future__ import annotations

from collections.abc import Callable


class ScannerSim:
    def __init__(self, suffix: bytes = b"\r", aim_prefix: str = "") -> None:
        self.suffix = suffix
        self.aim_prefix = aim_prefix  # e.g. "]C1" as a scanner with AIM ids enabled sends
        self._emit: Callable[[bytes], None] | None = None

    def attach(self, emit: Callable[[bytes], None]) -> None:
        self._emit = emit

    def feed(self, data: bytes) -> bytes:
        return b""  # a scanner in serial mode does not answer the host

    def encode(self, text: str, aim_prefix: str | None = None) -> bytes:
        prefix = self.aim_prefix if aim_prefix is None else aim_prefix
        return (prefix + text).encode("utf-8") + self.suffix

    def scan(self, text: str, aim_prefix: str | None = None) -> None:
        """Emit one scan through the harness (which must be attached)."""
        if self._emit is None:
            raise RuntimeError("ScannerSim is not attached to a PtyHarness")
        self._emit(self.encode(text, aim_prefix))

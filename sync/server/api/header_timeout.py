"""A deadline for request headers, which uvicorn lacks: its keep-alive timeout only covers the
silence between requests, and h11 only caps the headers' size. A client sending its headers a
byte a second (slowloris) held a connection, and with enough of them every file descriptor.

`HeaderDeadlineProtocol` is uvicorn's h11 protocol plus one timer per request: started when
the connection opens or the first byte of a keep-alive connection's next request arrives, it
closes the connection unless the request's headers are complete by then. Bodies have their own
timeouts in limits.py. Use it with `uvicorn.run(..., http=header_deadline_protocol(seconds))`.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT_S = 10.0  # a kiosk's request headers are a few hundred bytes: one round trip
log = logging.getLogger(__name__)


class HeaderDeadlineProtocol(H11Protocol):
    header_timeout: float = HEADER_TIMEOUT_S

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_header_deadline()  # a connection that never sends a byte is dropped too

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._header_deadline is None and self._awaiting_headers():
            self._start_header_deadline()  # the next request on a kept-alive connection
        super().data_received(data)
        if not self._awaiting_headers():
            self._cancel_header_deadline()

    def _awaiting_headers(self) -> bool:
        return self.conn.their_state is h11.IDLE

    def _start_header_deadline(self) -> None:
        self._header_deadline = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _cancel_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if self._awaiting_headers() and not self.transport.is_closing():
            log.info("dropped a client whose request headers took over %.0f s", self.header_timeout)
            self.transport.close()


def header_deadline_protocol(seconds: float) -> type[HeaderDeadlineProtocol]:
    """The protocol class with its deadline set (uvicorn takes a class, not an instance)."""
    return type("HeaderDeadlineProtocol", (HeaderDeadlineProtocol,), {"header_timeout": seconds})

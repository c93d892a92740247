"""A minimal Chrome DevTools Protocol client over `--remote-debugging-pipe`.

Chromium started with `--remote-debugging-pipe` reads commands from its fd 3 and writes
replies and events to its fd 4, one JSON message per NUL-terminated chunk. A pipe instead of
`--remote-debugging-port` means no TCP port another local process could connect to, and the
endpoint dies with the browser.

One reader thread parses what Chromium writes: replies complete the waiting `call()`, events
go to the handler given at construction. The handler runs on the reader thread and must not
block on `call()` (use `send()` there: it returns at once).
"""
from __future__ import annotations

import json
import logging
import os
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Callable

log = logging.getLogger(__name__)

EventHandler = Callable[[str, dict[str, Any], str | None], None]  # method, params, session id


class DevToolsError(RuntimeError):
    """Chromium answered a command with an error."""


class DevToolsClosed(RuntimeError):
    """The pipe is closed: the browser exited or was killed."""


class DevToolsTimeout(RuntimeError):
    """No answer within the timeout: the browser (or the page's renderer) hangs."""


class DevToolsPipe:
    def __init__(self, write_fd: int, read_fd: int, on_event: EventHandler) -> None:
        """`write_fd` is our end of the browser's fd 3, `read_fd` our end of its fd 4."""
        self._write = os.fdopen(write_fd, "wb", buffering=0)
        self._read = os.fdopen(read_fd, "rb", buffering=0)
        self._on_event = on_event
        self._lock = threading.Lock()
        self._next_id = 0
        self._pending: dict[int, Future] = {}
        self._closed = threading.Event()
        self._reader = threading.Thread(target=self._read_loop, name="devtools-pipe", daemon=True)
        self._reader.start()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def wait_closed(self, timeout: float | None = None) -> bool:
        return self._closed.wait(timeout)

    def send(self, method: str, params: dict[str, Any] | None = None,
             session_id: str | None = None) -> Future:
        """Write one command; the future holds its result (or DevToolsError/DevToolsClosed)."""
        future: Future = Future()
        with self._lock:
            if self._closed.is_set():
                future.set_exception(DevToolsClosed(method))
                return future
            self._next_id += 1
            message: dict[str, Any] = {"id": self._next_id, "method": method,
                                       "params": params or {}}
            if session_id:
                message["sessionId"] = session_id
            self._pending[self._next_id] = future
            try:
                self._write.write(json.dumps(message).encode("utf-8") + b"\0")
            except OSError:
                self._pending.pop(self._next_id, None)
                future.set_exception(DevToolsClosed(method))
        return future

    def call(self, method: str, params: dict[str, Any] | None = None,
             session_id: str | None = None, timeout: float = 10.0) -> dict[str, Any]:
        try:
            return self.send(method, params, session_id).result(timeout)
        except FutureTimeout:
            raise DevToolsTimeout(f"{method}: no answer within {timeout} s") from None

    def close(self) -> None:
        for stream in (self._write, self._read):
            try:
                stream.close()
            except OSError:
                pass
        self._reader.join(timeout=2)
        self._mark_closed()

    # --- reader thread -----------------------------------------------------------------------

    def _read_loop(self) -> None:
        buffer = b""
        try:
            while True:
                chunk = self._read.read(65536)
                if not chunk:
                    break
                buffer += chunk
                *messages, buffer = buffer.split(b"\0")
                for raw in messages:
                    self._dispatch(json.loads(raw))
        except (OSError, ValueError) as error:
            log.debug("DevTools pipe ended: %s", error)
        finally:
            self._mark_closed()

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "id" in message:
            with self._lock:
                future = self._pending.pop(message["id"], None)
            if future is None:
                return
            if "error" in message:
                future.set_exception(DevToolsError(message["error"].get("message", "error")))
            else:
                future.set_result(message.get("result", {}))
            return
        try:
            self._on_event(message.get("method", ""), message.get("params", {}),
                           message.get("sessionId"))
        except Exception:  # one bad handler must not kill the reader and blind the watchdog
            log.exception("DevTools event handler failed for %s", message.get("method"))

    def _mark_closed(self) -> None:
        with self._lock:
            self._closed.set()
            pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(DevToolsClosed("pipe closed"))

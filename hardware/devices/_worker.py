"""A background thread for devices that must be listened to (card readers, scanners).

It runs the driver's `connect()` then `step()` in a loop. A HardwareError (port
unplugged, device silent) is reported once per outage and the thread retries
`connect()` every `retry_s` until it works again or `stop()` is called.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Self

from hardware.errors import HardwareError
from hardware.transport import SerialPort

log = logging.getLogger(__name__)

ErrorCallback = Callable[[HardwareError], None]


class DeviceThread:
    def __init__(self, name: str, *, connect: Callable[[], None], step: Callable[[], None],
                 disconnect: Callable[[], None], on_error: ErrorCallback | None = None,
                 retry_s: float = 1.0) -> None:
        self._name = name
        self._connect, self._step, self._disconnect = connect, step, disconnect
        self._on_error = on_error
        self._retry_s = retry_s
        self.stopping = threading.Event()
        self.last_error: HardwareError | None = None
        self.connected = False  # True between a successful connect() and the next error
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            raise RuntimeError(f"{self._name} is already running")
        self.stopping.clear()
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        try:
            while not self.stopping.is_set():
                if self._connected_once():
                    self._step_until_error()
        finally:
            self.connected = False
            self._disconnect()

    def _connected_once(self) -> bool:
        try:
            self._connect()
        except HardwareError as exc:
            self._failed(exc)
            return False
        if self.last_error is not None:
            log.info("%s: recovered", self._name)
            self.last_error = None
        self.connected = True
        return True

    def _step_until_error(self) -> None:
        try:
            while not self.stopping.is_set():
                self._step()
        except HardwareError as exc:
            self._failed(exc)
        except Exception:  # noqa: BLE001 - a driver bug must not end listening for good
            log.exception("%s: unexpected error; reconnecting", self._name)
            self.connected = False
            self._disconnect()
            self.stopping.wait(self._retry_s)

    def _failed(self, exc: HardwareError) -> None:
        self.connected = False
        self._disconnect()
        if self.last_error is None:  # report an outage once, not every retry
            log.warning("%s: %s", self._name, exc)
            if self._on_error is not None:
                call_safely(self._on_error, exc)
        self.last_error = exc
        self.stopping.wait(self._retry_s)


class ListeningDevice:
    """The life cycle shared by drivers that listen on a DeviceThread (card readers,
    scanners): start/stop, health, context manager. A subclass sets `device_name`, opens
    `self._port` (a SerialPort) and implements `_connect()` and `_step()`."""

    device_name = "device"
    _port: SerialPort
    _worker: DeviceThread | None = None
    _retry_s: float = 1.0

    def _connect(self) -> None:
        raise NotImplementedError

    def _step(self) -> None:
        raise NotImplementedError

    @property
    def port(self) -> str:
        return self._port.url

    @property
    def last_error(self) -> HardwareError | None:
        """The error of the current outage, None while the device works."""
        return self._worker.last_error if self._worker else None

    @property
    def connected(self) -> bool:
        """True while the listening thread has the device open and initialised."""
        return self._worker is not None and self._worker.connected

    def _listen(self, on_error: ErrorCallback | None) -> None:
        if self._worker is not None:
            raise RuntimeError(f"{self.device_name} on {self.port} is already started")
        self._worker = DeviceThread(
            f"{self.device_name} {self.port}", connect=self._connect, step=self._step,
            disconnect=self._disconnect, on_error=on_error, retry_s=self._retry_s)
        self._worker.start()

    def stop(self) -> None:
        """Stop listening, join the thread and close the port."""
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.stop()
        self._port.close()

    def _disconnect(self) -> None:
        self._port.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def call_safely(callback: Callable[..., object], *args: object) -> None:
    """Run a caller's callback on the device thread; its bugs must not kill the thread."""
    try:
        callback(*args)
    except Exception:  # noqa: BLE001 - logged, and the device keeps working
        log.exception("callback %r failed", callback)

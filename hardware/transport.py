"""Serial transport: a port named by a URL, one lock per port, reconnect on next use.

The port is a URL string for `serial.serial_for_url`, so config can say
`/dev/ttyUSB0`, tests can give a pty path and a technician can say
`spy:///dev/ttyUSB0?file=log.txt`, all without touching the driver.

After an I/O error the port is closed and `DeviceUnavailable` is raised; the next call
opens it again. This keeps a driver usable across an unplug/replug without a thread
of its own.
"""

from __future__ import annotations

import contextlib
import os
import select
import termios
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

import serial

from hardware.errors import DeviceTimeout, DeviceUnavailable, ProtocolError

T = TypeVar("T")
F = TypeVar("F")

# How long one low-level read may block. Small, so deadlines and stop requests are
# noticed quickly; data itself is returned as soon as it arrives.
READ_SLICE_S = 0.02
READ_SIZE = 4096  # more than any reply; what is waiting comes in one system call
WRITE_TIMEOUT_S = 1.0
# What a vanished port raises: pyserial wraps most errors, but not tcflush's.
IO_ERRORS = (serial.SerialException, OSError, termios.error)


def open_serial(url: str, *, device: str, baudrate: int) -> serial.Serial:
    """Open `url` or raise DeviceUnavailable naming the device and port."""
    try:
        port = serial.serial_for_url(
            url, baudrate=baudrate, timeout=READ_SLICE_S,
            write_timeout=WRITE_TIMEOUT_S, do_not_open=True)
        port.open()
    except (*IO_ERRORS, ValueError) as exc:
        raise DeviceUnavailable(device, url, str(exc)) from exc
    return port


class Decoder(Protocol[F]):
    def feed(self, data: bytes) -> list[F]: ...


class Channel:
    """The open port as a `read_reply` callback sees it, while the port lock is held."""

    def __init__(self, ser: serial.Serial, device: str, url: str) -> None:
        self._ser = ser
        self.device = device
        self.url = url
        # Requests (as FrameReader.require names them) that got no answer in time: that
        # answer may still come, and land in the middle of the next such exchange, after
        # its input flush. Keyed by request, as a late answer from one board cannot pass
        # for another's (the drivers' frame filters check the address).
        self.overdue: set[str] = set()
        # A plain local port is read straight from its descriptor: pyserial's read(n)
        # must be told n, and a driver does not know a reply's length before its header,
        # so through pyserial each chunk costs an in_waiting ioctl plus a read per piece.
        # URL handlers (spy://, socket://, loop://) keep pyserial's own read and write.
        self._fd = ser.fileno() if type(ser) is serial.Serial else None

    def write(self, data: bytes) -> None:
        # No flush (tcdrain): the reply cannot overtake the request, and each read has a
        # deadline that covers the few milliseconds the request spends on the wire.
        if self._fd is not None:
            # A request fits the driver's buffer, so one write(2) takes it all; pyserial
            # would add a select() per write. Whatever does not fit goes through pyserial,
            # which waits for room under the write timeout.
            try:
                written = os.write(self._fd, data)
            except BlockingIOError:
                written = 0
            data = data[written:]
            if not data:
                return
        self._ser.write(data)

    def read(self, deadline: float) -> bytes:
        """Bytes that arrive before `deadline` (monotonic); b"" once it has passed."""
        if self._fd is None:
            return self._read_via_pyserial(deadline)
        while True:
            ready, _, _ = select.select([self._fd], [], [],
                                        max(0.0, deadline - time.monotonic()))
            if not ready:
                return b""
            try:
                data = os.read(self._fd, READ_SIZE)
            except BlockingIOError:
                continue  # another reader of the same tty took it (a spy, a test)
            if not data:  # what pyserial says too: Linux reports a vanished port so
                raise serial.SerialException("device reports readiness to read but "
                                             "returned no data (device disconnected?)")
            return data

    def _read_via_pyserial(self, deadline: float) -> bytes:
        while True:
            data = self._ser.read(max(1, self._ser.in_waiting))
            if data or time.monotonic() >= deadline:
                return data

    def flush_input(self) -> None:
        self._ser.reset_input_buffer()

    def timeout(self, what: str) -> DeviceTimeout:
        return DeviceTimeout(self.device, self.url, what)


class FrameReader(Generic[F]):
    """Feeds a decoder from a channel and hands out frames one at a time.

    Frames decoded together (an ACK and its response in one read) are queued, not lost.
    """

    def __init__(self, channel: Channel, decoder: Decoder[F]) -> None:
        self._channel = channel
        self._decoder = decoder
        self._queue: deque[F] = deque()

    @property
    def dropped(self) -> int:
        """Frames the decoder threw away so far (failed checksums)."""
        return getattr(self._decoder, "dropped", 0)

    def next(self, timeout: float) -> F | None:
        return self._next_before(time.monotonic() + timeout)

    def expect(self, accept: Callable[[F], bool], timeout: float) -> F | None:
        """The first frame `accept` likes within `timeout`, skipping others."""
        deadline = time.monotonic() + timeout
        while (frame := self._next_before(deadline)) is not None:
            if accept(frame):
                return frame
        return None

    def _next_before(self, deadline: float) -> F | None:
        queue = self._queue
        while not queue:
            data = self._channel.read(deadline)
            if not data:
                return None
            queue.extend(self._decoder.feed(data))
        return queue.popleft()

    def require(self, accept: Callable[[F], bool], timeout: float, what: str) -> F:
        """Like `expect`, but raise when nothing acceptable came.

        ProtocolError if the decoder threw away a corrupt frame meanwhile (the device
        did answer, badly), else DeviceTimeout.

        For devices that answer one frame per request: after the same request (`what`)
        timed out on this port, the first acceptable frame may be the late answer to it,
        which arrived after this exchange flushed its input. A device answers in order,
        so the answer to this request is the last acceptable frame before the line goes
        quiet for `timeout`. That costs one extra `timeout`, once, after a timeout only.
        """
        frame = self.expect(accept, timeout)
        overdue = self._channel.overdue
        if frame is None:
            if self.dropped:
                raise ProtocolError(self._channel.device, self._channel.url,
                                    f"{what}: reply failed its checksum")
            overdue.add(what)
            raise self._channel.timeout(what)
        if overdue and what in overdue:
            overdue.discard(what)
            while (later := self.expect(accept, timeout)) is not None:
                frame = later
        return frame


class SerialPort:
    """One serial port shared by the threads of one driver; `exchange` is atomic."""

    def __init__(self, url: str, *, device: str, baudrate: int) -> None:
        self.url = url
        self.device = device
        self.baudrate = baudrate
        self._lock = threading.Lock()
        self._serial: serial.Serial | None = None
        self._open_channel: Channel | None = None

    @property
    def is_open(self) -> bool:
        return self._serial is not None

    def exchange(self, request: bytes, read_reply: Callable[[Channel], T],
                 *, flush_input: bool = True) -> T:
        """Write `request` and let `read_reply` read the answer, holding the port lock.

        Stale input is dropped first so an old, late reply is never taken for the
        answer to this request.
        """
        with self._lock:
            channel = self._channel()
            try:
                if flush_input:
                    channel.flush_input()
                if request:
                    channel.write(request)
                return read_reply(channel)
            except serial.SerialTimeoutException as exc:
                raise DeviceTimeout(self.device, self.url, "write timed out") from exc
            except IO_ERRORS as exc:
                self._drop()
                raise DeviceUnavailable(self.device, self.url, str(exc)) from exc

    def read(self, timeout: float) -> bytes:
        """Whatever arrives within `timeout`, for devices that talk unasked (scanners)."""
        deadline = time.monotonic() + timeout
        return self.exchange(b"", lambda ch: ch.read(deadline), flush_input=False)

    def open(self) -> None:
        """Open now rather than on first use (to report a missing port early)."""
        with self._lock:
            self._channel()

    def close(self) -> None:
        with self._lock:
            self._drop()

    def __enter__(self) -> SerialPort:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _channel(self) -> Channel:
        if self._open_channel is None:
            self._serial = open_serial(self.url, device=self.device, baudrate=self.baudrate)
            self._open_channel = Channel(self._serial, self.device, self.url)
        return self._open_channel

    def _drop(self) -> None:
        ser, self._serial, self._open_channel = self._serial, None, None
        if ser is not None:
            with contextlib.suppress(*IO_ERRORS):  # already gone (unplugged): nothing to release
                ser.close()

"""Put a device simulator behind a pseudo-terminal, with fault injection.

The driver opens `harness.port` (the pty slave) exactly as it would open /dev/ttyUSB0.
A reader thread feeds what the driver writes to `simulator.feed(bytes) -> bytes` and
writes the reply back. Both ends are set raw: otherwise the line discipline echoes
bytes and turns CR into LF, which corrupts binary frames.
"""

from __future__ import annotations

import logging
import os
import select
import threading
import time
import tty
from typing import Protocol

log = logging.getLogger(__name__)

READ_SIZE = 4096
WRITE_GIVE_UP_S = 2.0
RECEIVED_LIMIT = 1 << 20  # the runner lives for days; keep `received` bounded
POLL_S = 0.05  # how often the reader thread checks its stop flag


class Simulator(Protocol):
    def feed(self, data: bytes) -> bytes:
        """Bytes from the host in, reply bytes (possibly empty) out."""


class PtyHarness:
    """Runs one simulator on one pty from construction until `stop()` (or the end of a
    `with` block). Faults can be changed while it runs:

    - `no_reply`: swallow every reply (a dead or unpowered device)
    - `delay_s`: wait this long before each reply
    - `corrupt_checksum`: flip the checksum byte of the next N replies (True = 1); that
      is the last byte, or `simulator.checksum_offset` from the end (PN532: -2, as a
      postamble follows the checksum)
    - `garbage`: bytes put in front of every reply (line noise)
    - `unplug()` / `replug()`: the device disappears and comes back (same link path)
    """

    def __init__(self, simulator: Simulator, *, link: str | None = None) -> None:
        self.simulator = simulator
        self.no_reply = False
        self.delay_s = 0.0
        self.corrupt_checksum: int | bool = 0
        self.garbage = b""
        self.received = bytearray()  # what the host sent (the last RECEIVED_LIMIT bytes)
        self._link = link
        self._write_lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.plugged = False
        self._plug_in()

    def _plug_in(self) -> None:
        self._master, self._slave = os.openpty()
        self._wake_r, self._wake_w = os.pipe()  # lets stop() interrupt select() at once
        try:
            self._setup()
        except BaseException:
            self._close_fds()
            raise
        self._stopping = threading.Event()  # one per plug-in: an old thread sees its own
        self.plugged = True
        self.start()

    def unplug(self) -> None:
        """Pull the cable: the pty goes away (the host's next I/O fails) and so does the link."""
        self._halt()

    def replug(self) -> None:
        """Plug back in: a new pty, under the same link, so a driver can find it again.

        Without a link the device comes back under a new /dev/pts name, as a USB
        adapter can; a kiosk should therefore use /dev/serial/by-id names.
        """
        if not self.plugged:
            self._plug_in()

    @property
    def port(self) -> str:
        """Path the driver opens: the symlink if one was asked for, else the pty slave."""
        return self._link or self._slave_path

    @property
    def pty_path(self) -> str:
        """The /dev/pts/N behind `port` (changes on replug; `port` with a link does not)."""
        return self._slave_path

    def start(self) -> PtyHarness:
        """Start the reader thread (the constructor already does; harmless to repeat)."""
        if self._thread is None and not self._stopping.is_set():
            self._thread = threading.Thread(target=self._run, args=(self._stopping,),
                                            name=f"pty {self.port}",
                                            daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Switch off for good; a simulator with its own thread (`close()`) is stopped too."""
        self._halt()
        close = getattr(self.simulator, "close", None)
        if close is not None:
            close()

    def _halt(self) -> None:
        self.plugged = False
        self._stopping.set()
        if self._wake_w >= 0:
            os.write(self._wake_w, b"x")
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join()  # (a simulator may unplug itself from this thread, mid-reply)
        self._remove_link()
        with self._write_lock:  # not while another thread (a late card answer) writes
            self._close_fds()

    def send(self, data: bytes) -> None:
        """Unsolicited device output (a scan, a late card answer); faults apply."""
        with self._write_lock:  # one reply at a time, faults counted in order
            if self._stopping.is_set():
                return  # a device that is switched off says nothing
            reply = self._apply_faults(data)
            if reply:
                self._write(reply)

    def __enter__(self) -> PtyHarness:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _setup(self) -> None:
        # Keep our own slave fd open: with no slave open, the master reports EIO/HUP
        # and the reader thread would spin between the driver's close and reopen.
        tty.setraw(self._master)
        tty.setraw(self._slave)
        self._slave_path = os.ttyname(self._slave)
        attach = getattr(self.simulator, "attach", None)
        if attach is not None:
            attach(self.send)
        if self._link:
            tmp = f"{self._link}.{os.getpid()}.tmp"
            os.symlink(self._slave_path, tmp)
            os.replace(tmp, self._link)  # atomic: a restarted harness takes the name over

    def _run(self, stopping: threading.Event) -> None:
        while not stopping.is_set():
            ready, _, _ = select.select([self._master, self._wake_r], [], [], POLL_S)
            if self._master not in ready:
                continue
            try:
                data = os.read(self._master, READ_SIZE)
            except OSError:
                continue  # transient on some kernels when the driver closes its end
            self.received += data
            del self.received[:-RECEIVED_LIMIT]
            self._answer(data)

    def _answer(self, data: bytes) -> None:
        try:
            self.send(self.simulator.feed(data))
        except Exception:  # noqa: BLE001 - a simulator bug must not silence the port
            log.exception("simulator %r failed on %s", self.simulator, data.hex(" "))

    def _apply_faults(self, reply: bytes) -> bytes:
        if not reply or self.no_reply:
            return b""
        if self.delay_s:
            self._stopping.wait(self.delay_s)
        if self.corrupt_checksum:
            self.corrupt_checksum = int(self.corrupt_checksum) - 1
            reply = _flip(reply, getattr(self.simulator, "checksum_offset", -1))
        return self.garbage + reply

    def _write(self, data: bytes) -> None:
        # Like a real UART: if the host does not read, output is lost, not queued forever.
        view, deadline = memoryview(data), time.monotonic() + WRITE_GIVE_UP_S
        while view and not self._stopping.is_set() and time.monotonic() < deadline:
            view = view[self._write_some(view):]

    def _write_some(self, view: memoryview) -> int:
        _, ready, _ = select.select([], [self._master], [], POLL_S)
        return os.write(self._master, view) if ready else 0

    def _remove_link(self) -> None:
        # Only remove the link if it still points at our pty (a newer harness may own it).
        if self._link and os.path.islink(self._link):
            if os.readlink(self._link) == self._slave_path:
                os.unlink(self._link)

    def _close_fds(self) -> None:
        for fd in (self._master, self._slave, self._wake_r, self._wake_w):
            if fd >= 0:
                os.close(fd)
        self._master = self._slave = self._wake_r = self._wake_w = -1


def _flip(data: bytes, offset: int) -> bytes:
    at = max(0, len(data) + offset)
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]


def wait_until(predicate, timeout: float = 2.0, interval: float = 0.01) -> bool:
    """Poll `predicate` until true or `timeout`; for tests and the control API."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
    return True

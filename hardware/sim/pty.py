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
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)

READ_SIZE = 4096
WRITE_GIVE_UP_S = 2.0
RECEIVED_LIMIT = 1 << 20  # the runner lives for days; keep `received` bounded
POLL_S = 0.05  # how often the reader thread checks its stop flag


class Simulator(Protocol):
    def feed(self, data: bytes) -> bytes:
        """Bytes from the host in, reply bytes (possibly empty) out."""


class _Plug:
    """One plug-in: its own pty, wake-up pipe, stop flag and reader thread.

    Each plug-in owns its file descriptors, so an unplug that is still closing the old
    ones (a simulator may unplug itself from the reader thread, mid-reply) can never
    close those of a replug that already happened.
    """

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.wake_r, self.wake_w = os.pipe()  # lets stop() interrupt select() at once
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.slave_path = ""

    def close(self) -> None:
        for fd in (self.master, self.slave, self.wake_r, self.wake_w):
            if fd >= 0:
                os.close(fd)
        self.master = self.slave = self.wake_r = self.wake_w = -1


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
        self._plug_lock = threading.Lock()  # plug-in, link and close never interleave
        self._plug: _Plug | None = None
        self._slave_path = ""
        with self._plug_lock:
            self._plug_in()

    @property
    def plugged(self) -> bool:
        return self._plug is not None

    def unplug(self) -> None:
        """Pull the cable: the pty goes away (the host's next I/O fails) and so does the link."""
        self._halt()

    def replug(self) -> None:
        """Plug back in: a new pty, under the same link, so a driver can find it again.

        Without a link the device comes back under a new /dev/pts name, as a USB
        adapter can; a kiosk should therefore use /dev/serial/by-id names.
        """
        with self._plug_lock:
            if self._plug is None:
                self._plug_in()

    @property
    def port(self) -> str:
        """Path the driver opens: the symlink if one was asked for, else the pty slave."""
        return self._link or self._slave_path

    @property
    def pty_path(self) -> str:
        """The /dev/pts/N behind `port` (changes on replug; `port` with a link does not)."""
        return self._slave_path

    def stop(self) -> None:
        """Switch off for good; a simulator with its own thread (`close()`) is stopped too."""
        self._halt()
        close = getattr(self.simulator, "close", None)
        if close is not None:
            close()

    def _plug_in(self) -> None:
        plug = _Plug()
        try:
            self._setup(plug)
        except BaseException:
            plug.close()
            raise
        plug.thread = threading.Thread(target=self._run, args=(plug,),
                                       name=f"pty {self._link or plug.slave_path}",
                                       daemon=True)
        self._plug = plug
        plug.thread.start()

    def _halt(self) -> None:
        with self._plug_lock:
            plug, self._plug = self._plug, None
        if plug is None:
            return
        plug.stopping.set()
        os.write(plug.wake_w, b"x")
        if plug.thread is not None and plug.thread is not threading.current_thread():
            plug.thread.join()  # (a simulator may unplug itself from this thread, mid-reply)
        with self._plug_lock:
            self._remove_link(plug.slave_path)
            with self._write_lock:  # not while another thread (a late card answer) writes
                plug.close()

    def send(self, data: bytes) -> None:
        """Unsolicited device output (a scan, a late card answer); faults apply."""
        with self._write_lock:  # one reply at a time, faults counted in order
            plug = self._plug
            if plug is None or plug.stopping.is_set():
                return  # a device that is switched off says nothing
            reply = self._apply_faults(data, plug)
            if reply:
                self._write(reply, plug)

    def __enter__(self) -> PtyHarness:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _setup(self, plug: _Plug) -> None:
        # Keep our own slave fd open: with no slave open, the master reports EIO/HUP
        # and the reader thread would spin between the driver's close and reopen.
        tty.setraw(plug.master)
        tty.setraw(plug.slave)
        plug.slave_path = self._slave_path = os.ttyname(plug.slave)
        attach = getattr(self.simulator, "attach", None)
        if attach is not None:
            attach(self.send)
        if self._link:
            tmp = f"{self._link}.{os.getpid()}.tmp"
            os.symlink(plug.slave_path, tmp)
            os.replace(tmp, self._link)  # atomic: a restarted harness takes the name over

    def _run(self, plug: _Plug) -> None:
        while not plug.stopping.is_set():
            ready, _, _ = select.select([plug.master, plug.wake_r], [], [], POLL_S)
            if plug.master not in ready:
                continue
            try:
                data = os.read(plug.master, READ_SIZE)
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

    def _apply_faults(self, reply: bytes, plug: _Plug) -> bytes:
        if not reply or self.no_reply:
            return b""
        if self.delay_s:
            plug.stopping.wait(self.delay_s)
        if self.corrupt_checksum:
            self.corrupt_checksum = int(self.corrupt_checksum) - 1
            reply = _flip(reply, getattr(self.simulator, "checksum_offset", -1))
        return self.garbage + reply

    def _write(self, data: bytes, plug: _Plug) -> None:
        # Like a real UART: if the host does not read, output is lost, not queued forever.
        view, deadline = memoryview(data), time.monotonic() + WRITE_GIVE_UP_S
        while view and not plug.stopping.is_set() and time.monotonic() < deadline:
            view = view[_write_some(plug.master, view):]

    def _remove_link(self, slave_path: str) -> None:
        # Only remove the link if it still points at that pty (a newer plug may own it).
        if self._link and os.path.islink(self._link) and os.readlink(self._link) == slave_path:
            os.unlink(self._link)


def _write_some(master: int, view: memoryview) -> int:
    _, ready, _ = select.select([], [master], [], POLL_S)
    return os.write(master, view) if ready else 0


def _flip(data: bytes, offset: int) -> bytes:
    at = max(0, len(data) + offset)
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]


def wait_until(predicate: Callable[[], object], timeout: float = 2.0, interval: float = 0.01) -> bool:
    """Poll `predicate` until true or `timeout`; for tests and the control API."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
    return True

"""systemd's notify protocol, just what the kiosk needs: READY=1 and WATCHDOG=1.

systemd passes a unix datagram socket in $NOTIFY_SOCKET (a path, or '@name' for the abstract
namespace) and, with WatchdogSec= in the unit, the interval in $WATCHDOG_USEC. The pings come
from the UI's own clock, so a hung UI thread (not just a dead process) stops them and systemd
restarts the kiosk. Without $NOTIFY_SOCKET (run by hand, in tests, in the demo) nothing is sent.

Kivy is never imported here: the caller hands in its clock (anything with schedule_once and
schedule_interval taking a callback and seconds).
"""
from __future__ import annotations

import logging
import os
import socket
from typing import Any, Protocol

log = logging.getLogger(__name__)


class Clock(Protocol):
    def schedule_once(self, callback: Any, timeout: float = 0) -> Any: ...
    def schedule_interval(self, callback: Any, timeout: float) -> Any: ...


class Notifier:
    """Sends notify messages to one socket; never raises (a missed ping must not crash the UI)."""

    def __init__(self, address: str) -> None:
        # '@' marks Linux's abstract namespace, written as a leading NUL byte on the wire.
        self.address = "\0" + address[1:] if address.startswith("@") else address
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)

    def send(self, message: str) -> bool:
        try:
            self.socket.sendto(message.encode(), self.address)
        except OSError as error:
            log.warning("sd_notify %r failed: %s", message, error)
            return False
        return True

    def close(self) -> None:
        self.socket.close()


def from_environment(environ: dict[str, str] | None = None) -> Notifier | None:
    address = (environ if environ is not None else os.environ).get("NOTIFY_SOCKET")
    return Notifier(address) if address else None


def ping_interval(environ: dict[str, str] | None = None) -> float | None:
    """Half the watchdog timeout, as systemd recommends; None when the unit has no watchdog
    or it is meant for another process (WATCHDOG_PID)."""
    environ = environ if environ is not None else os.environ
    usec, pid = environ.get("WATCHDOG_USEC"), environ.get("WATCHDOG_PID")
    if not usec or not usec.isdigit() or int(usec) == 0 or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 2_000_000


def start(clock: Clock, environ: dict[str, str] | None = None) -> Notifier | None:
    """READY=1 once the first frame is on the screen, then WATCHDOG=1 from the UI clock."""
    notifier = from_environment(environ)
    if notifier is None:
        return None
    interval = ping_interval(environ)

    def first_frame(_dt: float) -> None:
        # Scheduled before the first frame, this runs during it; one frame later it is drawn.
        clock.schedule_once(ready, 0)

    def ready(_dt: float) -> None:
        notifier.send("READY=1\nSTATUS=kiosk screen is up")
        if interval:
            clock.schedule_interval(lambda _dt: notifier.send("WATCHDOG=1"), interval)

    clock.schedule_once(first_frame, 0)
    return notifier

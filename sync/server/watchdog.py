"""systemd's watchdog for `kiosk-central serve`: READY=1 once the server answers, then
WATCHDOG=1 only while it keeps answering.

A thread asks the server's own /healthz (which runs SELECT 1 on the database) over loopback,
the way a kiosk would reach it: a hung event loop, a worker pool that is all stuck or a
database that stopped answering all stop the pings, and systemd restarts the unit after
WatchdogSec. A process that merely exists is not enough.

The notify protocol (sd_notify(3)): datagrams to the unix socket in $NOTIFY_SOCKET ('@' for
the abstract namespace); with WatchdogSec= the interval is in $WATCHDOG_USEC. Without
$NOTIFY_SOCKET (run by hand, in tests) nothing starts. The kiosk has its own sender
(kiosk/services/watchdog.py), fed by its UI clock; the server cannot import kiosk code.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping

import requests

log = logging.getLogger(__name__)
Check = Callable[[], bool]


def notify_address(environ: Mapping[str, str]) -> str | None:
    address = environ.get("NOTIFY_SOCKET")
    if not address:
        return None
    return "\0" + address[1:] if address.startswith("@") else address  # Linux abstract socket


def ping_interval(environ: Mapping[str, str]) -> float | None:
    """Half the watchdog timeout, as systemd recommends; None without a watchdog for us."""
    usec, pid = environ.get("WATCHDOG_USEC", ""), environ.get("WATCHDOG_PID")
    if not usec.isdigit() or int(usec) == 0 or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 2_000_000


def healthz_check(url: str, timeout: float) -> Check:
    """True while GET `url` answers 200 within `timeout` seconds."""
    def check() -> bool:
        try:
            return requests.get(url, timeout=timeout).status_code == 200
        except requests.RequestException:
            return False

    return check


class ServerWatchdog:
    """READY=1 after the first good check, then WATCHDOG=1 after each good one, every
    `interval` seconds (or only READY=1 without an interval)."""

    def __init__(self, address: str, check: Check, interval: float | None,
                 startup_poll: float = 0.5) -> None:
        self.address, self.check, self.interval, self.startup_poll = address, check, interval, startup_poll
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="systemd-watchdog", daemon=True)

    def start(self) -> ServerWatchdog:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self._socket.close()

    def send(self, message: str) -> None:
        try:
            self._socket.sendto(message.encode(), self.address)
        except OSError as exc:  # systemd gone or the socket wrong: nothing to gain by dying
            log.warning("sd_notify %s failed: %s", message.split("=")[0], exc)

    def _run(self) -> None:
        while not self.check():  # migrations and start-up: systemd's TimeoutStartSec rules
            if self._stop.wait(self.startup_poll):
                return
        self.send("READY=1\nSTATUS=serving")
        while self.interval is not None and not self._stop.wait(self.interval):
            if self.check():
                self.send("WATCHDOG=1")
            else:
                log.warning("health check failed: no watchdog ping")


def start_from_environment(url: str, environ: Mapping[str, str]) -> ServerWatchdog | None:
    """The watchdog for the server at `url` (its /healthz), if systemd asked for one."""
    address = notify_address(environ)
    if address is None:
        return None
    interval = ping_interval(environ)
    timeout = min(5.0, interval / 2) if interval else 5.0
    return ServerWatchdog(address, healthz_check(f"{url}/healthz", timeout), interval).start()

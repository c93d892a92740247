"""The sd_notify client against a real unix datagram socket, as systemd listens on one."""
from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

import pytest

from kiosk.services import watchdog


@pytest.fixture
def listener(tmp_path: Path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    sock.settimeout(5)
    yield sock, str(tmp_path / "notify")
    sock.close()


class FrameClock:
    """Kivy's Clock contract (schedule_once / schedule_interval with seconds), driven frame by
    frame by the test; the real Clock is exercised by the end-to-end provisioning test."""

    def __init__(self) -> None:
        self.once, self.intervals = [], []

    def schedule_once(self, callback, timeout=0):
        self.once.append(callback)

    def schedule_interval(self, callback, timeout):
        self.intervals.append((callback, timeout))

    def frame(self) -> None:
        due, self.once = self.once, []
        for callback in due:
            callback(0.016)
        for callback, _interval in self.intervals:
            callback(0.016)


def test_ready_after_the_first_frame_then_pings_at_half_the_timeout(listener) -> None:
    sock, path = listener
    clock = FrameClock()
    notifier = watchdog.start(clock, {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "20000000"})
    clock.frame()  # the first frame is being made: not ready yet
    sock.settimeout(0.2)
    with pytest.raises(TimeoutError):
        sock.recv(100)
    clock.frame()
    assert sock.recv(100).decode().splitlines()[0] == "READY=1"
    assert clock.intervals[0][1] == 10.0
    clock.frame()
    assert sock.recv(100) == b"WATCHDOG=1"
    notifier.close()


def test_abstract_namespace_socket(tmp_path) -> None:
    name = f"servicepunkt-test-{uuid.uuid4().hex}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(5)
    try:
        notifier = watchdog.from_environment({"NOTIFY_SOCKET": "@" + name})
        assert notifier.send("READY=1")
        assert sock.recv(100) == b"READY=1"
    finally:
        sock.close()


def test_no_socket_no_watchdog_and_a_vanished_socket_is_not_fatal(listener, tmp_path) -> None:
    assert watchdog.start(FrameClock(), {}) is None
    assert watchdog.ping_interval({"WATCHDOG_USEC": "0"}) is None
    assert watchdog.ping_interval({"WATCHDOG_USEC": "4000000", "WATCHDOG_PID": str(os.getpid() + 1)}) is None
    assert watchdog.ping_interval({"WATCHDOG_USEC": "4000000", "WATCHDOG_PID": str(os.getpid())}) == 2.0
    gone = watchdog.Notifier(str(tmp_path / "gone"))
    assert gone.send("WATCHDOG=1") is False  # logged, never raised into the UI loop

"""The server's systemd watchdog (sync/server/watchdog.py): READY=1 once it serves, WATCHDOG=1
only while /healthz answers; against a real notify socket and a real `kiosk-central serve`."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.server.watchdog import ServerWatchdog, notify_address, ping_interval
from tests.sync.helpers import bound_socket


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[socket.socket]:
    """What systemd listens on: a unix datagram socket."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    sock.settimeout(20)
    yield sock
    sock.close()


def messages(sock: socket.socket, count: int) -> list[str]:
    return [sock.recv(4096).decode() for _ in range(count)]


def test_ready_after_the_first_good_check_then_a_ping_per_good_check(notify_socket: socket.socket) -> None:
    answers = iter([False, False, True, True, False, False, False, True])
    done = threading.Event()

    def check() -> bool:
        answer = next(answers, None)
        if answer is None:
            done.set()
        return bool(answer)

    watchdog = ServerWatchdog(notify_socket.getsockname(), check, interval=0.01, startup_poll=0.01).start()
    done.wait(20)
    watchdog.stop()

    notify_socket.settimeout(0.1)
    sent = []
    with contextlib.suppress(TimeoutError):
        while True:
            sent.append(notify_socket.recv(4096).decode())
    # not ready while the server does not answer; no ping for the three failed checks
    assert sent == ["READY=1\nSTATUS=serving", "WATCHDOG=1", "WATCHDOG=1"]


def test_the_environment_decides() -> None:
    assert notify_address({}) is None
    assert notify_address({"NOTIFY_SOCKET": "@sd"}) == "\0sd"
    assert ping_interval({"WATCHDOG_USEC": "30000000"}) == 15.0
    assert ping_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    assert ping_interval({"WATCHDOG_USEC": "0"}) is None and ping_interval({}) is None


def test_serve_says_ready_and_pings_under_systemd(notify_socket: socket.socket, tmp_path: Path) -> None:
    sock = bound_socket()
    port = sock.getsockname()[1]
    sock.close()
    env = {**os.environ, "NOTIFY_SOCKET": notify_socket.getsockname(), "WATCHDOG_USEC": "1000000",
           "JOURNAL_STREAM": "8:1"}
    env.pop("WATCHDOG_PID", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "sync.server.cli.main", "--database-url", f"sqlite:///{tmp_path / 'c.db'}",
         "serve", "--port", str(port), "--no-notifier", "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        assert messages(notify_socket, 3) == ["READY=1\nSTATUS=serving", "WATCHDOG=1", "WATCHDOG=1"]
    finally:
        process.terminate()
        _out, err = process.communicate(timeout=20)
    assert all(line.startswith("<") for line in err.splitlines() if line), err  # journald format

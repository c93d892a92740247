"""Starts the three programs the way a technician would, for end-to-end tests."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from kiosk.cli.orphans import stop_when_parent_dies

KIOSK = [sys.executable, "-m", "kiosk.cli.main"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, what: str, timeout: float = 30.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def run(args: list[str], **kwargs) -> str:
    result = subprocess.run(args, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, **kwargs)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


class Processes:
    """Every process a test starts, stopped by PID at the end whatever happened."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[subprocess.Popen] = []

    def start(self, name: str, args: list[str], env: dict | None = None) -> subprocess.Popen:
        with open(self.logs / f"{name}.log", "wb") as log:
            process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       env={**os.environ, **(env or {})}, preexec_fn=stop_when_parent_dies)
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.started):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def central_command(database_url: str) -> list[str]:
    return [sys.executable, "-m", "sync.server.cli", "--database-url", database_url]


def read_ports(path: Path) -> dict:
    wait_until(path.exists, "the simulators' ports file")
    return json.loads(path.read_text())

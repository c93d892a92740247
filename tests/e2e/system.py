"""Starts the three programs the way a technician would, for end-to-end tests."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from kiosk.cli.demo import Children, free_port  # noqa: F401  (free_port is re-exported for tests)

KIOSK = [sys.executable, "-m", "kiosk.cli.main"]


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


# The demo's own bookkeeping: tests and `kiosk demo` start and stop children the same way.
Processes = Children


def central_command(database_url: str) -> list[str]:
    return [sys.executable, "-m", "sync.server.cli.main", "--database-url", database_url]


def read_ports(path: Path) -> dict:
    wait_until(path.exists, "the simulators' ports file")
    return json.loads(path.read_text())

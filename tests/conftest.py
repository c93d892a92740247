"""Fixtures shared across the suite: a real X server for UI tests, and an output folder."""
from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OUTPUT_DIR = ROOT / "test-output"
LONGEST_FIRST = ("tests/ui/test_screenshots.py",)  # about 4 minutes, four times the next longest


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items: list) -> None:
    """The longest tests start first: under pytest-xdist, one collected last would run alone
    at the end while the other worker sits idle.

    The PostgreSQL tests all run on one worker: the change feed serves a row only once every
    transaction older than it has ended, cluster-wide (sync/server/feed.py), so a test holding
    a write transaction open on one worker would hold back another worker's feed."""
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in LONGEST_FIRST)
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(pytest.mark.xdist_group("postgres"))


@contextmanager
def xvfb_display() -> Iterator[str]:
    """A private Xvfb server for as long as the block runs; yields its DISPLAY (":N")."""
    if shutil.which("Xvfb") is None:
        pytest.fail("Xvfb is not installed: run `make test`, which installs it (scripts/setup-system.sh)")
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
        pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    with os.fdopen(read_end) as announced:
        number = announced.readline().strip()
    if not number:
        server.kill()
        pytest.fail("Xvfb did not start")
    try:
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="session")
def x_display():
    """A private Xvfb display; the tests start it themselves so CI needs no wrapper."""
    with xvfb_display() as display:
        yield display


@pytest.fixture
def output_dir(request) -> Path:
    """test-output/<test name>/ for screenshots and logs a person can look at afterwards."""
    folder = OUTPUT_DIR / request.node.name.replace("/", "_")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder

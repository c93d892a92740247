"""Fixtures shared across the suite: a real X server for UI tests, and an output folder."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OUTPUT_DIR = ROOT / "test-output"
LONGEST_FIRST = ("tests/ui/test_screenshots.py",)  # about 4 minutes, four times the next longest


# The PostgreSQL variant of a test, by its id: the database_url fixture's param "postgres",
# alone ("[postgres]") or with others ("[postgres-bearer]"). The scheduler below sees only ids.
POSTGRES_ID = re.compile(r"[\[-]postgres[\]-]")


def pytest_collection_modifyitems(items: list) -> None:
    """The longest tests start first: under pytest-xdist, one collected last would run alone
    at the end while the other worker sits idle."""
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in LONGEST_FIRST)
    for item in items:  # the scheduler's rule must match the marker, or a test runs unguarded
        if bool(item.get_closest_marker("postgres")) != bool(POSTGRES_ID.search(item.nodeid)):
            raise pytest.UsageError(f"{item.nodeid}: marked postgres or named so, but not both")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Every PostgreSQL test on one worker. The change feed serves a row only once every write
    transaction older than it has ended, across the whole cluster (sync/server/kiosks/feed.py), so a
    transaction open in one worker's test held back another worker's pull (a flake in CI).
    (pytest-xdist's own `xdist_group` marks do nothing under pytest 9: they rename the node
    ids, which pytest 9 no longer lets a plugin do.)"""
    from xdist.scheduler import LoadScopeScheduling

    class PostgresOnOneWorker(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "postgres" if POSTGRES_ID.search(nodeid) else nodeid

    return PostgresOnOneWorker(config, log)


@pytest.fixture
def central(tmp_path: Path):
    """The central server on a throwaway SQLite file, with one service point, for the kiosk
    CLI and provisioning tests (tests/sync has its own, on SQLite and on PostgreSQL)."""
    from sync.server.db.engine import upgrade
    from tests.sync.helpers import Central  # the server's modules load only where used

    server = Central(f"sqlite:///{tmp_path / 'central.db'}")
    upgrade(server.database_url)
    server.add_service_point()
    yield server.start()
    server.close()


@contextmanager
def xvfb_display(screen: str = "1920x1080x24") -> Iterator[str]:
    """A private Xvfb server (WIDTHxHEIGHTxDEPTH) for as long as the block runs; yields its
    DISPLAY (":N")."""
    if shutil.which("Xvfb") is None:
        pytest.fail("Xvfb is not installed: run `make test`, which installs it (scripts/setup-system.sh)")
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", screen, "-nolisten", "tcp"],
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

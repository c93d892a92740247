"""Real parts for service tests: a migrated SQLite file and a Kerong driver on a pty simulator."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from hardware.devices.locker import KerongLocker
from hardware.sim.kerong import KerongBoardSim, KerongBus
from hardware.sim.pty import PtyHarness
from kiosk.config import Compartment
from kiosk.services.parcels import ParcelService
from kiosk.store import db

COMPARTMENTS = [Compartment(id=f"A{n}", board=0, lock=n, size="M") for n in (1, 2, 3)]
TODAY = date(2026, 12, 1)


@pytest.fixture
def sessions(tmp_path: Path):
    engine = db.create_kiosk_engine(tmp_path / "kiosk.db")
    db.upgrade(engine)
    yield db.session_factory(engine)
    engine.dispose()


@pytest.fixture
def locker_bus():
    bus = KerongBus([KerongBoardSim(0)])
    harness = PtyHarness(bus)
    yield bus, harness
    harness.stop()


@pytest.fixture
def locker(locker_bus):
    driver = KerongLocker(locker_bus[1].port)
    yield driver
    driver.close()


@pytest.fixture
def parcels(sessions, locker) -> ParcelService:
    return ParcelService(sessions=sessions, locker=locker, compartments=COMPARTMENTS, today=lambda: TODAY)

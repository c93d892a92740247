"""The SD card fills up (a small tmpfs here, mounted for the test): a drop-off whose record
cannot be written says so plainly and is flagged for staff at restart and when space
returns, no door opens unrecorded, nothing committed is lost, and the kiosk carries on once
there is space again."""
from __future__ import annotations

import errno
import json
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from hardware.devices.locker import KerongLocker
from hardware.sim.kerong import KerongBoardSim, KerongBus
from hardware.sim.pty import PtyHarness
from kiosk.services.doors import Closed
from kiosk.services.parcels import ParcelService
from kiosk.services.storage import (
    DROP_OFF_NOT_RECORDED,
    STORAGE_FULL,
    StorageFull,
    StorageState,
)
from kiosk.services.upkeep import Reconciled
from kiosk.store import db
from kiosk.store.models import DoorOpening, Parcel, ParcelState
from sync.outbox import OutboxEvent
from tests.kiosk.conftest import COMPARTMENTS, TODAY
from tests.kiosk.parcel_helpers import s10, store_one

KEY = bytes(32)
A1, A2, A3 = COMPARTMENTS


class SmallDisk:
    """A tmpfs of a few MiB, filled to the last byte by one file and emptied again."""

    def __init__(self, root: Path) -> None:
        self.root, self.filler = root, root / "filler"

    def fill(self) -> None:
        chunk = bytes(64 * 1024)
        with open(self.filler, "ab", buffering=0) as file:
            for size in (len(chunk), 4096, 512, 1):
                try:
                    while True:
                        file.write(chunk[:size])
                except OSError as error:
                    assert error.errno == errno.ENOSPC

    def free(self) -> None:
        self.filler.unlink()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    root = tmp_path / "sd"
    root.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (run as root, as CI does)")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(root)], check=False,
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield SmallDisk(root)
    finally:
        subprocess.run(["umount", "-l", str(root)], check=True)


@pytest.fixture
def bus() -> Iterator[tuple[KerongBus, KerongLocker]]:
    board = KerongBus([KerongBoardSim(0)])
    harness = PtyHarness(board)
    locker = KerongLocker(harness.port)
    yield board, locker
    locker.close()
    harness.stop()


def kiosk(sessions, locker) -> ParcelService:
    parcels = ParcelService(sessions=sessions, locker=locker, compartments=COMPARTMENTS, today=lambda: TODAY,
                            code_key=KEY)
    parcels.storage.probe_every_s = 0.05
    return parcels


def test_a_full_disk_flags_the_interrupted_drop_off_loses_nothing_and_recovers(small_disk, bus) -> None:
    board, locker = bus
    engine = db.create_kiosk_engine(small_disk.root / "kiosk.db")
    db.upgrade(engine)
    sessions = db.session_factory(engine)
    parcels = kiosk(sessions, locker)
    first = store_one(parcels, board, s10("10000001"))  # committed before the disk filled
    recovered: list[Reconciled] = []
    space_back = threading.Event()
    parcels.on_reconciled = lambda found: (recovered.append(found), space_back.set())

    opened = parcels.place(parcels.with_phone(parcels.receive(s10("10000002")), "0701234567"))
    assert opened.compartment == A2
    small_disk.fill()
    board.set_item(0, A2.lock, True)
    board.close_door(0, A2.lock)
    with pytest.raises(StorageFull) as refused:
        parcels.complete_drop_off(opened, Closed(A2, True))

    assert refused.value.message == DROP_OFF_NOT_RECORDED and refused.value.params == {"compartment": "A2"}
    assert parcels.storage.state is StorageState.FULL
    with pytest.raises(StorageFull) as no_door:  # an opening that cannot be recorded does not happen
        parcels.doors.open(A3, reason="inspect", actor="staff")
    assert no_door.value.message == STORAGE_FULL
    assert board.boards[0].lock(A3.lock).door_closed and A3.lock not in board.boards[0].unlocks

    restart = kiosk(sessions, locker)  # a restart while the disk is still full
    restarted = restart.upkeep.reconcile()
    assert restarted.unknown_items == ["A2"] and restarted.storage_full
    assert restart.storage.state is StorageState.FULL

    small_disk.free()
    assert space_back.wait(10), "the kiosk never noticed the space coming back"
    assert recovered[0].unknown_items == ["A2"] and not recovered[0].storage_full
    assert parcels.storage.state is StorageState.OK

    third = store_one(parcels, board, s10("10000003"))  # drop-off works again; A2 is not handed out
    assert third.compartment_id == "A3"
    with sessions() as session:
        stored = {p.tracking_id: p.compartment_id for p in session.scalars(
            select(Parcel).where(Parcel.state == ParcelState.STORED))}
        events = [(row.type, json.loads(row.payload)) for row in session.scalars(select(OutboxEvent))]
        outcomes = [row.outcome for row in session.scalars(select(DoorOpening))]
    assert stored == {s10("10000001"): "A1", s10("10000003"): "A3"}
    assert [e for e, _ in events].count("parcel.stored") == 2
    assert [p["compartment"] for e, p in events if e == "door.opened"] == ["A1", "A2", "A3"]
    assert outcomes == ["opened", "opened", "opened"]
    assert [item.compartment for item in parcels.pickup.parcels_for_code(first.pickup_code)] == [A1]
    parcels.storage.stop()
    restart.storage.stop()
    engine.dispose()


def test_an_opening_whose_outcome_was_never_written_is_reported_at_restart(sessions, locker) -> None:
    parcels = ParcelService(sessions=sessions, locker=locker, compartments=COMPARTMENTS, today=lambda: TODAY)
    with sessions.begin() as session:  # recorded, unlocked, then the kiosk stopped
        session.add(DoorOpening(opened_at=TODAY, compartment_id="A1", reason="store", outcome="pending",
                                actor="staff"))

    parcels.upkeep.reconcile()

    with sessions() as session:
        assert session.scalars(select(DoorOpening.outcome)).all() == ["unknown"]
        [payload] = [json.loads(row.payload) for row in session.scalars(select(OutboxEvent))]
    assert payload == {"compartment": "A1", "reason": "store", "outcome": "unknown", "actor": "staff"}


class FillsTheDiskWhileUnlocking:
    """The locker, while some other write fills the disk just as the door is unlocked."""

    def __init__(self, locker: KerongLocker, disk: SmallDisk) -> None:
        self._locker, self._disk = locker, disk

    def open(self, address) -> None:
        self._disk.fill()
        self._locker.open(address)

    def __getattr__(self, name: str):
        return getattr(self._locker, name)


def test_an_outcome_the_full_disk_refused_is_written_when_space_returns(small_disk, bus) -> None:
    board, locker = bus
    engine = db.create_kiosk_engine(small_disk.root / "kiosk.db")
    db.upgrade(engine)
    sessions = db.session_factory(engine)
    parcels = kiosk(sessions, FillsTheDiskWhileUnlocking(locker, small_disk))
    space_back = threading.Event()
    parcels.on_reconciled = lambda _found: space_back.set()

    parcels.doors.open(A1, reason="inspect", actor="staff")  # the door opened: no error for the person

    assert not board.boards[0].lock(A1.lock).door_closed
    assert parcels.storage.state is StorageState.FULL
    small_disk.free()
    assert space_back.wait(10)
    with sessions() as session:
        assert session.scalars(select(DoorOpening.outcome)).all() == ["opened"]
        [payload] = [json.loads(row.payload) for row in session.scalars(select(OutboxEvent))]
    assert payload == {"compartment": "A1", "reason": "inspect", "outcome": "opened", "actor": "staff"}
    parcels.storage.stop()
    engine.dispose()

"""A typed code finds its parcel by its keyed digest and is verified against ONE slow hash,
whatever the size of the locker bank; wrong codes still count toward the keypad's pause; rows
stored before digests existed, or under another key, are still found."""
from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from hardware.devices.locker import KerongLocker
from hardware.sim.kerong import KerongBoardSim, KerongBus
from hardware.sim.pty import PtyHarness
from kiosk.config import Compartment
from kiosk.services.errors import UserFacingError
from kiosk.services.outcomes import LockedOut
from kiosk.services.parcels import Intake, OpenedForDropOff, ParcelService
from kiosk.services.pickup_codes import hashing as codes
from kiosk.services.pickup_codes.index import attach_key
from kiosk.services.pickup_codes.lockout import Lockout
from kiosk.store import db
from kiosk.store.models import Parcel
from tests.kiosk.conftest import TODAY

BANK = [Compartment(id=f"{'ABC'[board]}{lock}", board=board, lock=lock, size="M")
        for board in range(3) for lock in range(1, 17)]  # three boards, 48 compartments
KEY = bytes(range(32))


@pytest.fixture
def bank_locker():
    harness = PtyHarness(KerongBus([KerongBoardSim(board) for board in range(3)]))
    driver = KerongLocker(harness.port)
    yield driver
    driver.close()
    harness.stop()


def service(sessions, locker, key: bytes | None = KEY, lockout: Lockout | None = None) -> ParcelService:
    return ParcelService(sessions=sessions, locker=locker, compartments=BANK, today=lambda: TODAY,
                         code_key=key, lockout=lockout)


def fill_bank(parcels: ParcelService) -> list[str]:
    """A waiting parcel in every compartment (stored as a closed door completes a drop-off)."""
    return [parcels.complete_drop_off(OpenedForDropOff(Intake(f"CP{n:09d}SE", "s10"), compartment)).pickup_code
            for n, compartment in enumerate(BANK)]


@pytest.fixture
def verified(monkeypatch) -> list[int]:
    """Counts every slow-hash verification."""
    calls: list[int] = []
    real = codes.code_matches

    def counting(code: str, salt: bytes, expected: bytes) -> bool:
        calls.append(1)
        return real(code, salt, expected)

    monkeypatch.setattr(codes, "code_matches", counting)
    return calls


def test_a_right_code_among_48_parcels_verifies_exactly_one_hash(sessions, bank_locker, verified) -> None:
    parcels = service(sessions, bank_locker)
    pickup_codes = fill_bank(parcels)
    verified.clear()

    found = parcels.pickup.parcels_for_code(pickup_codes[30])

    assert [item.compartment.id for item in found] == [BANK[30].id]
    assert len(verified) == 1


def test_wrong_codes_verify_no_hash_and_still_pause_the_keypad(sessions, bank_locker, verified) -> None:
    parcels = service(sessions, bank_locker, lockout=Lockout(max_wrong=3))
    pickup_codes = set(fill_bank(parcels))
    wrong = next(code for code in (f"{n:06d}" for n in range(10**6)) if code not in pickup_codes)
    verified.clear()

    for _ in range(2):
        with pytest.raises(UserFacingError, match="Koden stämmer inte"):
            parcels.pickup.parcels_for_code(wrong)
    with pytest.raises(LockedOut):
        parcels.pickup.parcels_for_code(wrong)
    with pytest.raises(LockedOut):  # paused: even a right code waits
        parcels.pickup.parcels_for_code(next(iter(pickup_codes)))
    assert verified == []


def test_parcels_stored_without_a_digest_are_still_found(sessions, bank_locker, verified) -> None:
    old_code = service(sessions, bank_locker, key=None).complete_drop_off(
        OpenedForDropOff(Intake("CP000000001SE", "s10"), BANK[0])).pickup_code  # as before 0005
    parcels = service(sessions, bank_locker)
    new_code = parcels.complete_drop_off(OpenedForDropOff(Intake("CP000000002SE", "s10"), BANK[1])).pickup_code
    verified.clear()

    assert [item.compartment.id for item in parcels.pickup.parcels_for_code(old_code)] == ["A1"]
    assert [item.compartment.id for item in parcels.pickup.parcels_for_code(new_code)] == ["A2"]
    assert len(verified) == 3  # the digest-less row is tried for each code, plus the one found


def test_a_changed_key_drops_the_digests_so_no_parcel_is_lost(sessions, bank_locker) -> None:
    attach_key(sessions, KEY)
    code = service(sessions, bank_locker).complete_drop_off(
        OpenedForDropOff(Intake("CP000000001SE", "s10"), BANK[0])).pickup_code
    other_key = bytes(32)

    assert attach_key(sessions, other_key) == 1
    assert attach_key(sessions, other_key) == 0  # once
    found = service(sessions, bank_locker, key=other_key).pickup.parcels_for_code(code)
    assert [item.compartment.id for item in found] == ["A1"]


def test_the_key_is_made_once_private_and_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "pickup_code_key"
    key = codes.load_or_create_key(path)
    assert len(key) == codes.KEY_BYTES and codes.load_or_create_key(path) == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert list(tmp_path.iterdir()) == [path]  # no draft left behind
    path.write_bytes(b"short")
    with pytest.raises(ValueError, match="32 bytes"):
        codes.load_or_create_key(path)
    assert path.read_bytes() == b"short"


def test_migration_0005_keeps_queued_events_and_old_parcels(tmp_path: Path, bank_locker) -> None:
    engine = db.create_kiosk_engine(tmp_path / "kiosk.db")
    db.upgrade(engine, "0004")
    salt, digest = codes.hash_code("135790")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO outbox (seq, event_id, type, payload, payload_hash, wall_ms, clock_synced, boot_id,"
            " mono_ms, state, attempts, created_at) VALUES (1, 'e-1', 'parcel.stored', '{}', 'h', 1, 1, 'b', 2,"
            " 'pending', 0, '2026-12-01 10:00:00.000000')"))
        connection.execute(text(
            "INSERT INTO parcels (id, tracking_id, barcode_kind, compartment_id, state, code_salt, code_hash,"
            " stored_at, size_class) VALUES ('old', 'CP1SE', 's10', 'A1', 'stored', :salt, :hash,"
            " '2026-12-01 10:00:00.000000', 'M')"), {"salt": salt, "hash": digest})

    db.upgrade(engine)

    with engine.connect() as connection:
        assert connection.execute(text("SELECT event_id, state FROM outbox")).all() == [("e-1", "pending")]
        indexes = connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'index' "
                                          "AND tbl_name = 'parcels'")).scalars().all()
    assert "ix_parcels_code_digest" in indexes
    sessions = db.session_factory(engine)
    with sessions() as session:
        assert session.get_one(Parcel, "old").code_digest is None
    found = service(sessions, bank_locker).pickup.parcels_for_code("135790")
    assert [item.parcel_id for item in found] == ["old"]
    engine.dispose()

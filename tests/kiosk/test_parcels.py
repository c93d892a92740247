"""Parcel drop-off and pickup against a migrated SQLite file and a simulated locker on a pty."""
from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import func, select

from hardware.protocols.barcode import s10_check_digit
from kiosk.services.errors import UserFacingError
from kiosk.store.models import Parcel, PickupAttempt
from sync.outbox import OutboxEvent


def s10(serial: str) -> str:
    return f"CP{serial}{s10_check_digit(serial)}SE"


def store_one(parcels, bus, tracking: str):
    opened = parcels.open_for_drop_off(tracking)
    bus.close_door(0, opened.compartment.lock)
    assert parcels.wait_until_closed([opened.compartment], stop=threading.Event())
    return parcels.complete_drop_off(opened)


def outbox(sessions) -> list[tuple[str, dict]]:
    with sessions() as session:
        rows = session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq)).all()
        return [(row.type, json.loads(row.payload)) for row in rows]


def test_drop_off_opens_a_free_door_and_stores_parcel_with_its_event(parcels, locker_bus, sessions) -> None:
    bus, _ = locker_bus
    opened = parcels.open_for_drop_off(s10("47312482"))
    assert opened.compartment.id == "A1"
    assert not bus.board(0).lock(1).door_closed  # the real unlock frame reached the board
    assert outbox(sessions) == []  # nothing is stored before the door is closed
    bus.close_door(0, 1)
    stored = parcels.complete_drop_off(opened)
    assert len(stored.pickup_code) == 6 and stored.pickup_code.isdigit()
    [(kind, payload)] = outbox(sessions)
    assert kind == "parcel.stored" and payload["parcel_id"] == stored.parcel_id
    with sessions() as session:
        parcel = session.get(Parcel, stored.parcel_id)
        assert stored.pickup_code.encode() not in parcel.code_hash  # only the salted hash is kept


def test_next_parcel_gets_the_next_free_compartment(parcels, locker_bus) -> None:
    first = store_one(parcels, locker_bus[0], s10("47312482"))
    second = store_one(parcels, locker_bus[0], s10("12345678"))
    assert (first.compartment_id, second.compartment_id) == ("A1", "A2")
    assert first.pickup_code != second.pickup_code


@pytest.mark.parametrize("scanned,reason", [
    ("HELLO-123", "känns inte igen"),
    ("CP123456786SE", "kontrollsiffra"),
])
def test_bad_barcodes_are_refused_and_open_nothing(parcels, locker_bus, scanned: str, reason: str) -> None:
    with pytest.raises(UserFacingError, match=reason):
        parcels.open_for_drop_off(scanned)
    assert list(locker_bus[0].board(0).unlocks) == []


def test_a_parcel_already_in_a_locker_is_refused(parcels, locker_bus) -> None:
    store_one(parcels, locker_bus[0], s10("47312482"))
    with pytest.raises(UserFacingError, match="redan"):
        parcels.open_for_drop_off(s10("47312482"))


def test_when_every_compartment_is_full_staff_is_told(parcels, locker_bus) -> None:
    for serial in ("11111111", "22222222", "33333333"):
        store_one(parcels, locker_bus[0], s10(serial))
    with pytest.raises(UserFacingError, match="upptagna"):
        parcels.open_for_drop_off(s10("44444444"))


def test_pickup_with_the_right_code_opens_the_door_and_completes_once(parcels, locker_bus, sessions) -> None:
    bus = locker_bus[0]
    stored = store_one(parcels, bus, s10("47312482"))
    found = parcels.parcels_for_code(stored.pickup_code)
    assert [p.compartment.id for p in found] == [stored.compartment_id]
    parcels.open_for_pickup(found)
    assert not bus.board(0).lock(1).door_closed
    bus.close_door(0, 1)
    parcels.complete_pickup(found)
    parcels.complete_pickup(found)  # a repeated completion must not send a second event
    assert [kind for kind, _ in outbox(sessions)] == ["parcel.stored", "parcel.picked_up"]
    with pytest.raises(UserFacingError):
        parcels.parcels_for_code(stored.pickup_code)  # a picked-up parcel's code opens nothing


def test_a_wrong_code_opens_nothing_and_is_audited(parcels, locker_bus, sessions) -> None:
    bus = locker_bus[0]
    stored = store_one(parcels, bus, s10("47312482"))
    unlocks_before = list(bus.board(0).unlocks)
    wrong = f"{(int(stored.pickup_code) + 1) % 10**6:06d}"
    with pytest.raises(UserFacingError, match="stämmer inte"):
        parcels.parcels_for_code(wrong)
    assert list(bus.board(0).unlocks) == unlocks_before
    with sessions() as session:
        attempts = session.scalars(select(PickupAttempt)).all()
        assert [a.success for a in attempts] == [False]


def test_waiting_for_a_door_can_be_abandoned(parcels, locker_bus) -> None:
    opened = parcels.open_for_drop_off(s10("47312482"))
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    assert parcels.wait_until_closed([opened.compartment], stop=stop) is False


def test_a_failing_locker_gives_a_clear_message_and_stores_nothing(parcels, locker_bus, sessions) -> None:
    locker_bus[1].no_reply = True
    with pytest.raises(UserFacingError, match="gick inte att öppna"):
        parcels.open_for_drop_off(s10("47312482"))
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Parcel)) == 0

"""Resident pickup by code and QR, lockout, counter hand-over and returns, on real SQLite and
the Kerong simulator on a pty."""
from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from kiosk.services.doors import DoorFault
from kiosk.services.errors import UserFacingError
from kiosk.services.parcel_base import local_today
from kiosk.services.parcels import ParcelService
from kiosk.services.pickup import LockedOut
from kiosk.services.pickup_codes.lockout import Lockout
from kiosk.services.staff import StaffMember
from kiosk.store.models import DoorOpening, Parcel, ParcelState, PickupAttempt
from sync.protocol import payload_problem
from tests.kiosk.conftest import COMPARTMENTS, TODAY
from tests.kiosk.parcel_helpers import event_types, outbox, s10, store_one

ANNA = StaffMember("Anna", "7")


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def pick_up(parcels, bus, code: str, *, take: bool = True, via: str = "code"):
    desk = parcels.pickup
    found = desk.parcels_for_qr(f"SPKT1:{code}") if via == "qr" else desk.parcels_for_code(code)
    opening = desk.open_for_pickup(found, via=via)
    for item in opening.opened:
        assert not bus.board(0).lock(item.compartment.lock).door_closed
        if take:
            bus.set_item(0, item.compartment.lock, False)
        bus.close_door(0, item.compartment.lock)
    closed = parcels.wait_until_closed([i.compartment for i in opening.opened], stop=threading.Event())
    return desk.complete_pickup(opening.opened, closed, via=via)


def test_pickup_by_code_opens_the_door_and_completes_once(parcels, locker_bus, sessions) -> None:
    stored = store_one(parcels, locker_bus[0], s10("47312482"))
    result = pick_up(parcels, locker_bus[0], stored.pickup_code)
    assert [p.compartment.id for p in result.picked_up] == ["A1"] and result.left_behind == []
    parcels.pickup.complete_pickup(result.picked_up)  # completing twice sends nothing more
    kinds = event_types(sessions)
    assert kinds.count("parcel.picked_up") == 1
    kind, payload = [e for e in outbox(sessions) if e[0] == "parcel.picked_up"][0]
    assert payload == {"parcel_id": stored.parcel_id, "compartment": "A1", "via": "code"}
    with pytest.raises(UserFacingError):
        parcels.pickup.parcels_for_code(stored.pickup_code)  # a picked-up parcel's code opens nothing


def test_pickup_by_qr_is_recorded_as_qr(parcels, locker_bus, sessions) -> None:
    stored = store_one(parcels, locker_bus[0], s10("47312482"))
    pick_up(parcels, locker_bus[0], stored.pickup_code, via="qr")
    [payload] = [p for kind, p in outbox(sessions) if kind == "parcel.picked_up"]
    assert payload["via"] == "qr" and payload_problem("parcel.picked_up", payload) is None
    with pytest.raises(UserFacingError, match="QR-koden känns inte igen"):
        parcels.pickup.parcels_for_qr("https://example.org/123456")


def test_several_parcels_for_one_code_open_together(parcels, locker_bus, sessions) -> None:
    first = store_one(parcels, locker_bus[0], s10("47312482"))
    second = store_one(parcels, locker_bus[0], s10("12345678"))
    with sessions.begin() as session:  # one recipient, one code: as the server would send it
        a, b = session.get(Parcel, first.parcel_id), session.get(Parcel, second.parcel_id)
        b.code_salt, b.code_hash = a.code_salt, a.code_hash
    result = pick_up(parcels, locker_bus[0], first.pickup_code)
    assert sorted(p.compartment.id for p in result.picked_up) == ["A1", "A2"]


def test_a_parcel_left_inside_stays_stored(parcels, locker_bus, sessions) -> None:
    stored = store_one(parcels, locker_bus[0], s10("47312482"))
    result = pick_up(parcels, locker_bus[0], stored.pickup_code, take=False)
    assert result.picked_up == [] and [p.parcel_id for p in result.left_behind] == [stored.parcel_id]
    assert "parcel.picked_up" not in event_types(sessions)
    with sessions() as session:
        parcel = session.get(Parcel, stored.parcel_id)
        assert parcel.state == ParcelState.STORED and parcel.door_pending is None
    assert pick_up(parcels, locker_bus[0], stored.pickup_code).picked_up  # the code still works


def test_a_wrong_code_opens_nothing_and_is_audited(parcels, locker_bus, sessions) -> None:
    stored = store_one(parcels, locker_bus[0], s10("47312482"))
    unlocks = list(locker_bus[0].board(0).unlocks)
    with pytest.raises(UserFacingError, match="stämmer inte"):
        parcels.pickup.parcels_for_code(wrong(stored.pickup_code))
    assert list(locker_bus[0].board(0).unlocks) == unlocks
    with sessions() as session:
        assert [a.success for a in session.scalars(select(PickupAttempt))] == [False]


def test_five_wrong_codes_in_ten_minutes_pause_entry_with_one_event(sessions, locker, locker_bus) -> None:
    now = [1000.0]
    parcels = ParcelService(sessions=sessions, locker=locker, compartments=COMPARTMENTS, today=lambda: TODAY,
                            lockout=Lockout(clock=lambda: now[0]))
    stored = store_one(parcels, locker_bus[0], s10("47312482"))
    for _ in range(4):
        with pytest.raises(UserFacingError, match="stämmer inte"):
            parcels.pickup.parcels_for_code(wrong(stored.pickup_code))
        now[0] += 60
    with pytest.raises(LockedOut) as paused:
        parcels.pickup.parcels_for_code(wrong(stored.pickup_code))
    assert paused.value.seconds == 300 and "5 minuter" in str(paused.value)
    with pytest.raises(LockedOut):
        parcels.pickup.parcels_for_code(stored.pickup_code)  # even the right code waits
    assert event_types(sessions).count("pickup.locked_out") == 1
    [(_, payload)] = [e for e in outbox(sessions) if e[0] == "pickup.locked_out"]
    assert payload == {"wrong_attempts": 5, "paused_for_s": 300}
    now[0] += 301
    assert parcels.pickup.parcels_for_code(stored.pickup_code)  # the pause is over


def test_wrong_codes_spread_over_more_than_ten_minutes_do_not_pause(sessions, locker, locker_bus) -> None:
    now = [0.0]
    parcels = ParcelService(sessions=sessions, locker=locker, compartments=COMPARTMENTS, today=lambda: TODAY,
                            lockout=Lockout(clock=lambda: now[0]))
    for _ in range(8):
        with pytest.raises(UserFacingError, match="stämmer inte"):
            parcels.pickup.parcels_for_code("000000")
        now[0] += 200
    assert "pickup.locked_out" not in event_types(sessions)


def test_a_door_that_does_not_open_leaves_the_parcel_stored(parcels, locker_bus, sessions) -> None:
    stored = store_one(parcels, locker_bus[0], s10("47312482"))
    locker_bus[0].board(0).jammed.add(1)
    found = parcels.pickup.parcels_for_code(stored.pickup_code)
    with pytest.raises(DoorFault, match="Inget har ändrats"):
        parcels.pickup.open_for_pickup(found)
    with sessions() as session:
        parcel = session.get(Parcel, stored.parcel_id)
        assert parcel.state == ParcelState.STORED and parcel.door_pending is None
        outcomes = [(d.reason, d.outcome) for d in session.scalars(select(DoorOpening))]
    assert outcomes == [("store", "opened"), ("pickup", "failed")]
    assert "parcel.picked_up" not in event_types(sessions)


def test_counter_hands_over_a_held_parcel_by_qr_or_code(sessions, locker, locker_bus) -> None:
    one = [COMPARTMENTS[0]]
    parcels = ParcelService(sessions=sessions, locker=locker, compartments=one, today=lambda: TODAY)
    store_one(parcels, locker_bus[0], s10("47312482"))
    held = store_one(parcels, locker_bus[0], s10("12345678"))
    assert held.held_at_counter
    with pytest.raises(UserFacingError, match="disken"):
        parcels.pickup.held_for_code(wrong(held.pickup_code))
    found, via = parcels.pickup.held_for_code(f"SPKT1:{held.pickup_code}")
    assert via == "qr" and [p.tracking_id for p in found] == [s10("12345678")]
    assert parcels.pickup.hand_over(found, ANNA) == 1
    assert parcels.pickup.hand_over(found, ANNA) == 0
    [payload] = [p for kind, p in outbox(sessions) if kind == "parcel.picked_up"]
    assert payload == {"parcel_id": held.parcel_id, "via": "counter"}


def test_overdue_parcels_are_listed_opened_and_returned_after_the_right_scan(sessions, locker, locker_bus):
    day = [TODAY]
    parcels = ParcelService(sessions=sessions, locker=locker, compartments=COMPARTMENTS, today=lambda: day[0])
    stored = store_one(parcels, locker_bus[0], s10("47312482"))
    assert parcels.returns.overdue() == []
    day[0] = date(2026, 12, 9)  # the day after the last pickup day
    [overdue] = parcels.returns.overdue()
    assert overdue.compartment_id == "A1" and overdue.last_day == date(2026, 12, 8)
    parcels.returns.open_for_return(overdue.parcel_id, ANNA)
    assert not locker_bus[0].board(0).lock(1).door_closed
    with pytest.raises(UserFacingError, match="inte paketet"):
        parcels.returns.confirm_return(overdue.parcel_id, s10("12345678"), ANNA)
    parcels.returns.confirm_return(overdue.parcel_id, s10("47312482"), ANNA)
    [payload] = [p for kind, p in outbox(sessions) if kind == "parcel.returned"]
    assert payload == {"parcel_id": stored.parcel_id, "compartment": "A1", "staff_id": "7"}
    assert parcels.returns.overdue() == []
    with pytest.raises(UserFacingError):
        parcels.returns.confirm_return(overdue.parcel_id, s10("47312482"), ANNA)  # once only


def test_a_kiosk_ntp_never_synchronised_still_lists_its_overdue_parcels(sessions, locker, locker_bus):
    """Offline, NTP never answers: no deadline is written, but a parcel stored 8 days ago by
    the kiosk's own clock is overdue by that same clock."""
    parcels = ParcelService(sessions=sessions, locker=locker, compartments=COMPARTMENTS,
                            today=lambda: local_today(synced=lambda: False))
    stored = store_one(parcels, locker_bus[0], s10("47312482"))
    with sessions.begin() as session:
        session.get_one(Parcel, stored.parcel_id).stored_at -= timedelta(days=8)

    assert stored.deadline is None
    assert [overdue.parcel_id for overdue in parcels.returns.overdue()] == [stored.parcel_id]

"""Pre-advice applied from pulled pages, restart reconciliation from the boards' sensors,
code redaction and the personal-data purge after the server acknowledged."""
from __future__ import annotations

import json
import threading
import time

import pytest
from sqlalchemy import select

from kiosk.services.errors import UserFacingError
from kiosk.services.parcels import ParcelService
from kiosk.services.phone import normalise_phone
from kiosk.services.upkeep import apply_parcel_changes
from kiosk.store.models import Parcel, ParcelState, PreAdvice
from sync.outbox import OutboxEvent
from sync.protocol import Change
from tests.kiosk.conftest import COMPARTMENTS, TODAY
from tests.kiosk.parcel_helpers import acknowledge_all, event_types, outbox, s10, store_one

ADVICE = {"tracking_id": s10("47312482"), "carrier": "PostNord", "size_class": "S", "deadline_days": 5,
          "recipient": {"name": "Aino", "phone": "+46701112233", "language": "fi"}}


def change(version: int, op: str = "upsert", **data) -> Change:
    return Change(entity="pre_advice", entity_id=s10("47312482"), version=version, op=op,
                  data={**ADVICE, **data} if op == "upsert" else None)


def test_pulled_pre_advice_is_upserted_by_version_and_deleted(sessions) -> None:
    with sessions.begin() as session:
        apply_parcel_changes(session, [change(2, deadline_days=9), change(1)])  # an old version loses
    with sessions() as session:
        row = session.get(PreAdvice, s10("47312482"))
        assert (row.carrier, row.size_class, row.deadline_days, row.recipient_language) == ("PostNord", "S", 9, "fi")
    with sessions.begin() as session:
        apply_parcel_changes(session, [change(3, op="delete")])
        apply_parcel_changes(session, [change(3, op="delete")])  # re-delivery is a no-op
    with sessions() as session:
        assert session.get(PreAdvice, s10("47312482")) is None


def test_a_bad_pre_advice_row_fails_the_page_rather_than_half_apply(sessions) -> None:
    with pytest.raises(ValueError), sessions.begin() as session:
        apply_parcel_changes(session, [change(1, size_class="XL")])
    with sessions() as session:
        assert session.scalars(select(PreAdvice)).all() == []


def restart(sessions, locker) -> ParcelService:
    return ParcelService(sessions=sessions, locker=locker, compartments=COMPARTMENTS, today=lambda: TODAY)


@pytest.mark.parametrize("taken,expected_state", [(True, ParcelState.PICKED_UP), (False, ParcelState.STORED)])
def test_a_restart_mid_pickup_settles_from_the_item_sensor(parcels, locker, locker_bus, sessions,
                                                           taken, expected_state) -> None:
    bus = locker_bus[0]
    stored = store_one(parcels, bus, s10("47312482"))
    found = parcels.pickup.parcels_for_qr(f"SPKT1:{stored.pickup_code}")
    parcels.pickup.open_for_pickup(found, via="qr")
    # ...the kiosk dies here; meanwhile the resident takes the parcel (or not) and closes the door.
    bus.set_item(0, 1, not taken)
    bus.close_door(0, 1)
    report = restart(sessions, locker).upkeep.reconcile()
    with sessions() as session:
        parcel = session.get(Parcel, stored.parcel_id)
        assert parcel.state == expected_state and parcel.door_pending is None
    assert event_types(sessions).count("parcel.picked_up") == int(taken)
    assert (report.picked_up if taken else report.still_inside) == [stored.parcel_id]
    if taken:
        [payload] = [p for kind, p in outbox(sessions) if kind == "parcel.picked_up"]
        assert payload["via"] == "qr"
    assert restart(sessions, locker).upkeep.reconcile().picked_up == []  # settled once


def test_a_door_still_open_at_restart_is_reported(parcels, locker, locker_bus) -> None:
    stored = store_one(parcels, locker_bus[0], s10("47312482"))
    parcels.pickup.open_for_pickup(parcels.pickup.parcels_for_code(stored.pickup_code))
    report = restart(parcels._sessions, locker).upkeep.reconcile()
    assert report.open_doors == ["A1"] and report.still_inside == [stored.parcel_id]


def test_code_and_recipient_are_purged_only_after_the_server_acknowledged(parcels, locker_bus, sessions) -> None:
    bus = locker_bus[0]
    stored = store_one(parcels, bus, s10("47312482"), phone="0701234567")
    found = parcels.pickup.parcels_for_code(stored.pickup_code)
    parcels.pickup.open_for_pickup(found)
    bus.set_item(0, 1, False)
    bus.close_door(0, 1)
    parcels.pickup.complete_pickup(found)
    with sessions.begin() as session:
        apply_parcel_changes(session, [])  # a round whose push failed: nothing acknowledged
    with sessions() as session:
        assert session.get(Parcel, stored.parcel_id).recipient_phone == "+46701234567"
        assert stored.pickup_code in json.dumps([r.payload for r in session.scalars(select(OutboxEvent))])
    acknowledge_all(sessions)
    with sessions.begin() as session:
        apply_parcel_changes(session, [])
    with sessions() as session:
        parcel = session.get(Parcel, stored.parcel_id)
        assert (parcel.recipient_phone, parcel.recipient_name, parcel.recipient_email) == (None, None, None)
        rows = session.scalars(select(OutboxEvent).where(OutboxEvent.type == "parcel.stored")).all()
        assert stored.pickup_code not in rows[0].payload and "pickup_code" not in json.loads(rows[0].payload)


def test_a_waiting_parcel_keeps_its_recipient_after_acknowledgement(parcels, locker_bus, sessions) -> None:
    stored = store_one(parcels, locker_bus[0], s10("47312482"))
    acknowledge_all(sessions)
    with sessions.begin() as session:
        apply_parcel_changes(session, [])
    with sessions() as session:
        assert session.get(Parcel, stored.parcel_id).recipient_phone == "+46701234567"


@pytest.mark.parametrize("typed,expected", [
    ("0701234567", "+46701234567"), ("070-123 45 67", "+46701234567"), ("0046701234567", "+46701234567"),
    ("0739 876 543", "+46739876543"), ("00358401234567", "+358401234567"),
])
def test_phone_numbers_are_normalised_to_e164(typed: str, expected: str) -> None:
    assert normalise_phone(typed) == expected


@pytest.mark.parametrize("typed", ["", "0701", "12345", "0041"])
def test_impossible_phone_numbers_are_refused(typed: str) -> None:
    with pytest.raises(UserFacingError, match="inte stämma"):
        normalise_phone(typed)


# 01234567 is what a clerk typed who took the placeholder "07_" for digits already typed:
# it was saved as +461234567. Landlines (08…, 0046 8…), 071/074/075/077/078 and a mobile
# with a digit too many or too few cannot receive the pickup SMS.
@pytest.mark.parametrize("typed", ["01234567", "0812345678", "0046 8 123 456 78", "0711234567", "0741234567",
                                   "0771234567", "07012345678", "070123456", "0801234567890"])
def test_swedish_numbers_that_cannot_be_mobiles_are_refused(typed: str) -> None:
    with pytest.raises(UserFacingError, match="inget mobilnummer") as refused:
        normalise_phone(typed)
    assert dict(refused.value.params)["number"] == typed


def left_open_events(sessions) -> list[dict]:
    return [payload for kind, payload in outbox(sessions) if kind == "door.left_open"]


def stored_and_opened(parcels, bus):
    """A parcel stored in A1 (COMPARTMENTS[0]), its door then opened for the pickup."""
    stored = store_one(parcels, bus, s10("47312482"))
    parcels.pickup.open_for_pickup(parcels.pickup.parcels_for_code(stored.pickup_code))
    return stored


def watch_in_background(service, compartment_ids):
    """The app's worker: watches the doors reconcile found open, each closing handed over."""
    closed, result, stop = [], [], threading.Event()
    thread = threading.Thread(target=lambda: result.append(
        service.watch_found_open(compartment_ids, stop=stop, on_closed=closed.append)))
    thread.start()
    return thread, closed, result, stop


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.02)


def test_a_door_found_open_at_restart_is_reported_once_and_watched_until_closed(
        parcels, locker, locker_bus, sessions) -> None:
    bus = locker_bus[0]
    stored = stored_and_opened(parcels, bus)
    restarted = restart(sessions, locker)
    report = restarted.upkeep.reconcile()
    assert report.open_doors == ["A1"] and left_open_events(sessions) == []  # reconcile itself reports nothing
    thread, closed, result, stop = watch_in_background(restarted, report.open_doors)
    try:
        wait_for(lambda: left_open_events(sessions), "door.left_open for the door found open")
        time.sleep(0.5)  # more polls of the still open door: none may report it again
        assert thread.is_alive() and closed == []
        bus.close_door(0, 1)
        thread.join(10)
        assert not thread.is_alive() and closed == ["A1"] and result == [["A1"]]
    finally:
        stop.set()
        thread.join(10)
    [payload] = left_open_events(sessions)
    assert payload["compartment"] == "A1" and payload["open_for_s"] >= 0
    with sessions() as session:  # settled when the door closed, not at the next start
        parcel = session.get(Parcel, stored.parcel_id)
        assert (parcel.state, parcel.door_pending) == ("stored", None)


def test_a_parcel_taken_while_its_door_stood_open_is_picked_up_when_the_door_closes(
        parcels, locker, locker_bus, sessions) -> None:
    bus = locker_bus[0]
    stored = stored_and_opened(parcels, bus)
    restarted = restart(sessions, locker)
    thread, closed, _result, stop = watch_in_background(restarted, restarted.upkeep.reconcile().open_doors)
    try:
        bus.set_item(0, 1, False)
        bus.close_door(0, 1)
        thread.join(10)
    finally:
        stop.set()
        thread.join(10)
    assert closed == ["A1"]
    with sessions() as session:
        assert session.get(Parcel, stored.parcel_id).state == "picked_up"
    assert [kind for kind, _ in outbox(sessions)].count("parcel.picked_up") == 1


def test_a_door_the_stopped_run_already_reported_is_not_reported_again(parcels, locker, locker_bus, sessions) -> None:
    stored = stored_and_opened(parcels, locker_bus[0])
    parcels.doors.report_left_open(COMPARTMENTS[0], 60)  # past the grace time, then the kiosk died
    restarted = restart(sessions, locker)
    thread, closed, result, stop = watch_in_background(restarted, restarted.upkeep.reconcile().open_doors)
    locker_bus[0].close_door(0, 1)
    thread.join(10)
    stop.set()
    assert closed == ["A1"] and len(left_open_events(sessions)) == 1
    # A new opening of the same door left open is a new report.
    parcels.pickup.open_for_pickup(parcels.pickup.parcels_for_code(stored.pickup_code))
    parcels.doors.report_left_open(COMPARTMENTS[0], 60)
    assert len(left_open_events(sessions)) == 2

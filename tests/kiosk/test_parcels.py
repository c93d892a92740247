"""Staff drop-off against a migrated SQLite file and a simulated Kerong locker on a pty."""
from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from kiosk.config import Compartment
from kiosk.services.doors import DoorFault
from kiosk.services.errors import UserFacingError
from kiosk.services.parcels import ParcelService, StoredParcel
from kiosk.store.models import DoorOpening, Parcel, ParcelState
from sync.protocol import payload_problem
from tests.kiosk.conftest import TODAY
from tests.kiosk.parcel_helpers import add_pre_advice, outbox, s10, store_one

SIZED = [Compartment(id="L1", board=0, lock=1, size="L"), Compartment(id="S2", board=0, lock=2, size="S"),
         Compartment(id="M3", board=0, lock=3, size="M")]


@pytest.fixture
def sized(sessions, locker) -> ParcelService:
    return ParcelService(sessions=sessions, locker=locker, compartments=SIZED, today=lambda: TODAY)


def test_pre_advised_parcel_is_stored_with_code_deadline_and_recipient_in_one_event(parcels, locker_bus, sessions):
    bus, _ = locker_bus
    add_pre_advice(sessions, s10("47312482"), days=10)
    intake = parcels.receive(s10("47312482"))
    assert not intake.needs_phone and intake.carrier == "PostNord"
    opened = parcels.place(intake)
    assert opened.compartment.id == "A1" and not bus.board(0).lock(1).door_closed
    assert [kind for kind, _ in outbox(sessions)] == ["door.opened"]  # nothing stored before the door closes
    bus.set_item(0, 1, True)
    bus.close_door(0, 1)
    [closed] = parcels.wait_until_closed([opened.compartment], stop=threading.Event())
    stored = parcels.complete_drop_off(opened, closed)
    assert len(stored.pickup_code) >= 6 and stored.pickup_code.isdigit()
    (_, door), (kind, payload) = outbox(sessions)
    assert door == {"compartment": "A1", "reason": "store", "outcome": "opened", "actor": "staff"}
    assert kind == "parcel.stored" and payload_problem(kind, payload) is None
    assert payload["pickup_code"] == stored.pickup_code and payload["deadline"] == "2026-12-11"
    assert payload["recipient"] == {"name": "Aino Niemi", "phone": "+46701112233", "language": "fi"}
    with sessions() as session:
        parcel = session.get(Parcel, stored.parcel_id)
        assert stored.pickup_code.encode() not in parcel.code_hash + parcel.code_salt  # only the salted hash


def test_without_pre_advice_staff_types_a_phone_which_is_normalised(parcels, locker_bus, sessions):
    intake = parcels.receive(s10("12345678"))
    assert intake.needs_phone
    with pytest.raises(UserFacingError, match="verkar inte stämma"):
        parcels.with_phone(intake, "0701")
    stored = store_one(parcels, locker_bus[0], s10("12345678"), phone="070-123 45 67")
    [(_, payload)] = [e for e in outbox(sessions) if e[0] == "parcel.stored"]
    assert payload["recipient"] == {"phone": "+46701234567", "language": "sv"}
    assert "carrier" not in payload and stored.deadline == "2026-12-08"


def test_smallest_free_compartment_that_fits_is_chosen(sized, locker_bus, sessions):
    bus = locker_bus[0]
    add_pre_advice(sessions, s10("11111111"), size="S")
    add_pre_advice(sessions, s10("22222222"), size="S")
    add_pre_advice(sessions, s10("33333333"), size="M")
    firsts = [store_one(sized, bus, s10(n)).compartment_id for n in ("11111111", "22222222", "33333333")]
    assert firsts == ["S2", "M3", "L1"]  # S first, then the next size up


def test_a_compartment_whose_sensor_sees_an_item_is_not_used(parcels, locker_bus):
    locker_bus[0].set_item(0, 1, True)  # e.g. left behind by a drop-off a restart interrupted
    assert store_one(parcels, locker_bus[0], s10("47312482")).compartment_id == "A2"


def test_no_free_compartment_holds_the_parcel_at_the_counter(sized, locker_bus, sessions):
    add_pre_advice(sessions, s10("44444444"), size="L")
    store_one(sized, locker_bus[0], s10("44444444"))
    add_pre_advice(sessions, s10("55555555"), size="L")
    unlocks = len(locker_bus[0].board(0).unlocks)
    held = store_one(sized, locker_bus[0], s10("55555555"))
    assert isinstance(held, StoredParcel) and held.held_at_counter and len(held.pickup_code) >= 6
    assert len(locker_bus[0].board(0).unlocks) == unlocks  # no door opened
    kind, payload = outbox(sessions)[-1]
    assert kind == "parcel.stored" and payload["compartment"] is None and payload_problem(kind, payload) is None
    with sessions() as session:
        assert session.get(Parcel, held.parcel_id).state == ParcelState.HELD


def test_door_closed_on_an_empty_compartment_stores_nothing(parcels, locker_bus, sessions):
    with pytest.raises(UserFacingError, match="verkar tomt"):
        store_one(parcels, locker_bus[0], s10("47312482"), item=False)
    assert "parcel.stored" not in [kind for kind, _ in outbox(sessions)]


@pytest.mark.parametrize("scanned,reason", [
    ("HELLO-123", "känns inte igen"),
    ("CP123456786SE", "kontrollsiffra"),
    ("373500000000000001", "kontrollsiffra"),  # an SSCC with a wrong check digit
])
def test_bad_barcodes_are_refused_and_open_nothing(parcels, locker_bus, scanned: str, reason: str) -> None:
    with pytest.raises(UserFacingError, match=reason):
        parcels.receive(scanned)
    assert list(locker_bus[0].board(0).unlocks) == []


def test_a_parcel_already_here_is_refused(parcels, locker_bus) -> None:
    store_one(parcels, locker_bus[0], s10("47312482"))
    with pytest.raises(UserFacingError, match="redan"):
        parcels.receive(s10("47312482"))


def test_codes_differ_between_parcels(parcels, locker_bus) -> None:
    first = store_one(parcels, locker_bus[0], s10("47312482"))
    second = store_one(parcels, locker_bus[0], s10("12345678"))
    assert (first.compartment_id, second.compartment_id) == ("A1", "A2")
    assert first.pickup_code != second.pickup_code


def test_a_jammed_door_leaves_nothing_stored_and_is_audited_as_failed(parcels, locker_bus, sessions) -> None:
    locker_bus[0].board(0).jammed.add(1)
    with pytest.raises(DoorFault, match="gick inte att öppna") as fault:
        parcels.place(parcels.with_phone(parcels.receive(s10("47312482")), "0701234567"))
    assert fault.value.outcome == "failed"
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Parcel)) == 0
        [audit] = session.scalars(select(DoorOpening)).all()
        assert (audit.compartment_id, audit.reason, audit.outcome) == ("A1", "store", "failed")
    [(kind, payload)] = outbox(sessions)
    assert kind == "door.opened" and payload["outcome"] == "failed"


def test_a_board_that_stops_answering_gives_a_clear_message(parcels, locker_bus, sessions) -> None:
    intake = parcels.with_phone(parcels.receive(s10("47312482")), "0701234567")
    locker_bus[1].no_reply = True
    with pytest.raises(DoorFault) as fault:
        parcels.place(intake)
    assert fault.value.outcome in ("failed", "unknown")
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Parcel)) == 0


def test_a_door_left_open_is_reported_once_then_closing_ends_the_wait(sessions, locker, locker_bus):
    service = ParcelService(sessions=sessions, locker=locker, compartments=SIZED, left_open_after_s=0.3,
                            today=lambda: date(2026, 12, 1))
    placed = service.place(service.with_phone(service.receive(s10("47312482")), "0701234567"))
    alarms = []
    threading.Timer(1.0, lambda: locker_bus[0].close_door(0, placed.compartment.lock)).start()
    closed = service.wait_until_closed([placed.compartment], stop=threading.Event(),
                                       on_left_open=lambda c, s: alarms.append(c.id))
    assert closed is not None and alarms == [placed.compartment.id]
    [payload] = [p for kind, p in outbox(sessions) if kind == "door.left_open"]
    assert payload["compartment"] == placed.compartment.id and payload["open_for_s"] >= 0


def test_waiting_for_a_door_can_be_abandoned(parcels, locker_bus) -> None:
    placed = parcels.place(parcels.with_phone(parcels.receive(s10("47312482")), "0701234567"))
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    assert parcels.wait_until_closed([placed.compartment], stop=stop) is None

"""Screen logic without a window: presenters over the real parcel service and a pty locker.

The runner queues work instead of using threads, so each test decides when "the worker" runs
and can act as the person at the locker in between.
"""
from __future__ import annotations

import pytest

from hardware.protocols.barcode import s10_check_digit
from kiosk.services.staff import StaffDirectory
from kiosk.ui.presenters.base import run_inline
from kiosk.ui.presenters.home import HomePresenter, Tile
from kiosk.ui.presenters.pickup import CHECKING, DONE, DOOR_OPEN, ENTRY, PickupPresenter
from kiosk.ui.presenters.session import ATTRACT, HOME, PICKUP, STAFF, SessionPresenter
from kiosk.ui.presenters.staff import SCAN, STORED, StaffPresenter

PARCEL = f"CP47312482{s10_check_digit('47312482')}SE"


class QueuedRunner:
    def __init__(self) -> None:
        self.queue = []

    def __call__(self, fn, on_done, on_error) -> None:
        self.queue.append((fn, on_done, on_error))

    def step(self) -> None:
        fn, on_done, on_error = self.queue.pop(0)
        run_inline(fn, on_done, on_error)

    def drain(self) -> None:
        while self.queue:
            self.step()


@pytest.fixture
def runner() -> QueuedRunner:
    return QueuedRunner()


def scan_and_open(staff, runner, parcel: str = PARCEL) -> None:
    """Staff scans a parcel without pre-advice, types the phone, and the door opens."""
    staff.scanned(parcel)
    runner.step()  # looks for a pre-advice: none, so the phone keypad
    for digit in "0701234567":
        staff.press_digit(digit)
    staff.submit_phone()  # read back in groups: "070-123 45 67 – stämmer det?"
    staff.confirm_phone()
    runner.step()  # opens the door


def store_parcel(parcels, bus, runner) -> str:
    staff = StaffPresenter(parcels, runner)
    scan_and_open(staff, runner)
    bus.set_item(0, staff.opened.compartment.lock, True)
    bus.close_door(0, staff.opened.compartment.lock)
    runner.drain()
    assert staff.phase == STORED
    return staff.stored.pickup_code


def test_keypad_shows_the_digits_typed_and_limits_length(parcels, runner) -> None:
    pickup = PickupPresenter(parcels, runner)
    for digit in "1234567":
        pickup.press_digit(digit)
    assert pickup.code.digits == "123456"
    assert pickup.code.shown == "1 2 3 4 5 6"  # a one-time code, shown as typed
    pickup.erase()
    assert pickup.code.shown == "1 2 3 4 5 _"
    pickup.submit()
    assert pickup.phase == ENTRY and pickup.message.kind == "error"  # too short: told, nothing checked
    assert runner.queue == []


def test_pickup_flow_opens_waits_and_completes(parcels, locker_bus, runner) -> None:
    bus = locker_bus[0]
    code = store_parcel(parcels, bus, runner)
    pickup = PickupPresenter(parcels, runner)
    for digit in code:
        pickup.press_digit(digit)
    pickup.submit()
    assert pickup.phase == CHECKING and pickup.code.digits == ""
    runner.step()
    assert pickup.phase == DOOR_OPEN and pickup.compartment_ids == "A1"
    bus.set_item(0, 1, False)
    bus.close_door(0, 1)
    runner.drain()
    assert pickup.phase == DONE and "uthämtat" in pickup.message.text


def test_a_wrong_code_returns_to_entry_with_a_message(parcels, locker_bus, runner) -> None:
    store_parcel(parcels, locker_bus[0], runner)
    pickup = PickupPresenter(parcels, runner)
    for digit in "000000":
        pickup.press_digit(digit)
    pickup.submit()
    runner.drain()
    assert pickup.phase == ENTRY and "stämmer inte" in pickup.message.text
    pickup.press_digit("1")  # the next attempt starts: the error has been read
    assert pickup.message.kind == "info"


def test_staff_cancel_with_the_door_open_stores_nothing(parcels, locker_bus, runner) -> None:
    staff = StaffPresenter(parcels, runner)
    scan_and_open(staff, runner)
    assert staff.can_cancel
    staff.cancel()
    runner.step()  # the abandoned wait returns None and must not store
    locker_bus[0].close_door(0, staff.taking_out.lock)  # the parcel taken out again
    runner.drain()
    assert staff.phase == SCAN and staff.stored is None


def test_staff_scan_while_a_door_is_open_is_ignored(parcels, runner) -> None:
    staff = StaffPresenter(parcels, runner)
    scan_and_open(staff, runner)
    staff.scanned(f"CP12345678{s10_check_digit('12345678')}SE")
    assert len(runner.queue) == 1  # only the wait for the first door


def test_every_home_tile_opens_its_screen() -> None:
    home = HomePresenter()
    for tile_id in ("pickup", "video", "eservices", "language", "help"):
        assert home.choose(tile_id) == tile_id and home.notice is None


def test_a_tile_not_built_yet_says_so_instead_of_opening() -> None:
    home = HomePresenter()
    home.tiles = (*home.tiles, Tile("payments", "Betala", "Kommer snart", None))
    assert home.choose("payments") is None and dict(home.notice.params)["title"] == "Betala"


def session_for(parcels, sessions) -> SessionPresenter:
    return SessionPresenter(staff=StaffDirectory(sessions), home=HomePresenter(),
                            pickup=PickupPresenter(parcels, run_inline), staff_mode=StaffPresenter(parcels, run_inline),
                            run=run_inline)


def test_unknown_card_is_told_and_does_not_open_staff_mode(parcels, sessions) -> None:
    session = session_for(parcels, sessions)
    session.card_presented("DEADBEEF")
    assert session.screen == HOME and session.notice.kind == "error"


def test_a_known_staff_card_opens_staff_mode_and_ending_clears_everything(parcels, sessions) -> None:
    from kiosk.services.staff import apply_staff_changes
    from sync.protocol import Change, card_uid_sha256

    with sessions.begin() as db:
        apply_staff_changes(db, [Change(entity="staff_card", entity_id="1", version=1, op="upsert",
                                        data={"name": "Anna", "uid_sha256": card_uid_sha256("04a1b2c3")})])
    session = session_for(parcels, sessions)
    session.go(PICKUP)
    session.pickup.press_digit("1")
    session.card_presented("04 A1 B2 C3")
    assert session.screen == STAFF and session.staff_mode.staff_name == "Anna"
    session.end_session()
    assert session.screen == ATTRACT and session.pickup.code.digits == "" and session.staff_mode.staff_name == ""


def test_staff_cannot_leave_while_a_door_is_open(parcels, locker_bus, runner) -> None:
    staff = StaffPresenter(parcels, runner)
    assert staff.can_leave
    scan_and_open(staff, runner)
    assert not staff.can_leave
    locker_bus[0].set_item(0, staff.opened.compartment.lock, True)
    locker_bus[0].close_door(0, staff.opened.compartment.lock)
    runner.drain()
    assert staff.can_leave and staff.phase == STORED

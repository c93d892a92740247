"""Parcel screens' logic without a window, over the real service, SQLite and a pty locker:
phone entry, held at the counter, QR pickup, lockout, door faults and the left-open alarm,
the staff menu, counter hand-over and returns."""
from __future__ import annotations

import threading
from datetime import date

import pytest

from hardware.protocols.barcode import s10_check_digit
from kiosk.services.parcels import ParcelService
from kiosk.services.pickup_codes.lockout import Lockout
from kiosk.services.staff import StaffDirectory, StaffMember
from kiosk.ui.presenters.base import run_inline
from kiosk.ui.presenters.counter import HANDED, CounterPresenter
from kiosk.ui.presenters.home import HomePresenter
from kiosk.ui.presenters.pickup import DONE, DOOR_OPEN, ENTRY, FAULT, LOCKED, PickupPresenter
from kiosk.ui.presenters.returns import CONFIRM, LIST, ReturnsPresenter
from kiosk.ui.presenters.session import PICKUP, STAFF, STAFF_COUNTER, STAFF_RECEIVE, STAFF_RETURNS, SessionPresenter
from kiosk.ui.presenters.spoken import spoken_text
from kiosk.ui.presenters.staff import PHONE, STORED, StaffPresenter
from kiosk.ui.startup import RuntimeStarter
from tests.kiosk.conftest import COMPARTMENTS
from tests.ui.test_presenters import PARCEL, QueuedRunner, scan_and_open, store_parcel
from tests.ui.test_startup import FakeRuntime


def sv(text, **params):
    return text.format(**params) if params else text


@pytest.fixture
def runner() -> QueuedRunner:
    return QueuedRunner()


def test_phone_entry_refuses_a_bad_number_and_keeps_it_for_correction(parcels, runner) -> None:
    staff = StaffPresenter(parcels, runner)
    staff.scanned(PARCEL)
    runner.step()
    assert staff.phase == PHONE and "föravisering" in staff.message.text
    for digit in "0701":
        staff.press_digit(digit)
    staff.submit_phone()
    assert staff.phase == PHONE and staff.message.kind == "error" and staff.phone == "0701"
    assert runner.queue == []  # nothing opened


def test_a_parcel_nothing_fits_is_held_with_its_code_shown(sessions, locker, locker_bus, runner) -> None:
    parcels = ParcelService(sessions=sessions, locker=locker, compartments=COMPARTMENTS[:1])
    store_parcel(parcels, locker_bus[0], runner)
    staff = StaffPresenter(parcels, runner)
    scan_and_open(staff, runner, f"CP12345678{s10_check_digit('12345678')}SE")
    assert staff.phase == STORED and staff.stored.held_at_counter and len(staff.stored.pickup_code) >= 6
    assert "disken" in staff.message.text


def test_pickup_by_qr_and_a_parcel_left_inside_is_told(parcels, locker_bus, runner) -> None:
    bus = locker_bus[0]
    code = store_parcel(parcels, bus, runner)
    pickup = PickupPresenter(parcels, runner)
    pickup.scanned(f"SPKT1:{code}")
    runner.step()
    assert pickup.phase == DOOR_OPEN and pickup.via == "qr"
    bus.close_door(0, 1)  # closed without taking the parcel
    runner.drain()
    assert pickup.phase == DONE and "ligger kvar" in pickup.message.text
    pickup.scanned(f"SPKT1:{code}")
    runner.step()
    bus.set_item(0, 1, False)
    bus.close_door(0, 1)
    runner.drain()
    assert "uthämtat" in pickup.message.text


def test_five_wrong_codes_lock_the_keypad_until_the_pause_is_over(sessions, locker, runner) -> None:
    now = [0.0]
    parcels = ParcelService(sessions=sessions, locker=locker, compartments=COMPARTMENTS,
                            lockout=Lockout(clock=lambda: now[0]))
    pickup = PickupPresenter(parcels, runner)
    for _ in range(5):
        for digit in "000000":
            pickup.press_digit(digit)
        pickup.submit()
        runner.drain()
    assert pickup.phase == LOCKED and "För många" in pickup.message.text
    pickup.press_digit("1")
    assert pickup.code.digits == ""  # the keypad is paused
    session = SessionPresenter(staff=StaffDirectory(sessions), home=HomePresenter(), pickup=pickup,
                               staff_mode=StaffPresenter(parcels, runner), run=runner)
    session.screen = PICKUP
    assert "För många" in spoken_text(session, sv, "Byn")  # read aloud too
    now[0] += 301
    pickup.tick()
    assert pickup.phase == ENTRY


def test_a_pause_is_not_lifted_while_the_services_are_still_starting(runner) -> None:
    """Unknown is not "unlocked": a lockout shown (the gallery's, or one from before a restart)
    stays until the lockout service itself says the pause is over."""
    release = threading.Event()
    starter = RuntimeStarter(lambda: (release.wait(10), FakeRuntime())[1], lambda *_: None)
    starter.start()
    pickup = PickupPresenter(starter.deferred("parcels"), runner)
    pickup.phase = LOCKED
    pickup.tick()
    assert pickup.phase == LOCKED
    release.set()
    starter.close()


def test_a_jammed_door_shows_a_fault_and_keeps_the_parcel(parcels, locker_bus, runner) -> None:
    code = store_parcel(parcels, locker_bus[0], runner)
    locker_bus[0].board(0).jammed.add(1)
    pickup = PickupPresenter(parcels, runner)
    for digit in code:
        pickup.press_digit(digit)
    pickup.submit()
    runner.drain()
    assert pickup.phase == FAULT and "gick inte att öppna" in pickup.message.text
    locker_bus[0].board(0).jammed.clear()
    for digit in code:  # the parcel is still there: the same code works once the door is fixed
        pickup.press_digit(digit)
    pickup.submit()
    runner.step()
    assert pickup.phase == DOOR_OPEN


def test_a_door_left_open_raises_the_alarm_until_it_closes(sessions, locker, locker_bus) -> None:
    runner = QueuedRunner()
    parcels = ParcelService(sessions=sessions, locker=locker, compartments=COMPARTMENTS, left_open_after_s=0.2)
    code = store_parcel(parcels, locker_bus[0], runner)
    pickup = PickupPresenter(parcels, runner)
    for digit in code:
        pickup.press_digit(digit)
    pickup.submit()
    runner.step()
    import threading
    threading.Timer(0.8, lambda: (locker_bus[0].set_item(0, 1, False), locker_bus[0].close_door(0, 1))).start()
    fn, on_done, on_error = runner.queue.pop(0)  # the wait: blocks until the door closes
    closed = fn()
    runner.drain()  # the alarm reported from inside the wait
    assert pickup.alarm is not None and "öppen" in pickup.alarm.text
    on_done(closed)
    runner.drain()
    assert pickup.alarm is None and pickup.phase == DONE


def staff_session(parcels, sessions, runner) -> SessionPresenter:
    return SessionPresenter(staff=StaffDirectory(sessions), home=HomePresenter(),
                            pickup=PickupPresenter(parcels, runner), staff_mode=StaffPresenter(parcels, runner),
                            counter=CounterPresenter(parcels, runner), returns=ReturnsPresenter(parcels, runner),
                            run=runner)


def test_staff_menu_routes_and_a_scan_on_it_starts_receiving(parcels, sessions, runner) -> None:
    session = staff_session(parcels, sessions, runner)
    session.staff_mode.begin(StaffMember("Anna", "7"))
    session.go(STAFF)
    session.barcode_scanned(PARCEL)
    assert session.screen == STAFF_RECEIVE
    runner.drain()
    assert session.staff_mode.phase == PHONE
    session.back()
    session.staff_choose("counter")
    assert session.screen == STAFF_COUNTER
    session.back()
    session.staff_choose("returns")
    assert session.screen == STAFF_RETURNS
    runner.drain()
    assert session.returns.phase == LIST


def test_counter_hands_over_a_held_parcel_by_typed_code(sessions, locker, locker_bus, runner) -> None:
    parcels = ParcelService(sessions=sessions, locker=locker, compartments=COMPARTMENTS[:1])
    store_parcel(parcels, locker_bus[0], runner)
    staff = StaffPresenter(parcels, runner)
    scan_and_open(staff, runner, f"CP12345678{s10_check_digit('12345678')}SE")
    code = staff.stored.pickup_code
    counter = CounterPresenter(parcels, runner)
    for digit in "999999":
        counter.press_digit(digit)
    counter.submit()
    runner.drain()
    assert counter.phase != HANDED and counter.message.kind == "error"
    for digit in code:
        counter.press_digit(digit)
    counter.submit()
    runner.drain()
    assert counter.phase == HANDED and "CP12345678" in counter.handed


def test_returns_list_opens_and_confirms_by_scan(sessions, locker, locker_bus, runner) -> None:
    day = [date(2026, 12, 1)]
    parcels = ParcelService(sessions=sessions, locker=locker, compartments=COMPARTMENTS, today=lambda: day[0])
    store_parcel(parcels, locker_bus[0], runner)
    day[0] = date(2026, 12, 20)
    returns = ReturnsPresenter(parcels, runner)
    returns.load()
    runner.drain()
    assert len(returns.rows) == 1
    returns.choose(0)
    runner.drain()
    assert returns.phase == CONFIRM and not locker_bus[0].board(0).lock(1).door_closed
    returns.scanned(f"CP12345678{s10_check_digit('12345678')}SE")
    runner.drain()
    assert returns.phase == CONFIRM and "inte paketet" in returns.message.text
    returns.scanned(PARCEL)
    runner.drain()
    assert returns.phase == LIST and returns.rows == [] and "returnerat" in returns.message.text


def test_a_staff_card_counts_as_activity_for_the_idle_timer(parcels, sessions, runner) -> None:
    import time

    from kiosk.services.staff import apply_staff_changes
    from sync.protocol import Change, card_uid_sha256

    with sessions.begin() as db:
        apply_staff_changes(db, [Change(entity="staff_card", entity_id="1", version=1, op="upsert",
                                        data={"name": "Anna", "uid_sha256": card_uid_sha256("04a1b2c3")})])
    session = staff_session(parcels, sessions, run_inline)
    session.idle.touched(time.monotonic() - 3600)  # nobody has touched the screen for an hour
    session.card_presented("04A1B2C3")
    assert session.screen == STAFF
    session.tick(time.monotonic())
    assert session.screen == STAFF  # not reset the moment staff mode opened


class ThreadedRunner:
    """The bridge without Kivy: work on its own thread, results queued for "the main thread"
    (the test), which delivers them with `deliver()`."""

    def __init__(self) -> None:
        import queue

        self.results = queue.Queue()
        self.threads = []

    def __call__(self, fn, on_done, on_error) -> None:
        def work() -> None:
            try:
                result = fn()
            except Exception as error:
                self.results.put((on_error, error))
            else:
                self.results.put((on_done, result))
        thread = threading.Thread(target=work)
        self.threads.append(thread)
        thread.start()

    def deliver(self) -> None:
        callback, value = self.results.get(timeout=10)
        callback(value)


def test_a_door_found_open_at_start_shows_its_alarm_until_the_sensor_reads_closed(
        parcels, sessions, locker, locker_bus) -> None:
    from kiosk.ui.presenters.pickup import LEFT_OPEN

    code = store_parcel(parcels, locker_bus[0], QueuedRunner())
    stored = parcels.pickup.parcels_for_code(code)
    parcels.pickup.open_for_pickup(stored)  # ...and the kiosk restarts with the door open
    restarted = ParcelService(sessions=sessions, locker=locker, compartments=COMPARTMENTS)
    runner = ThreadedRunner()
    session = SessionPresenter(staff=StaffDirectory(sessions), home=HomePresenter(),
                               pickup=PickupPresenter(restarted, runner), staff_mode=StaffPresenter(restarted, runner),
                               run=runner)
    seen = []
    session.open_doors.subscribe(lambda doors: seen.append([sv(m.text, **dict(m.params)) for m in doors.alarms]))
    session.open_doors.watch(restarted, restarted.upkeep.reconcile().open_doors)
    compartment = stored[0].compartment.id
    assert seen[-1] == [sv(LEFT_OPEN, compartment=compartment)]
    session.end_session()  # a visit ending does not clear the door's alarm
    assert session.open_doors.alarms and seen[-1] == [sv(LEFT_OPEN, compartment=compartment)]
    locker_bus[0].close_door(0, stored[0].compartment.lock)
    runner.deliver()  # the closing, handed to the main thread
    assert seen[-1] == [] and session.open_doors.alarms == []
    runner.deliver()  # the watch itself ended
    assert [t for t in runner.threads if t.is_alive()] == []
    session.open_doors.stop()

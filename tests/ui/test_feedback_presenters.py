"""What a clerk or a resident is told, without a window (issue 14, points 1 and 4): the phone
number read back before it is saved, an old error gone once typing resumes, the door named
after a cancel, the pickup code as typed, the idle clock standing still while staff are at a
door, staff mode in Swedish, Read aloud that cannot play, and a stale "no video services"."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kiosk.services.browser import LaunchOptions
from kiosk.services.browsing import BrowserLauncher
from kiosk.services.directory import Directory, apply_directory_changes
from kiosk.services.staff import StaffDirectory, apply_staff_changes
from kiosk.ui.presenters.home import HomePresenter
from kiosk.ui.presenters.idle import IDLE
from kiosk.ui.presenters.pickup import PickupPresenter
from kiosk.ui.presenters.session import (
    HOME,
    PICKUP,
    SPEECH_UNAVAILABLE,
    STAFF,
    STAFF_RECEIVE,
    SessionPresenter,
)
from kiosk.ui.presenters.staff import (
    CANCELLED,
    CONFIRM,
    CONFIRM_PHONE,
    DOOR_OPEN,
    PHONE,
    PHONE_TEXT,
    SCAN,
    STORED,
    StaffPresenter,
)
from kiosk.ui.presenters.video import NO_SERVICES, VideoPresenter
from sync import protocol as p
from tests.ui.test_presenters import PARCEL, QueuedRunner

STAFF_UID = "04a1b2c3"


@pytest.fixture
def runner() -> QueuedRunner:
    return QueuedRunner()


def phone_keypad(parcels, runner) -> StaffPresenter:
    staff = StaffPresenter(parcels, runner)
    staff.scanned(PARCEL)
    runner.step()  # no pre-advice: the phone keypad
    assert staff.phase == PHONE
    return staff


def type_in(staff: StaffPresenter, digits: str) -> None:
    for digit in digits:
        staff.press_digit(digit)


# -- point 1: the phone at drop-off -----------------------------------------------------------

def test_the_number_is_read_back_in_groups_and_nothing_opens_before_yes(parcels, runner) -> None:
    staff = phone_keypad(parcels, runner)
    type_in(staff, "0701234567")
    staff.submit_phone()
    assert staff.phase == CONFIRM and runner.queue == []  # no door yet
    assert staff.message.text == CONFIRM_PHONE and dict(staff.message.params) == {"number": "070-123 45 67"}
    staff.correct_phone()  # "Ändra": back to the keypad, the digits kept
    assert staff.phase == PHONE and staff.phone == "0701234567" and staff.message.text == PHONE_TEXT
    staff.erase()
    staff.press_digit("8")
    staff.submit_phone()
    assert dict(staff.message.params) == {"number": "070-123 45 68"}
    staff.confirm_phone()
    runner.step()
    assert staff.phase == DOOR_OPEN and staff.opened.intake.recipient["phone"] == "+46701234568"


def test_what_a_clerk_typed_after_a_placeholder_taken_for_digits_is_refused(parcels, runner) -> None:
    """The screen's bold "07_" read as typed: 01234567 was saved as +461234567."""
    staff = phone_keypad(parcels, runner)
    type_in(staff, "01234567")
    staff.submit_phone()
    assert staff.phase == PHONE and staff.message.kind == "error" and "mobilnummer" in staff.message.text
    assert runner.queue == []


def test_the_empty_places_are_apart_from_the_typed_digits(parcels, runner) -> None:
    staff = phone_keypad(parcels, runner)
    typed, empty = staff.phone_shown
    assert typed == "" and empty.count("_") == 10 and not any(ch.isdigit() for ch in empty)  # no "07_"
    type_in(staff, "0701")
    typed, empty = staff.phone_shown
    assert typed == "070-1" and empty.count("_") == 6 and not any(ch.isdigit() for ch in empty)


def test_an_old_error_goes_when_typing_resumes(parcels, runner) -> None:
    staff = phone_keypad(parcels, runner)
    type_in(staff, "0801")
    staff.submit_phone()
    assert staff.message.kind == "error"
    staff.erase()
    assert staff.message.text == PHONE_TEXT and staff.message.kind == "info"
    staff.submit_phone()
    assert staff.message.kind == "error"
    staff.press_digit("2")
    assert staff.message.text == PHONE_TEXT


# -- point 4: feedback --------------------------------------------------------------------------

def test_a_cancel_with_the_door_open_names_the_door_until_it_is_closed(parcels, locker_bus, runner) -> None:
    staff = phone_keypad(parcels, runner)
    type_in(staff, "0701234567")
    staff.submit_phone()
    staff.confirm_phone()
    runner.step()
    door = staff.opened.compartment
    staff.cancel()
    runner.step()  # the abandoned wait for the drop-off: stopped, stores nothing
    assert staff.phase == SCAN and staff.taking_out == door
    assert staff.message.kind == "error" and dict(staff.message.params) == {"compartment": door.id}
    assert staff.waiting_for_door
    locker_bus[0].close_door(0, door.lock)  # the parcel taken out again
    runner.drain()
    assert staff.message.text == CANCELLED and staff.taking_out is None and staff.stored is None
    assert not staff.waiting_for_door


def test_the_pickup_code_is_shown_as_typed_and_the_counter_too(parcels, runner) -> None:
    from kiosk.ui.presenters.counter import CounterPresenter

    for presenter in (PickupPresenter(parcels, runner), CounterPresenter(parcels, runner)):
        for digit in "4711":
            presenter.press_digit(digit)
        assert presenter.code.shown_parts == ("4 7 1 1 ", "_ _")


def session_of(parcels, sessions, runner, **kwargs) -> SessionPresenter:
    return SessionPresenter(staff=StaffDirectory(sessions), home=HomePresenter(),
                            pickup=PickupPresenter(parcels, runner), staff_mode=StaffPresenter(parcels, runner),
                            run=runner, **kwargs)


def add_staff_card(sessions) -> None:
    with sessions.begin() as db:
        apply_staff_changes(db, [p.Change(entity="staff_card", entity_id="1", version=1, op="upsert",
                                          data={"name": "Anna", "uid_sha256": p.card_uid_sha256(STAFF_UID)})])


def test_staff_mode_starts_in_swedish_and_normal_text(parcels, sessions, runner) -> None:
    add_staff_card(sessions)
    session = session_of(parcels, sessions, runner)
    session.go(HOME)
    session.choose_language("se")
    session.toggle_large_text()
    session.toggle_high_contrast()
    session.card_presented(STAFF_UID)
    runner.drain()
    assert session.screen == STAFF
    assert (session.language, session.large_text, session.high_contrast) == ("sv", False, False)


def test_the_idle_clock_stands_still_while_staff_are_at_an_open_door(parcels, sessions, locker_bus, runner) -> None:
    """Five minutes at the locker, then the door closes: the code must be on screen, not the
    timeout warning over it (or, as before, the staff session already reset)."""
    add_staff_card(sessions)
    session = session_of(parcels, sessions, runner, idle_timeout_s=60)
    session.touched(0)
    session.card_presented(STAFF_UID)
    runner.drain()
    session.barcode_scanned(PARCEL)
    runner.step()
    type_in(session.staff_mode, "0701234567")
    session.staff_mode.submit_phone()
    session.staff_mode.confirm_phone()
    runner.step()  # the door opens; the clerk goes to the locker
    for now in range(1, 301):  # the app ticks once a second
        session.tick(now)
    lock = session.staff_mode.opened.compartment.lock
    locker_bus[0].set_item(0, lock, True)
    locker_bus[0].close_door(0, lock)
    runner.drain()
    session.tick(301)
    assert session.screen == STAFF_RECEIVE and session.staff_mode.phase == STORED
    assert session.idle_state == IDLE
    session.tick(300 + 59)
    assert session.idle_state == IDLE  # the full minute, counted from the door closing


def test_read_aloud_that_cannot_play_is_told_once_per_visit(parcels, sessions, runner) -> None:
    session = session_of(parcels, sessions, runner)
    session.go(PICKUP)
    session.speech_failed()  # the idle warning, spoken to nobody who asked: shown anyway, no notice
    assert session.notice is None
    session.speech_used = True  # Read aloud pressed
    session.speech_failed()
    assert session.notice.text == SPEECH_UNAVAILABLE and session.speech_unavailable
    session.notice = None  # read, or replaced by typing
    session.speech_failed()  # the next key press that would have been spoken
    assert session.notice is None
    session.end_session()
    assert not session.speech_unavailable  # the next person is told again


def test_larger_text_says_when_it_is_on() -> None:
    from kiosk.ui.presenters.texts import LARGER_TEXT, LARGER_TEXT_ON, larger_text_label

    class Visit:
        large_text = False

    visit = Visit()
    assert larger_text_label(visit) == LARGER_TEXT
    visit.large_text = True
    assert larger_text_label(visit) == LARGER_TEXT_ON


def test_no_stale_no_video_services_once_the_directory_has_arrived(sessions, runner) -> None:
    """The kiosk's first look came before the first pull: "no video services here" stayed
    above the service tiles the pull brought."""
    video = VideoPresenter(Directory(sessions), BrowserLauncher(LaunchOptions), runner, lambda fn, *a: fn(*a),
                           lambda: datetime.now(UTC), village="Byn")
    video.load()
    runner.drain()
    assert video.message is not None and video.message.text == NO_SERVICES
    service = p.VideoServiceData(id="fk", organisation="Försäkringskassan", name={"sv": "Försäkringskassan"},
                                 description={"sv": "x"}, room_url="https://meet.example.se/fk",
                                 opening_hours={"mon": ["08:00-16:00"]})
    with sessions.begin() as db:
        apply_directory_changes(db, [p.Change(entity=p.ENTITY_VIDEO_SERVICE, entity_id="fk", version=1, op="upsert",
                                              data=service.model_dump(mode="json"))])
    video.load()
    runner.drain()
    assert [tile.id for tile in video.tiles] == ["fk"] and video.message is None

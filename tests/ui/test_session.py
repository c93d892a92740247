"""The visit as a whole, without a window: language, display modes, idle warning and reset,
and what Read aloud says."""
from __future__ import annotations

import re

from kiosk.i18n import Translator
from kiosk.services.staff import StaffDirectory
from kiosk.ui.presenters.base import run_inline
from kiosk.ui.presenters.home import HomePresenter
from kiosk.ui.presenters.idle import IDLE, RESET, WARNING, IdleTimer
from kiosk.ui.presenters.pickup import PickupPresenter
from kiosk.ui.presenters.session import ATTRACT, HELP, HOME, LANGUAGE, PICKUP, SessionPresenter
from kiosk.ui.presenters.spoken import spoken_text
from kiosk.ui.presenters.staff import StaffPresenter


def make_session(parcels, sessions, **kwargs) -> SessionPresenter:
    return SessionPresenter(staff=StaffDirectory(sessions), home=HomePresenter(),
                            pickup=PickupPresenter(parcels, run_inline), staff_mode=StaffPresenter(parcels, run_inline),
                            run=run_inline, **kwargs)


def test_idle_timer_warns_at_least_20_s_before_reset() -> None:
    timer = IdleTimer(timeout_s=60)
    timer.touched(0)
    assert timer.state(59) == IDLE and timer.state(60) == WARNING
    assert timer.seconds_left(60) >= 20
    assert timer.state(60 + timer.warning_s) == RESET


def test_language_switch_keeps_the_flow(parcels, sessions) -> None:
    session = make_session(parcels, sessions)
    session.go(PICKUP)
    session.pickup.press_digit("4")
    session.go(LANGUAGE)
    session.choose_language("fi")
    assert session.screen == PICKUP and session.language == "fi" and session.pickup.code.digits == "4"


def test_help_returns_to_where_the_person_was(parcels, sessions) -> None:
    session = make_session(parcels, sessions)
    session.go(PICKUP)
    session.go(HELP)
    session.back()
    assert session.screen == PICKUP


def test_idle_reset_clears_inputs_language_and_display_mode(parcels, sessions) -> None:
    session = make_session(parcels, sessions, idle_timeout_s=30)
    session.touched(0)
    session.go(PICKUP)
    session.pickup.press_digit("7")
    session.go(LANGUAGE)
    session.choose_language("se")
    session.toggle_large_text()
    session.toggle_high_contrast()
    session.tick(35)
    assert session.idle_state == WARNING and session.screen == PICKUP
    session.more_time(40)  # one touch gives the full time again
    session.tick(65)
    assert session.idle_state == IDLE
    session.tick(71)
    assert session.idle_state == WARNING
    session.tick(40 + 30 + session.idle.warning_s)
    assert session.screen == ATTRACT and session.pickup.code.digits == ""
    assert session.language == "sv" and not session.large_text and not session.high_contrast


def test_no_reset_while_a_door_is_open(parcels, sessions, locker_bus) -> None:
    session = make_session(parcels, sessions, idle_timeout_s=30)
    session.touched(0)
    session.staff_mode.begin("Anna")
    session.go("staff")
    session.staff_mode.phase = "door_open"  # as after a scan; the door is physically open
    session.tick(1000)
    assert session.screen == "staff" and session.idle_state == IDLE


def test_read_aloud_never_says_the_typed_digits(parcels, sessions) -> None:
    session = make_session(parcels, sessions)
    session.go(PICKUP)
    for digit in "918273":
        session.pickup.press_digit(digit)
        said = spoken_text(session, Translator("sv"), "Lanthandeln")
        assert not re.search(r"[0-9]{2,}", said) and "918" not in said
    assert "sex av sex" in said  # progress, never the code


def test_read_aloud_follows_the_language(parcels, sessions) -> None:
    session = make_session(parcels, sessions)
    session.go(HOME)
    swedish = spoken_text(session, Translator("sv"), "Lanthandeln")
    english = spoken_text(session, Translator("en"), "Lanthandeln")
    assert "Hämta paket" in swedish and swedish != english

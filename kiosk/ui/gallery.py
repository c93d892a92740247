"""Screenshot gallery: renders every screen in every language and display mode, saves a PNG of
each, and runs the automatic checks (kiosk/ui/checks.py) on what was rendered.

Enabled by SERVICEPUNKT_GALLERY=<output dir> (used by `make screenshots` and the UI tests);
the app then walks through the states itself and stops. Writes report.json beside the PNGs.
"""
from __future__ import annotations

import json
import os
import time
from datetime import date
from itertools import product
from pathlib import Path

from kivy.clock import Clock
from kivy.core.window import Window

from kiosk.config import LANGUAGES, Compartment
from kiosk.ui import gallery_visits
from kiosk.ui.checks import check_screen, home_problems
from kiosk.services.doors import DOOR_FAILED
from kiosk.services.parcels import StoredParcel
from kiosk.services.pickup import LOCKED_TEXT, WRONG_CODE, ParcelForPickup
from kiosk.services.returns import OverdueParcel
from kiosk.ui.presenters import counter as counter_view
from kiosk.ui.presenters import pickup as pickup_view
from kiosk.ui.presenters import returns as returns_view
from kiosk.ui.presenters import staff as staff_view
from kiosk.ui.presenters.base import Message
from kiosk.ui.presenters.session import NOT_STAFF
from kiosk.ui.presenters.staff import STORED, STORED_TEXT

GALLERY_ENV_VAR = "SERVICEPUNKT_GALLERY"
LANGUAGES_ENV_VAR = "SERVICEPUNKT_GALLERY_LANGUAGES"
STATES_ENV_VAR = "SERVICEPUNKT_GALLERY_STATES"  # e.g. "staff_returns,home": a quick look at a few
MODES = {"normal": (False, False), "large": (True, False), "contrast": (False, True)}
SETTLE_S = 0.3
SETTLE_CHECK_S = 0.1
SETTLE_LIMIT_S = 10.0
# A state is a screen, or a screen mid-flow ("pickup-locked"): see _example_flows and
# gallery_visits. "idle" last: its modal warning is dismissed with an animation the next
# capture must not catch.
# "home-again": home after a visit to the language screen, which the resident reached by
# scrolling home down: it must open at the top, its titles the size they had before.
SCREENS = ("attract", "home", "pickup", "staff", "language", "home-again", "help",
           "pickup-take", "pickup-locked", "pickup-fault", "pickup-alarm", "staff_receive", "staff-phone",
           "staff-held", "staff_counter", "staff_returns", "attract-door", "home-door", "staff-door",
           *gallery_visits.STATES, "idle")
SCREEN_OF = {"idle": "pickup", "pickup-take": "pickup", "pickup-locked": "pickup", "pickup-fault": "pickup",
             "pickup-alarm": "pickup", "staff-phone": "staff_receive", "staff-held": "staff_receive",
             "attract-door": "attract", "home-door": "home", "staff-door": "staff", "home-again": "home"}


def start_gallery(app) -> bool:
    target = os.environ.get(GALLERY_ENV_VAR)
    if not target:
        return False
    languages = os.environ.get(LANGUAGES_ENV_VAR, ",".join(LANGUAGES)).split(",")
    screens = os.environ.get(STATES_ENV_VAR, ",".join(SCREENS)).split(",")
    states = list(product(languages, MODES, screens))
    app.gallery = Gallery(app, Path(target), states)  # Kivy's Clock holds methods weakly: keep it alive
    Clock.schedule_once(app.gallery.next, 1.0)  # the first frame lays out the whole app
    return True


class Gallery:
    def __init__(self, app, output: Path, states: list[tuple[str, str, str]]) -> None:
        self.app, self.output, self.states = app, output, states
        self.report: dict[str, list[str]] = {}
        self._home_sizes: dict[tuple[str, str], list[float]] = {}  # (language, mode): tile sizes
        output.mkdir(parents=True, exist_ok=True)

    def next(self, *_args) -> None:
        if not self.states:
            self._finish()
            return
        language, mode, screen = self.states.pop(0)
        self._show(language, mode, screen)
        # A few frames: layout, then any shrink-to-fit steps, then the drawing they settle on.
        # On a busy machine a frame can take longer than the whole settling time: wait until
        # nothing on screen changes size or type any more.
        self._settling = (None, time.monotonic() + SETTLE_LIMIT_S)
        Clock.schedule_once(lambda _dt: self._when_settled(language, mode, screen), SETTLE_S)

    def _when_settled(self, language: str, mode: str, screen: str) -> None:
        previous, give_up_at = self._settling
        now = self._layout_state()
        if now == previous or time.monotonic() > give_up_at:
            self._capture(language, mode, screen)
            return
        self._settling = (now, give_up_at)
        Clock.schedule_once(lambda _dt: self._when_settled(language, mode, screen), SETTLE_CHECK_S)

    def _layout_state(self) -> list:
        roots = [child for child in Window.children if child is not self.app.root] or [self.app.root.current_screen]
        return [(tuple(widget.size), getattr(widget, "font_scale", None), tuple(getattr(widget, "texture_size", ())))
                for root in roots for widget in root.walk(restrict=True)]

    def _show(self, language: str, mode: str, screen: str) -> None:
        session = self.app.session
        session.end_session(notify=False)  # one change per state: the screen manager switches once
        session.touched(time.monotonic())  # nobody touches a gallery run: keep the idle reset away
        session.language = language
        session.large_text, session.high_contrast = MODES[mode]
        self._example_flows(session)
        session.open_doors.open = ["A3"] if screen.endswith("-door") else []  # found open at start-up
        session.open_doors.changed()
        if screen == "home-again" and self.app.manager.has_screen("home"):
            self.app.manager.get_screen("home").ids.scroller.scroll_y = 0  # left scrolled down
        FLOWS.get(screen, lambda _session: None)(session)
        session.screen = SCREEN_OF.get(screen, screen)
        if screen in gallery_visits.STATES:
            session.screen = gallery_visits.prepare(session, screen)
        if screen == "idle":
            # The timer itself in its warning: the app's clock ticks every second and would
            # take a warning the timer does not agree with down again before the capture
            # (about one idle picture in three came out without its dialog).
            session.touched(time.monotonic() - session.idle.timeout_s - 1.0)
        session.idle_state = "warning" if screen == "idle" else "idle"
        session.changed()

    @staticmethod
    def _example_flows(session) -> None:
        """Mid-flow states with the longest texts each screen shows."""
        session.pickup.code.clear()
        for digit in "123":
            session.pickup.code.press(digit)
        session.pickup.message = Message.of(WRONG_CODE, "error")
        staff = session.staff_mode
        staff.staff_name, staff.phase = "Anna", STORED
        staff.stored = StoredParcel("example", "A3", "123456")
        staff.message = Message.of(STORED_TEXT, "success", compartment="A3")
        session.notice = Message.of(NOT_STAFF, "error")
        session.pickup.changed()
        staff.changed()


    def _capture(self, language: str, mode: str, screen: str) -> None:
        name = f"{screen}-{language}-{mode}"
        target = self.output / f"{name}.png"
        os.replace(Window.screenshot(str(target)), target)  # Kivy numbers the file; we name it
        modals = [child for child in Window.children if child is not self.app.root]
        self.report[name] = check_screen(modals or [self.app.root.current_screen], self.app.theme)
        if len(self.app.root.children) != 1:  # a screen left under the current one shows through
            self.report[name].append(f"{len(self.app.root.children)} screens drawn at once")
        if screen in ("home", "home-again", "home-door"):
            self.report[name] += self._home_checks(language, mode, screen)
        Clock.schedule_once(self.next, 0)

    def _home_checks(self, language: str, mode: str, screen: str) -> list[str]:
        home = self.app.manager.get_screen("home")
        problems = home_problems(home, self.app.theme)
        sizes = sorted(round(tile.font_size, 1) for tile in home.ids.tiles.children)
        if screen == "home":
            self._home_sizes[(language, mode)] = sizes
        before = self._home_sizes.get((language, mode), sizes)
        if screen == "home-again" and sizes != before:
            problems.append(f"home: tile titles {sizes} after another screen, {before} before")
        return problems

    def _finish(self) -> None:
        (self.output / "report.json").write_text(json.dumps(self.report, indent=1, ensure_ascii=False))
        self.app.stop()


def _door_open(session, alarm: bool = False) -> None:
    pickup = session.pickup
    pickup.phase = pickup_view.DOOR_OPEN
    pickup.code.clear()
    pickup.opened = [ParcelForPickup("example", Compartment(id="A3", board=0, lock=3))]
    pickup.message = Message.of(pickup_view.TAKE_PARCEL, "success", compartments="A3", doors=1)
    pickup.alarm = Message.of(pickup_view.LEFT_OPEN, "error", compartment="A3") if alarm else None
    session.notice = None
    pickup.changed()


def _pickup_message(phase: str, message: Message):
    def show(session) -> None:
        session.pickup.phase, session.notice = phase, None
        session.pickup.code.clear()
        session.pickup.message = message
        session.pickup.changed()
    return show


def _staff_phone(session) -> None:
    staff = session.staff_mode
    staff.phase, staff.phone = staff_view.PHONE, "0701234567"
    staff.message = Message.of(staff_view.PHONE_TEXT)
    staff.changed()


def _staff_held(session) -> None:
    staff = session.staff_mode
    staff.stored = StoredParcel("example", None, "654321", "CP473124829SE", "2026-12-08")
    staff.message = Message.of(staff_view.HELD_TEXT, "error")
    staff.changed()


def _counter(session) -> None:
    counter = session.counter
    counter.phase, counter.handed = counter_view.HANDED, "CP473124829SE"
    counter.code.clear()
    counter.message = Message.of(counter_view.HAND_OVER, "success", tracking_ids="CP473124829SE")
    counter.changed()


def _returns(session) -> None:
    returns = session.returns
    returns.phase = returns_view.LIST
    returns.overdue = [OverdueParcel(str(n), f"CP47312482{n}SE", f"A{n}" if n % 3 else None, date(2026, 12, n))
                       for n in range(1, 6)]
    returns.message = Message.of(returns_view.CHOOSE, count=5)
    returns.changed()


FLOWS = {
    "pickup-take": _door_open,
    "pickup-alarm": lambda session: _door_open(session, alarm=True),
    "pickup-locked": _pickup_message(pickup_view.LOCKED, Message.of(LOCKED_TEXT, "error", minutes=5)),
    "pickup-fault": _pickup_message(pickup_view.FAULT, Message.of(DOOR_FAILED, "error", compartment="A3")),
    "staff-phone": _staff_phone,
    "staff-held": _staff_held,
    "staff_counter": _counter,
    "staff_returns": _returns,
}

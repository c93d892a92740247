"""Screenshot gallery: renders every screen in every language and display mode, saves a PNG of
each, and runs the automatic checks (kiosk/ui/checks.py) on what was rendered.

Enabled by SERVICEPUNKT_GALLERY=<output dir> (used by `make screenshots` and the UI tests);
the app then walks through the states itself and stops. Writes report.json beside the PNGs.
"""
from __future__ import annotations

import json
import os
import time
from itertools import product
from pathlib import Path

from kivy.clock import Clock
from kivy.core.window import Window

from kiosk.config import LANGUAGES
from kiosk.ui import gallery_visits
from kiosk.ui.checks import check_screen
from kiosk.services.parcels import WRONG_CODE, StoredParcel
from kiosk.ui.presenters.base import Message
from kiosk.ui.presenters.session import NOT_STAFF
from kiosk.ui.presenters.staff import STORED, STORED_TEXT

GALLERY_ENV_VAR = "SERVICEPUNKT_GALLERY"
LANGUAGES_ENV_VAR = "SERVICEPUNKT_GALLERY_LANGUAGES"
MODES = {"normal": (False, False), "large": (True, False), "contrast": (False, True)}
SETTLE_S = 0.3
SCREENS = ("attract", "home", "pickup", "staff", "language", "help", *gallery_visits.STATES, "idle")


def start_gallery(app) -> bool:
    target = os.environ.get(GALLERY_ENV_VAR)
    if not target:
        return False
    languages = os.environ.get(LANGUAGES_ENV_VAR, ",".join(LANGUAGES)).split(",")
    states = list(product(languages, MODES, SCREENS))
    app.gallery = Gallery(app, Path(target), states)  # Kivy's Clock holds methods weakly: keep it alive
    Clock.schedule_once(app.gallery.next, 1.0)  # the first frame lays out the whole app
    return True


class Gallery:
    def __init__(self, app, output: Path, states: list[tuple[str, str, str]]) -> None:
        self.app, self.output, self.states = app, output, states
        self.report: dict[str, list[str]] = {}
        output.mkdir(parents=True, exist_ok=True)

    def next(self, *_args) -> None:
        if not self.states:
            self._finish()
            return
        language, mode, screen = self.states.pop(0)
        self._show(language, mode, screen)
        # A few frames: layout, then any shrink-to-fit steps, then the drawing they settle on.
        Clock.schedule_once(lambda _dt: self._capture(language, mode, screen), SETTLE_S)

    def _show(self, language: str, mode: str, screen: str) -> None:
        session = self.app.session
        session.end_session(notify=False)  # one change per state: the screen manager switches once
        session.touched(time.monotonic())  # nobody touches a gallery run: keep the idle reset away
        session.language = language
        session.large_text, session.high_contrast = MODES[mode]
        self._example_flows(session)
        session.screen = "pickup" if screen == "idle" else screen
        if screen in gallery_visits.STATES:
            session.screen = gallery_visits.prepare(session, screen)
        session.idle_state = "warning" if screen == "idle" else "idle"
        session.changed()

    @staticmethod
    def _example_flows(session) -> None:
        """Mid-flow states with the longest texts each screen shows."""
        session.pickup.digits = "123"
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
        Clock.schedule_once(self.next, 0)

    def _finish(self) -> None:
        (self.output / "report.json").write_text(json.dumps(self.report, indent=1, ensure_ascii=False))
        self.app.stop()

"""One person's visit: which screen shows, in which language and display mode, what card taps
and scans mean wherever the person is, and how the visit ends (Done, or idle timeout)."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from kiosk.services.errors import N_
from kiosk.ui.presenters.base import Message, Presenter, Runner
from kiosk.ui.presenters.home import HomePresenter
from kiosk.ui.presenters.idle import IDLE, RESET, WARNING, IdleTimer
from kiosk.ui.presenters.open_doors import OpenDoorsPresenter
from kiosk.ui.presenters.pickup import PickupPresenter
from kiosk.ui.presenters.staff import StaffPresenter

if TYPE_CHECKING:  # the services import SQLAlchemy: not on the start-up path
    from kiosk.services.parcels import Barcode
    from kiosk.services.staff import StaffDirectory, StaffMember

ATTRACT, HOME, PICKUP, STAFF, LANGUAGE, HELP = "attract", "home", "pickup", "staff", "language", "help"
STAFF_RECEIVE, STAFF_COUNTER, STAFF_RETURNS = "staff_receive", "staff_counter", "staff_returns"
STAFF_SCREENS = (STAFF, STAFF_RECEIVE, STAFF_COUNTER, STAFF_RETURNS)
STAFF_MENU = {"receive": STAFF_RECEIVE, "counter": STAFF_COUNTER, "returns": STAFF_RETURNS}
VIDEO, ESERVICES = "video", "eservices"
OVERLAYS = (LANGUAGE, HELP)
NOT_STAFF = N_("Kortet är inget personalkort. Paket hämtar du med koden.")  # screens that return to where the person was, flow intact
SPEECH_UNAVAILABLE = N_("Uppläsningen fungerar inte just nu. Fråga personalen om du behöver hjälp att läsa.")
STAFF_LANGUAGE = "sv"  # the shop's staff work in Swedish, whatever the last resident chose


class SessionPresenter(Presenter):
    def __init__(self, *, staff: StaffDirectory, home: HomePresenter, pickup: PickupPresenter,
                 staff_mode: StaffPresenter, run: Runner, default_language: str = "sv",
                 idle_timeout_s: float = 90.0, counter=None, returns=None, video=None,
                 eservices=None, open_doors: OpenDoorsPresenter | None = None) -> None:
        super().__init__()
        self._staff = staff
        self._run = run
        self.home, self.pickup, self.staff_mode = home, pickup, staff_mode
        self.counter, self.returns = counter, returns  # CounterPresenter, ReturnsPresenter
        self.video, self.eservices = video, eservices  # BrowserVisitPresenters, when built
        self.open_doors = open_doors or OpenDoorsPresenter(run)  # outlives visits: a door is no one's
        self.default_language = default_language
        self.idle = IdleTimer(idle_timeout_s)
        self._clear_visit()

    def _clear_visit(self) -> None:
        self.screen = ATTRACT
        self.return_to = HOME
        self.notice: Message | None = None
        self.language = self.default_language
        self._tell_visits_the_language()
        self.large_text = self.high_contrast = False
        self.speech_used = False  # once someone asks for speech, key presses are spoken too
        self.speech_unavailable = False  # told once per visit, then the Read aloud button says so
        self.idle_state = IDLE

    # -- navigation ------------------------------------------------------------------------

    def go(self, screen: str) -> None:
        if screen in OVERLAYS and self.screen not in OVERLAYS:
            self.return_to = self.screen if self.screen != ATTRACT else HOME
        if screen == PICKUP and self.screen not in (PICKUP, *OVERLAYS):
            self.pickup.reset()  # a new pickup; back from Help or Language keeps the digits
        if screen in (VIDEO, ESERVICES) and self.screen not in (screen, *OVERLAYS) \
                and self._browser_visit(screen) is not None:
            self._browser_visit(screen).load()  # the directory may have changed since
        self.screen, self.notice = screen, None
        self.changed()

    def wake(self) -> None:
        self.go(HOME)

    def back(self) -> None:
        if self.screen in OVERLAYS:
            self.go(self.return_to)
        elif self.screen in (VIDEO, ESERVICES) and self._browser_visit(self.screen) is not None \
                and self._browser_visit(self.screen).back():
            return  # a step back within the screen (booking keypad, a category)
        elif self.busy:
            return  # leaving with a door open would leave that door's parcel unaccounted for
        elif self.screen == STAFF:
            self.end_session()
        elif self.screen in STAFF_SCREENS:
            self.go(STAFF)
        else:
            self.go(HOME if self.screen != HOME else ATTRACT)

    def choose_tile(self, tile_id: str) -> None:
        target = self.home.choose(tile_id)
        if target:
            self.go(target)

    def staff_choose(self, option: str) -> None:
        """The staff menu: receive parcels, counter pickup, returns."""
        if self.screen != STAFF or option not in STAFF_MENU:
            return
        if option == "receive":
            self.staff_mode.reset()
        if option == "counter" and self.counter is not None:
            self.counter.reset()
        if option == "returns" and self.returns is not None:
            self.returns.reset()
            self.returns.load()
        self.go(STAFF_MENU[option])

    # -- language and display ----------------------------------------------------------------

    def choose_language(self, language: str) -> None:
        """Switches language and returns to the flow, which keeps its state."""
        self.language = language
        self._tell_visits_the_language()
        self.go(self.return_to)

    def _tell_visits_the_language(self) -> None:
        """The browser's own pages (a site that does not answer) and the room speak it too."""
        for visit in (getattr(self, "video", None), getattr(self, "eservices", None)):
            if visit is not None:
                visit.language = self.language

    def toggle_large_text(self) -> None:
        self.large_text = not self.large_text
        self.changed()

    def toggle_high_contrast(self) -> None:
        self.high_contrast = not self.high_contrast
        self.changed()

    def speech_failed(self) -> None:
        """Read aloud could not play (no sound device, espeak-ng missing): said on screen once
        per visit, not again at every key press that would have been spoken. Only to someone
        who asked for speech: the idle warning is spoken too, and is shown anyway."""
        if self.speech_unavailable or not self.speech_used:
            return
        self.speech_unavailable = True
        self._notify(Message.of(SPEECH_UNAVAILABLE, "error"))

    # -- the end of a visit ------------------------------------------------------------------

    def end_session(self, *, notify: bool = True) -> None:
        """Clears every trace of the person: typed digits, messages, language, display mode."""
        self.pickup.reset()
        self.staff_mode.end()
        for desk in (self.counter, self.returns):
            if desk is not None:
                desk.member = None
                desk.reset()
        for visit in (self.video, self.eservices):
            if visit is not None:
                visit.reset()  # ends a call or e-service still open, wiping its profile
        self.home.clear()
        self._clear_visit()
        if notify:
            self.changed()

    @property
    def busy(self) -> bool:
        """A door is open or a parcel is being saved: resetting now could lose a parcel. Or
        the browser is open: a call must not be cut because nobody touches the kiosk's own
        screen (an e-service ends by its own idle timeout in the browser)."""
        returns_busy = self.returns is not None and self.returns.phase in ("opening", "saving")
        in_browser = any(v is not None and v.in_browser for v in (self.video, self.eservices))
        return not self.staff_mode.can_leave or self.pickup.door_open or returns_busy or in_browser

    def _browser_visit(self, screen: str):
        return self.video if screen == VIDEO else self.eservices

    def touched(self, now: float) -> None:
        self.idle.touched(now)
        if self.idle_state != IDLE:
            self.idle_state = IDLE
            self.changed()

    def tick(self, now: float) -> None:
        """Called about once a second by the app's clock. While a door is open (or a call is on)
        the idle clock stands still: the minutes at the locker are not minutes of nobody there,
        and the code shown when the door closes must not be covered by the timeout dialog."""
        self.pickup.tick()
        if self.busy or self.staff_mode.waiting_for_door:
            self.idle.touched(now)
        state = IDLE if self.screen == ATTRACT or self.busy else self.idle.state(now)
        if state == RESET:
            self.end_session()
        elif state != self.idle_state:
            self.idle_state = state
            self.changed()

    def more_time(self, now: float) -> None:
        self.touched(now)

    # -- devices -----------------------------------------------------------------------------

    def card_presented(self, uid: str) -> None:
        self.idle.touched(time.monotonic())  # a card or a scan is someone at the kiosk, as a touch is
        if self.screen in STAFF_SCREENS:
            return  # already in staff mode: a second tap must not abandon an open door
        self._run(lambda: self._staff.find_by_card(uid), self._card_identified, self._card_failed)

    def _card_identified(self, member: StaffMember | None) -> None:
        if member is None:
            self._notify(Message.of(NOT_STAFF, "error"))
            return
        self.staff_mode.begin(member)
        for desk in (self.counter, self.returns):
            if desk is not None:
                desk.member = member
        self._staff_display()
        self.go(STAFF)

    def _staff_display(self) -> None:
        """Staff mode starts as staff know it: Swedish, normal text and contrast."""
        self.language = STAFF_LANGUAGE
        if self.video is not None:
            self.video.language = STAFF_LANGUAGE
        self.large_text = self.high_contrast = False

    def _card_failed(self, error: BaseException) -> None:
        self._notify(Message.from_error(error, N_("Kortet kunde inte läsas. Försök igen.")))

    def barcode_scanned(self, barcode: Barcode | str) -> None:
        self.idle.touched(time.monotonic())
        text = barcode if isinstance(barcode, str) else barcode.value
        if self.screen in (STAFF, STAFF_RECEIVE):
            if self.screen == STAFF:
                self.go(STAFF_RECEIVE)  # staff may just scan: receiving is the common task
            self.staff_mode.scanned(barcode)
        elif self.screen == STAFF_COUNTER and self.counter is not None:
            self.counter.scanned(text)
        elif self.screen == STAFF_RETURNS and self.returns is not None:
            self.returns.scanned(barcode)
        elif self.screen == PICKUP:
            self.pickup.scanned(text)
        else:
            self._notify(Message.of(N_("Personalen: visa ditt kort först för att ta emot paket.")))

    def _notify(self, message: Message) -> None:
        if self.screen == ATTRACT:
            self.screen = HOME  # a notice nobody can read is no notice
        self.notice = message
        self.changed()


__all__ = ["ATTRACT", "ESERVICES", "HELP", "HOME", "LANGUAGE", "PICKUP", "RESET", "STAFF", "STAFF_COUNTER",
           "STAFF_RECEIVE", "STAFF_RETURNS", "VIDEO", "WARNING", "SessionPresenter"]

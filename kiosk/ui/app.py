"""The Kivy app: builds screens over presenters over the injected runtime. Decides nothing."""
from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk.i18n import Translator
from kiosk.services.browser import LaunchOptions
from kiosk.services.browsing import BrowserLauncher
from kiosk.services.runtime import KioskRuntime
from kiosk.services.speech import Speech, spoken_code_progress
from kiosk.ui import fonts
from kiosk.ui.bridge import Bridge
from kiosk.ui.gallery import start_gallery
from kiosk.ui.instrument import start_instruments
from kiosk.ui.presenters import texts
from kiosk.ui.presenters.home import HomePresenter
from kiosk.ui.presenters.idle import WARNING
from kiosk.ui.presenters.pickup import PickupPresenter
from kiosk.ui.presenters.session import SessionPresenter
from kiosk.ui.presenters.spoken import spoken_text
from kiosk.ui.presenters.staff import StaffPresenter
from kiosk.ui.presenters.eservices import EServicesPresenter
from kiosk.ui.presenters.video import VideoPresenter
from kiosk.ui.probe import start_probe
from kiosk.ui.screens.attract import AttractScreen
from kiosk.ui.screens.help import HelpScreen
from kiosk.ui.screens.home import HomeScreen
from kiosk.ui.screens.language import LanguageScreen
from kiosk.ui.screens.pickup import PickupScreen
from kiosk.ui.screens.staff import StaffScreen
from kiosk.ui.screens.browser_visit import end_strip_height
from kiosk.ui.screens.eservices import EServicesScreen
from kiosk.ui.screens.video import VideoScreen
from kiosk.ui.theme import COMPACT_HEIGHT_MM, Theme
from kiosk.ui.widgets.idle_warning import IdleWarning

log = logging.getLogger(__name__)


def _utcnow() -> datetime:
    return datetime.now(UTC)


UI_DIR = Path(__file__).parent
KV_FILES = ("widgets/controls.kv", "widgets/idle_warning.kv", "screens/common.kv", "screens/attract.kv",
            "screens/home.kv", "screens/pickup.kv", "screens/staff.kv", "screens/language.kv", "screens/help.kv",
            "screens/visit.kv", "screens/video.kv", "screens/eservices.kv")
SCREENS = {"attract": AttractScreen, "home": HomeScreen, "pickup": PickupScreen, "staff": StaffScreen,
           "language": LanguageScreen, "help": HelpScreen, "video": VideoScreen, "eservices": EServicesScreen}
ESCAPE_KEY = 27


class KioskApp(App):
    title = "Servicepunkt"
    theme = ObjectProperty(None)
    session = ObjectProperty(None)
    place_name = StringProperty("")

    def __init__(self, runtime: KioskRuntime, **kwargs) -> None:
        super().__init__(**kwargs)
        self.runtime = runtime
        config = runtime.config
        self.bridge = Bridge()
        self.theme = Theme()
        self.place_name = config.service_point_name
        self.tr = Translator(config.language)
        self.speech = Speech(config.language)
        self.session = self._build_session()
        self._speaking_shown = False

    def _build_session(self) -> SessionPresenter:
        run = self.bridge.run_in_worker
        parcels, config = self.runtime.parcels, self.runtime.config
        launcher, post, directory = BrowserLauncher(self.browser_options), self.bridge.call_on_main, self.runtime.directory
        video = VideoPresenter(directory, launcher, run, post, _utcnow, village=config.service_point_name,
                               on_visit_end=self._visit_ended)
        video.on_visit_start = self._call_started
        eservices = EServicesPresenter(directory, launcher, run, post, _utcnow, on_visit_end=self._visit_ended)
        return SessionPresenter(staff=self.runtime.staff, home=HomePresenter(),
                                pickup=PickupPresenter(parcels, run), staff_mode=StaffPresenter(parcels, run),
                                run=run, default_language=config.language, idle_timeout_s=config.idle_timeout_s,
                                video=video, eservices=eservices)

    def _call_started(self, kind: str, service_id: str) -> None:
        """The room is open: queue the event that makes the server alert the on-duty contact."""
        usage = self.runtime.usage
        if usage is not None:
            self.bridge.run_in_worker(lambda: usage.call_started(service_id, kind == "booked_video"),
                                      lambda _r: None, lambda error: log.error("call event not queued: %s", error))

    def _visit_ended(self, kind: str, service_id: str, seconds: int, outcome: str) -> None:
        """Queues the anonymous usage event of a video call or e-service that just ended."""
        usage, session = self.runtime.usage, self.session
        if usage is None:
            return
        visit = dict(kind=kind, service_id=service_id, language=session.language, seconds=seconds,
                     large_text=session.large_text, high_contrast=session.high_contrast,
                     speech=session.speech_used, outcome=outcome)  # read now: the session may reset next
        self.bridge.run_in_worker(lambda: usage.visit_ended(**visit), lambda _r: None,
                                  lambda error: log.error("usage event not queued: %s", error))

    def browser_options(self) -> LaunchOptions:
        """The browser covers the window but for the End strip at the bottom (read on the
        worker thread at each start; Window's size only changes on the main thread)."""
        strip = int(end_strip_height(self.theme))
        left, top = (0, 0) if self.runtime.config.fullscreen else (Window.left, Window.top)
        return LaunchOptions(window=(left, top, Window.width, max(1, Window.height - strip)))

    def build(self) -> ScreenManager:
        fonts.register()
        Window.clearcolor = self.theme.background
        Window.bind(on_keyboard=self._swallow_escape, on_request_close=self._refuse_close,
                    size=self._measure_panel)
        self._measure_panel()
        for kv in KV_FILES:
            Builder.load_file(str(UI_DIR / kv))
        self.manager = ScreenManager(transition=NoTransition())
        for name, screen_class in SCREENS.items():
            screen = screen_class(name=name)
            screen.setup(self.session, self.tr, self.place_name)
            screen.retranslate(self.tr)
            self.manager.add_widget(screen)
        self.idle_warning = IdleWarning(on_more_time=lambda *_: self.session.more_time(time.monotonic()))
        self.session.subscribe(self._session_changed)
        Window.bind(on_touch_down=lambda *_: self.session.touched(time.monotonic()))
        Clock.schedule_interval(lambda _dt: self._tick(), 1.0)
        Clock.schedule_interval(lambda _dt: self._show_connectivity(), 5.0)
        Clock.schedule_interval(lambda _dt: self._show_speaking(), 0.5)
        start_probe(self.manager)
        return self.manager

    def on_start(self) -> None:
        start_instruments(self)
        if start_gallery(self):
            return  # a screenshot run: no devices, no sync
        self.runtime.start()
        self._start_devices()

    def _measure_panel(self, *_args) -> None:
        """Pixels per millimetre of the actual window on the configured panel."""
        self.theme.px_per_mm = Window.width / self.runtime.config.panel.width_mm
        self.theme.compact = Window.height / self.theme.px_per_mm < COMPACT_HEIGHT_MM

    # -- following the session -------------------------------------------------------------

    def _session_changed(self, session) -> None:
        self._follow_display_mode(session)
        self._follow_language(session.language)
        self.manager.current = session.screen
        self._follow_idle(session)

    def _follow_display_mode(self, session) -> None:
        self.theme.large_text, self.theme.high_contrast = session.large_text, session.high_contrast
        Window.clearcolor = self.theme.background

    def _follow_language(self, language: str) -> None:
        if language == self.tr.language:
            return
        self.tr = Translator(language)
        self.speech.language = language
        for screen in self.manager.screens:
            screen.retranslate(self.tr)

    def _follow_idle(self, session) -> None:
        if session.idle_state == WARNING and self.idle_warning.parent is None:
            self._warn_idle()
        elif session.idle_state != WARNING and self.idle_warning.parent is not None:
            self.idle_warning.dismiss()
        if session.screen == "attract":
            self.speech.reset()  # a new visitor starts at the default volume

    def _tick(self) -> None:
        self.session.tick(time.monotonic())
        if self.idle_warning.parent is not None:
            self._show_countdown()

    def _show_countdown(self) -> None:
        seconds = self.session.idle.seconds_left(time.monotonic())
        self.idle_warning.message = self.tr(texts.IDLE_WARNING, seconds=seconds)

    def _warn_idle(self) -> None:
        self._show_countdown()
        self.idle_warning.button_text = self.tr(texts.MORE_TIME)
        self.idle_warning.open()
        self.speech.say(self.idle_warning.message)  # audible as well as visible

    def _show_connectivity(self) -> None:
        worker = self.runtime.sync_worker
        offline = worker is not None and worker.status().consecutive_failures > 0
        self.manager.get_screen("home").show_offline(offline)
        if not offline:
            self._last_online = _utcnow()
        for visit in (self.session.video, self.session.eservices):
            visit.set_online(not offline, getattr(self, "_last_online", None))

    # -- speech ------------------------------------------------------------------------------

    def read_aloud(self) -> None:
        """One button: reads the screen, or stops it while it reads; pressed again, repeats."""
        self.session.speech_used = True
        if self.speech.speaking:
            self.speech.stop()
        else:
            self.speech.say(spoken_text(self.session, self.tr, self.place_name))
        Clock.schedule_once(lambda _dt: self._show_speaking(), 0.2)

    def _show_speaking(self) -> None:
        speaking = self.speech.speaking
        if speaking != self._speaking_shown:
            self._speaking_shown = speaking
            for screen in self.manager.screens:
                screen.show_speaking(speaking)

    def key_pressed(self, digit: str) -> None:
        pickup = self.session.pickup
        self.session.notice = None  # typing means the last notice has been read
        pickup.press_digit(digit)
        if self.session.speech_used:
            self.speech.say(spoken_code_progress(len(pickup.digits), pickup.code_length, self.tr))

    # -- devices and lifecycle -----------------------------------------------------------------

    def _start_devices(self) -> None:
        call = self.bridge.call_on_main
        if self.runtime.card_reader is not None:
            self.runtime.card_reader.start(lambda uid: call(self.session.card_presented, uid))
        if self.runtime.scanner is not None:
            self.runtime.scanner.start(lambda scan: call(self.session.barcode_scanned, scan.barcode))

    def on_stop(self) -> None:
        self.speech.close()
        self.bridge.shutdown()
        self.runtime.close()

    @staticmethod
    def _swallow_escape(_window, key, *_args) -> bool:
        # Escape (and Android's back key, also 27) must never leave the kiosk.
        return key == ESCAPE_KEY

    def _refuse_close(self, *_args, **_kwargs) -> bool:
        """Returning True keeps the window open: a locked-down kiosk cannot be closed."""
        return self.runtime.config.fullscreen

"""The Kivy app: builds screens over presenters over the runtime. Decides nothing.

Start-up order (bench/ui measures it): the attract screen is built and drawn first; then one
screen per frame, the home screen first, each laid out at the window's size while hidden so
its text is rendered before anyone opens it; then the runtime is built on a thread
(kiosk/ui/startup.py). Screen modules and their .kv files load when built. A screen someone
opens before its turn is built at once.
"""
from __future__ import annotations

import importlib
import logging
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk.i18n import Translator
from kiosk.services.browser import LaunchOptions
from kiosk.services.browsing import BrowserLauncher
from kiosk.services.localtime import local_now
from kiosk.services.speech import Speech, spoken_code_progress
from kiosk.ui import fonts
from kiosk.ui.bridge import Bridge
from kiosk.ui.instrument import start_instruments
from kiosk.ui.presenters import texts
from kiosk.ui.presenters.counter import CounterPresenter
from kiosk.ui.presenters.dimming import DimmingPresenter
from kiosk.ui.presenters.eservices import EServicesPresenter
from kiosk.ui.presenters.home import HomePresenter
from kiosk.ui.presenters.idle import WARNING
from kiosk.ui.presenters.pickup import PickupPresenter
from kiosk.ui.presenters.returns import ReturnsPresenter
from kiosk.ui.presenters.session import SessionPresenter
from kiosk.ui.presenters.spoken import spoken_text
from kiosk.ui.presenters.staff import StaffPresenter
from kiosk.ui.presenters.video import VideoPresenter
from kiosk.ui.probe import start_probe
from kiosk.ui.startup import RuntimeStarter
from kiosk.ui.screens.browser_visit import end_strip_height
from kiosk.ui.theme import COMPACT_HEIGHT_MM, Theme
from kiosk.ui.widgets import controls, scroll  # noqa: F401  (registers the widgets the .kv rules use)

if TYPE_CHECKING:
    from kiosk.early_config import UiConfig
    from kiosk.services.runtime import KioskRuntime

log = logging.getLogger(__name__)


def _utcnow() -> datetime:
    return datetime.now(UTC)


UI_DIR = Path(__file__).parent
SHARED_KV_FILES = ("widgets/controls.kv", "screens/common.kv", "screens/common_scroll.kv", "screens/visit.kv")
# name: (module, class) under kiosk.ui.screens; each has <name>.kv beside it. In build order:
# the first is shown at start, the second is one tap away, the rest are built while idle.
SCREENS = {"attract": ("attract", "AttractScreen"), "home": ("home", "HomeScreen"),
           "pickup": ("pickup", "PickupScreen"), "video": ("video", "VideoScreen"),
           "eservices": ("eservices", "EServicesScreen"), "staff": ("staff", "StaffMenuScreen"),
           "language": ("language", "LanguageScreen"), "help": ("help", "HelpScreen"),
           "staff_receive": ("staff_receive", "StaffReceiveScreen"),
           "staff_counter": ("staff_counter", "StaffCounterScreen"),
           "staff_returns": ("staff_returns", "StaffReturnsScreen")}
ESCAPE_KEY = 27
# `kiosk demo` serves its video room and e-service on loopback with a self-signed certificate:
# the browser trusts that one key (base64 SHA-256 of its SPKI), as pinned, and no other.
TRUST_SPKI_ENV = "SERVICEPUNKT_TRUST_SPKI"


class InstantSwitch(NoTransition):
    """Swaps the screens within the frame. Kivy's NoTransition still runs a zero-second
    animation, so for a frame (or longer, when switches follow each other quickly) the old
    screen stayed under the new one and both were drawn."""

    def start(self, manager) -> None:
        self.manager = manager
        self.screen_in.dispatch("on_pre_enter")
        self.screen_out.dispatch("on_pre_leave")
        manager.real_remove_widget(self.screen_out)
        manager.real_add_widget(self.screen_in)
        self.screen_in.dispatch("on_enter")
        self.screen_out.dispatch("on_leave")

    def stop(self) -> None:
        self.is_active = False


class KioskScreens(ScreenManager):
    """Kivy's ScreenManager clips its screens with a stencil (for transitions that slide one
    in): a full-window rectangle drawn twice a frame, into the stencil and out again. Our
    switches are instant and the screens fill the window, so screens/common.kv drops that
    rule (`<-KioskScreens>`): under Mesa's software renderer it was most of every frame's
    buffer swap."""


class KioskApp(App):
    title = "Servicepunkt"
    theme = ObjectProperty(None)
    session = ObjectProperty(None)
    place_name = StringProperty("")

    def __init__(self, config: UiConfig, build_runtime: Callable[[], KioskRuntime], **kwargs) -> None:
        """`config` is what the window needs; `build_runtime` validates the whole config file
        and builds the runtime from it, on a thread once every screen is built."""
        super().__init__(**kwargs)
        self.kiosk_config = config
        self.runtime: KioskRuntime | None = None
        self.startup = RuntimeStarter(build_runtime, self._runtime_built)
        self.startup_error: BaseException | None = None
        self.bridge = Bridge()
        self.theme = Theme()
        self.place_name = config.service_point_name
        self.tr = Translator(config.language)
        # Told on the speech thread: the screen hears of it on the main one.
        self.speech = Speech(config.language,
                             on_unavailable=lambda: self.bridge.call_on_main(self.session.speech_failed))
        self.session = self._build_session()
        display = config.display
        self.dimming = DimmingPresenter(dim_from=display.dim_from, dim_until=display.dim_until,
                                        level=display.dim_level, awake_s=config.idle_timeout_s)
        self._speaking_shown = False
        self._dim_layer = None

    def _build_session(self) -> SessionPresenter:
        run = self.bridge.run_in_worker
        parcels, config = self.startup.deferred("parcels"), self.kiosk_config
        home = HomePresenter()
        home.set_starting(True)
        printer = self.startup.deferred("printer") if config.has_printer else None
        staff_mode = StaffPresenter(parcels, run, printer=printer, place=config.service_point_name)
        launcher, post, directory = BrowserLauncher(self.browser_options), self.bridge.call_on_main, \
            self.startup.deferred("directory")
        video = VideoPresenter(directory, launcher, run, post, _utcnow, village=config.service_point_name,
                               on_visit_end=self._visit_ended)
        video.on_visit_start = self._call_started
        eservices = EServicesPresenter(directory, launcher, run, post, _utcnow, on_visit_end=self._visit_ended)
        return SessionPresenter(staff=self.startup.deferred("staff"), home=home,
                                pickup=PickupPresenter(parcels, run), staff_mode=staff_mode,
                                counter=CounterPresenter(parcels, run), returns=ReturnsPresenter(parcels, run),
                                run=run, default_language=config.language, idle_timeout_s=config.idle_timeout_s,
                                video=video, eservices=eservices)

    def _call_started(self, kind: str, service_id: str) -> None:
        """The room is open: queue the event that makes the server alert the on-duty contact."""
        usage = self.runtime.usage if self.runtime else None
        if usage is not None:
            self.bridge.run_in_worker(lambda: usage.call_started(service_id, kind == "booked_video"),
                                      lambda _r: None, lambda error: log.error("call event not queued: %s", error))

    def _visit_ended(self, kind: str, service_id: str, seconds: int, outcome: str) -> None:
        """Queues the anonymous usage event of a video call or e-service that just ended."""
        usage, session = (self.runtime.usage if self.runtime else None), self.session
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
        left, top = (0, 0) if self.kiosk_config.fullscreen else (Window.left, Window.top)
        pinned = os.environ.get(TRUST_SPKI_ENV, "").strip()
        extra = (f"--ignore-certificate-errors-spki-list={pinned}",) if pinned else ()
        return LaunchOptions(window=(left, top, Window.width, max(1, Window.height - strip)), extra_args=extra)

    def build(self) -> KioskScreens:
        fonts.register()
        Window.clearcolor = self.theme.background
        Window.bind(on_keyboard=self._swallow_escape, on_request_close=self._refuse_close,
                    size=self._measure_panel)
        self._measure_panel()
        for kv in SHARED_KV_FILES:
            Builder.load_file(str(UI_DIR / kv))
        self.manager = KioskScreens(transition=InstantSwitch())
        self.manager.bind(size=self._size_hidden_screens)
        self._build_screen(next(iter(SCREENS)))
        self.idle_warning = None  # built when first needed
        self.session.subscribe(self._session_changed)
        Window.bind(on_touch_down=self._touched)
        self.dimming.subscribe(self._show_brightness)
        Clock.schedule_interval(lambda _dt: self._tick(), 1.0)
        Clock.schedule_interval(lambda _dt: self._show_connectivity(), 5.0)
        Clock.schedule_interval(lambda _dt: self._show_speaking(), 0.5)
        start_probe(self.manager)
        return self.manager

    def on_start(self) -> None:
        start_instruments(self)
        Window.bind(on_flip=self._first_frame_drawn)

    def _first_frame_drawn(self, *_args) -> None:
        Window.unbind(on_flip=self._first_frame_drawn)
        Clock.schedule_once(self._build_rest, 0)

    # -- building the screens ------------------------------------------------------------------

    def _build_screen(self, name: str):
        """Loads a screen's module and rules, builds it, and lays it out at the window's size
        while hidden, so its texts are rendered before it is first shown."""
        if self.manager.has_screen(name):
            return self.manager.get_screen(name)
        module_name, class_name = SCREENS[name]
        screen_class = getattr(importlib.import_module(f"kiosk.ui.screens.{module_name}"), class_name)
        Builder.load_file(str(UI_DIR / "screens" / f"{module_name}.kv"))
        screen = screen_class(name=name)
        screen.setup(self.session, self.tr, self.place_name)
        screen.retranslate(self.tr)
        screen.pos, screen.size = self.manager.pos, self.manager.size
        self.manager.add_widget(screen)
        return screen

    def _size_hidden_screens(self, manager, size) -> None:
        for screen in manager.screens:
            screen.size = size

    def _build_rest(self, _dt=None) -> None:
        """One screen per frame, so a tap in between is answered; then the runtime. With one
        GIL, building the runtime alongside would slow down the frames a person waits for."""
        missing = [name for name in SCREENS if not self.manager.has_screen(name)]
        if missing:
            self._build_screen(missing[0])
            Clock.schedule_once(self._build_rest, 0)
            return
        self._idle_warning()
        if not self.startup.started:
            self.startup.start()

    def _idle_warning(self):
        if self.idle_warning is None:
            from kiosk.ui.widgets.idle_warning import IdleWarning

            Builder.load_file(str(UI_DIR / "widgets" / "idle_warning.kv"))
            self.idle_warning = IdleWarning(on_more_time=lambda *_: self.session.more_time(time.monotonic()))
        return self.idle_warning

    # -- the runtime ---------------------------------------------------------------------------

    def _runtime_built(self, runtime, error) -> None:
        """Called on the starter's thread: hops to the main thread."""
        self.bridge.call_on_main(self._runtime_ready, runtime, error)

    def _runtime_ready(self, runtime, error) -> None:
        if error is not None:
            self.startup_error = error  # run_app raises it: `kiosk run` fails as it did before
            self.stop()
            return
        self.runtime = runtime
        from kiosk.ui.gallery import start_gallery

        if start_gallery(self):
            self.session.home.set_starting(False)
            return  # a screenshot run: no devices, no sync
        # Reconciling the doors reads every board: on a worker, so frames keep coming.
        self.bridge.run_in_worker(runtime.start, self._runtime_started, lambda e: self._runtime_ready(None, e))

    def _runtime_started(self, _result=None) -> None:
        self.session.home.set_starting(False)
        self._start_devices()
        parcels, doors = self.runtime.parcels, self.session.open_doors
        if self.runtime.reconciled is not None:  # doors a restart left open, items nobody recorded
            doors.found(parcels, self.runtime.reconciled)
        # A full disk, and what it left behind once space returns (both come on worker threads).
        parcels.storage.on_full = lambda: self.bridge.call_on_main(doors.set_storage_full, True)
        parcels.on_reconciled = lambda found: self.bridge.call_on_main(doors.found, parcels, found)

    def _measure_panel(self, *_args) -> None:
        """Pixels per millimetre of the actual window on the configured panel."""
        self.theme.px_per_mm = Window.width / self.kiosk_config.panel.width_mm
        # The short side decides: an upright 7" panel (720x1280, 87 mm wide) is as cramped as
        # the landscape one, across instead of down.
        self.theme.compact = min(Window.width, Window.height) / self.theme.px_per_mm < COMPACT_HEIGHT_MM
        self.theme.narrow = Window.width < Window.height

    # -- following the session -------------------------------------------------------------

    def _session_changed(self, session) -> None:
        self._follow_display_mode(session)
        self._follow_language(session.language)
        self._build_screen(session.screen)  # at once if someone gets there before the idle build
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
        if session.idle_state == WARNING and self._idle_warning().parent is None:
            self._warn_idle()
        elif session.idle_state != WARNING and self.idle_warning is not None and self.idle_warning.parent is not None:
            self.idle_warning.dismiss()
        if session.screen == "attract":
            self.speech.reset()  # a new visitor starts at the default volume

    def _touched(self, *_args) -> None:
        now = time.monotonic()
        self.dimming.touched(now)
        self.session.touched(now)

    def _tick(self) -> None:
        self.session.tick(time.monotonic())
        self.dimming.tick(local_now().time(), time.monotonic())  # dim_from/dim_until: the shop's hours
        if self.idle_warning is not None and self.idle_warning.parent is not None:
            self._show_countdown()

    def _show_countdown(self) -> None:
        seconds = self.session.idle.seconds_left(time.monotonic())
        self._idle_warning().message = self.tr(texts.IDLE_WARNING, seconds=seconds)

    def _warn_idle(self) -> None:
        self._show_countdown()
        self.idle_warning.button_text = self.tr(texts.MORE_TIME)
        self.idle_warning.open()
        self.speech.say(self.idle_warning.message)  # audible as well as visible

    def _show_connectivity(self) -> None:
        worker = self.runtime.sync_worker if self.runtime else None
        offline = worker is not None and worker.status().consecutive_failures > 0
        if self.manager.has_screen("home"):
            self.manager.get_screen("home").show_offline(offline)
        if not offline:
            self._last_online = _utcnow()
        for visit in (self.session.video, self.session.eservices):
            visit.set_online(not offline, getattr(self, "_last_online", None))

    # -- dimming -----------------------------------------------------------------------------

    def _show_brightness(self, dimming) -> None:
        backlight = self.kiosk_config.display.backlight
        if backlight:
            from kiosk.ui.platform.backlight import Backlight

            self.bridge.run_in_worker(lambda: Backlight(backlight).set(dimming.brightness), lambda _value: None,
                                      lambda error: log.warning("backlight %s: %s", backlight, error))
        else:
            self._darken(1.0 - dimming.brightness)

    def _darken(self, opacity: float) -> None:
        """A black layer over everything, modals included; removed when not dimmed, so an
        undimmed frame draws nothing extra."""
        from kivy.graphics import Color, InstructionGroup, Rectangle

        if self._dim_layer is not None:
            Window.canvas.after.remove(self._dim_layer)
            Window.unbind(size=self._fit_dim_layer)
            self._dim_layer = None
        if opacity <= 0:
            return
        self._dim_layer = InstructionGroup()
        self._dim_layer.add(Color(0, 0, 0, opacity))
        self._dim_rectangle = Rectangle(pos=(0, 0), size=Window.size)
        self._dim_layer.add(self._dim_rectangle)
        Window.canvas.after.add(self._dim_layer)
        Window.bind(size=self._fit_dim_layer)

    def _fit_dim_layer(self, _window, size) -> None:
        self._dim_rectangle.size = size

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
            self.speech.say(spoken_code_progress(len(pickup.code.digits), pickup.code.length, self.tr))

    # -- devices and lifecycle -----------------------------------------------------------------

    def _start_devices(self) -> None:
        call = self.bridge.call_on_main
        if self.runtime.card_reader is not None:
            self.runtime.card_reader.start(lambda uid: call(self.session.card_presented, uid))
        if self.runtime.scanner is not None:
            self.runtime.scanner.start(lambda scan: call(self.session.barcode_scanned, scan.barcode))

    def on_stop(self) -> None:
        self.speech.close()
        self.session.open_doors.stop()  # its watch would keep a worker thread (and the exit) waiting
        self.bridge.shutdown()
        self.startup.close()  # the runtime, or a build still under way

    @staticmethod
    def _swallow_escape(_window, key, *_args) -> bool:
        # Escape (and Android's back key, also 27) must never leave the kiosk.
        return key == ESCAPE_KEY

    def _refuse_close(self, *_args, **_kwargs) -> bool:
        """Returning True keeps the window open: a locked-down kiosk cannot be closed."""
        return self.kiosk_config.fullscreen

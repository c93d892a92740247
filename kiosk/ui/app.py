"""The Kivy app: builds screens over presenters over the injected runtime. Decides nothing."""
from __future__ import annotations

import logging
from pathlib import Path

from kivy.app import App
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk.i18n import Translator
from kiosk.services.runtime import KioskRuntime
from kiosk.ui import theme
from kiosk.ui.bridge import Bridge
from kiosk.ui.presenters.home import HomePresenter
from kiosk.ui.presenters.pickup import PickupPresenter
from kiosk.ui.presenters.session import SessionPresenter
from kiosk.ui.presenters.staff import StaffPresenter
from kiosk.ui.probe import start_probe
from kiosk.ui.screens.attract import AttractScreen
from kiosk.ui.screens.home import HomeScreen
from kiosk.ui.screens.pickup import PickupScreen
from kiosk.ui.screens.staff import StaffScreen

log = logging.getLogger(__name__)
UI_DIR = Path(__file__).parent
KV_FILES = ("widgets/controls.kv", "screens/attract.kv", "screens/home.kv", "screens/pickup.kv",
            "screens/staff.kv")
SCREENS = {"attract": AttractScreen, "home": HomeScreen, "pickup": PickupScreen, "staff": StaffScreen}
ESCAPE_KEY = 27


class KioskApp(App):
    title = "Servicepunkt"

    def __init__(self, runtime: KioskRuntime, **kwargs) -> None:
        super().__init__(**kwargs)
        self.runtime = runtime
        self.bridge = Bridge()
        self.tr = Translator(runtime.config.language)
        self.session = self._build_session()

    def _build_session(self) -> SessionPresenter:
        run = self.bridge.run_in_worker
        parcels = self.runtime.parcels
        return SessionPresenter(staff=self.runtime.staff, home=HomePresenter(),
                                pickup=PickupPresenter(parcels, run), staff_mode=StaffPresenter(parcels, run),
                                run=run)

    def build(self) -> ScreenManager:
        Window.clearcolor = theme.BACKGROUND
        Window.bind(on_keyboard=self._swallow_escape, on_request_close=self._refuse_close)
        for kv in KV_FILES:
            Builder.load_file(str(UI_DIR / kv))
        manager = ScreenManager(transition=NoTransition())
        for name, screen_class in SCREENS.items():
            screen = screen_class(name=name)
            screen.setup(self.session, self.tr, self.runtime.config.service_point_name)
            manager.add_widget(screen)
        self.session.subscribe(lambda session: setattr(manager, "current", session.screen))
        start_probe(manager)
        return manager

    def on_start(self) -> None:
        self.runtime.start()
        self._start_devices()

    def _start_devices(self) -> None:
        call = self.bridge.call_on_main
        if self.runtime.card_reader is not None:
            self.runtime.card_reader.start(lambda uid: call(self.session.card_presented, uid))
        if self.runtime.scanner is not None:
            self.runtime.scanner.start(lambda scan: call(self.session.barcode_scanned, scan.barcode))

    def on_stop(self) -> None:
        self.bridge.shutdown()
        self.runtime.close()

    @staticmethod
    def _swallow_escape(_window, key, *_args) -> bool:
        # Escape (and Android's back key, also 27) must never leave the kiosk.
        return key == ESCAPE_KEY

    def _refuse_close(self, *_args, **_kwargs) -> bool:
        """Returning True keeps the window open: a locked-down kiosk cannot be closed."""
        return self.runtime.config.fullscreen

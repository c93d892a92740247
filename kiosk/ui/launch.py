"""Starts the kiosk window. Kivy reads its settings once, when its window module is first
imported, so they are set here before anything else of Kivy is imported."""
from __future__ import annotations

import os

from kiosk.config import KioskConfig
from kiosk.services.runtime import KioskRuntime


def configure_kivy(config: KioskConfig) -> None:
    os.environ.setdefault("KIVY_NO_ARGS", "1")  # our CLI owns sys.argv, not Kivy
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")  # one log format: ours, through logging
    from kivy.config import Config

    panel = config.panel
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "window_icon", "")
    Config.set("graphics", "width", str(panel.width_px))
    Config.set("graphics", "height", str(panel.height_px))
    Config.set("graphics", "fullscreen", "auto" if config.fullscreen else "0")
    Config.set("graphics", "position", "custom")
    Config.set("graphics", "left", "0")
    Config.set("graphics", "top", "0")
    Config.set("graphics", "resizable", "0")
    # No red dots on right-click, no on-screen keyboard popping up.
    Config.set("input", "mouse", "mouse,disable_multitouch")
    Config.set("kivy", "keyboard_mode", "system")


def run_app(runtime: KioskRuntime) -> None:
    configure_kivy(runtime.config)
    from kiosk.ui.app import KioskApp

    KioskApp(runtime).run()

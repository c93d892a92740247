"""Starts the kiosk window. Kivy reads its settings once, when its window module is first
imported, so they are set here before anything else of Kivy is imported."""
from __future__ import annotations

import os
import shutil
import subprocess

from kiosk.config import KioskConfig
from kiosk.services.runtime import KioskRuntime
from kiosk.ui.kivy_settings import apply_window_settings


def configure_kivy(config: KioskConfig) -> None:
    panel = config.panel
    apply_window_settings(width=panel.width_px, height=panel.height_px, fullscreen=config.fullscreen)


def keep_screen_on() -> None:
    """No screensaver and no DPMS power-off: a kiosk whose screen went black looks broken.
    SDL already inhibits the screensaver while the window is up; xset covers the X server's
    own blanking. Best effort: on a display without xset nothing happens."""
    os.environ.setdefault("SDL_VIDEO_ALLOW_SCREENSAVER", "0")
    xset = shutil.which("xset")
    if xset and os.environ.get("DISPLAY"):
        subprocess.run([xset, "s", "off", "-dpms", "s", "noblank"], check=False, capture_output=True, timeout=5)


def run_app(runtime: KioskRuntime) -> None:
    if runtime.config.fullscreen:
        keep_screen_on()
    configure_kivy(runtime.config)
    from kivy.clock import Clock

    from kiosk.services import watchdog
    from kiosk.ui.app import KioskApp

    watchdog.start(Clock)  # READY=1 after the first frame, then pings: systemd restarts a hung UI
    KioskApp(runtime).run()

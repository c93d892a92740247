"""Starts the kiosk window. Kivy reads its settings once, when its window module is first
imported, so they are set here before anything else of Kivy is imported."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

from typing import TYPE_CHECKING, Callable

from kiosk.ui.platform.kivy_settings import apply_window_settings

# Worker threads (building the runtime, database queries, the sync worker) run pure Python
# that holds the GIL; by default the main thread waits up to 5 ms for it each time it wakes,
# which adds up within one frame. 1 ms keeps frames and taps prompt at a small switching cost.
UI_SWITCH_INTERVAL_S = 0.001

if TYPE_CHECKING:
    from kiosk.config import KioskConfig
    from kiosk.early_config import UiConfig


def configure_kivy(config: UiConfig) -> None:
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


def run_app(config: UiConfig, full_config: Callable[[], KioskConfig]) -> None:
    """Runs the kiosk until it is stopped. The runtime (database, devices, sync) is built in
    the background once the first screen shows (kiosk/ui/startup.py), from `full_config()`:
    the whole file validated, which raises ConfigError if it is not valid. If that fails, the
    error is raised here after the window closes, so `kiosk run` fails as loudly as before."""
    if config.fullscreen:
        keep_screen_on()
    configure_kivy(config)
    sys.setswitchinterval(UI_SWITCH_INTERVAL_S)
    from kivy.clock import Clock

    from kiosk.services import watchdog
    from kiosk.services.runtime import build_runtime  # cheap: its heavy imports are inside
    from kiosk.ui.app import KioskApp

    from kiosk import __version__
    from kiosk.services.updates.health import HEALTH_FILE, HealthWriter
    from kiosk.ui.platform.health_hooks import start_health

    watchdog.start(Clock)  # READY=1 after the first frame, then pings: systemd restarts a hung UI
    app = KioskApp(config, lambda: build_runtime(full_config()))
    # What the updater checks after installing a new version (kiosk update run).
    start_health(app, HealthWriter(config.data_dir / HEALTH_FILE, __version__), Clock)
    try:
        app.run()
    finally:
        app.startup.close()
    if app.startup_error is not None:
        raise app.startup_error

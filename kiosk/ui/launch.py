"""Starts the kiosk window. Kivy reads its settings once, when its window module is first
imported, so they are set here before anything else of Kivy is imported."""
from __future__ import annotations

from kiosk.config import KioskConfig
from kiosk.services.runtime import KioskRuntime
from kiosk.ui.kivy_settings import apply_window_settings


def configure_kivy(config: KioskConfig) -> None:
    panel = config.panel
    apply_window_settings(width=panel.width_px, height=panel.height_px, fullscreen=config.fullscreen)


def run_app(runtime: KioskRuntime) -> None:
    configure_kivy(runtime.config)
    from kiosk.ui.app import KioskApp

    KioskApp(runtime).run()

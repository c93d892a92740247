"""Feeds the health file (kiosk/services/updates/health.py) from the running app: the first frame drawn,
each touch, and every few seconds the devices and the sync worker, written on a worker thread."""
from __future__ import annotations

import logging
from typing import Any

from kiosk.services.updates.health import HealthWriter

log = logging.getLogger(__name__)
WRITE_EVERY_S = 5.0


def start_health(app: Any, writer: HealthWriter, clock: Any) -> None:
    from kivy.core.window import Window

    def first_flip(*_args: Any) -> None:
        Window.unbind(on_flip=first_flip)
        writer.screen_drawn()

    def touched(*_args: Any) -> None:
        writer.touched()  # returns None: the touch goes on to the screens

    def write() -> None:
        runtime = app.runtime
        writer.write(runtime.devices if runtime else None, runtime.sync_worker if runtime else None)

    def tick(_dt: float) -> None:
        app.bridge.run_in_worker(write, lambda _result: None,
                                 lambda error: log.warning("health file not written: %s", error))

    Window.bind(on_flip=first_flip, on_touch_down=touched)
    clock.schedule_interval(tick, WRITE_EVERY_S)

"""Dimming on a schedule: the period logic and the touch without a window, the backlight
through a sysfs-shaped directory, and the real app under Xvfb darkening its picture and
brightening it at once on a tap."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from datetime import time as TimeOfDay
from pathlib import Path

import pytest
from PIL import ImageGrab

from hardware.sim.runner import SimulatorSet
from kiosk.cli.provision import default_compartments
from kiosk.config import ConfigError, parse_config, write_config
from kiosk.services.localtime import local_now
from kiosk.ui.palette import NORMAL
from kiosk.ui.platform.backlight import Backlight
from kiosk.ui.presenters.dimming import DimmingPresenter, in_period
from tests.e2e.driver import KioskDriver
from tests.e2e.system import wait_until

NIGHT = {"dim_from": "22:00", "dim_until": "06:00", "dim_level": 0.3}


def at(text: str) -> TimeOfDay:
    return datetime.strptime(text, "%H:%M").time()


@pytest.mark.parametrize("now, inside", [("21:59", False), ("22:00", True), ("23:59", True), ("00:00", True),
                                         ("05:59", True), ("06:00", False), ("12:00", False)])
def test_a_period_may_span_midnight(now: str, inside: bool) -> None:
    assert in_period(at(now), at("22:00"), at("06:00")) is inside


@pytest.mark.parametrize("now, inside", [("12:59", False), ("13:00", True), ("13:29", True), ("13:30", False)])
def test_a_period_within_a_day(now: str, inside: bool) -> None:
    assert in_period(at(now), at("13:00"), at("13:30")) is inside


def test_dims_in_the_period_and_a_touch_brightens_at_once_until_the_visit_is_over() -> None:
    dimming = DimmingPresenter(dim_from="22:00", dim_until="06:00", level=0.3, awake_s=90)
    seen: list[float] = []
    dimming.subscribe(lambda d: seen.append(d.brightness))
    dimming.tick(at("21:00"), now=1000)
    assert not dimming.dimmed
    dimming.tick(at("22:00"), now=1001)
    assert dimming.brightness == 0.3
    dimming.touched(now=1002)
    assert dimming.brightness == 1.0  # at once, before any tick
    dimming.tick(at("22:01"), now=1002 + 89)
    assert not dimming.dimmed  # still in use
    dimming.tick(at("22:02"), now=1002 + 90)
    assert dimming.brightness == 0.3
    dimming.tick(at("06:00"), now=5000)
    assert not dimming.dimmed
    assert seen == [1.0, 0.3, 1.0, 0.3, 1.0]  # one change each, no repeats


def test_without_a_period_it_never_dims() -> None:
    dimming = DimmingPresenter(dim_from=None, dim_until=None, level=0.3, awake_s=90)
    for hour in range(24):
        dimming.tick(TimeOfDay(hour, 30), now=10_000 + hour)
        assert not dimming.dimmed


@pytest.mark.parametrize("display, complaint", [
    ({"dim_from": "22:00"}, "go together"),
    ({"dim_from": "22:00", "dim_until": "22:00"}, "must differ"),
    ({"dim_from": "24:00", "dim_until": "06:00"}, "display.dim_from"),
    ({"dim_from": "7:00", "dim_until": "06:00"}, "display.dim_from"),
    ({**NIGHT, "dim_level": 0}, "display.dim_level"),
    ({**NIGHT, "dim_level": 1.5}, "display.dim_level"),
])
def test_bad_display_settings_are_refused_by_name(display: dict, complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        parse_config({"data_dir": "/tmp/unused", "display": display})


def test_the_backlight_is_set_as_a_share_of_its_maximum_and_never_off(tmp_path: Path) -> None:
    (tmp_path / "max_brightness").write_text("255\n")
    (tmp_path / "brightness").write_text("255\n")
    backlight = Backlight(tmp_path)
    assert backlight.set(0.3) == 76  # 76.5 rounded to even
    assert (tmp_path / "brightness").read_text() == "76\n"
    assert backlight.set(0.001) == 1
    assert backlight.set(1.0) == 255


def bar_pixel(display: str) -> tuple[int, int, int]:
    """A corner of the top bar: plain bar colour on every screen."""
    return ImageGrab.grab(xdisplay=display).convert("RGB").getpixel((3, 3))


@pytest.mark.ui
def test_the_app_darkens_in_the_period_and_a_tap_brightens_it_at_once(tmp_path: Path, x_display: str) -> None:
    now = local_now()  # the dimming hours are the shop's, whatever zone this machine is in
    period = {"dim_from": (now - timedelta(hours=1)).strftime("%H:%M"),
              "dim_until": (now + timedelta(hours=1)).strftime("%H:%M"), "dim_level": 0.3}
    full = tuple(round(channel * 255) for channel in NORMAL.bar[:3])
    dimmed = tuple(round(channel * 0.3) for channel in full)
    with SimulatorSet() as sims:
        config = parse_config({"data_dir": str(tmp_path / "data"), "fullscreen": False, "display": period,
                               "locker": {"port": sims.ports["locker"],
                                          "compartments": [c.model_dump() for c in default_compartments(4)]}})
        write_config(config, tmp_path / "kiosk.toml")
        probe = tmp_path / "probe.json"
        env = {**os.environ, "DISPLAY": x_display, "KIVY_HOME": str(tmp_path / "kivy"),
               "SERVICEPUNKT_UI_PROBE": str(probe)}
        app = subprocess.Popen([sys.executable, "-m", "kiosk.cli.main", "--config", str(tmp_path / "kiosk.toml"),
                                "run"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            ui = KioskDriver(probe, x_display, tmp_path)
            ui.wait_screen("attract", timeout=60)
            wait_until(lambda: _close(bar_pixel(x_display), dimmed), "the untouched screen to dim", timeout=30)
            ui.tap("attract")
            wait_until(lambda: _close(bar_pixel(x_display), full), "a tap to brighten the screen", timeout=3)
            ui.wait_screen("home", timeout=5)  # the tap also did what a tap does
        finally:
            app.terminate()
            app.wait(timeout=20)


def _close(pixel: tuple[int, int, int], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 2 for a, b in zip(pixel, expected, strict=True))

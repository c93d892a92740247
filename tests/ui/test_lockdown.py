"""Lockdown against a mouse or finger held down: the real kiosk under Xvfb, real pointer
events from xdotool. A long press and a right-click on a spot without a control must leave
the kiosk running, on the same screen, with nothing extra drawn (Kivy's multitouch
emulation would leave a red dot where the right button was pressed)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import ImageChops, ImageGrab

from hardware.sim.runner import SimulatorSet
from tests.e2e.driver import KioskDriver
from tests.ui.test_screenshots import panel_config

pytestmark = pytest.mark.ui
WIDTH, HEIGHT = 1280, 800
TOP_BAR_PX = 90  # the clock lives there and may turn a minute between two pictures


@pytest.fixture
def kiosk(tmp_path: Path, x_display: str):
    with SimulatorSet() as sims:
        config = panel_config(tmp_path, sims.ports, WIDTH, HEIGHT, 217.0)
        probe = tmp_path / "probe.json"
        env = {**os.environ, "DISPLAY": x_display, "KIVY_HOME": str(tmp_path / "kivy"),
               "SERVICEPUNKT_UI_PROBE": str(probe)}
        process = subprocess.Popen([sys.executable, "-m", "kiosk.cli.main", "--config", str(config), "run"],
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            yield process, KioskDriver(probe, x_display, tmp_path)
        finally:
            process.terminate()
            process.wait(timeout=20)


def screen_below_top_bar(display: str):
    return ImageGrab.grab(xdisplay=display).crop((0, TOP_BAR_PX, WIDTH, HEIGHT)).convert("RGB")


def settled_picture(display: str):
    """Two pictures in a row that agree: the screen has finished drawing."""
    previous = screen_below_top_bar(display)
    for _ in range(20):
        time.sleep(0.3)
        current = screen_below_top_bar(display)
        if ImageChops.difference(previous, current).getbbox() is None:
            return current
        previous = current
    return previous


def xdotool(display: str, *args: str) -> None:
    subprocess.run(["xdotool", *args], check=True, env={"DISPLAY": display, "PATH": "/usr/bin:/bin"})


def test_long_press_and_right_click_change_nothing(kiosk, x_display: str, output_dir: Path) -> None:
    process, ui = kiosk
    ui.wait_screen("attract", timeout=60)
    ui.tap_until_screen("attract", "home")
    # The lockers ready, so their tile's "Starting" does not change between the two pictures.
    ui.wait_text("tile-pickup", "Med koden", timeout=60)
    title = ui.widget("title")  # text, not a control: pressing it must do nothing
    x, y = str(int(title["x"] + title["width"] / 2)), str(int(title["y"] + title["height"] / 2))
    before = settled_picture(x_display)
    before.save(output_dir / "before.png")

    xdotool(x_display, "mousemove", x, y)
    time.sleep(0.2)
    xdotool(x_display, "mousedown", "1")
    time.sleep(2.5)  # a long press, longer than any "hold for menu" gesture
    xdotool(x_display, "mouseup", "1")
    for _ in range(3):
        xdotool(x_display, "click", "3")  # right button: multitouch emulation would draw a dot
        time.sleep(0.3)
    xdotool(x_display, "mousedown", "3")
    time.sleep(1.5)
    xdotool(x_display, "mouseup", "3")
    xdotool(x_display, "mousemove", "5", str(HEIGHT - 5))  # the pointer away from where it pressed

    after = settled_picture(x_display)
    after.save(output_dir / "after.png")
    assert process.poll() is None, f"the kiosk stopped: {process.stderr.read()[-2000:]}"
    assert ui.snapshot()["screen"] == "home"
    changed = ImageChops.difference(before, after).getbbox()
    assert changed is None, f"something was drawn at {changed} (pictures in {output_dir})"

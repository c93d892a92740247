"""Kivy reads its window settings once, when its window module is first imported: every
window of ours (kiosk, simulator panel) sets them here, before importing anything else of Kivy."""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kivy.config import ConfigParser


def apply_window_settings(*, width: int, height: int, left: int = 0, fullscreen: bool = False) -> None:
    os.environ.setdefault("KIVY_NO_ARGS", "1")  # our CLIs own sys.argv, not Kivy
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")  # one log format: ours, through logging
    from kivy.config import Config

    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "window_icon", "")
    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "position", "custom")
    Config.set("graphics", "left", str(left))
    Config.set("graphics", "top", "0")
    Config.set("graphics", "resizable", "0")
    one_touch_path(Config)
    Config.set("kivy", "keyboard_mode", "system")  # no on-screen keyboard popping up


# The one input provider: the X server reads the touchscreen (libinput, rotated and calibrated
# with the screen: docs/technician.md), SDL2 turns its touches into pointer events, and Kivy's
# "mouse" provider takes them from the window. disable_multitouch: no red dots on right-click.
TOUCH_PROVIDER = ("mouse", "mouse,disable_multitouch")


def one_touch_path(config: ConfigParser) -> None:
    """Make TOUCH_PROVIDER the only entry of Kivy's [input] section.

    The config.ini Kivy writes on first start (in KIVY_HOME) also has `%(name)s = probesysfs`
    (on a Raspberry Pi `probesysfs,provider=hidinput`, probing every device): it opens the
    touchscreen's /dev/input/event* itself, so each tap arrived twice, once through X and once
    raw, and unrotated (kivy/kivy issues 1903, 3801, 4172, 8494). Whatever else a config.ini
    or an upgrade adds to [input] goes too."""
    for name in config.options("input"):
        config.remove_option("input", name)
    config.set("input", *TOUCH_PROVIDER)

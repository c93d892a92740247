"""Kivy reads its window settings once, when its window module is first imported: every
window of ours (kiosk, simulator panel) sets them here, before importing anything else of Kivy."""
from __future__ import annotations

import os


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
    # No red dots on right-click, no on-screen keyboard popping up.
    Config.set("input", "mouse", "mouse,disable_multitouch")
    Config.set("kivy", "keyboard_mode", "system")

"""Drives the real kiosk window like a person: reads where controls are from the app's probe
file and taps them with real pointer events (xdotool) on the Xvfb display."""
from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from PIL import ImageGrab

from tests.e2e.system import wait_until


class KioskDriver:
    def __init__(self, probe_file: Path, display: str, screenshots: Path) -> None:
        self.probe_file, self.display, self.screenshots = probe_file, display, screenshots
        self.step = 0

    def snapshot(self) -> dict | None:
        try:
            return json.loads(self.probe_file.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def wait_screen(self, name: str, timeout: float = 30.0) -> dict:
        return wait_until(lambda: (s := self.snapshot()) and s["screen"] == name and s, f"screen {name!r}", timeout)

    def widget(self, probe_id: str) -> dict | None:
        snapshot = self.snapshot() or {"widgets": []}
        return next((w for w in snapshot["widgets"] if w["id"] == probe_id), None)

    def wait_text(self, probe_id: str, contains: str, timeout: float = 20.0) -> str:
        def found():
            widget = self.widget(probe_id)
            return widget and contains in widget["text"] and widget["text"]
        return wait_until(found, f"{probe_id!r} to show {contains!r} (now {self.widget(probe_id)})", timeout)

    def tap(self, probe_id: str) -> None:
        widget = wait_until(lambda: (w := self.widget(probe_id)) and not w["disabled"] and w, f"{probe_id!r}")
        x = int(widget["x"] + widget["width"] / 2)
        y = int(widget["y"] + widget["height"] / 2)
        # Pointer first, then a pause, then the press: SDL drops a press that arrives in the
        # same instant as the pointer entering the window (seen on the first tap after start).
        self._xdotool("mousemove", str(x), str(y))
        time.sleep(0.15)
        self._xdotool("click", "1")

    def press_keys(self, *keys: str) -> None:
        """Key presses a person might try to leave the kiosk with; waits a moment for effects."""
        for key in keys:
            self._xdotool("key", key)
        time.sleep(1.0)

    def _xdotool(self, *args: str) -> None:
        subprocess.run(["xdotool", *args], check=True, env={"DISPLAY": self.display, "PATH": "/usr/bin:/bin"})

    def tap_until_screen(self, probe_id: str, screen: str, attempts: int = 3) -> None:
        """Taps again if nothing happened, as a person would: just after start-up another window
        appearing (the demo's panel) can swallow a first tap under a bare X server."""
        for _ in range(attempts):
            self.tap(probe_id)
            try:
                self.wait_screen(screen, timeout=3)
                return
            except AssertionError:
                continue
        self.wait_screen(screen, timeout=1)

    def type_code(self, code: str) -> None:
        """Taps each digit and waits until the display shows it, as a person would look."""
        self.type_digits(code)

    def type_digits(self, digits: str) -> None:
        """Taps each digit and waits until the display shows it after those already there
        (grouped, as "070-1" or "1 2 3", before the dimmed empty places)."""
        before = self.digits_shown()
        for typed in range(1, len(digits) + 1):
            self.tap(f"key-{digits[typed - 1]}")
            wait_until(lambda expected=before + digits[:typed]: self.digits_shown() == expected,
                       f"digit {typed} (shown {self.digits_shown()!r})")

    def erase_all(self) -> None:
        """Taps Radera until no digit is shown, waiting for each to go."""
        while shown := self.digits_shown():
            self.tap("key-erase")
            wait_until(lambda: self.digits_shown() == shown[:-1], f"{shown!r} to lose its last digit")

    def digits_shown(self) -> str:
        return "".join(ch for ch in (self.widget("code") or {}).get("text", "") if ch.isdigit())

    def screenshot(self, name: str) -> Path:
        self.step += 1
        path = self.screenshots / f"{self.step:02d}-{name}.png"
        ImageGrab.grab(xdisplay=self.display).crop((0, 0, 1280, 800)).save(path)
        return path

"""The panel's backlight through Linux sysfs (/sys/class/backlight/<name>/): `brightness`
takes a whole number from 0 to `max_brightness`. Written on a worker thread (file I/O)."""
from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)


class Backlight:
    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def set(self, share: float) -> int:
        """Sets brightness to `share` of full (never off: at least 1) and returns the value."""
        maximum = int((self.directory / "max_brightness").read_text().strip())
        value = max(1, round(maximum * share))
        (self.directory / "brightness").write_text(f"{value}\n")
        return value

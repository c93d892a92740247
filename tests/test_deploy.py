"""The kiosk's systemd unit: restarts after any exit, never blanks the screen."""
from __future__ import annotations

import configparser
from pathlib import Path

UNIT = Path(__file__).resolve().parents[1] / "deploy" / "servicepunkt-kiosk.service"


def test_kiosk_unit_restarts_forever_and_keeps_the_screen_on() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read(UNIT)
    service = unit["Service"]
    assert service["Restart"] == "always"
    assert unit["Unit"]["StartLimitIntervalSec"] == "0"
    assert "-dpms" in service["ExecStartPre"] and "s off" in service["ExecStartPre"]
    assert service["ExecStart"].endswith("kiosk run")

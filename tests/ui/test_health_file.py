"""The running app writes the health file the updater reads (kiosk/services/updates/health.py): its
version, the first screen drawn, and every simulated device answering, under Xvfb."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from hardware.sim.runner import SimulatorSet
from kiosk import __version__
from kiosk.cli.provisioning.locker_map import default_compartments
from kiosk.config import parse_config, write_config
from kiosk.services.updates.health import HEALTH_FILE, Health, read_health
from tests.e2e.system import Processes

pytestmark = pytest.mark.ui


def wait_for(path: Path, ready, deadline_s: float = 90) -> Health | None:  # type: ignore[no-untyped-def]
    """The health file once `ready(health)` holds; None if it never does before the deadline."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        health = read_health(path)
        if health is not None and ready(health):
            return health
        time.sleep(0.5)
    return read_health(path)


def test_running_app_reports_its_version_screen_and_devices(tmp_path: Path, x_display: str,
                                                           output_dir: Path) -> None:
    with SimulatorSet() as sims:
        ports = sims.ports
        config = tmp_path / "kiosk.toml"
        write_config(parse_config({
            "data_dir": str(tmp_path / "data"), "fullscreen": False,
            "locker": {"port": ports["locker"], "compartments": [c.model_dump() for c in default_compartments(8)]},
            "card_reader": {"port": ports["card_reader"]}, "scanner": {"port": ports["scanner"]},
            "printer": {"port": ports["printer"]}}), config)
        (tmp_path / "data").mkdir()
        processes = Processes(output_dir)
        try:
            processes.start("kiosk", [sys.executable, "-m", "kiosk.cli.main", "--config", str(config), "run"],
                            env={"DISPLAY": x_display, "KIVY_HOME": str(tmp_path / "kivy")})
            health = wait_for(tmp_path / "data" / HEALTH_FILE,
                              lambda h: h.screen_drawn and len(h.devices) == 4 and all(h.devices.values()))
        finally:
            processes.stop_all()
    assert health is not None, "no health file written"
    assert health.version == __version__ and health.screen_drawn
    assert health.devices == {"locker": True, "card_reader": True, "scanner": True, "printer": True}
    assert health.sync_ok is None  # no server configured

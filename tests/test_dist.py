"""The PyInstaller one-folder build (dist/kiosk) as it would be copied to a kiosk: the built
binary prints its version, checks the simulated devices with `doctor`, and starts the app
under Xvfb (READY=1 on a real notify socket means the first frame was drawn).

The build takes minutes, so `make dist-check` builds it and runs these with SERVICEPUNKT_DIST
set; in a plain `make test` they are skipped.
"""
from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

from hardware.sim.runner import SimulatorSet
from kiosk import __version__
from kiosk.cli.provisioning.locker_map import default_compartments
from kiosk.config import parse_config, write_config
from tests.e2e.system import Processes

pytestmark = pytest.mark.dist
BUNDLE = os.environ.get("SERVICEPUNKT_DIST")
if not BUNDLE:
    pytest.skip("set SERVICEPUNKT_DIST=dist/kiosk (make dist-check builds and runs these)", allow_module_level=True)
KIOSK = Path(BUNDLE).resolve() / "kiosk"


@pytest.fixture(scope="module")
def sims():
    with SimulatorSet() as running:
        yield running


@pytest.fixture
def config(tmp_path: Path, sims) -> Path:
    ports = sims.ports
    path = tmp_path / "kiosk.toml"
    write_config(parse_config({
        "data_dir": str(tmp_path / "data"), "fullscreen": False,
        "locker": {"port": ports["locker"], "compartments": [c.model_dump() for c in default_compartments(8)]},
        "card_reader": {"port": ports["card_reader"]}, "scanner": {"port": ports["scanner"]},
        "printer": {"port": ports["printer"]},
    }), path)
    return path


def bundled(*args: str, **kwargs) -> subprocess.CompletedProcess:
    # cwd elsewhere: the bundle must not find anything in the checkout by accident.
    return subprocess.run([str(KIOSK), *args], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL, cwd="/", **kwargs)


def test_built_kiosk_prints_its_version() -> None:
    result = bundled("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"kiosk, version {__version__}"


def test_built_kiosk_doctor_finds_every_simulated_device(config: Path) -> None:
    result = bundled("--config", str(config), "doctor")
    assert result.returncode == 0, result.stdout + result.stderr
    assert [line.split()[0] for line in result.stdout.splitlines()] == ["ok"] * 4
    assert "test receipt printed" in result.stdout


def test_built_kiosk_app_starts_under_xvfb(config: Path, tmp_path: Path, x_display: str, output_dir: Path) -> None:
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify"))
    notify.settimeout(90)
    processes = Processes(output_dir)
    try:
        app = processes.start("kiosk", [str(KIOSK), "--config", str(config), "run"],
                              env={"DISPLAY": x_display, "KIVY_HOME": str(tmp_path / "kivy"),
                                   "NOTIFY_SOCKET": str(tmp_path / "notify"), "WATCHDOG_USEC": "2000000"})
        assert notify.recv(200).decode().splitlines()[0] == "READY=1"
        assert notify.recv(200) == b"WATCHDOG=1"
        assert app.poll() is None
    finally:
        processes.stop_all()
        notify.close()
    log = (output_dir / "kiosk.log").read_text()
    assert "Traceback" not in log, log[-3000:]

"""`kiosk simulate` and `kiosk doctor` sharing one config whose ports are the simulators'
stable link paths: simulate starts what the config names (its protocols, its boards) on
exactly those paths, and doctor checks them there. Real processes, real ptys."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import tomli_w

from hardware.sim.control import SimControl

KIOSK = [sys.executable, "-m", "kiosk.cli.main"]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    links = tmp_path / "dev"
    settings = {
        "data_dir": str(tmp_path / "data"),
        "locker": {"port": str(links / "locker"), "protocol": "wkly",
                   "compartments": [{"id": "A1", "board": 0, "lock": 1}, {"id": "B3", "board": 1, "lock": 3}]},
        "card_reader": {"port": str(links / "card_reader"), "protocol": "rdm6300"},
    }
    path = tmp_path / "kiosk.toml"
    path.write_bytes(tomli_w.dumps(settings).encode())
    return path


@pytest.fixture
def simulate(config: Path):
    process = subprocess.Popen(KIOSK + ["--config", str(config), "simulate", "--link-dir", str(config.parent / "dev")],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True, bufsize=1)
    try:
        lines = [json.loads(process.stdout.readline()) for _ in range(3)]
        yield lines
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
        process.stdout.close()


def kiosk(config: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(KIOSK + ["--config", str(config), *args], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


def test_simulate_starts_what_the_config_names_where_it_says(config, simulate):
    devices, control = simulate[:2], simulate[2]["control"]
    links = config.parent / "dev"
    assert [(d["device"], d["protocol"], d["port"]) for d in devices] == [
        ("locker", "wkly", str(links / "locker")), ("card_reader", "rdm6300", str(links / "card_reader"))]
    boards = {d["board"] for d in SimControl(control).state()["lockers"]}
    assert boards == {0, 1}  # enough boards for every configured compartment


def test_doctor_checks_the_simulated_devices_through_the_same_config(config, simulate):
    control = SimControl(simulate[2]["control"])
    result = kiosk(config, "doctor", "--open", "1:3")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok    locker" in result.stdout and "ok    card reader" in result.stdout
    assert next(d for d in control.state()["lockers"] if (d["board"], d["lock"]) == (1, 3))["door_closed"] is False

    control.command("unplug locker")
    control.command("unplug card_reader")
    result = kiosk(config, "doctor")
    assert result.returncode == 2 | 4, result.stdout  # locker and card reader bits
    control.command("replug locker")
    control.command("replug card_reader")
    assert kiosk(config, "doctor").returncode == 0  # same paths, found again

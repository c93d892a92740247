"""What the technician reads: each command's answer on its own (no Alembic chatter), lists
with headers and "none" when empty, times in the service point's zone with the zone named,
help that keeps its tables, and a busy port named as busy. Real processes where logging or
port ownership is the point; click's CliRunner elsewhere."""
from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
import tomli_w
from click.testing import CliRunner
from sqlalchemy import update

from hardware.sim.runner import SimulatorSet
from kiosk.cli.main import cli
from kiosk.config import load_config
from kiosk.services.runtime import open_database
from sync.outbox import LAST_SUCCESS_AT, OutboxEvent, enqueue, set_state

KIOSK = [sys.executable, "-m", "kiosk.cli.main"]
STOCKHOLM_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d CES?T")


def write_config(path: Path, **sections: object) -> Path:
    path.write_bytes(tomli_w.dumps({"data_dir": str(path.parent / "data"), **sections}).encode())
    return path


def kiosk(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*KIOSK, "--config", str(config), *args], capture_output=True, text=True, timeout=60)


# --- sync status and queue --------------------------------------------------------------------

@pytest.fixture
def queued(tmp_path: Path) -> Path:
    """A kiosk with one pending event made at 2026-12-07 22:10:37 UTC and a last success."""
    config = write_config(tmp_path / "kiosk.toml")
    engine, sessions = open_database(load_config(config))
    with sessions.begin() as session:
        enqueue(session, type="parcel.stored", payload={"parcel_id": "P1", "tracking_id": "T-P1", "compartment": "A1"})
        session.execute(update(OutboxEvent).values(created_at=datetime(2026, 12, 7, 22, 10, 37)))
        set_state(session, LAST_SUCCESS_AT, "2026-07-01T10:00:00+00:00")
    engine.dispose()
    return config


def test_sync_status_and_queue_print_no_migration_lines(tmp_path: Path) -> None:
    config = write_config(tmp_path / "kiosk.toml")  # no database yet: the first command migrates it
    for command in (("sync", "status"), ("queue",)):
        result = kiosk(config, *command)
        assert result.returncode == 0, result.stderr
        assert "alembic" not in result.stderr and "INFO" not in result.stderr, result.stderr


def test_sync_status_shows_local_times_with_the_zone_and_none_for_what_is_missing(queued: Path) -> None:
    result = CliRunner().invoke(cli, ["--config", str(queued), "sync", "status"])
    lines = dict(line.split(": ", 1) for line in result.output.splitlines())
    assert lines["oldest pending created at"] == "2026-12-07 23:10:37 CET"
    assert lines["last success at"] == "2026-07-01 12:00:00 CEST"  # summer time
    assert lines["last error"] == "none" and lines["last error at"] == "none"


def test_queue_shows_times_in_the_configured_zone(queued: Path) -> None:
    config = load_config(queued)
    write_config(queued, timezone="Europe/Helsinki")
    assert config.timezone == "Europe/Stockholm"  # the default, before
    result = CliRunner().invoke(cli, ["--config", str(queued), "queue"])
    assert "2026-12-08 00:10:37 EET" in result.output, result.output


def test_an_unknown_zone_is_a_config_error(tmp_path: Path) -> None:
    config = write_config(tmp_path / "kiosk.toml", timezone="Europe/Nowhere")
    result = CliRunner().invoke(cli, ["--config", str(config), "queue"])
    assert result.exit_code != 0 and "timezone: Value error, unknown time zone 'Europe/Nowhere'" in result.output


# --- devices list and simulate --help ---------------------------------------------------------

def test_devices_list_has_headers_and_names_the_configured_device(tmp_path: Path) -> None:
    with SimulatorSet(devices=("scanner",)) as sims:
        config = write_config(tmp_path / "kiosk.toml", scanner={"port": sims.ports["scanner"]})
        result = CliRunner().invoke(cli, ["--config", str(config), "devices", "list"])
    header, *rows = result.output.splitlines()
    assert re.split(r"\s{2,}", header) == ["PORT", "USB ID", "SERIAL", "DESCRIPTION", "CONFIGURED AS"]
    assert any(row.endswith("scanner") and "(present, not a USB/serial device)" in row for row in rows), rows


def test_devices_list_without_any_port_says_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("serial.tools.list_ports.comports", lambda: [])  # a machine with no serial port
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "none.toml"), "devices", "list"])
    assert result.exit_code == 0 and result.output.startswith("none"), result.output


def test_simulate_help_keeps_its_command_table() -> None:
    result = CliRunner().invoke(cli, ["simulate", "--help"], terminal_width=80)
    lines = result.output.splitlines()
    assert "      card none                           take it away" in lines
    assert "      state                               print the simulated world as JSON" in lines


# --- doctor while the app holds the ports -----------------------------------------------------

APP_LIKE_READER = """
import serial, sys
port = serial.Serial(sys.argv[1], timeout=0.01)
print("open", flush=True)
while True:
    port.read(100)  # as the running kiosk app does: it polls, and takes whatever arrives
"""


def test_doctor_names_the_program_holding_a_port_instead_of_a_device_fault(tmp_path: Path) -> None:
    with SimulatorSet(devices=("locker",)) as sims:
        port = sims.ports["locker"]
        config = write_config(tmp_path / "kiosk.toml",
                              locker={"port": port, "compartments": [{"id": "A1", "board": 0, "lock": 1}]})
        holder = subprocess.Popen([sys.executable, "-c", APP_LIKE_READER, port], stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
            result = kiosk(config, "doctor", "--no-print")
        finally:
            holder.kill()
            holder.wait()
    assert result.returncode == 2, result.stdout
    assert f"FAIL  locker: locker boards: {port} is already in use by pid {holder.pid}" in result.stdout
    assert "sudo systemctl stop servicepunkt-kiosk" in result.stdout

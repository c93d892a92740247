"""From a fresh kiosk to a running one, as a technician does it on site:

fresh config directory -> `kiosk provision --non-interactive ...` against a real central
server and the device simulators -> `kiosk doctor` all green -> `kiosk run` under Xvfb tells
systemd it is ready (a real notify socket), keeps pinging the watchdog, and syncs both ways.
"""
from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from hardware.sim.runner import SimulatorSet
from kiosk.config import load_config
from kiosk.services.runtime import open_database
from kiosk.store.models import StaffCard as KioskStaff
from sync.outbox import enqueue
from sync.server.db.kiosks import Device, EventRow, Token
from tests.e2e.system import KIOSK, Processes, wait_until
from tests.sync.helpers import Central

pytestmark = [pytest.mark.e2e, pytest.mark.ui]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def notify_socket(tmp_path: Path):
    """What systemd does for Type=notify with WatchdogSec=: a datagram socket to listen on."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    sock.settimeout(60)
    yield sock
    sock.close()


def kiosk_cli(config: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*KIOSK, "--config", str(config), *args], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL, cwd=ROOT)


def test_fresh_kiosk_provisioned_checked_started_and_syncing(tmp_path, central, notify_socket, x_display,
                                                               output_dir) -> None:
    config = tmp_path / "etc" / "servicepunkt" / "kiosk.toml"
    central.add_staff("Anna", "04A1B2C3")
    with SimulatorSet(boards=1) as sims:
        ports = sims.ports
        provisioned = kiosk_cli(
            config, "provision", "--non-interactive", "--server", central.url, "--code", central.add_kiosk(),
            "--service-point", "SP-KORPILOMBOLO", "--data-dir", str(tmp_path / "var"),
            "--locker-port", ports["locker"], "--card-reader-port", ports["card_reader"],
            "--scanner-port", ports["scanner"], "--printer-port", ports["printer"],
            "--panel", "10in", "--language", "sv", "--windowed")
        (output_dir / "provision.txt").write_text(provisioned.stdout + provisioned.stderr)
        assert provisioned.returncode == 0, provisioned.stderr
        assert "SERVICEPUNKT KIOSK PROVISIONED" in provisioned.stdout

        doctor = kiosk_cli(config, "doctor")
        (output_dir / "doctor.txt").write_text(doctor.stdout + doctor.stderr)
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr
        assert [line.split()[0] for line in doctor.stdout.splitlines()] == ["ok"] * 4

        settings = load_config(config)
        processes = Processes(output_dir)
        env = {"DISPLAY": x_display, "KIVY_HOME": str(tmp_path / "kivy"), "KIVY_NO_ARGS": "1",
               "NOTIFY_SOCKET": notify_socket.getsockname(), "WATCHDOG_USEC": "2000000"}
        try:
            processes.start("kiosk", [*KIOSK, "--config", str(config), "run"], env=env)
            assert notify_socket.recv(200).decode().splitlines()[0] == "READY=1"
            assert [notify_socket.recv(200) for _ in range(2)] == [b"WATCHDOG=1"] * 2
            _assert_syncs_both_ways(central, settings)
        finally:
            processes.stop_all()


def _assert_syncs_both_ways(central: Central, settings) -> None:
    device_id = settings.server.device_id
    wait_until(lambda: central.count(Token, Token.device_id == device_id) > 0, "the kiosk to sign in")
    engine, sessions = open_database(settings)
    try:
        def staff_names():
            with sessions() as session:
                return [row.name for row in session.scalars(select(KioskStaff))]
        assert wait_until(staff_names, "the staff card to reach the kiosk") == ["Anna"]
        with sessions.begin() as session:
            enqueue(session, type="parcel.stored",
                    payload={"parcel_id": "P1", "tracking_id": "CP000000000SE", "compartment": "A1"})
        wait_until(lambda: central.count(EventRow, EventRow.device_id == device_id) == 1,
                   "the event to reach the server")
    finally:
        engine.dispose()
    [device] = central.rows(Device, Device.device_id == device_id)
    assert device.state == "active"

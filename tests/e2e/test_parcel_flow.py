"""One parcel end to end through the three real programs, tapped like a person would.

Central server (subprocess, SQLite) <- sync worker <- kiosk app (subprocess, Kivy on Xvfb)
<- serial ports <- byte-exact simulators (subprocess, ptys). Nothing is called in-process.
"""
from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest

from hardware.protocols.barcode import s10_check_digit
from hardware.sim.control import SimControl
from tests.e2e.driver import KioskDriver
from tests.e2e.system import KIOSK, Processes, central_command, free_port, read_ports, run, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.ui]
STAFF_UID = "04A1B2C3D4E5F6"
SERVICE_POINT = "SP-TEST"
PARCEL = f"CP47312482{s10_check_digit('47312482')}SE"


@pytest.fixture
def system(tmp_path: Path, x_display: str, output_dir: Path):
    processes = Processes(output_dir)
    try:
        yield _start_system(tmp_path, x_display, processes)
    finally:
        processes.stop_all()


def _start_system(tmp_path: Path, display: str, processes: Processes) -> dict:
    database = tmp_path / "central.db"
    central = central_command(f"sqlite:///{database}")
    run(central + ["db", "upgrade"])
    run(central + ["service-point", "add", SERVICE_POINT, "--name", "Lanthandeln"])
    run(central + ["staff", "add", "--service-point", SERVICE_POINT, "--name", "Anna", "--card-uid", STAFF_UID])
    code = run(central + ["kiosk", "add", "Kiosk 1", "--service-point", SERVICE_POINT, "--quiet"]).strip()
    server = f"http://127.0.0.1:{free_port()}"
    processes.start("central", central + ["serve", "--host", "127.0.0.1", "--port", server.rsplit(":", 1)[1]])
    processes.start("simulators", [sys.executable, "-m", "hardware.sim", "--boards", "1", "--control-port", "0",
                                   "--ports-file", str(tmp_path / "ports.json")])
    ports = read_ports(tmp_path / "ports.json")
    config = tmp_path / "kiosk.toml"
    wait_until(lambda: _healthy(server), "the central server")
    run(KIOSK + ["--config", str(config), "provision", "--server", server, "--code", code,
                 "--data-dir", str(tmp_path / "data"), "--locker-port", ports["locker"],
                 "--card-reader-port", ports["card_reader"], "--scanner-port", ports["scanner"], "--windowed"])
    probe = tmp_path / "probe.json"
    env = {"DISPLAY": display, "KIVY_HOME": str(tmp_path / "kivy"), "KIVY_NO_ARGS": "1",
           "SERVICEPUNKT_UI_PROBE": str(probe)}
    kiosk = processes.start("kiosk", KIOSK + ["--config", str(config), "run"], env=env)
    return {"database": database, "sim": SimControl(ports["control_url"]), "probe": probe, "kiosk": kiosk}


def _healthy(server: str) -> bool:
    import urllib.request
    try:
        with urllib.request.urlopen(f"{server}/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def door(sim: SimControl, lock: int) -> dict:
    return next(d for d in sim.state()["lockers"] if d["board"] == 0 and d["lock"] == lock)


def open_doors(sim: SimControl) -> list[int]:
    return [d["lock"] for d in sim.state()["lockers"] if not d["door_closed"]]


def server_events(database: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT type, payload FROM events ORDER BY seq").fetchall()


def test_staff_stores_a_parcel_and_a_resident_picks_it_up(system: dict, x_display: str, output_dir: Path) -> None:
    sim, ui = system["sim"], KioskDriver(system["probe"], x_display, output_dir)
    ui.wait_screen("attract", timeout=60)
    ui.screenshot("attract")
    ui.press_keys("Escape", "alt+F4", "ctrl+q")
    assert system["kiosk"].poll() is None, "a key combination closed the kiosk"
    ui.tap("attract")
    ui.wait_screen("home")
    ui.screenshot("home")

    # Staff: badge, unknown barcode refused, then a real parcel into a free compartment.
    wait_until(lambda: _staff_synced(sim, ui), "the staff card to reach the kiosk", timeout=30)
    ui.wait_screen("staff")
    sim.command("scan HELLO-123")
    ui.wait_text("message", "känns inte igen")
    assert open_doors(sim) == []
    ui.screenshot("staff-unknown-barcode-refused")
    sim.command(f"scan {PARCEL}")
    ui.wait_text("message", "stäng luckan")
    [lock] = wait_until(lambda: open_doors(sim), "a door to open")
    ui.screenshot("staff-door-open")
    sim.command(f"door 0 {lock} close")
    code_text = ui.wait_text("code", "Hämtningskod")
    code = "".join(ch for ch in code_text if ch.isdigit())
    assert len(code) == 6
    ui.screenshot("staff-code-shown")
    ui.tap("exit-staff")

    # Resident: a wrong code opens nothing, the right one opens the door.
    ui.wait_screen("attract")
    ui.tap("attract")
    ui.tap("tile-pickup")
    ui.wait_screen("pickup")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    ui.type_code(wrong)
    ui.tap("key-ok")
    ui.wait_text("message", "stämmer inte")
    assert open_doors(sim) == []
    ui.screenshot("pickup-wrong-code")
    ui.type_code(code)
    ui.screenshot("pickup-code-typed")
    ui.tap("key-ok")
    ui.wait_text("message", "Ta ditt paket")
    assert wait_until(lambda: open_doors(sim), "the door to open") == [lock]
    ui.screenshot("pickup-door-open")
    sim.command(f"door 0 {lock} close")
    ui.wait_text("message", "uthämtat")
    ui.screenshot("pickup-done")

    # The central server holds both events, exactly once each.
    def both_events():
        events = server_events(system["database"])
        return len(events) >= 2 and events
    events = wait_until(both_events, "both events on the server", timeout=30)
    assert [kind for kind, _ in events] == ["parcel.stored", "parcel.picked_up"]
    stored, picked = (json.loads(payload) for _, payload in events)
    assert stored["tracking_id"] == PARCEL and stored["parcel_id"] == picked["parcel_id"]
    assert code not in json.dumps(stored)  # the code never leaves the kiosk


def _staff_synced(sim: SimControl, ui: KioskDriver) -> bool:
    """Taps the badge until the kiosk knows it (its first pull may still be under way)."""
    sim.command(f"tap {STAFF_UID}")
    try:
        wait_until(lambda: (ui.snapshot() or {}).get("screen") == "staff", "staff mode", timeout=3)
        return True
    except AssertionError:
        return False

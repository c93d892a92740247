"""The running kiosk survives its lock board and card reader being unplugged and plugged back
in: no restart, and afterwards a staff member stores a parcel as usual.

Same three real programs as test_parcel_flow, but the simulators keep stable port names
(--link-dir, like /dev/serial/by-id), so a replugged device comes back under the path the
kiosk's config names. The cable is pulled with the simulators' own control language
(`unplug locker`, `replug locker`), as the demo's simulator panel does.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from hardware.sim.control import SimControl
from tests.e2e.driver import KioskDriver
from tests.e2e.system import KIOSK, Processes, central_command, free_port, read_ports, run, wait_until
from tests.e2e.test_parcel_flow import PARCEL, SERVICE_POINT, STAFF_UID, _healthy, _staff_synced, open_doors

pytestmark = [pytest.mark.e2e, pytest.mark.ui]
UNPLUGGED = ("locker", "card_reader")


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
    links = tmp_path / "dev"
    links.mkdir()
    processes.start("simulators", [sys.executable, "-m", "hardware.sim", "--boards", "1", "--control-port", "0",
                                   "--link-dir", str(links), "--ports-file", str(tmp_path / "ports.json")])
    ports = read_ports(tmp_path / "ports.json")
    assert all(ports[name].startswith(str(links)) for name in UNPLUGGED)  # stable names, not /dev/pts/N
    config = tmp_path / "kiosk.toml"
    wait_until(lambda: _healthy(server), "the central server")
    run(KIOSK + ["--config", str(config), "provision", "--server", server, "--code", code,
                 "--data-dir", str(tmp_path / "data"), "--locker-port", ports["locker"],
                 "--card-reader-port", ports["card_reader"], "--scanner-port", ports["scanner"], "--windowed"])
    probe = tmp_path / "probe.json"
    env = {"DISPLAY": display, "KIVY_HOME": str(tmp_path / "kivy"), "KIVY_NO_ARGS": "1",
           "SERVICEPUNKT_UI_PROBE": str(probe)}
    kiosk = processes.start("kiosk", KIOSK + ["--config", str(config), "run"], env=env)
    return {"sim": SimControl(ports["control_url"]), "probe": probe, "kiosk": kiosk}


def plugged(sim: SimControl) -> dict[str, bool]:
    return {d["device"]: d["plugged"] for d in sim.state()["devices"]}


def pty_of(sim: SimControl, device: str) -> str:
    return next(d["pty"] for d in sim.state()["devices"] if d["device"] == device)


def holds_open(pid: int, pty: str) -> bool:
    """Whether process `pid` (the kiosk) has `pty` open: its driver is using the device."""
    names = (pty, f"{pty} (deleted)")  # the node goes when the simulator drops its end
    try:
        return any(str(fd.readlink()) in names for fd in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False  # an fd closed while we looked; the next look decides


def test_kiosk_recovers_from_unplug_and_replug_without_restart(system: dict, x_display: str,
                                                               output_dir: Path) -> None:
    sim, ui, kiosk = system["sim"], KioskDriver(system["probe"], x_display, output_dir), system["kiosk"]
    ui.wait_screen("attract", timeout=60)
    ui.tap_until_screen("attract", "home")
    wait_until(lambda: _staff_synced(sim, ui), "the staff card to reach the kiosk", timeout=30)
    ui.tap("exit-staff")
    ui.wait_screen("attract")
    before = {name: pty_of(sim, name) for name in UNPLUGGED}
    wait_until(lambda: all(holds_open(kiosk.pid, pty) for pty in before.values()), "the kiosk to use the devices")

    for name in UNPLUGGED:
        sim.command(f"unplug {name}")
    assert plugged(sim) == {"locker": False, "card_reader": False, "scanner": True, "printer": True}
    # The kiosk notices by itself: its drivers hit the dead ports and let go of them.
    wait_until(lambda: not any(holds_open(kiosk.pid, pty) for pty in before.values()),
               "the kiosk to notice the unplugged devices", timeout=20)
    ui.screenshot("devices-unplugged")
    for name in UNPLUGGED:
        sim.command(f"replug {name}")
    after = {name: pty_of(sim, name) for name in UNPLUGGED}
    # And finds them again by itself: its drivers reopen the same configured paths.
    wait_until(lambda: all(holds_open(kiosk.pid, pty) for pty in after.values()), "the kiosk to reopen both devices",
               timeout=20)
    assert kiosk.poll() is None, "the kiosk exited"

    # And it works as before: the badge is read, the parcel goes into a compartment.
    ui.tap_until_screen("attract", "home")
    wait_until(lambda: _staff_synced(sim, ui), "the badge to be read after the replug", timeout=30)
    sim.command(f"scan {PARCEL}")
    ui.wait_text("message", "stäng luckan")
    [lock] = wait_until(lambda: open_doors(sim), "a door to open after the replug")
    sim.command(f"door 0 {lock} close")
    code_text = ui.wait_text("code", "Hämtningskod")
    assert len("".join(ch for ch in code_text if ch.isdigit())) == 6
    ui.screenshot("stored-after-replug")
    assert kiosk.poll() is None, "the kiosk exited"

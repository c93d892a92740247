"""The running kiosk survives its lock board and card reader being unplugged and plugged back
in: no restart, and afterwards a staff member stores a parcel as usual.

Same three real programs as test_parcel_flow, but the simulators keep stable port names
(--link-dir, like /dev/serial/by-id), so a replugged device comes back under the path the
kiosk's config names. The cable is pulled with the simulators' own control language
(`unplug locker`, `replug locker`), as the demo's simulator panel does.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from hardware.sim.control import SimControl
from tests.e2e.parcel_system import ParcelSystem, s10, start_parcel_system
from tests.e2e.system import Processes, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.ui]
UNPLUGGED = ("locker", "card_reader")


@pytest.fixture
def system(tmp_path: Path, x_display: str, output_dir: Path):
    processes = Processes(output_dir)
    try:
        yield start_parcel_system(tmp_path, x_display, processes, output_dir, stable_names=True)
    finally:
        processes.stop_all()


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


def test_kiosk_recovers_from_unplug_and_replug_without_restart(system: ParcelSystem, tmp_path: Path) -> None:
    sim, ui, kiosk = system.sim, system.ui, system.kiosk
    ports = {name: pty_of(sim, name) for name in UNPLUGGED}
    assert all(str(tmp_path / "dev") in d["port"] for d in sim.state()["devices"] if d["device"] in UNPLUGGED)
    system.resident_pickup_screen()  # the kiosk is up and its runtime has opened the devices
    wait_until(lambda: all(holds_open(kiosk.pid, pty) for pty in ports.values()), "the kiosk to use the devices")

    for name in UNPLUGGED:
        sim.command(f"unplug {name}")
    assert plugged(sim) == {"locker": False, "card_reader": False, "scanner": True, "printer": True}
    # The kiosk notices by itself: its drivers hit the dead ports and let go of them.
    wait_until(lambda: not any(holds_open(kiosk.pid, pty) for pty in ports.values()),
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
    system.staff_mode()
    lock, code = system.store(s10("12345678"), phone="0701234567")
    assert lock is not None and len(code) == 6
    ui.screenshot("stored-after-replug")
    assert kiosk.poll() is None, "the kiosk exited"

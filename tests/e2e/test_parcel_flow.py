"""One parcel end to end through the three real programs, tapped like a person would:
a carrier's pre-advice, staff drop-off, pickup by code, both events on the server once."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.parcel_system import ParcelSystem, s10, start_parcel_system
from tests.e2e.system import Processes, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.ui]
PARCEL = s10("47312482")


@pytest.fixture
def system(tmp_path: Path, x_display: str, output_dir: Path):
    processes = Processes(output_dir)
    try:
        yield start_parcel_system(tmp_path, x_display, processes, output_dir)
    finally:
        processes.stop_all()


def parcel_events(system: ParcelSystem, count: int) -> list[tuple[str, dict]]:
    def enough():
        events = [(kind, json.loads(p)) for kind, p in system.server_events() if kind.startswith("parcel.")]
        return len(events) >= count and events
    return wait_until(enough, f"{count} parcel events on the server", timeout=30)


def test_staff_stores_a_pre_advised_parcel_and_a_resident_picks_it_up(system: ParcelSystem) -> None:
    sim, ui = system.sim, system.ui
    ui.wait_screen("attract", timeout=60)
    ui.screenshot("attract")
    ui.press_keys("Escape", "alt+F4", "ctrl+q")
    assert system.kiosk.poll() is None, "a key combination closed the kiosk"
    ui.tap("attract")
    ui.wait_screen("home")

    # Staff: badge, the menu, unknown barcode refused, then the pre-advised parcel.
    system.staff_mode()
    ui.screenshot("staff-menu")
    system.pre_advise(PARCEL)
    sim.command("scan HELLO-123")
    ui.wait_screen("staff_receive")
    ui.wait_text("message", "känns inte igen")
    assert system.open_doors() == []
    sim.command("scan CP123456786SE")  # a wrong S10 check digit
    ui.wait_text("message", "kontrollsiffra")
    assert system.open_doors() == []
    ui.screenshot("staff-wrong-check-digit-refused")
    sim.command(f"scan {PARCEL}")
    ui.wait_text("message", "stäng luckan")
    [lock] = wait_until(system.open_doors, "a door to open")
    ui.screenshot("staff-door-open")
    sim.command(f"item 0 {lock} present")
    sim.command(f"door 0 {lock} close")
    code = "".join(ch for ch in ui.wait_text("code", "Hämtningskod") if ch.isdigit())
    assert len(code) >= 6
    ui.screenshot("staff-code-shown")
    ui.tap("exit-staff")

    # Resident: a wrong code opens nothing, the right one opens the door.
    system.resident_pickup_screen()
    ui.type_code(f"{(int(code) + 1) % 10**6:06d}")
    ui.tap("key-ok")
    ui.wait_text("message", "stämmer inte")
    assert system.open_doors() == []
    ui.screenshot("pickup-wrong-code")
    ui.type_code(code)
    ui.tap("key-ok")
    ui.wait_text("message", "Ta ditt paket")
    assert wait_until(system.open_doors, "the door to open") == [lock]
    ui.screenshot("pickup-door-open")
    sim.command(f"item 0 {lock} absent")
    sim.command(f"door 0 {lock} close")
    ui.wait_text("message", "uthämtat")
    ui.screenshot("pickup-done")

    # The central server holds both parcel events, exactly once each, and the audit of both doors.
    events = parcel_events(system, 2)
    assert [kind for kind, _ in events] == ["parcel.stored", "parcel.picked_up"]
    (_, stored), (_, picked) = events
    assert stored["tracking_id"] == PARCEL and stored["parcel_id"] == picked["parcel_id"]
    assert stored["recipient"]["language"] == "fi" and stored["compartment"] == f"A{lock}"
    assert stored["pickup_code"] == code and picked["via"] == "code"  # the code travels once, for the SMS
    doors = wait_until(lambda: [json.loads(p) for kind, p in system.server_events() if kind == "door.opened"]
                       if len([k for k, _ in system.server_events() if k == "door.opened"]) >= 2 else None,
                       "both door audits on the server")
    assert [(d["reason"], d["outcome"]) for d in doors] == [("store", "opened"), ("pickup", "opened")]
    # Once acknowledged, the kiosk keeps neither the code nor the recipient's number.
    wait_until(lambda: not system.kiosk_sql("SELECT 1 FROM parcels WHERE recipient_phone IS NOT NULL"),
               "the recipient's data purged on the kiosk")
    outbox = " ".join(p for (p,) in system.kiosk_sql("SELECT payload FROM outbox"))
    assert code not in outbox

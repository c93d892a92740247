"""A kiosk killed with a door open for pickup settles the parcel from the board's sensors when
it starts again: taken out -> picked up (one event), still inside -> stays stored."""
from __future__ import annotations

import json

import pytest

from tests.e2e.parcel_system import s10, start_parcel_system
from tests.e2e.system import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.ui]


def test_killed_mid_pickup_then_restarted_settles_from_the_sensors(tmp_path, x_display, processes, output_dir):
    system = start_parcel_system(tmp_path, x_display, processes, output_dir)
    sim, ui = system.sim, system.ui
    system.open_staff_receive()
    taken, left = s10("55555555"), s10("66666666")
    system.pre_advise(taken)
    system.pre_advise(left)
    taken_lock, taken_code = system.store(taken)
    left_lock, left_code = system.store(left)
    ui.tap("exit-staff")

    for lock, code in ((taken_lock, taken_code), (left_lock, left_code)):
        system.resident_pickup_screen()
        ui.type_code(code)
        ui.tap("key-ok")
        ui.wait_text("message", "Ta ditt paket")
        assert lock in wait_until(system.open_doors, "the door to open")
        if lock == taken_lock:
            ui.tap("back")  # refused: a door is open; the flow goes on until the kiosk dies
            system.kill_kiosk()
            sim.command(f"item 0 {lock} absent")  # the resident takes the parcel and closes the door
            sim.command(f"door 0 {lock} close")
            system.restart_kiosk()
    # The second parcel's door: the kiosk dies again, and this resident leaves the parcel inside.
    system.kill_kiosk()
    sim.command(f"door 0 {left_lock} close")
    system.restart_kiosk()
    ui.wait_screen("attract", timeout=60)
    # Reconciling runs once the restarted kiosk's screens are up: wait for it, not for a screen.
    wait_until(lambda: system.kiosk_sql("SELECT door_pending FROM parcels WHERE door_pending IS NOT NULL") == [],
               "the restarted kiosk to settle both doors")

    states = dict(system.kiosk_sql("SELECT tracking_id, state FROM parcels"))
    assert states == {taken: "picked_up", left: "stored"}
    picked = wait_until(lambda: [json.loads(p) for k, p in system.server_events() if k == "parcel.picked_up"],
                        "the reconciled pickup on the server")
    assert len(picked) == 1 and picked[0]["compartment"] == f"A{taken_lock}" and picked[0]["via"] == "code"


def test_a_door_still_open_after_a_restart_is_shown_until_it_is_closed(tmp_path, x_display, processes, output_dir):
    system = start_parcel_system(tmp_path, x_display, processes, output_dir)
    sim, ui = system.sim, system.ui
    system.open_staff_receive()
    tracking = s10("77777777")
    system.pre_advise(tracking)
    lock, code = system.store(tracking)
    ui.tap("exit-staff")
    system.resident_pickup_screen()
    ui.type_code(code)
    ui.tap("key-ok")
    ui.wait_text("message", "Ta ditt paket")
    assert lock in wait_until(system.open_doors, "the door to open")
    system.kill_kiosk()  # ...and nobody closes the door
    system.restart_kiosk()

    ui.wait_screen("attract", timeout=60)
    alarm = ui.wait_text("door-alarm", f"A{lock}", timeout=60)
    assert "öppen" in alarm
    ui.screenshot("attract-door-open-after-restart")
    left_open = wait_until(lambda: [json.loads(p) for k, p in system.server_events() if k == "door.left_open"],
                           "door.left_open on the server")
    sim.command(f"door 0 {lock} close")
    wait_until(lambda: (ui.widget("door-alarm") or {}).get("text") == "", "the alarm to clear once the door closed")
    assert [p["compartment"] for p in left_open] == [f"A{lock}"]
    assert [k for k, _ in system.kiosk_events()].count("door.left_open") == 1

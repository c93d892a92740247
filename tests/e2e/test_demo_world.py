"""`kiosk demo` as a newcomer meets it (issue 14, point 5): a video service and an e-service
behind their tiles (served on loopback, opened in the real Chromium), the receipt printer
provisioned, the resident's SMS from the server's notifier with a QR that opens the door, and
the logs still there after Ctrl+C."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import ImageGrab

from hardware.protocols.barcode import s10_check_digit
from hardware.sim.control import SimControl
from kiosk.cli.demo import DEMO_STAFF_UID
from kiosk.cli.demo_world import last_sms, pickup_qr
from kiosk.cli.orphans import stop_when_parent_dies
from tests.e2e.driver import KioskDriver
from tests.e2e.system import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.ui]


def test_every_tile_does_something_the_receipt_prints_and_the_sms_qr_opens_the_door(
        tmp_path: Path, x_display: str, output_dir: Path) -> None:
    workdir, probe = tmp_path / "demo", tmp_path / "probe.json"
    env = {**os.environ, "DISPLAY": x_display, "KIVY_HOME": str(tmp_path / "kivy"), "SERVICEPUNKT_UI_PROBE": str(probe)}
    log_path = output_dir / "demo.log"
    with open(log_path, "wb") as log:
        demo = subprocess.Popen([sys.executable, "-m", "kiosk.cli.main", "demo", "--workdir", str(workdir)],
                                env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, preexec_fn=stop_when_parent_dies)
    try:
        ui = KioskDriver(probe, x_display, output_dir)
        ui.wait_screen("attract", timeout=150)  # seeding and provisioning first: slow on a loaded machine
        ui.tap_until_screen("attract", "home")
        wait_until(lambda: directory_pulled(workdir / "data" / "kiosk.db"), "the kiosk's first directory pull", 60)
        visit_video_and_eservice(ui)
        sim = SimControl(json.loads((workdir / "ports.json").read_text())["control_url"])
        code = store_and_print(ui, sim)
        qr = wait_until(lambda: (sms := last_sms(workdir / "sms.jsonl")) and pickup_qr(sms["message"]),
                        "the resident's SMS", timeout=60)
        assert qr == f"SPKT1:{code}"
        wait_until(lambda: panel_shot(ui, output_dir), "the simulator panel to be drawn")
        ui.tap("exit-staff")
        ui.tap_until_screen("attract", "home")
        ui.tap("tile-pickup")
        ui.wait_screen("pickup")
        sim.command(f"scan {qr}")  # what the panel's "Scan pickup QR from the last SMS" sends
        ui.wait_text("message", "Ta ditt paket")
        ui.screenshot("demo-pickup-by-sms-qr")
        demo.send_signal(signal.SIGINT)
        assert demo.wait(timeout=30) == 0
    finally:
        if demo.poll() is None:
            demo.kill()
    said = log_path.read_text(encoding="utf-8")
    assert f"logs are kept in {workdir / 'logs'}" in said
    assert (workdir / "logs" / "kiosk.log").stat().st_size > 0 and (workdir / "logs" / "central.log").exists()


def panel_shot(ui: KioskDriver, output_dir: Path) -> bool:
    """The simulator panel beside the kiosk (x 1290, 420 wide): its SMS view, to look at."""
    picture = ImageGrab.grab(xdisplay=ui.display).crop((1290, 0, 1710, 800))
    picture.save(output_dir / "demo-panel-with-sms.png")
    return picture.getextrema() != ((0, 0), (0, 0), (0, 0))  # not the bare black root window


def directory_pulled(kiosk_db: Path) -> bool:
    try:
        with sqlite3.connect(kiosk_db, timeout=10) as db:
            return db.execute("SELECT count(*) FROM directory_entries").fetchone()[0] >= 2
    except sqlite3.OperationalError:  # not migrated yet
        return False


def visit_video_and_eservice(ui: KioskDriver) -> None:
    ui.tap("tile-video")
    ui.wait_screen("video")
    wait_until(lambda: ui.widget("service-demo-video"), "the demo's video service tile", timeout=60)
    assert "Inga videotjänster" not in (ui.widget("notice") or {}).get("text", "")
    ui.screenshot("demo-video-services")
    ui.tap("service-demo-video")
    wait_until(lambda: ui.widget("end-call"), "the call to open")
    wait_until(lambda: chromium_shows_the_room(ui.display), "Chromium to show the demo room", timeout=40)
    ui.screenshot("demo-video-room")
    ui.tap("end-call")
    wait_until(lambda: ui.widget("service-demo-video"), "the tiles again")
    ui.tap("back")
    ui.wait_screen("home")
    ui.tap("tile-eservices")
    ui.wait_screen("eservices")
    wait_until(lambda: ui.widget("eservice-demo-eservice") or ui.widget("category-other"), "the demo's e-service")
    if ui.widget("category-other"):
        ui.tap("category-other")
        wait_until(lambda: ui.widget("eservice-demo-eservice"), "the e-service tile")
    ui.screenshot("demo-eservices")
    ui.tap("back")
    while (ui.snapshot() or {}).get("screen") != "home":
        ui.tap("back")
        ui.wait_screen("home", timeout=5)


def chromium_shows_the_room(display: str) -> bool:
    """The real browser loaded the room page over https: its window is titled by the page."""
    found = subprocess.run(["xdotool", "search", "--name", "Demo: videosamtal"], capture_output=True, check=False,
                           env={"DISPLAY": display, "PATH": "/usr/bin:/bin"})
    return found.returncode == 0


def store_and_print(ui: KioskDriver, sim: SimControl) -> str:
    def tapped() -> bool:
        sim.command(f"tap {DEMO_STAFF_UID}")
        try:
            ui.wait_screen("staff", timeout=3)
            return True
        except AssertionError:
            return False
    wait_until(tapped, "the staff card to reach the kiosk", timeout=60)
    ui.tap_until_screen("staff-receive", "staff_receive")
    sim.command(f"scan CP12345678{s10_check_digit('12345678')}SE")
    ui.wait_text("message", "föravisering")
    ui.type_digits("0701234567")
    ui.tap("key-ok")
    ui.wait_text("message", "stämmer det?")
    ui.tap("confirm-phone")
    ui.wait_text("message", "stäng luckan")
    [lock] = wait_until(lambda: [d["lock"] for d in sim.state()["lockers"] if not d["door_closed"]], "a door")
    sim.command(f"item 0 {lock} present")
    sim.command(f"door 0 {lock} close")
    code = "".join(ch for ch in ui.wait_text("code", "Hämtningskod") if ch.isdigit())
    ui.tap("print")
    ui.wait_text("message", "Kvittot är utskrivet")
    assert sim.state()["printer"]["receipts"] == 1
    ui.screenshot("demo-receipt-printed")
    return code

"""Issue 5 end to end, across both halves: a carrier pre-advises a parcel through the central
server's API, the kiosk pulls it, staff drop it off, the server texts the recipient through a
loopback 46elks gateway in the recipient's language, the resident collects with the code from
that SMS or its QR, and the server shows the parcel picked up. Then the same with the server
stopped during drop-off and pickup: everything happens offline and arrives when it returns.

Only the SMS gateway is a stand-in (tests/sync/parcel_fakes.py: 46elks' wire format, strict).
"""
from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
import requests

from tests.e2e.parcel_system import SERVICE_POINT, ParcelSystem, s10, start_parcel_system
from tests.e2e.system import Processes, central_command, run, wait_until
from tests.sync.parcel_fakes import FakeElks

pytestmark = [pytest.mark.e2e, pytest.mark.ui]
PHONE = "+46701112233"
FINNISH_SMS = "Pakettisi on noudettavissa"  # the start of sync/server/notify/messages.py's fi text


@pytest.fixture
def gateway():
    elks = FakeElks().start()
    try:
        yield elks
    finally:
        elks.close()
    assert elks.violations == []  # every request our notifier made was valid 46elks



def start(tmp_path: Path, display: str, processes: Processes, output_dir: Path, gateway: FakeElks) -> ParcelSystem:
    env = {"KIOSK_CENTRAL_SMS_URL": gateway.url, "KIOSK_CENTRAL_SMS_USER": gateway.user,
           "KIOSK_CENTRAL_SMS_PASSWORD": gateway.password, "KIOSK_CENTRAL_SMS_FROM": "Servicepkt",
           "KIOSK_CENTRAL_PUBLIC_URL": "https://central.example.se", "KIOSK_CENTRAL_NOTIFY_INTERVAL": "0.5",
           "KIOSK_CENTRAL_QUIET_HOURS": "off"}  # runs at any hour; quiet hours: tests/sync/test_quiet_hours.py
    return start_parcel_system(tmp_path, display, processes, output_dir, central_env=env)


def pre_advise(system: ParcelSystem, tracking: str) -> None:
    """As the carrier does: its own API key, a POST to the central server."""
    printed = run(central_command(f"sqlite:///{system.central_db}") + ["carrier", "add", f"PostNord-{tracking}"])
    key = re.search(r"API key: (\S+)", printed).group(1)
    reply = requests.post(f"{system.server}/v1/carrier/pre-advice", headers={"Authorization": f"Bearer {key}"},
                          json={"tracking_id": tracking, "service_point": SERVICE_POINT, "phone": PHONE,
                                "recipient_name": "Aino Niemi", "language": "fi", "size_class": "S"}, timeout=10)
    assert reply.status_code == 201, reply.text
    wait_until(lambda: kiosk_has_pre_advice(system, tracking), "the kiosk to pull the pre-advice", timeout=40)


def kiosk_has_pre_advice(system: ParcelSystem, tracking: str) -> bool:
    try:
        return bool(system.kiosk_sql("SELECT 1 FROM pre_advices WHERE tracking_id = ?", (tracking,)))
    except sqlite3.OperationalError:
        return False  # the kiosk is still creating its database


def sms_code(gateway: FakeElks, tracking_count: int) -> str:
    """The code in the newest SMS, once `tracking_count` texts went out (all to our recipient)."""
    wait_until(lambda: len(gateway.messages) >= tracking_count, "the SMS to the recipient", timeout=40)
    sms = gateway.messages[tracking_count - 1]
    assert sms.to == PHONE and sms.message.startswith(FINNISH_SMS), sms.message
    return re.search(r"Koodi: (\d{6,10})", sms.message).group(1)


def collect(system: ParcelSystem, lock: int, *, code: str | None = None, qr: str | None = None) -> None:
    """A resident at the kiosk: the code on the keypad, or the SMS's QR to the scanner."""
    if (system.ui.snapshot() or {}).get("screen") == "pickup":  # the last resident's "thank you"
        system.ui.tap("back")
        system.ui.wait_screen("home")
        system.ui.tap("tile-pickup")
        system.ui.wait_screen("pickup")
    else:
        system.resident_pickup_screen()
    if qr is not None:
        system.sim.command(f"scan {qr}")
    else:
        system.ui.type_code(code)
        system.ui.tap("key-ok")
    system.ui.wait_text("message", "Ta ditt paket")
    assert lock in wait_until(system.open_doors, "the door to open")
    system.sim.command(f"item 0 {lock} absent")
    system.sim.command(f"door 0 {lock} close")
    system.ui.wait_text("message", "uthämtat")


def server_states(system: ParcelSystem) -> dict[str, str]:
    return dict(system.central_sql("SELECT tracking_id, state FROM parcels"))


def test_pre_advice_sms_and_pickup_by_code_and_by_qr(tmp_path, x_display, processes, output_dir, gateway):
    system = start(tmp_path, x_display, processes, output_dir, gateway)
    system.ui.wait_screen("attract", timeout=60)
    by_code, by_qr = s10("31313131"), s10("42424242")
    pre_advise(system, by_code)
    pre_advise(system, by_qr)

    system.staff_mode()
    code_lock, shown_code = system.store(by_code)  # pre-advised: no phone to type
    qr_lock, _ = system.store(by_qr)
    system.ui.tap("exit-staff")

    code = sms_code(gateway, 1)
    assert code == shown_code
    qr_code = sms_code(gateway, 2)
    collect(system, code_lock, code=code)
    collect(system, qr_lock, qr=f"SPKT1:{qr_code}")
    system.ui.screenshot("collected-with-the-sms")

    wait_until(lambda: server_states(system) == {by_code: "picked_up", by_qr: "picked_up"},
               "the server to show both parcels picked up", timeout=40)
    picked = [kind for kind, _ in system.server_events() if kind == "parcel.picked_up"]
    assert len(picked) == 2  # exactly one event per pickup


def test_with_the_server_stopped_the_sms_goes_when_it_returns(tmp_path, x_display, processes, output_dir,
                                                              gateway):
    system = start(tmp_path, x_display, processes, output_dir, gateway)
    system.ui.wait_screen("attract", timeout=60)
    tracking = s10("53535353")
    pre_advise(system, tracking)
    system.staff_mode()  # the staff card is known: pulled while the server was up

    system.stop_central()
    lock, shown_code = system.store(tracking)  # offline: stored locally, queued for the server
    system.ui.tap("exit-staff")
    assert gateway.messages == []
    system.start_central()
    assert sms_code(gateway, 1) == shown_code  # the event arrived, the notice went out then

    system.stop_central()
    collect(system, lock, code=shown_code)  # verified on the kiosk, no server needed
    system.start_central()
    wait_until(lambda: server_states(system) == {tracking: "picked_up"},
               "the offline pickup to reach the server", timeout=40)
    assert [kind for kind, _ in system.server_events()].count("parcel.stored") == 1

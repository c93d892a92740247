"""The demo panel's SMS view and its "Scan pickup QR" button, against the real simulators
(in this process) and the demo's loopback 46elks fed by the server's own SMS sender."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import requests
import serial

from hardware.sim.control import SimControl
from hardware.sim.runner import SimulatorSet
from kiosk.cli.demo_world import SmsGateway
from kiosk.ui.sim_panel import NO_SMS, SimPanel
from sync.server.messages import parcel_message
from sync.server.notify_settings import NotifySettings
from sync.server.sms import send_sms


def test_the_panel_shows_the_last_sms_and_holds_its_qr_to_the_scanner(tmp_path: Path) -> None:
    gateway = SmsGateway(tmp_path / "sms.jsonl")
    sims = SimulatorSet(devices=("scanner",)).start()
    scanner = serial.serial_for_url(sims.ports["scanner"], timeout=5)
    try:
        panel = SimPanel(SimControl(sims.control_url), "04A1B2C3", gateway.outbox)
        panel._refresh()
        assert panel.sms.text == NO_SMS
        text = parcel_message("pickup_ready", "sv", place="Lanthandeln", code="573019", deadline=date(2026, 12, 15),
                              link="http://127.0.0.1:8400/p/token").text
        send_sms(requests.Session(), NotifySettings.from_env(gateway.env), "+46701234567", text)
        panel._refresh()
        assert "Kod: 573019" in panel.sms.text and "+46701234567" in panel.sms.text
        panel.scan_pickup_qr()  # what the button runs on its thread
        assert scanner.read_until(b"\r") == b"SPKT1:573019\r"
    finally:
        scanner.close()
        sims.stop()
        gateway.close()

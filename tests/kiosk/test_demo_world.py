"""The demo's loopback world: the server's own SMS sender talks to the demo's 46elks stand-in,
the message lands where the panel reads it, and its pickup QR is the code it states."""
from __future__ import annotations

import ssl
import urllib.request
from datetime import date
from pathlib import Path

import pytest
import requests

from kiosk.cli.demo_world import (
    DemoSite,
    SmsGateway,
    directory_entries,
    last_sms,
    pickup_qr,
)
from sync.server.directory import EServiceIn, VideoServiceIn
from sync.server.messages import parcel_message
from sync.server.notify_settings import NotifySettings
from sync.server.sms import SendError, send_sms


@pytest.fixture
def gateway(tmp_path: Path):
    sms = SmsGateway(tmp_path / "sms.jsonl")
    yield sms
    sms.close()


def settings_for(gateway: SmsGateway, password: str | None = None) -> NotifySettings:
    env = {**gateway.env, "KIOSK_CENTRAL_SMS_PASSWORD": password or gateway.password}
    return NotifySettings.from_env(env)


def test_the_notifiers_sms_reaches_the_panels_outbox_with_its_pickup_qr(gateway: SmsGateway) -> None:
    text = parcel_message("pickup_ready", "sv", place="Lanthandeln", code="482913", deadline=date(2026, 12, 15),
                          link="http://127.0.0.1:8400/p/Zx123456Q").text
    message_id = send_sms(requests.Session(), settings_for(gateway), "+46701234567", text)
    sms = last_sms(gateway.outbox)
    assert sms is not None and sms["id"] == message_id and sms["to"] == "+46701234567" and sms["message"] == text
    assert pickup_qr(sms["message"]) == "SPKT1:482913"  # not the digits in the link's token


def test_a_wrong_password_is_refused_as_46elks_would(gateway: SmsGateway) -> None:
    with pytest.raises(SendError) as refused:
        send_sms(requests.Session(), settings_for(gateway, "wrong"), "+46701234567", "Hej")
    assert refused.value.permanent and last_sms(gateway.outbox) is None


def test_the_seeded_entries_are_valid_and_served(tmp_path: Path) -> None:
    site = DemoSite(tmp_path)
    try:
        entries = directory_entries(site, "SP-KORPILOMBOLO")
        video = VideoServiceIn.model_validate(entries["video"])  # what `directory put` checks
        EServiceIn.model_validate(entries["eservice"])
        context = ssl.create_default_context(cafile=str(tmp_path / "demo-site.crt"))
        context.check_hostname = False  # demo.localhost resolves in Chromium only; here we dial 127.0.0.1
        url = video.room_url_template.replace("demo.localhost", "127.0.0.1")
        with urllib.request.urlopen(url, context=context, timeout=10) as page:
            assert "videosamtal" in page.read().decode()
    finally:
        site.close()

"""Fixtures and builders of the parcel tests: the fake gateways, notifier settings pointing at
them, carriers with API keys, and parcel event payloads. Test modules import the fixtures."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import requests

from sync import protocol as p
from sync.server.notify.notifier import Notifier
from sync.server.notify.settings import NotifySettings
from sync.server.parcels import carriers
from tests.sync.helpers import SP, Central
from tests.sync.parcel_fakes import FakeElks, SmtpSink, WebhookSink

PHONE = "+46701234567"
EMAIL = "anna@example.se"
CODE = "482913"


@pytest.fixture
def elks() -> Iterator[FakeElks]:
    server = FakeElks().start()
    yield server
    server.close()


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    server = SmtpSink().start()
    yield server
    server.close()


@pytest.fixture
def sink() -> Iterator[WebhookSink]:
    server = WebhookSink().start()
    yield server
    server.close()


@pytest.fixture
def settings(central: Central, elks: FakeElks, smtp: SmtpSink) -> NotifySettings:
    return NotifySettings(public_url=central.url, sms_url=elks.url, sms_user=elks.user,
                          sms_password=elks.password, sms_report_secret=central.sms_report_secret,
                          sms_from="Servicepkt",
                          smtp_host=smtp.host, smtp_port=smtp.port, mail_from="paket@servicepunkt.se",
                          quiet_hours=None)  # the tests run at any hour; quiet hours: test_quiet_hours.py


@pytest.fixture
def notifier(central: Central, settings: NotifySettings) -> Iterator[Notifier]:
    http = requests.Session()
    yield Notifier(central.sessions, settings, central.clock, http)
    http.close()


def add_carrier(central: Central, name: str = "PostNord", webhook: str | None = None,
                deadline_days: int = 7, reminder_day: int = 5) -> str:
    with central.sessions.begin() as session:
        _row, key = carriers.add_carrier(session, name, deadline_days=deadline_days,
                                         reminder_day=reminder_day, webhook_url=webhook,
                                         now=central.clock())
    return key


def pre_advice_body(tracking_id: str = "CP123456785SE", **overrides: Any) -> dict[str, Any]:
    body = {"tracking_id": tracking_id, "service_point": SP, "recipient_name": "Anna Niemi",
            "phone": PHONE, "email": EMAIL, "language": "sv", "size_class": "M"}
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def post_pre_advice(central: Central, key: str | None, body: Any, header: str = "bearer") -> requests.Response:
    headers = {}
    if key is not None:
        headers = {"Authorization": f"Bearer {key}"} if header == "bearer" else {"X-Api-Key": key}
    if isinstance(body, (bytes, str)):
        return requests.post(f"{central.url}/v1/carrier/pre-advice", data=body, timeout=10,
                             headers={**headers, "Content-Type": "application/json"})
    return requests.post(f"{central.url}/v1/carrier/pre-advice", json=body, headers=headers, timeout=10)


def stored(parcel_id: str, tracking_id: str | None = None, *, compartment: str | None = "A1",
           code: str | None = CODE, recipient: dict[str, Any] | None = None,
           carrier: str | None = None, deadline: str | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"parcel_id": parcel_id, "tracking_id": tracking_id or f"T-{parcel_id}",
                               "compartment": compartment, "size_class": "M", "pickup_code": code,
                               "carrier": carrier, "deadline": deadline, "recipient": recipient}
    return {key: value for key, value in payload.items() if value is not None}


class Events:
    """Wire events with increasing seqs, for pushing straight through a SyncClient. Their
    kiosk clock is unset (1970, not synchronised) unless `kiosk_now` gives a synced one."""

    def __init__(self, kiosk_now: datetime | None = None) -> None:
        self.seq = 0
        self.wall_ms = 0 if kiosk_now is None else int(kiosk_now.timestamp() * 1000)

    def __call__(self, type_: str, payload: dict[str, Any]) -> p.Event:
        assert p.payload_problem(type_, payload) is None, p.payload_problem(type_, payload)
        self.seq += 1
        clock = p.Clock(wall_ms=self.wall_ms, clock_synced=self.wall_ms > 0, boot_id="b", mono_ms=self.seq)
        return p.Event(event_id=uuid.uuid4(), seq=self.seq, type=type_, payload=payload, clock=clock)


def statuses(response: p.BatchResponse) -> list[str]:
    return [result.status for result in response.results]

"""On-duty alerts: a call started on a kiosk reaches the server through the outbox, and the
service's on-duty contact is told which room to join: by webhook (a real HTTP server on
loopback), or by SMS (the strict fake 46elks) or e-mail (a real SMTP server) through the
parcel notifier's queue, retries and backoff, in the contact's language."""
from __future__ import annotations

import http.server
import json
import threading

import pytest
from click.testing import CliRunner

from kiosk.services.usage import UsageRecorder
from sync.outbox import OutboxBase
from sync.server.cli.main import main
from sync.server.db.directory import DutyAlert
from sync.server.db.engine import make_engine, make_session_factory
from sync.server.db.parcels import Notification
from sync.server.directory.services import put_entry
from sync.server.notify.duty_alerts import STALE_AFTER, post_json, run_round
from sync.worker import SyncWorker
from tests.sync.helpers import SP, SP_NAME
from tests.sync.parcel_helpers import elks, notifier, settings, smtp  # noqa: F401 - fixtures
from tests.sync.test_directory import FK, admin  # noqa: F401 - fixture


class Webhook:
    """The on-duty team's endpoint: records what it is sent; answers `status`."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.status = 200
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.received.append(json.loads(body))
                self.send_response(hook.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/duty"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook():
    hook = Webhook()
    yield hook
    hook.close()


def started_calls(central, make_kiosk, tmp_path, calls: list[tuple[str, bool]]) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'kiosk.db'}")
    OutboxBase.metadata.create_all(engine)
    sessions = make_session_factory(engine)
    recorder = UsageRecorder(sessions)
    for service_id, booked in calls:
        recorder.call_started(service_id, booked)
    worker = SyncWorker(sessions, make_kiosk(SP).client, appliers={}, interval=0.1, rand=lambda: 0.0)
    worker.run_once()
    assert worker.status().pushed == len(calls)
    engine.dispose()


ROOM = "https://meet.norrbotten.se/fk-sp-korpilombolo"


def test_a_started_call_alerts_the_on_duty_webhook_once(central, make_kiosk, tmp_path, webhook):
    with central.sessions.begin() as session:
        put_entry(session, "video_service", {**FK, "on_duty": None}, central.clock())
        put_entry(session, "video_service", {**FK, "id": "hc", "on_duty": {"email": "jour@region.example.se"}},
                  central.clock())
        put_entry(session, "video_service", {**FK, "id": "nobody", "on_duty": None}, central.clock())
        # on_duty is checked by the admin models as https; a loopback test endpoint is http,
        # so it is stored the way the check would store an https one.
        _set_webhook(session, webhook.url)
        # A contact stored under the older rules, which allowed none at all.
        _store_on_duty(session, "nobody", {"email": None, "phone": None, "webhook": None})
    started_calls(central, make_kiosk, tmp_path, [("forsakringskassan", False), ("hc", True), ("nobody", False)])

    outcomes = {o.service_id: o for o in run_round(central.sessions, post_json, central.clock)}

    assert webhook.received == [{"service": "forsakringskassan", "service_point": SP,
                                 "room_url": ROOM, "waiting_since": central.clock().isoformat()}]
    assert {k: (o.channel, o.result) for k, o in outcomes.items()} == {
        "forsakringskassan": ("webhook", "sent"), "hc": ("email", "queued for the notifier"),
        "nobody": ("none", "not sent: the service has no on-duty contact")}
    [queued] = central.rows(Notification)
    assert (queued.kind, queued.channel, queued.to_address, queued.state) == \
        ("duty_alert", "email", "jour@region.example.se", "queued")
    assert run_round(central.sessions, post_json, central.clock) == []  # each call alerts once
    assert len(webhook.received) == 1 and central.count(Notification) == 1


def test_a_failing_webhook_is_recorded_not_retried_forever(central, make_kiosk, tmp_path, webhook):
    webhook.status = 500
    with central.sessions.begin() as session:
        put_entry(session, "video_service", {**FK, "on_duty": None}, central.clock())
        _set_webhook(session, webhook.url)
    started_calls(central, make_kiosk, tmp_path, [("forsakringskassan", False)])
    [outcome] = run_round(central.sessions, post_json, central.clock)
    assert outcome.result.startswith("not sent: webhook failed: 500")
    assert run_round(central.sessions, post_json, central.clock) == []
    [alert] = central.rows(DutyAlert)
    assert alert.sent_at is None and "webhook failed: 500" in alert.error


def test_the_on_duty_contact_gets_an_sms_or_e_mail_in_its_language(
        central, make_kiosk, tmp_path, notifier, elks, smtp, webhook):
    with central.sessions.begin() as session:
        put_entry(session, "video_service", {**FK, "id": "hooked"}, central.clock())
        _set_webhook(session, webhook.url, "hooked")
        put_entry(session, "video_service", {**FK, "on_duty": {"phone": "+46701234567", "language": "fi"}},
                  central.clock())
        put_entry(session, "video_service", {**FK, "id": "hc", "name": {"sv": "Hälsocentralen"},
                                             "on_duty": "jour@region.example.se"}, central.clock())
    started_calls(central, make_kiosk, tmp_path, [("forsakringskassan", False), ("hc", True), ("hooked", False)])

    summary = notifier.run_once()

    assert (summary.duty_alerts, summary.sent) == (3, 2) and elks.violations == []
    assert [body["service"] for body in webhook.received] == ["hooked"]
    [sms] = elks.messages
    assert (sms.sender, sms.to) == ("Servicepkt", "+46701234567")
    assert sms.message == ("Joku odottaa sinua palvelun Vakuutuskassa videohuoneessa: "
                           f"{SP_NAME}. Liity tästä: {ROOM}")
    [mail] = smtp.mails
    assert smtp.envelopes == [("paket@servicepunkt.se", ["jour@region.example.se"])]
    assert mail["Subject"] == "Någon väntar i videorummet – Hälsocentralen"
    assert mail.get_content().strip() == (
        f"Någon väntar på dig i videorummet för Hälsocentralen hos {SP_NAME}. "
        "Anslut här: https://meet.norrbotten.se/fk-sp-korpilombolo")
    assert notifier.run_once().sent == 0 and len(elks.messages) == 1  # one alert per call


def test_a_failed_sms_is_retried_with_backoff_until_nobody_waits(
        central, make_kiosk, tmp_path, notifier, elks):
    with central.sessions.begin() as session:
        put_entry(session, "video_service", {**FK, "on_duty": "+46701234567"}, central.clock())
    started_calls(central, make_kiosk, tmp_path, [("forsakringskassan", False)])
    elks.fail_next = [503, 503]

    assert notifier.run_once().retrying == 1
    central.clock.advance(seconds=59)
    assert notifier.run_once().sent == 0  # backoff: one minute after the first failure
    central.clock.advance(seconds=1)
    assert notifier.run_once().retrying == 1  # the second 503; next try in two minutes
    central.clock.advance(minutes=2)
    assert notifier.run_once().sent == 1
    assert elks.messages[0].message.startswith("Någon väntar på dig i videorummet för Försäkringskassan")

    started_calls(central, make_kiosk, tmp_path, [("forsakringskassan", False)])
    elks.fail_next = [503] * 10
    notifier.run_once()
    central.clock.advance(seconds=STALE_AFTER.total_seconds())
    notifier.run_once()
    late = central.rows(Notification, Notification.state == "cancelled")
    assert [n.last_error for n in late] == ["too late: nobody waits that long"]
    assert len(elks.messages) == 1


BAD_CONTACTS = [
    ({"phone": "070-123 45 67"}, "on_duty.phone: '070-123 45 67' is not a phone number in international form"),
    ({"email": "jour.fk.example.se"}, "on_duty.email: 'jour.fk.example.se' is not an e-mail address"),
    ({"webhook": "http://hooks.example.se/fk"}, "on_duty.webhook: 'http://hooks.example.se/fk' is not an https URL"),
    ({"phone": "+46701234567", "email": "jour@fk.example.se"}, "give exactly one contact"),
    ({"language": "de", "phone": "+46701234567"}, "on_duty.language"),
    ("jour at fk", "'jour at fk' is neither a phone number"),
    ({}, "give exactly one contact: phone (SMS), email or webhook; got none"),
]


@pytest.mark.parametrize("contact, message", BAD_CONTACTS)
def test_a_bad_contact_is_refused_by_the_admin_api(admin, contact, message):
    answer = admin("PUT", "/video-services/forsakringskassan", expect=400, json={**FK, "on_duty": contact})
    assert message in answer["detail"]
    assert admin("GET", "/video-services") == []


def test_the_cli_sets_checks_and_removes_the_on_duty_contact(central):
    runner, url = CliRunner(), central.database_url
    with central.sessions.begin() as session:
        put_entry(session, "video_service", FK, central.clock())

    bad = runner.invoke(main, ["--database-url", url, "directory", "on-duty", "forsakringskassan", "070-123"])
    assert bad.exit_code == 1
    assert "on_duty.phone: '070-123' is not a phone number in international form" in bad.output
    assert "e.g. +46701234567" in bad.output
    good = runner.invoke(main, ["--database-url", url, "directory", "on-duty", "forsakringskassan",
                                "+46701234567", "--language", "smj"])
    assert good.exit_code == 0, good.output
    assert "alerts +46701234567 (smj)" in good.output
    assert _on_duty(central) == {"phone": "+46701234567", "email": None, "webhook": None, "language": "smj"}
    cleared = runner.invoke(main, ["--database-url", url, "directory", "on-duty", "forsakringskassan", "--none"])
    assert cleared.exit_code == 0 and _on_duty(central) is None


def _on_duty(central):
    from sync.server.db.directory import DirectoryEntry

    with central.sessions() as session:
        return json.loads(session.get_one(DirectoryEntry, ("video_service", "forsakringskassan")).data)["on_duty"]


def _set_webhook(session, url: str, service_id: str = "forsakringskassan") -> None:
    _store_on_duty(session, service_id, {"webhook": url})


def _store_on_duty(session, service_id: str, on_duty) -> None:
    from sync.server.db.directory import DirectoryEntry

    row = session.get(DirectoryEntry, ("video_service", service_id))
    row.data = json.dumps({**json.loads(row.data), "on_duty": on_duty})

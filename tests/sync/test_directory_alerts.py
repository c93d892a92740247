"""On-duty alerts: a call started on a kiosk reaches the server through the outbox, and the
service's on-duty webhook (a real HTTP server on loopback) is told which room to join."""
from __future__ import annotations

import http.server
import json
import threading

import pytest
from sqlalchemy import select

from kiosk.services.usage import UsageRecorder
from sync.outbox import OutboxBase
from sync.server.db import make_engine, make_session_factory
from sync.server.directory import put_entry
from sync.server.directory_models import DutyAlert
from sync.server.duty_alerts import NO_NOTIFIER, post_json, run_once
from sync.worker import SyncWorker
from tests.sync.test_directory import FK
from tests.sync.helpers import SP


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


def test_a_started_call_alerts_the_on_duty_webhook_once(central, make_kiosk, tmp_path, webhook):
    with central.sessions.begin() as session:
        # on_duty is checked by the admin models as https; a loopback test endpoint is http,
        # so it is stored the way the check would store an https one.
        put_entry(session, "video_service", {**FK, "on_duty": None}, central.clock())
        put_entry(session, "video_service", {**FK, "id": "hc", "on_duty": {"email": "jour@region.example.se"}},
                  central.clock())
        _set_webhook(session, webhook.url)
    started_calls(central, make_kiosk, tmp_path, [("forsakringskassan", False), ("hc", True)])

    with central.sessions.begin() as session:
        alerts = {a.service_id: a for a in run_once(session, post_json, central.clock())}
    assert webhook.received == [{"service": "forsakringskassan", "service_point": SP,
                                 "room_url": "https://meet.norrbotten.se/fk-sp-korpilombolo",
                                 "waiting_since": central.clock().isoformat()}]
    assert alerts["forsakringskassan"].sent_at == central.clock()
    assert alerts["hc"].sent_at is None and alerts["hc"].error == NO_NOTIFIER
    with central.sessions.begin() as session:
        assert run_once(session, post_json, central.clock()) == []  # each call alerts once
    assert len(webhook.received) == 1


def test_a_failing_webhook_is_recorded_not_retried_forever(central, make_kiosk, tmp_path, webhook):
    webhook.status = 500
    with central.sessions.begin() as session:
        put_entry(session, "video_service", {**FK, "on_duty": None}, central.clock())
        _set_webhook(session, webhook.url)
    started_calls(central, make_kiosk, tmp_path, [("forsakringskassan", False)])
    with central.sessions.begin() as session:
        [alert] = run_once(session, post_json, central.clock())
        assert alert.sent_at is None and "webhook failed: 500" in alert.error
    with central.sessions() as session:
        assert len(session.scalars(select(DutyAlert)).all()) == 1


def _set_webhook(session, url: str) -> None:
    from sync.server.directory_models import DirectoryEntry

    row = session.get(DirectoryEntry, ("video_service", "forsakringskassan"))
    row.data = json.dumps({**json.loads(row.data), "on_duty": {"webhook": url}})

"""Returns and carrier reports: overdue parcels listed per service point (admin API and CLI),
status changes POSTed to the carrier's webhook in order, retried with backoff until 2xx, with
a delivery log."""
from __future__ import annotations

import pytest
import requests
from click.testing import CliRunner

from sync.server.api.app import create_app
from sync.server.cli.main import main
from sync.server.db.parcels import Carrier, WebhookAttempt, WebhookDelivery
from tests.sync.helpers import OTHER_SP, SP, LiveServer
from tests.sync.parcel_helpers import (  # noqa: F401 - fixtures
    PHONE,
    Events,
    add_carrier,
    elks,
    notifier,
    post_pre_advice,
    pre_advice_body,
    settings,
    sink,
    smtp,
    stored,
)

TOKEN = "admin-secret-token"


@pytest.fixture
def admin(central):
    """A second app on the same database with the admin API switched on."""
    server = LiveServer(create_app(central.database_url, clock=central.clock, admin_token=TOKEN)).start()
    yield server.url
    server.stop()


def get(admin_url: str, path: str, token: str | None = TOKEN) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(f"{admin_url}/v1/admin{path}", headers=headers, timeout=10)


def test_overdue_parcels_are_listed_per_service_point_until_returned(central, make_kiosk, admin):
    central.add_service_point(OTHER_SP, "Pajala")
    here, there = make_kiosk(SP), make_kiosk(OTHER_SP)
    ev_here, ev_there = Events(), Events()
    here.client.push([ev_here("parcel.stored", stored("P1")), ev_here("parcel.stored", stored("P2", compartment=None)),
                      ev_here("parcel.stored", stored("P3")), ev_here("parcel.picked_up", {"parcel_id": "P3"})])
    there.client.push([ev_there("parcel.stored", stored("Q1"))])
    assert get(admin, "/parcels/overdue").json() == {"parcels": []}

    central.clock.advance(days=8)  # default deadline: 7 days

    overdue = get(admin, f"/parcels/overdue?service_point={SP}").json()["parcels"]
    assert [(row["parcel_id"], row["state"], row["compartment"]) for row in overdue] == [
        ("P1", "stored", "A1"), ("P2", "held", None)]
    assert len(get(admin, "/parcels/overdue").json()["parcels"]) == 3
    here.client.push([ev_here("parcel.returned", {"parcel_id": "P1", "compartment": "A1", "staff_id": "7"})])
    overdue = get(admin, f"/parcels/overdue?service_point={SP}").json()["parcels"]
    assert [row["parcel_id"] for row in overdue] == ["P2"]


def test_overdue_cli_uses_the_real_date(central, kiosk):
    ev = Events(kiosk_now=central.clock())  # a synchronised kiosk: the server keeps its deadlines
    kiosk.client.push([ev("parcel.stored", stored("P1", deadline="2020-01-01")),
                       ev("parcel.stored", stored("P2", deadline="2099-01-01"))])
    result = CliRunner().invoke(main, ["--database-url", central.database_url, "parcels", "overdue",
                                       "--service-point", SP])
    assert result.exit_code == 0, result.output
    assert "T-P1" in result.output and "deadline=2020-01-01" in result.output and "T-P2" not in result.output


def test_admin_api_needs_the_token(central, admin):
    assert get(admin, "/parcels", token=None).status_code == 401
    assert get(admin, "/parcels", token="wrong").status_code == 401
    # One credential model: the token bootstrapped by the admin app opens the other one too.
    assert get(central.url, "/parcels").status_code == 200
    assert requests.get(f"{central.url}/v1/admin/parcels", timeout=10).status_code == 401


def test_status_changes_reach_the_carrier_in_order(central, kiosk, sink, notifier, admin):
    key = add_carrier(central, webhook=sink.hook_url)
    post_pre_advice(central, key, pre_advice_body("CP1SE")).raise_for_status()
    ev = Events()
    kiosk.client.push([ev("parcel.stored", stored("P1", "CP1SE")),
                       ev("parcel.stored", stored("P2", "CP2SE", carrier="postnord", compartment=None)),
                       ev("parcel.picked_up", {"parcel_id": "P1", "via": "code"})])
    kiosk.client.push([ev("parcel.returned", {"parcel_id": "P2"})])

    assert notifier.run_once().webhooks_delivered == 4

    assert sink.statuses() == [("CP1SE", "stored"), ("CP2SE", "held"), ("CP1SE", "picked_up"),
                               ("CP2SE", "returned")]
    first = sink.received[0]
    assert first.body["service_point"] == SP and first.body["deadline"] and first.headers["Idempotency-Key"]
    assert sink.received[2].body["via"] == "code"
    assert all("recipient" not in hook.body and PHONE not in str(hook.body) for hook in sink.received)
    assert notifier.run_once().webhooks_delivered == 0
    detail = get(admin, "/parcels/CP1SE").json()
    assert [r["state"] for r in detail["carrier_reports"]] == ["delivered", "delivered"]
    assert [h["state"] for h in detail["history"]] == ["stored", "picked_up"]


def test_failed_reports_are_retried_with_backoff_and_hold_back_later_ones(central, kiosk, sink, notifier):
    add_carrier(central, webhook=sink.hook_url)
    ev = Events()
    kiosk.client.push([ev("parcel.stored", stored("P1", carrier="postnord")),
                       ev("parcel.picked_up", {"parcel_id": "P1"}),
                       ev("parcel.stored", stored("P2", carrier="postnord"))])
    sink.fail_next = [500]

    assert notifier.run_once().webhooks_delivered == 1  # P1 stored failed, so P1 picked_up waits
    assert sink.statuses() == [("T-P2", "stored")]
    sink.fail_next = [502]
    central.clock.advance(seconds=59)
    assert notifier.run_once().webhooks_delivered == 0 and sink.fail_next == [502]  # not due
    central.clock.advance(seconds=1)
    assert notifier.run_once().webhooks_delivered == 0  # second failure: next try in 2 min
    central.clock.advance(minutes=2)
    assert notifier.run_once().webhooks_delivered == 2
    assert sink.statuses() == [("T-P2", "stored"), ("T-P1", "stored"), ("T-P1", "picked_up")]
    log = [(a.status_code, a.error is None) for a in central.rows(WebhookAttempt)]
    assert sorted(log, key=str) == sorted([(204, True), (500, False), (502, False), (204, True), (204, True)], key=str)
    assert {(d.parcel_id, d.state, d.attempts) for d in central.rows(WebhookDelivery)} == {
        ("P1", "delivered", 3), ("P1", "delivered", 1), ("P2", "delivered", 1)}


def test_an_unreachable_webhook_keeps_being_retried(central, kiosk, notifier):
    add_carrier(central, webhook="http://127.0.0.1:9/hook")
    kiosk.client.push([Events()("parcel.stored", stored("P1", carrier="postnord"))])
    for _ in range(12):
        notifier.run_once()
        central.clock.advance(hours=1)
    (delivery,) = central.rows(WebhookDelivery)
    assert (delivery.state, delivery.attempts) == ("pending", 12)
    assert all("unreachable" in a.error for a in central.rows(WebhookAttempt))


def carrier_secret(central, carrier_id: str = "postnord") -> str:
    with central.sessions() as session:
        return session.get(Carrier, carrier_id).webhook_secret


def test_reports_are_signed_and_a_tampered_or_replayed_one_is_refused(central, kiosk, sink, notifier):
    add_carrier(central, webhook=sink.hook_url)
    sink.secret, sink.now = carrier_secret(central), lambda: central.clock().timestamp()
    kiosk.client.push([Events()("parcel.stored", stored("P1", carrier="postnord"))])

    assert notifier.run_once().webhooks_delivered == 1 and sink.refused == []
    [(body, headers)] = sink.raw
    assert headers["X-Servicepunkt-Signature"].startswith("sha256=")
    resend = {name: headers[name] for name in ("Content-Type", "X-Servicepunkt-Timestamp", "X-Servicepunkt-Signature")}
    tampered = body.replace(b'"stored"', b'"returned"')
    assert tampered != body
    assert requests.post(sink.hook_url, data=tampered, headers=resend, timeout=10).status_code == 401
    assert requests.post(sink.hook_url, data=body, headers=resend, timeout=10).status_code == 204  # intact: fine
    central.clock.advance(minutes=10)
    assert requests.post(sink.hook_url, data=body, headers=resend, timeout=10).status_code == 401  # replayed later
    assert sink.refused == ["bad signature", "stale or missing timestamp"]


def test_a_new_secret_from_the_cli_signs_the_next_reports_and_the_old_one_no_longer_does(central, kiosk, sink,
                                                                                       notifier):
    runner = CliRunner()
    added = runner.invoke(main, ["--database-url", central.database_url, "carrier", "add", "PostNord",
                                 "--webhook", sink.hook_url])
    assert added.exit_code == 0, added.output
    first = added.output.split("Webhook signing secret: ")[1].split()[0]
    assert first == carrier_secret(central)
    rotated = runner.invoke(main, ["--database-url", central.database_url, "carrier", "webhook-secret", "postnord"])
    assert rotated.exit_code == 0, rotated.output
    second = rotated.output.split("postnord: ")[1].split()[0]
    assert second != first and first not in rotated.output
    listing = runner.invoke(main, ["--database-url", central.database_url, "carrier", "list"])
    assert second not in listing.output
    sink.secret, sink.now = first, lambda: central.clock().timestamp()
    kiosk.client.push([Events()("parcel.stored", stored("P1", carrier="postnord"))])
    assert notifier.run_once().webhooks_delivered == 0 and sink.refused == ["bad signature"]
    sink.secret = second
    central.clock.advance(minutes=1)
    assert notifier.run_once().webhooks_delivered == 1
    unknown = runner.invoke(main, ["--database-url", central.database_url, "carrier", "webhook-secret", "nobody"])
    assert unknown.exit_code != 0 and "no carrier" in unknown.output

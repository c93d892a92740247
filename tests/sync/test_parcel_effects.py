"""Server effects of the parcel and door events (SQLite and PostgreSQL): one state-history row
per change, pre-advice linked and withdrawn from the feed, notices queued once, door audit;
and exactly one effect per state change after the fault proxy drops responses."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from sync import protocol as p
from sync.outbox import enqueue
from sync.server.db.kiosks import ChangeLog, EventRow, ServicePoint
from sync.server.db.parcels import DoorAudit, Notification, Parcel, ParcelTransition, PreAdvice, WebhookDelivery
from sync.server.parcels.effects import local_date
from tests.sync.faultproxy import Fault, Request, only
from tests.sync.helpers import SP
from tests.sync.kioskside import depth, drain, make_worker, states
from tests.sync.parcel_helpers import (
    CODE,
    EMAIL,
    PHONE,
    Events,
    add_carrier,
    post_pre_advice,
    pre_advice_body,
    statuses,
    stored,
)


def history(central, parcel_id: str) -> list[str]:
    with central.sessions() as session:
        rows = session.scalars(select(ParcelTransition).where(ParcelTransition.parcel_id == parcel_id))
        return [row.state for row in sorted(rows, key=lambda row: (row.at, row.state not in ("stored", "held")))]


def parcel(central, parcel_id: str) -> Parcel:
    with central.sessions() as session:
        return session.get_one(Parcel, parcel_id)


def test_pre_advised_parcel_stored_then_picked_up(central, kiosk):
    key = add_carrier(central, webhook=None, deadline_days=9)
    post_pre_advice(central, key, pre_advice_body("CP1SE", language="fi")).raise_for_status()
    ev = Events()

    reply = kiosk.client.push([ev("parcel.stored", stored("P1", "CP1SE", carrier="postnord"))])

    assert statuses(reply) == ["accepted"]
    row = parcel(central, "P1")
    assert (row.state, row.compartment, row.recipient_phone, row.recipient_email, row.language) == (
        "stored", "A1", PHONE, EMAIL, "fi")
    assert row.deadline == local_date(central.clock()) + timedelta(days=9)
    assert row.pickup_code == CODE and row.link_token
    assert central.rows(PreAdvice)[0].parcel_id == "P1"
    queued = {(n.kind, n.channel, n.to_address, n.state) for n in central.rows(Notification)}
    assert queued == {("pickup_ready", "sms", PHONE, "queued"), ("pickup_ready", "email", EMAIL, "queued")}

    reply = kiosk.client.push([ev("parcel.picked_up", {"parcel_id": "P1", "compartment": "A1", "via": "qr"})])

    assert statuses(reply) == ["accepted"]
    row = parcel(central, "P1")
    assert (row.state, row.picked_up_via, row.done_at) == ("picked_up", "qr", central.clock())
    assert history(central, "P1") == ["stored", "picked_up"]
    assert {n.state for n in central.rows(Notification)} == {"cancelled"}  # never sent: too late
    changes = kiosk.client.pull(p.SCOPE_PARCELS, "").changes
    assert [(c.entity_id, c.op, c.version) for c in changes] == [("CP1SE", "delete", 2)]
    # The upsert carrying the recipient's data is gone from the log, not just superseded.
    assert [row.op for row in central.rows(ChangeLog, ChangeLog.scope == p.SCOPE_PARCELS)] == ["delete"]


def test_parcel_without_pre_advice_held_at_counter_then_returned(central, kiosk):
    ev = Events(kiosk_now=central.clock())  # a synchronised kiosk: its deadline is kept
    recipient = {"phone": PHONE, "language": "smj"}
    reply = kiosk.client.push([
        ev("parcel.stored", stored("P2", compartment=None, recipient=recipient, deadline="2030-01-31")),
        ev("parcel.returned", {"parcel_id": "P2", "staff_id": "7"}),
    ])
    assert statuses(reply) == ["accepted", "accepted"]
    row = parcel(central, "P2")
    assert (row.state, row.compartment, str(row.deadline), row.carrier) == ("returned", None, "2030-01-31", None)
    assert history(central, "P2") == ["held", "returned"]
    assert [(n.channel, n.language) for n in central.rows(Notification)] == [("sms", "smj")]


def test_no_notice_without_code_or_without_recipient(central, kiosk):
    ev = Events()
    kiosk.client.push([
        ev("parcel.stored", stored("P3", code=None, recipient={"phone": PHONE})),
        ev("parcel.stored", stored("P4", code=CODE)),  # no recipient, no pre-advice
    ])
    assert central.count(Notification) == 0
    assert parcel(central, "P3").link_token is None and parcel(central, "P4").link_token is None


def test_impossible_transitions_are_rejected_and_change_nothing(central, make_kiosk):
    here = make_kiosk()
    ev = Events()
    here.client.push([ev("parcel.stored", stored("P5")), ev("parcel.picked_up", {"parcel_id": "P5"})])
    before = (central.count(ParcelTransition), central.count(Notification), parcel(central, "P5").state)
    reply = here.client.push([
        ev("parcel.returned", {"parcel_id": "P5"}),
        ev("parcel.picked_up", {"parcel_id": "P5"}),
        ev("parcel.picked_up", {"parcel_id": "NOPE"}),
        ev("parcel.stored", stored("P5")),
    ])
    assert statuses(reply) == ["rejected"] * 4
    assert "already picked up" in reply.results[0].reason
    assert (central.count(ParcelTransition), central.count(Notification), parcel(central, "P5").state) == before


def test_pre_advice_of_another_service_point_is_not_linked(central, make_kiosk):
    from tests.sync.helpers import OTHER_SP

    central.add_service_point(OTHER_SP, "Pajala")
    key = add_carrier(central)
    post_pre_advice(central, key, pre_advice_body("CP9SE", service_point=OTHER_SP)).raise_for_status()
    make_kiosk().client.push([Events()("parcel.stored", stored("P9", "CP9SE"))])
    assert central.rows(PreAdvice)[0].parcel_id is None
    assert parcel(central, "P9").recipient_phone is None


def test_door_events_are_audited_and_an_open_door_alerts_staff(central, kiosk):
    with central.sessions.begin() as session:
        point = session.get_one(ServicePoint, SP)
        point.staff_phone, point.staff_email = "+46709876543", "butik@example.se"
    ev = Events()
    reply = kiosk.client.push([
        ev("door.opened", {"compartment": "B2", "reason": "pickup", "outcome": "failed", "actor": "resident"}),
        ev("door.left_open", {"compartment": "B2", "open_for_s": 185}),
        ev("pickup.locked_out", {"wrong_attempts": 5, "paused_for_s": 300}),
    ])
    assert statuses(reply) == ["accepted"] * 3
    audits = {(a.kind, a.compartment, a.outcome, a.actor) for a in central.rows(DoorAudit)}
    assert audits == {("door.opened", "B2", "failed", "resident"), ("door.left_open", "B2", None, None),
                      ("pickup.locked_out", None, None, None)}
    alarms = central.rows(Notification)
    assert {(n.kind, n.channel, n.to_address) for n in alarms} == {
        ("door_left_open", "sms", "+46709876543"), ("door_left_open", "email", "butik@example.se")}
    assert all("B2" in n.body and "3 min" in n.body for n in alarms)


def test_open_door_without_staff_contact_is_audited_only(central, kiosk):
    kiosk.client.push([Events()("door.left_open", {"compartment": "C1", "open_for_s": 60})])
    assert central.count(DoorAudit) == 1 and central.count(Notification) == 0


def every_other_batch_reply_lost():
    batches = [0]

    def plan(request: Request) -> Fault:
        if "events:batch" not in request.path:
            return Fault.PASS
        batches[0] += 1
        return Fault.DROP_RESPONSE if batches[0] % 2 else Fault.PASS
    return plan


def test_each_state_change_has_exactly_one_effect_when_responses_are_lost(central, proxy, proxied, kiosk_db):
    """The kiosk resends batches whose replies the proxy dropped; the server dedupes."""
    key = add_carrier(central, webhook="http://127.0.0.1:9/hook")
    for n in range(6):
        post_pre_advice(central, key, pre_advice_body(f"CP{n}SE")).raise_for_status()
    with kiosk_db.begin() as session:
        for n in range(6):
            enqueue(session, type="parcel.stored",
                    payload=stored(f"P{n}", f"CP{n}SE", carrier="postnord", compartment=None if n == 5 else f"A{n}"))
            enqueue(session, type="door.opened", payload={"compartment": f"A{n}", "reason": "store",
                                                          "outcome": "opened", "actor": "7"})
        for n in range(4):
            enqueue(session, type="parcel.picked_up", payload={"parcel_id": f"P{n}", "via": "code"})
        enqueue(session, type="parcel.returned", payload={"parcel_id": "P4"})
        enqueue(session, type="door.left_open", payload={"compartment": "A4", "open_for_s": 90})
    proxy.plan = every_other_batch_reply_lost()
    worker = make_worker(kiosk_db, proxied, batch_size=3)  # many batches, every 2nd reply lost
    drain(worker, kiosk_db)
    assert depth(kiosk_db) == 0
    assert any(r.fault is Fault.DROP_RESPONSE for r in proxy.records)
    assert "duplicate" in set(states(kiosk_db).values())  # resent, and recognised

    per_parcel = Counter(t.parcel_id for t in central.rows(ParcelTransition))
    assert per_parcel == {"P0": 2, "P1": 2, "P2": 2, "P3": 2, "P4": 2, "P5": 1}
    assert central.count(EventRow) == 6 + 6 + 4 + 1 + 1 and central.count(EventRow, EventRow.status != "accepted") == 0
    assert central.count(DoorAudit) == 7
    assert central.count(WebhookDelivery) == 6 + 4 + 1
    assert Counter(n.kind for n in central.rows(Notification)) == {"pickup_ready": 12}
    assert {p_.parcel_id: p_.state for p_ in central.rows(Parcel)} == {
        "P0": "picked_up", "P1": "picked_up", "P2": "picked_up", "P3": "picked_up", "P4": "returned", "P5": "held"}
    assert sorted(a.state for a in central.rows(PreAdvice)) == ["done"] * 5 + ["open"]


def test_a_dropped_reply_to_a_picked_up_batch_does_not_report_twice(central, proxy, proxied, kiosk_db):
    add_carrier(central, webhook="http://127.0.0.1:9/hook")
    with kiosk_db.begin() as session:
        enqueue(session, type="parcel.stored", payload=stored("P1", carrier="postnord",
                                                              recipient={"phone": PHONE}))
        enqueue(session, type="parcel.picked_up", payload={"parcel_id": "P1"})
    proxy.plan = only("POST", "events:batch", Fault.DROP_RESPONSE, times=2)
    drain(make_worker(kiosk_db, proxied), kiosk_db)
    assert history(central, "P1") == ["stored", "picked_up"]
    assert central.count(WebhookDelivery) == 2 and central.count(Notification) == 1

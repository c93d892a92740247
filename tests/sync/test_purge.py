"""Personal data on the server: recipient name, phone, e-mail and the pickup code are purged
30 days after a parcel is picked up or returned, everywhere the server kept them, by the
notifier's round and by `kiosk-central parcels purge`; the event still dedupes afterwards."""
from __future__ import annotations

from datetime import timedelta

import requests
from click.testing import CliRunner
from sqlalchemy import select, text

from sync.server.cli.main import main
from sync.server.db.kiosks import EventRow
from sync.server.db.parcels import Notification, Parcel, PreAdvice
from sync.server.parcels.purge import STALE_PRE_ADVICE, purge_personal_data
from tests.sync.helpers import SP
from tests.sync.parcel_helpers import (  # noqa: F401 - fixtures
    CODE,
    EMAIL,
    PHONE,
    Events,
    add_carrier,
    elks,
    notifier,
    post_pre_advice,
    pre_advice_body,
    settings,
    smtp,
    stored,
)

NAME = "Anna Niemi"


def dump(central) -> str:
    """Every text the parcel tables, events and notifications hold, as one string."""
    with central.sessions() as session:
        rows = []
        for table in ("parcels", "pre_advices", "notifications", "events", "change_log"):
            rows += [str(tuple(row)) for row in session.execute(text(f"SELECT * FROM {table}"))]
    return "\n".join(rows)


def test_recipient_data_and_code_are_purged_30_days_after_pickup(central, kiosk, notifier, elks):
    key = add_carrier(central)
    post_pre_advice(central, key, pre_advice_body("CP1SE", recipient_name=NAME)).raise_for_status()
    ev = Events()
    store = ev("parcel.stored", stored("P1", "CP1SE"))
    kiosk.client.push([store, ev("parcel.stored", stored("P2", recipient={"phone": "+46703333333"}))])
    notifier.run_once()
    link = f"{central.url}/p/{central.rows(Parcel, Parcel.parcel_id == 'P1')[0].link_token}"
    kiosk.client.push([ev("parcel.picked_up", {"parcel_id": "P1"})])
    for secret in (PHONE, EMAIL, NAME, CODE):
        assert secret in dump(central)

    central.clock.advance(days=29, hours=23)
    assert notifier.run_once().purged == 0
    central.clock.advance(hours=1)
    assert notifier.run_once().purged == 1

    (p1,) = central.rows(Parcel, Parcel.parcel_id == "P1")
    assert (p1.recipient_name, p1.recipient_phone, p1.recipient_email, p1.pickup_code, p1.link_token) == (
        None, None, None, None, None)
    assert p1.purged_at == central.clock() and p1.state == "picked_up"  # the record itself stays
    everything = dump(central)
    for secret in (PHONE, EMAIL, NAME):
        assert secret not in everything
    (p2,) = central.rows(Parcel, Parcel.parcel_id == "P2")
    assert p2.recipient_phone == "+46703333333" and p2.pickup_code == CODE  # still waiting: kept
    assert {n.to_address for n in central.rows(Notification, Notification.parcel_id == "P1")} == {None}
    assert central.rows(PreAdvice)[0].purged_at == central.clock()
    assert requests.get(link, timeout=10).status_code == 404
    assert notifier.run_once().purged == 0

    reply = kiosk.client.push([store])  # a late resend of the purged event is still a duplicate
    assert [r.status for r in reply.results] == ["duplicate"]


def test_the_code_leaves_the_stored_event_payload(central, kiosk):
    ev = Events()
    kiosk.client.push([ev("parcel.stored", stored("P1", code="9081726354", recipient={"phone": PHONE})),
                       ev("parcel.returned", {"parcel_id": "P1"})])
    with central.sessions.begin() as session:
        assert purge_personal_data(session, central.clock() + timedelta(days=30)) == 1
    (stored_row,) = central.rows(EventRow, EventRow.type == "parcel.stored")
    assert "9081726354" not in stored_row.payload and PHONE not in stored_row.payload
    assert '"parcel_id":"P1"' in stored_row.payload


def test_a_pre_advice_whose_parcel_never_came_is_withdrawn_and_purged(central, kiosk):
    key = add_carrier(central)
    post_pre_advice(central, key, pre_advice_body("CP7SE")).raise_for_status()
    with central.sessions.begin() as session:
        purge_personal_data(session, central.clock() + STALE_PRE_ADVICE - timedelta(minutes=1))
    assert central.rows(PreAdvice)[0].state == "open"
    with central.sessions.begin() as session:
        purge_personal_data(session, central.clock() + STALE_PRE_ADVICE)
    (advice,) = central.rows(PreAdvice)
    assert (advice.state, advice.recipient_phone, advice.recipient_email) == ("expired", None, None)
    changes = kiosk.client.pull("parcels", "").changes
    assert [(c.entity_id, c.op) for c in changes] == [("CP7SE", "delete")]


def test_cli_purge(central, kiosk):
    ev = Events()
    kiosk.client.push([ev("parcel.stored", stored("P1", recipient={"phone": PHONE})),
                       ev("parcel.picked_up", {"parcel_id": "P1"})])
    with central.sessions.begin() as session:  # picked up 31 days ago by the wall clock
        row = session.scalar(select(Parcel))
        row.done_at = row.done_at - timedelta(days=31)
    result = CliRunner().invoke(main, ["--database-url", central.database_url, "parcels", "purge"])
    assert result.exit_code == 0, result.output
    assert "purged personal data of 1 parcels" in result.output
    assert central.rows(Parcel)[0].recipient_phone is None
    shown = CliRunner().invoke(main, ["--database-url", central.database_url, "parcels", "show", "T-P1"])
    assert '"phone": null' in shown.output and '"purged_at"' in shown.output
    listing = CliRunner().invoke(main, ["--database-url", central.database_url, "parcels", "list",
                                        "--service-point", SP])
    assert "T-P1" in listing.output and "picked_up" in listing.output

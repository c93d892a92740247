"""The carrier pre-advice API on a real server (SQLite and PostgreSQL): accepted pre-advice
reaches only its service point's kiosks; bad input gets a clear 4xx and changes nothing."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from sync import protocol as p
from sync.server.cli.main import main
from sync.server.db.kiosks import ChangeLog
from sync.server.db.parcels import Carrier, PreAdvice
from tests.sync.helpers import OTHER_SP, SP
from tests.sync.parcel_helpers import EMAIL, PHONE, add_carrier, post_pre_advice, pre_advice_body


def snapshot(central) -> tuple[int, int]:
    return central.count(PreAdvice), central.count(ChangeLog)


def test_pre_advice_reaches_only_the_kiosks_of_its_service_point(central, make_kiosk):
    central.add_service_point(OTHER_SP, "Pajala Lanthandel")
    key = add_carrier(central, "PostNord", deadline_days=10, reminder_day=7)
    here, there = make_kiosk(SP), make_kiosk(OTHER_SP)

    reply = post_pre_advice(central, key, pre_advice_body(language="fi", size_class="S"))

    assert reply.status_code == 201, reply.text
    assert reply.json() == {"tracking_id": "CP123456785SE", "service_point": SP, "carrier": "postnord",
                            "deadline_days": 10, "status": "accepted"}
    page = here.client.pull(p.SCOPE_PARCELS, "")
    assert [(c.entity, c.entity_id, c.op, c.version) for c in page.changes] == [
        ("pre_advice", "CP123456785SE", "upsert", 1)]
    data = p.PreAdviceData.model_validate(page.changes[0].data)
    assert data.carrier == "postnord" and data.deadline_days == 10 and data.size_class == "S"
    assert data.recipient == p.Recipient(name="Anna Niemi", phone=PHONE, email=EMAIL, language="fi")
    assert there.client.pull(p.SCOPE_PARCELS, "").changes == []


@pytest.mark.parametrize("header", ["bearer", "x-api-key"])
def test_the_key_is_accepted_in_either_header_and_stored_only_hashed(central, header):
    key = add_carrier(central)
    assert post_pre_advice(central, key, pre_advice_body(), header=header).status_code == 201
    (carrier,) = central.rows(Carrier)
    assert key not in carrier.api_key_hash and len(carrier.api_key_hash) == 64


BAD_INPUT = {
    "unknown service point": (pre_advice_body(service_point="SP-NOWHERE"), 422, "unknown_service_point"),
    "phone not E.164": (pre_advice_body(phone="070-123 45 67"), 422, "invalid_pre_advice"),
    "phone without country": (pre_advice_body(phone="0701234567"), 422, "invalid_pre_advice"),
    "neither phone nor e-mail": (pre_advice_body(phone=None, email=None), 422, "invalid_pre_advice"),
    "bad e-mail": (pre_advice_body(email="anna@"), 422, "invalid_pre_advice"),
    "unknown language": (pre_advice_body(language="de"), 422, "invalid_pre_advice"),
    "unknown size class": (pre_advice_body(size_class="XL"), 422, "invalid_pre_advice"),
    "extra field": (pre_advice_body(weight_kg=3), 422, "invalid_pre_advice"),
    "tracking id with spaces": (pre_advice_body(tracking_id="CP 1"), 422, "invalid_pre_advice"),
    "not JSON": (b"tracking_id=CP1", 422, "invalid_pre_advice"),
}


@pytest.mark.parametrize("body, status, error", BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_gets_a_clear_4xx_and_changes_nothing(central, body, status, error):
    key = add_carrier(central)
    before = snapshot(central)
    reply = post_pre_advice(central, key, body)
    assert (reply.status_code, reply.json()["error"]) == (status, error), reply.text
    assert reply.json()["detail"]  # says what is wrong
    assert snapshot(central) == before


def test_duplicate_tracking_id_is_409_and_keeps_the_first(central):
    key = add_carrier(central)
    assert post_pre_advice(central, key, pre_advice_body(recipient_name="First")).status_code == 201
    before = snapshot(central)
    other_key = add_carrier(central, "DHL")
    reply = post_pre_advice(central, other_key, pre_advice_body(recipient_name="Second"))
    assert (reply.status_code, reply.json()["error"]) == (409, "duplicate_tracking_id")
    assert snapshot(central) == before
    assert [row.recipient_name for row in central.rows(PreAdvice)] == ["First"]


@pytest.mark.parametrize("key", [None, "", "spk_wrong", "Bearer"], ids=["missing", "empty", "wrong", "junk"])
def test_wrong_or_missing_key_is_401_even_with_bad_body(central, key):
    add_carrier(central)
    before = snapshot(central)
    for body in (pre_advice_body(), b"{not json"):
        reply = post_pre_advice(central, key, body)
        assert (reply.status_code, reply.json()["error"]) == (401, "invalid_api_key")
        assert reply.headers["WWW-Authenticate"] == "Bearer"
    assert snapshot(central) == before


def test_cli_prints_the_key_once_and_the_key_works(central):
    runner = CliRunner()
    url = central.database_url
    result = runner.invoke(main, ["--database-url", url, "carrier", "add", "InPost",
                                  "--deadline-days", "5", "--reminder-day", "3",
                                  "--webhook", "https://carrier.example/hook"])
    assert result.exit_code == 0, result.output
    key = result.output.split("API key: ")[1].split()[0]
    listing = runner.invoke(main, ["--database-url", url, "carrier", "list"])
    assert "inpost" in listing.output and "deadline=5" in listing.output and key not in listing.output
    assert post_pre_advice(central, key, pre_advice_body()).json()["deadline_days"] == 5
    again = runner.invoke(main, ["--database-url", url, "carrier", "add", "InPost"])
    assert again.exit_code != 0 and "already exists" in again.output
    bad = runner.invoke(main, ["--database-url", url, "carrier", "add", "Bring", "--reminder-day", "9"])
    assert bad.exit_code != 0 and "reminder-day" in bad.output
    with central.sessions() as session:
        assert session.scalars(select(Carrier.id).order_by(Carrier.id)).all() == ["inpost"]

"""A NUL character (U+0000) in a parameter or a body is a 422 `invalid_request` on both
databases; on PostgreSQL it used to be a 503 `database_unavailable` (which a kiosk retries for
ever), on SQLite it was stored. Found by tests/sync/test_openapi_fuzz.py."""
from __future__ import annotations

import pytest
import requests

from sync.server import admin_tokens
from sync.server.db.parcels import PreAdvice
from tests.sync.parcel_helpers import add_carrier, post_pre_advice, pre_advice_body


def assert_refused(response: requests.Response) -> None:
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_request"
    assert "U+0000" in response.json()["detail"]


def test_a_nul_in_a_json_body_is_refused(central) -> None:
    assert_refused(requests.post(f"{central.url}/v1/auth/challenge", json={"device_id": "kiosk-\x00"},
                                 timeout=10))
    assert_refused(requests.post(f"{central.url}/v1/enroll", timeout=10, json={
        "code": "ABCD-EFGH-JKMN-PQRS", "public_key": "x", "install_id": "i\x00", "hw": {"k\x00": 1}}))


def test_a_nul_in_a_path_or_query_parameter_is_refused(central) -> None:
    with central.sessions.begin() as session:
        token = admin_tokens.create(session, "coordinator", central.clock())
    headers = {"Authorization": f"Bearer {token}"}
    for path in ("/v1/admin/parcels/CP1%00SE", "/v1/admin/parcels?service_point=SP%00",
                 "/v1/admin/directory/video-services/fk%00/exceptions", "/p/token%00", "/healthz?x=%00"):
        assert_refused(requests.get(central.url + path, headers=headers, timeout=10))


@pytest.mark.parametrize("field", ["recipient_name", "tracking_id"])
def test_a_pre_advice_with_a_nul_changes_nothing(central, field) -> None:
    key = add_carrier(central)
    assert_refused(post_pre_advice(central, key, pre_advice_body(**{field: "CP1\x00SE"})))
    assert central.rows(PreAdvice) == []


def test_the_carrier_key_is_still_checked_before_the_body(central) -> None:
    response = post_pre_advice(central, "wrong-key", pre_advice_body(recipient_name="A\x00"))
    assert response.status_code == 401 and response.json()["error"] == "invalid_api_key"


def test_a_nul_in_a_delivery_report_form_is_refused(central) -> None:
    # The gateway's credentials are checked first (SmsGatewayAuth), then the form's text.
    assert_refused(requests.post(f"{central.url}/v1/sms/delivery", data={"id": "m\x00", "status": "delivered"},
                                 auth=("46elks", central.sms_report_secret), timeout=10))

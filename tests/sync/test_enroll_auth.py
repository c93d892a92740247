"""Enrollment with one-time codes, and token auth by signed nonce, against a live server."""
from __future__ import annotations

import base64
from datetime import timedelta

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync.client import (
    DeviceRevoked,
    EnrollmentRefused,
    RequestRejected,
    SyncClient,
    enroll,
    generate_device_key,
    load_device_key,
)
from sync.protocol import SCOPES
from sync.server.db.kiosks import AuthNonce, Device, EnrollmentCode, EventRow
from tests.sync.helpers import SP, SP_NAME, make_event, signed_token


@pytest.fixture
def key_path(tmp_path):
    path = tmp_path / "device_key"
    generate_device_key(path)
    return path


def test_enrollment_binds_the_key_and_answers_with_the_service_point(central, key_path) -> None:
    answer = enroll(central.url, central.add_kiosk(), key_path, install_id="i-1", hw={"machine": "aarch64"})
    assert (answer.service_point_id, answer.service_point_name) == (SP, SP_NAME)
    assert answer.scopes == list(SCOPES)
    [device] = central.rows(Device)
    assert device.device_id == answer.device_id and device.install_id == "i-1"
    assert device.public_key is not None and device.enrolled_at is not None
    [code] = central.rows(EnrollmentCode)
    assert code.used_at is not None and len(code.code_hash) == 64  # only the hash is kept


def test_same_code_and_key_again_gives_the_same_answer(central, key_path) -> None:
    code = central.add_kiosk()
    first = enroll(central.url, code, key_path, install_id="i-1")
    again = enroll(central.url, f"  {code.lower()} ", key_path, install_id="i-1")  # typed sloppily
    assert again.device_id == first.device_id
    assert central.count(Device) == 1


def test_same_code_with_another_key_is_409_and_changes_nothing(central, key_path, tmp_path) -> None:
    code = central.add_kiosk()
    enroll(central.url, code, key_path, install_id="i-1")
    other = tmp_path / "other_key"
    generate_device_key(other)
    with pytest.raises(EnrollmentRefused) as refused:
        enroll(central.url, code, other, install_id="i-2")
    assert refused.value.status == 409 and "another key" in refused.value.detail
    [device] = central.rows(Device)
    assert device.install_id == "i-1"


def test_expired_code_is_410(central, key_path) -> None:
    code = central.add_kiosk(expires=timedelta(hours=1))
    central.clock.advance(hours=1, seconds=1)
    with pytest.raises(EnrollmentRefused) as refused:
        enroll(central.url, code, key_path, install_id="i-1")
    assert refused.value.status == 410 and "expired" in refused.value.detail
    assert central.rows(Device)[0].public_key is None


def test_unknown_code_is_refused_clearly(central, key_path) -> None:
    with pytest.raises(EnrollmentRefused) as refused:
        enroll(central.url, "AAAA-BBBB-CCCC-DDDD", key_path, install_id="i-1")
    assert refused.value.status == 404 and "no such enrollment code" in refused.value.detail


def test_malformed_enrollment_json_is_422_with_a_message(central) -> None:
    response = requests.post(f"{central.url}/v1/enroll", data=b"{not json",
                             headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request" and response.json()["detail"]
    assert central.count(EnrollmentCode) == 0


def test_signed_nonce_gives_a_token_that_works(central, kiosk) -> None:
    key = load_device_key(kiosk.key_path)
    token = signed_token(central.url, kiosk.device_id, key)
    assert token.status_code == 200 and token.json()["expires_in"] > 0
    response = requests.get(f"{central.url}/v1/devices/{kiosk.device_id}/changes",
                            params={"scope": "staff"}, timeout=10,
                            headers={"Authorization": f"Bearer {token.json()['token']}"})
    assert response.status_code == 200


def test_bad_signature_is_401_and_burns_the_nonce(central, kiosk) -> None:
    nonce = requests.post(f"{central.url}/v1/auth/challenge", json={"device_id": kiosk.device_id},
                          timeout=10).json()["nonce"]
    forged = base64.b64encode(Ed25519PrivateKey.generate().sign(nonce.encode())).decode()
    body = {"device_id": kiosk.device_id, "nonce": nonce, "signature": forged}
    response = requests.post(f"{central.url}/v1/auth/token", json=body, timeout=10)
    assert response.status_code == 401 and response.json()["error"] == "bad_signature"
    real = base64.b64encode(load_device_key(kiosk.key_path).sign(nonce.encode())).decode()
    retry = requests.post(f"{central.url}/v1/auth/token", json={**body, "signature": real}, timeout=10)
    assert retry.status_code == 401 and retry.json()["error"] == "invalid_nonce"


def test_nonce_expires_after_a_minute(central, kiosk) -> None:
    key = load_device_key(kiosk.key_path)
    nonce = requests.post(f"{central.url}/v1/auth/challenge", json={"device_id": kiosk.device_id},
                          timeout=10).json()["nonce"]
    central.clock.advance(seconds=61)
    body = {"device_id": kiosk.device_id, "nonce": nonce,
            "signature": base64.b64encode(key.sign(nonce.encode())).decode()}
    response = requests.post(f"{central.url}/v1/auth/token", json=body, timeout=10)
    assert response.status_code == 401
    assert central.count(AuthNonce) == 1


def test_revoked_kiosk_gets_403_revoked(central, kiosk) -> None:
    kiosk.client.push([make_event(1)])  # has a token now
    central.revoke(kiosk.device_id)
    with pytest.raises(DeviceRevoked):
        kiosk.client.push([make_event(2)])  # the old token is refused too
    response = requests.post(f"{central.url}/v1/auth/challenge", json={"device_id": kiosk.device_id},
                             timeout=10)
    assert response.status_code == 403 and response.json()["error"] == "revoked"
    assert central.count(EventRow) == 1


def test_expired_token_is_replaced_transparently(central, kiosk) -> None:
    kiosk.client.push([make_event(1)])
    old_token = kiosk.client._token
    central.clock.advance(hours=5)  # past the 4 h token lifetime
    kiosk.client.push([make_event(2)])
    assert kiosk.client._token != old_token
    assert central.count(EventRow) == 2


def test_a_token_opens_only_its_own_kiosk(central, make_kiosk) -> None:
    first, second = make_kiosk(), make_kiosk()
    token = signed_token(central.url, first.device_id, load_device_key(first.key_path)).json()["token"]
    response = requests.get(f"{central.url}/v1/devices/{second.device_id}/changes",
                            params={"scope": "staff"}, headers={"Authorization": f"Bearer {token}"},
                            timeout=10)
    assert response.status_code == 403 and response.json()["error"] == "forbidden"


def test_a_client_with_a_foreign_key_cannot_authenticate(central, kiosk, tmp_path) -> None:
    stranger = tmp_path / "stranger_key"
    generate_device_key(stranger)
    with SyncClient(central.url, kiosk.device_id, stranger) as client, \
            pytest.raises(RequestRejected) as failed:
        client.pull("staff", "")
    assert (failed.value.status, failed.value.error) == (401, "bad_signature")

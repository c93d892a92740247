"""Security: a kiosk reaches only its own service point; expired, revoked and foreign
tokens are refused; spent codes are gone; guessing codes is rate-limited; key rotation."""
from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta

import pytest
import requests

from sync.client import (
    EnrollmentRefused,
    RequestRejected,
    ServerError,
    ServerUnreachable,
    SyncClient,
    enroll,
    generate_device_key,
)
from sync.devicekey import load_device_key, pending_key_path, public_key_b64
from sync.server.db.kiosks import Device, EventRow
from sync.server.db.parcels import Parcel
from sync.server.kiosks.ratelimit import FailureLimiter
from tests.sync.faultproxy import Fault, only
from tests.sync.helpers import OTHER_SP, make_event, signed_token, stored_payload


@pytest.fixture
def two_kiosks(central, make_kiosk):
    central.add_service_point(OTHER_SP, "Pajala")
    return make_kiosk(), make_kiosk(OTHER_SP)


def bearer(central, kiosk) -> dict[str, str]:
    token = signed_token(central.url, kiosk.device_id, load_device_key(kiosk.key_path)).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def test_a_token_of_kiosk_a_can_neither_read_nor_write_service_point_b(central, two_kiosks):
    a, b = two_kiosks
    headers = bearer(central, a)
    base = f"{central.url}/v1/devices/{b.device_id}"
    body = gzip.compress(b'{"events":[]}')
    push = requests.post(f"{base}/events:batch", data=body, timeout=10,
                         headers={**headers, "Content-Encoding": "gzip"})
    pull = requests.get(f"{base}/changes", params={"scope": "staff"}, headers=headers, timeout=10)
    config = requests.get(f"{base}/config", headers=headers, timeout=10)
    assert [r.status_code for r in (push, pull, config)] == [403, 403, 403]
    assert {r.json()["error"] for r in (push, pull, config)} == {"forbidden"}


def test_events_of_kiosk_a_cannot_touch_parcels_of_service_point_b(central, two_kiosks):
    a, b = two_kiosks
    b.client.push([make_event(1, payload=stored_payload("PB"))])
    results = a.client.push([
        make_event(1, "parcel.picked_up", {"parcel_id": "PB"}),
        make_event(2, payload=stored_payload("PB")),
    ]).results
    assert [r.status for r in results] == ["rejected", "rejected"]
    [parcel] = central.rows(Parcel)
    assert parcel.state == "stored" and parcel.service_point_id == OTHER_SP


def test_a_kiosk_pulls_only_its_service_points_staff_and_config(central, two_kiosks):
    a, _b = two_kiosks
    central.add_staff("Pekka", "04:00:00:09", sp=OTHER_SP)
    with central.sessions.begin() as session:
        from sync.server.kiosks import admin
        admin.set_config(session, OTHER_SP, {"idle_timeout_s": 30}, central.clock())
    assert a.client.pull("staff", "").changes == []
    config, _etag = a.client.config(None)
    assert config.settings == {} and config.version == 0


def test_expired_token_is_401_and_a_revoked_kiosk_is_403(central, kiosk):
    headers = bearer(central, kiosk)
    url = f"{central.url}/v1/devices/{kiosk.device_id}/changes"
    assert requests.get(url, params={"scope": "staff"}, headers=headers, timeout=10).status_code == 200
    central.clock.advance(hours=5)
    expired = requests.get(url, params={"scope": "staff"}, headers=headers, timeout=10)
    assert expired.status_code == 401 and expired.json()["error"] == "invalid_token"
    fresh = bearer(central, kiosk)
    central.revoke(kiosk.device_id)
    revoked_token = requests.get(url, params={"scope": "staff"}, headers=fresh, timeout=10)
    assert revoked_token.status_code == 401  # revocation drops its tokens
    challenge = requests.post(f"{central.url}/v1/auth/challenge", json={"device_id": kiosk.device_id}, timeout=10)
    assert challenge.status_code == 403 and challenge.json()["error"] == "revoked"


def test_a_used_enrollment_code_is_410(central, kiosk, tmp_path):
    code = central.add_kiosk()
    key = tmp_path / "k"
    generate_device_key(key)
    answer = enroll(central.url, code, key, install_id="i")
    SyncClient(central.url, answer.device_id, key).pull("staff", "")
    with pytest.raises(EnrollmentRefused) as refused:
        enroll(central.url, code, key, install_id="i")
    assert refused.value.status == 410


def test_repeated_bad_enrollment_attempts_are_rate_limited(central, tmp_path):
    key = tmp_path / "k"
    generate_device_key(key)
    for attempt in range(10):
        with pytest.raises(EnrollmentRefused):
            enroll(central.url, f"BAD0-0000-0000-{attempt:04d}", key, install_id="i")
    good = central.add_kiosk()
    with pytest.raises(ServerError) as limited:
        enroll(central.url, good, key, install_id="i")  # even a good code waits now
    assert limited.value.status == 429 and limited.value.retry_after and limited.value.retry_after > 0
    central.clock.advance(minutes=11)
    assert enroll(central.url, good, key, install_id="i").device_id


def test_key_rotation_is_signed_by_the_old_key_and_retires_it(central, kiosk):
    old_key = load_device_key(kiosk.key_path)
    new_public = kiosk.client.rotate_key()
    assert new_public == public_key_b64(load_device_key(kiosk.key_path)) != public_key_b64(old_key)
    assert not pending_key_path(kiosk.key_path).exists()
    [device] = central.rows(Device, Device.device_id == kiosk.device_id)
    assert device.public_key == new_public and device.key_rotated_at is not None
    assert kiosk.client.push([make_event(1)]).results[0].status == "accepted"
    assert signed_token(central.url, kiosk.device_id, old_key).status_code == 401


def test_a_rotation_whose_answer_was_lost_is_adopted_at_the_next_token(central, kiosk, proxy):
    client = SyncClient(proxy.url, kiosk.device_id, kiosk.key_path, timeout=(2, 2))
    proxy.plan = only("POST", "/v1/auth/rotate-key", Fault.DROP_RESPONSE, times=1)
    with pytest.raises(ServerUnreachable):  # the connection closed without an answer
        client.rotate_key()
    assert pending_key_path(kiosk.key_path).exists()  # the server switched; we did not hear
    fresh = SyncClient(proxy.url, kiosk.device_id, kiosk.key_path)  # e.g. after a restart
    assert fresh.push([make_event(1)]).results[0].status == "accepted"
    assert not pending_key_path(kiosk.key_path).exists()
    assert central.count(EventRow) == 1


def test_a_rotation_not_signed_by_the_current_key_is_refused(central, kiosk, tmp_path):
    stranger = tmp_path / "stranger"
    generate_device_key(stranger)
    thief = SyncClient(central.url, kiosk.device_id, stranger)
    with pytest.raises(RequestRejected) as refused:
        thief.rotate_key()
    assert refused.value.status == 401
    [device] = central.rows(Device, Device.device_id == kiosk.device_id)
    assert device.public_key == public_key_b64(load_device_key(kiosk.key_path))


def test_the_enrollment_limiter_counts_failures_per_client_in_a_sliding_window():
    limiter, start = FailureLimiter(max_failures=3, window=timedelta(minutes=10)), datetime(2026, 11, 27, tzinfo=UTC)
    for minute in (0, 4, 8):
        assert limiter.retry_after("10.0.0.1", start + timedelta(minutes=minute)) is None
        limiter.failed("10.0.0.1", start + timedelta(minutes=minute))
    at_nine = start + timedelta(minutes=9)
    assert limiter.retry_after("10.0.0.1", at_nine) == 61  # until the first failure leaves the window
    assert limiter.retry_after("10.0.0.2", at_nine) is None  # another client is not slowed down
    assert limiter.retry_after("10.0.0.1", start + timedelta(minutes=10)) is None

"""POST /v1/enroll/check, behind `kiosk provision --dry-run`: the same answer /enroll would
give for a code and key, against a live server, with the code left unused."""
from __future__ import annotations

from datetime import timedelta

import pytest

from sync.client import (
    EnrollmentRefused,
    ServerError,
    check_enrollment_code,
    enroll,
    generate_device_key,
    load_device_key,
)
from sync.devicekey import public_key_b64
from sync.server.db.kiosks import Device, EnrollmentCode
from tests.sync.helpers import SP, SP_NAME


@pytest.fixture
def key_path(tmp_path):
    path = tmp_path / "device_key"
    generate_device_key(path)
    return path


def public_key(path) -> str:
    return public_key_b64(load_device_key(path))


def test_a_good_code_is_named_with_its_service_point_and_stays_unused(central, key_path) -> None:
    code = central.add_kiosk(expires=timedelta(hours=2))
    answer = check_enrollment_code(central.url, code)
    assert (answer.service_point_id, answer.service_point_name) == (SP, SP_NAME)
    assert answer.expires_at == central.clock() + timedelta(hours=2)
    [row] = central.rows(EnrollmentCode)
    assert row.used_at is None and central.rows(Device)[0].public_key is None
    assert enroll(central.url, code, key_path, install_id="i-1").device_id == answer.device_id


def unknown_code(central, key_path) -> str:
    return "AAAA-BBBB-CCCC-DDDD"


def expired_code(central, key_path) -> str:
    code = central.add_kiosk(expires=timedelta(hours=1))
    central.clock.advance(hours=1, seconds=1)
    return code


def code_claimed_by_another_key(central, key_path) -> str:
    code = central.add_kiosk()
    enroll(central.url, code, key_path, install_id="i-1")
    return code  # checked below as a kiosk without a key yet, so with another one


@pytest.mark.parametrize("make_code,status,detail", [
    (unknown_code, 404, "no such enrollment code"),
    (expired_code, 410, "expired"),
    (code_claimed_by_another_key, 409, "another key"),
])
def test_what_enroll_would_refuse_is_refused_the_same(central, key_path, make_code, status, detail) -> None:
    with pytest.raises(EnrollmentRefused) as refused:
        check_enrollment_code(central.url, make_code(central, key_path))
    assert refused.value.status == status and detail in refused.value.detail


def test_a_code_claimed_by_this_kiosks_own_key_still_checks(central, key_path) -> None:
    code = central.add_kiosk()
    enroll(central.url, code, key_path, install_id="i-1")  # claimed; the first sign-in spends it
    assert check_enrollment_code(central.url, code, public_key=public_key(key_path)).service_point_id == SP


def test_guessing_codes_through_the_check_is_rate_limited_like_enrolling(central, key_path) -> None:
    for attempt in range(10):
        with pytest.raises(EnrollmentRefused):
            check_enrollment_code(central.url, f"BAD0-0000-0000-{attempt:04d}")
    with pytest.raises(ServerError) as limited:
        enroll(central.url, central.add_kiosk(), key_path, install_id="i")  # one limiter for both
    assert limited.value.status == 429

"""Enrollment and device authentication (challenge -> signed nonce -> bearer token).

Every function takes the caller's session and `now`; the caller owns the transaction.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from sync import protocol as p
from sync.server.db.kiosks import AuthNonce, Device, EnrollmentCode, ServicePoint, Token
from sync.server.db.rows import affected_rows
from sync.server.errors import ApiError
from sync.server.kiosks import credentials as security

NONCE_TTL = timedelta(seconds=60)
DEFAULT_TOKEN_TTL = timedelta(hours=4)
MAX_ENROLLMENT_TTL = timedelta(hours=72)


def revoked_error() -> ApiError:
    return ApiError(403, p.ERROR_REVOKED, "this kiosk has been revoked; ask a coordinator")


def enroll(session: Session, req: p.EnrollRequest, now: datetime) -> p.EnrollResponse:
    """Bind the code's device to the kiosk's public key. Replays with the same key answer the
    same (a lost response is harmless); anything else is refused and changes nothing."""
    try:
        security.parse_public_key(req.public_key)
    except ValueError as exc:
        raise ApiError(422, "invalid_public_key", str(exc)) from exc
    code, device = _acceptable_code(session, req.code, req.public_key, now)
    if code.used_at is None:
        _claim(session, code, device, req, now)
    return _enroll_response(session, device, now)


def check_code(session: Session, req: p.EnrollCheckRequest, now: datetime) -> p.EnrollCheckResponse:
    """What `enroll` would answer for this code and key, refusals included, changing nothing."""
    code, device = _acceptable_code(session, req.code, req.public_key, now)
    point = session.get_one(ServicePoint, device.service_point_id)
    return p.EnrollCheckResponse(device_id=device.device_id, service_point_id=point.id,
                                 service_point_name=point.name, expires_at=code.expires_at)


def _acceptable_code(
    session: Session, code_text: str, public_key: str | None, now: datetime
) -> tuple[EnrollmentCode, Device]:
    """The code and its kiosk if enrolling with PUBLIC_KEY may go ahead; else the refusal."""
    code = session.scalar(
        select(EnrollmentCode).where(EnrollmentCode.code_hash == security.code_hash(code_text))
    )
    if code is None:
        raise ApiError(404, "unknown_code", "no such enrollment code; check for typing errors")
    device = session.get_one(Device, code.device_id)
    if device.state == "revoked":
        raise ApiError(410, "code_revoked", "the kiosk this code was made for has been revoked")
    if code.consumed_at is not None:
        raise ApiError(410, "code_used", "this code has been used; ask for a new one")
    if code.used_at is not None and code.public_key != public_key:
        raise ApiError(409, "code_used", "this code was already used by another key")
    if code.used_at is None and now >= code.expires_at:
        raise ApiError(410, "code_expired", "this enrollment code has expired; ask for a new one")
    if code.used_at is None and device.public_key is not None and device.public_key != public_key:
        raise ApiError(410, "code_superseded", "this kiosk was already enrolled with another code")
    return code, device


def _claim(
    session: Session, code: EnrollmentCode, device: Device, req: p.EnrollRequest, now: datetime
) -> None:
    # Conditional UPDATE: of two concurrent enrollments only one claims the code.
    claimed = affected_rows(session.execute(
        update(EnrollmentCode)
        .where(EnrollmentCode.id == code.id, EnrollmentCode.used_at.is_(None))
        .values(used_at=now, public_key=req.public_key)
    ))
    if claimed != 1:
        raise ApiError(409, "code_used", "this code was used at the same moment by another key")
    device.public_key = req.public_key
    device.install_id = req.install_id
    device.hw = json.dumps(req.hw, sort_keys=True)
    device.enrolled_at = now


def _enroll_response(session: Session, device: Device, now: datetime) -> p.EnrollResponse:
    point = session.get_one(ServicePoint, device.service_point_id)
    return p.EnrollResponse(
        device_id=device.device_id,
        service_point_id=point.id,
        service_point_name=point.name,
        server_time=now,
        scopes=list(p.SCOPES),
    )


def _enrolled_device(session: Session, device_id: str) -> Device:
    device = session.get(Device, device_id)
    if device is None or device.public_key is None:
        raise ApiError(401, "unknown_device", f"no enrolled kiosk {device_id!r}")
    if device.state == "revoked":
        raise revoked_error()
    return device


def challenge(session: Session, device_id: str, now: datetime) -> p.ChallengeResponse:
    _enrolled_device(session, device_id)
    # Housekeeping here keeps the tables small without a separate janitor job.
    session.execute(
        delete(AuthNonce).where(AuthNonce.device_id == device_id, AuthNonce.expires_at < now)
    )
    session.execute(delete(Token).where(Token.device_id == device_id, Token.expires_at < now))
    nonce = security.new_secret()
    session.add(AuthNonce(nonce=nonce, device_id=device_id, expires_at=now + NONCE_TTL))
    return p.ChallengeResponse(nonce=nonce, expires_in=int(NONCE_TTL.total_seconds()))


def issue_token(
    session: Session, req: p.TokenRequest, now: datetime, ttl: timedelta = DEFAULT_TOKEN_TTL
) -> p.TokenResponse | ApiError:
    """A token for a correctly signed, fresh, unused nonce.

    Returns (not raises) the ApiError for a bad nonce or signature: the nonce is burnt
    either way, and the caller must commit that before answering.
    """
    device = _enrolled_device(session, req.device_id)
    if not _burn_nonce(session, req.device_id, req.nonce, now):
        return ApiError(401, "invalid_nonce", "nonce unknown, used or expired; ask for a new one")
    assert device.public_key is not None
    if not security.signature_valid(device.public_key, req.nonce, req.signature):
        return ApiError(401, "bad_signature", "the signature does not match the enrolled key")
    token = security.new_secret()
    session.execute(  # the kiosk is through: its enrollment code can never be replayed now
        update(EnrollmentCode)
        .where(EnrollmentCode.device_id == device.device_id, EnrollmentCode.used_at.is_not(None),
               EnrollmentCode.consumed_at.is_(None))
        .values(consumed_at=now)
    )
    session.add(
        Token(
            token_hash=security.sha256_hex(token),
            device_id=device.device_id,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    return p.TokenResponse(token=token, expires_in=int(ttl.total_seconds()))


def rotate_key(session: Session, req: p.KeyRotationRequest, now: datetime) -> p.KeyRotationResponse | ApiError:
    """Replace the device key: signed by the current key, and by the new one to prove the
    kiosk holds it. Repeating a rotation that already happened (lost response) succeeds.

    Like issue_token, returns the ApiError for a bad request: the nonce is burnt either way."""
    device = _enrolled_device(session, req.device_id)
    if not _burn_nonce(session, req.device_id, req.nonce, now):
        return ApiError(401, "invalid_nonce", "nonce unknown, used or expired; ask for a new one")
    message = p.rotation_message(req.device_id, req.nonce, req.new_public_key)
    try:
        security.parse_public_key(req.new_public_key)
    except ValueError as exc:
        return ApiError(422, "invalid_public_key", str(exc))
    if not security.signature_valid_bytes(req.new_public_key, message, req.new_key_signature):
        return ApiError(401, "bad_signature", "the new key did not sign the rotation")
    assert device.public_key is not None
    if device.public_key != req.new_public_key:
        if not security.signature_valid_bytes(device.public_key, message, req.signature):
            return ApiError(401, "bad_signature", "the current key did not sign the rotation")
        device.public_key = req.new_public_key
        device.key_rotated_at = now
        session.execute(delete(Token).where(Token.device_id == device.device_id))
    return p.KeyRotationResponse(device_id=device.device_id, public_key=device.public_key)


def _burn_nonce(session: Session, device_id: str, nonce: str, now: datetime) -> bool:
    return affected_rows(session.execute(
        update(AuthNonce)
        .where(
            AuthNonce.nonce == nonce,
            AuthNonce.device_id == device_id,
            AuthNonce.used_at.is_(None),
            AuthNonce.expires_at > now,
        )
        .values(used_at=now)
    )) == 1


def authenticate(session: Session, token: str | None, device_id: str, now: datetime) -> Device:
    """The device behind a bearer `token`, which must be the device named in the URL."""
    if not token:
        raise _unauthorized("missing bearer token")
    row = session.get(Token, security.sha256_hex(token))
    if row is None or row.expires_at <= now:
        raise _unauthorized("token unknown or expired; get a new one")
    device = session.get_one(Device, row.device_id)
    if device.state == "revoked":
        raise revoked_error()
    if device.device_id != device_id:
        raise ApiError(403, "forbidden", "this token belongs to another kiosk")
    return device


def _unauthorized(detail: str) -> ApiError:
    return ApiError(401, p.ERROR_INVALID_TOKEN, detail, {"WWW-Authenticate": "Bearer"})

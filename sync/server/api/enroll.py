"""HTTP routes for kiosks before they hold a token: /healthz, enrollment and the
challenge/token/key-rotation exchange under /v1. The per-device endpoints are in devices.py."""
from __future__ import annotations

import logging
from datetime import datetime

from fastapi import APIRouter, Request
from sqlalchemy import text
from sqlalchemy.orm import Session

from sync import protocol as p
from sync.server.api.contract.responses import JSON_BODY, KIOSK_IDENTITY, errors
from sync.server.api.contract.schemas import Health
from sync.server.api.deps import NowDep, SessionDep, StateDep
from sync.server.api.text_guard import BODY_TEXT, URL_TEXT
from sync.server.errors import ApiError
from sync.server.kiosks import auth
from sync.server.kiosks.ratelimit import FailureLimiter

log = logging.getLogger(__name__)
health_router = APIRouter(tags=["health"], dependencies=[URL_TEXT])
router = APIRouter(prefix=p.API_PREFIX, tags=["enrollment"], dependencies=[URL_TEXT, BODY_TEXT])


@health_router.get("/healthz", response_model=Health, responses=errors())
def healthz(session: SessionDep, now: NowDep) -> Health:
    """The server and its database answer; `server_time` is the server's clock."""
    session.execute(text("SELECT 1"))
    return Health(status="ok", server_time=now.isoformat())


@router.post("/enroll", response_model=p.EnrollResponse, responses=errors(JSON_BODY, {
    404: "`unknown_code`: no such enrollment code; check for typing errors.",
    409: "`code_used`: the code was already used by another key.",
    410: "`code_expired` | `code_used` | `code_revoked` | `code_superseded`: ask for a new code.",
    422: "`invalid_public_key`: not base64 of a raw 32-byte Ed25519 key.",
    429: f"`{p.ERROR_RATE_LIMITED}`: too many failed enrollments from this client; wait `Retry-After` seconds.",
}))
def enroll(req: p.EnrollRequest, request: Request, state: StateDep, session: SessionDep,
           now: NowDep) -> p.EnrollResponse:
    client = request.client.host if request.client else "?"
    return _limited_enroll(state.enroll_limiter, session, req, client, now)


@router.post("/auth/challenge", response_model=p.ChallengeResponse,
             responses=errors(JSON_BODY, KIOSK_IDENTITY))
def challenge(req: p.ChallengeRequest, session: SessionDep, now: NowDep) -> p.ChallengeResponse:
    with session.begin():
        return auth.challenge(session, req.device_id, now)


@router.post("/auth/token", response_model=p.TokenResponse,
             responses=errors(JSON_BODY, KIOSK_IDENTITY))
def token(req: p.TokenRequest, state: StateDep, session: SessionDep, now: NowDep) -> p.TokenResponse:
    with session.begin():
        outcome = auth.issue_token(session, req, now, state.token_ttl)
    if isinstance(outcome, ApiError):  # raised only now: the burnt nonce is committed
        raise outcome
    return outcome


@router.post("/auth/rotate-key", response_model=p.KeyRotationResponse, responses=errors(
    JSON_BODY, KIOSK_IDENTITY, {422: "`invalid_public_key`: the new key is not a raw 32-byte Ed25519 key."}))
def rotate_key(req: p.KeyRotationRequest, session: SessionDep, now: NowDep) -> p.KeyRotationResponse:
    with session.begin():
        outcome = auth.rotate_key(session, req, now)
    if isinstance(outcome, ApiError):
        raise outcome
    log.info("device %s rotated its key", req.device_id)
    return outcome


def _limited_enroll(limiter: FailureLimiter, session: Session, req: p.EnrollRequest, client: str,
                    now: datetime) -> p.EnrollResponse:
    """Enrollment, refused with 429 once a client has failed too often (a guessing script)."""
    wait = limiter.retry_after(client, now)
    if wait is not None:
        raise ApiError(429, p.ERROR_RATE_LIMITED, "too many failed enrollment attempts; wait",
                       {"Retry-After": str(wait)})
    try:
        with session.begin():
            return auth.enroll(session, req, now)
    except ApiError as exc:
        if 400 <= exc.status < 500:
            limiter.failed(client, now)
            log.warning("failed enrollment from %s: %s", client, exc.error)
        raise

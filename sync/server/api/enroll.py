"""HTTP routes for kiosks before they hold a token: /healthz, enrollment and the
challenge/token/key-rotation exchange under /v1. The per-device endpoints are in devices.py."""
from __future__ import annotations

import logging
from datetime import datetime

from fastapi import APIRouter, Request
from sqlalchemy import text
from sqlalchemy.orm import Session

from sync import protocol as p
from sync.server.api.deps import NowDep, SessionDep, StateDep
from sync.server.errors import ApiError
from sync.server.kiosks import auth
from sync.server.kiosks.ratelimit import FailureLimiter

log = logging.getLogger(__name__)
health_router = APIRouter(tags=["health"])
router = APIRouter(prefix=p.API_PREFIX, tags=["enrollment"])


@health_router.get("/healthz")
def healthz(session: SessionDep, now: NowDep) -> dict[str, str]:
    session.execute(text("SELECT 1"))
    return {"status": "ok", "server_time": now.isoformat()}


@router.post("/enroll", response_model=p.EnrollResponse)
def enroll(req: p.EnrollRequest, request: Request, state: StateDep, session: SessionDep,
           now: NowDep) -> p.EnrollResponse:
    client = request.client.host if request.client else "?"
    return _limited_enroll(state.enroll_limiter, session, req, client, now)


@router.post("/auth/challenge", response_model=p.ChallengeResponse)
def challenge(req: p.ChallengeRequest, session: SessionDep, now: NowDep) -> p.ChallengeResponse:
    with session.begin():
        return auth.challenge(session, req.device_id, now)


@router.post("/auth/token", response_model=p.TokenResponse)
def token(req: p.TokenRequest, state: StateDep, session: SessionDep, now: NowDep) -> p.TokenResponse:
    with session.begin():
        outcome = auth.issue_token(session, req, now, state.token_ttl)
    if isinstance(outcome, ApiError):  # raised only now: the burnt nonce is committed
        raise outcome
    return outcome


@router.post("/auth/rotate-key", response_model=p.KeyRotationResponse)
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

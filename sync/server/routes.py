"""HTTP routes of kiosk-central: /healthz and the enrollment/auth endpoints under /v1, built
around one ServerContext. The per-device endpoints are in device_routes.py."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from sync import protocol as p
from sync.server import auth
from sync.server.errors import ApiError
from sync.server.ratelimit import FailureLimiter, guess_limiter

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ServerContext:
    sessions: sessionmaker[Session]
    clock: Clock
    token_ttl: timedelta
    enroll_limiter: FailureLimiter = field(default_factory=FailureLimiter)
    guess_limiter: FailureLimiter = field(default_factory=guess_limiter)
    sms_report_secret: str | None = None  # None: delivery reports are refused

    def now(self) -> datetime:
        now = self.clock()
        if now.tzinfo is None:
            raise ValueError("server clock must return timezone-aware datetimes")
        return now

    def authenticate(self, authorization: str | None, device_id: str) -> None:
        with self.sessions.begin() as session:
            auth.authenticate(session, authorization, device_id, self.now())


def build_routers(ctx: ServerContext) -> list[APIRouter]:
    from sync.server.device_routes import device_router
    from sync.server.directory_api import directory_router

    return [_health_router(ctx), _auth_router(ctx), device_router(ctx), directory_router(ctx)]


def _health_router(ctx: ServerContext) -> APIRouter:
    router = APIRouter()

    @router.get("/healthz")
    def healthz() -> dict[str, str]:
        with ctx.sessions() as session:
            session.execute(text("SELECT 1"))
        return {"status": "ok", "server_time": ctx.now().isoformat()}

    return router


def _auth_router(ctx: ServerContext) -> APIRouter:
    router = APIRouter(prefix=p.API_PREFIX)

    @router.post("/enroll", response_model=p.EnrollResponse)
    def enroll(req: p.EnrollRequest, request: Request) -> p.EnrollResponse:
        return _limited_enroll(ctx, req, request.client.host if request.client else "?")

    @router.post("/auth/challenge", response_model=p.ChallengeResponse)
    def challenge(req: p.ChallengeRequest) -> p.ChallengeResponse:
        with ctx.sessions.begin() as session:
            return auth.challenge(session, req.device_id, ctx.now())

    @router.post("/auth/token", response_model=p.TokenResponse)
    def token(req: p.TokenRequest) -> p.TokenResponse:
        with ctx.sessions.begin() as session:
            outcome = auth.issue_token(session, req, ctx.now(), ctx.token_ttl)
        if isinstance(outcome, ApiError):  # raised only now: the burnt nonce is committed
            raise outcome
        return outcome

    @router.post("/auth/rotate-key", response_model=p.KeyRotationResponse)
    def rotate_key(req: p.KeyRotationRequest) -> p.KeyRotationResponse:
        with ctx.sessions.begin() as session:
            outcome = auth.rotate_key(session, req, ctx.now())
        if isinstance(outcome, ApiError):
            raise outcome
        log.info("device %s rotated its key", req.device_id)
        return outcome

    return router


def _limited_enroll(ctx: ServerContext, req: p.EnrollRequest, client: str) -> p.EnrollResponse:
    """Enrollment, refused with 429 once a client has failed too often (a guessing script)."""
    now = ctx.now()
    wait = ctx.enroll_limiter.retry_after(client, now)
    if wait is not None:
        raise ApiError(429, p.ERROR_RATE_LIMITED, "too many failed enrollment attempts; wait",
                       {"Retry-After": str(wait)})
    try:
        with ctx.sessions.begin() as session:
            return auth.enroll(session, req, now)
    except ApiError as exc:
        if 400 <= exc.status < 500:
            ctx.enroll_limiter.failed(client, now)
            log.warning("failed enrollment from %s: %s", client, exc.error)
        raise

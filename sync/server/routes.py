"""HTTP routes of kiosk-central (/healthz and /v1/...), built around one ServerContext."""
from __future__ import annotations

import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from sync import protocol as p
from sync.server import auth
from sync.server.errors import ApiError, summarise_validation
from sync.server.feed import decode_cursor, read_page
from sync.server.ingest import ingest_batch

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
AuthHeader = Annotated[str | None, Header()]
INGEST_ATTEMPTS = 5


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ServerContext:
    sessions: sessionmaker[Session]
    clock: Clock
    token_ttl: timedelta

    def now(self) -> datetime:
        now = self.clock()
        if now.tzinfo is None:
            raise ValueError("server clock must return timezone-aware datetimes")
        return now

    def authenticate(self, authorization: str | None, device_id: str) -> None:
        with self.sessions.begin() as session:
            auth.authenticate(session, authorization, device_id, self.now())


def build_routers(ctx: ServerContext) -> list[APIRouter]:
    return [_health_router(ctx), _auth_router(ctx), _device_router(ctx)]


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
    def enroll(req: p.EnrollRequest) -> p.EnrollResponse:
        with ctx.sessions.begin() as session:
            return auth.enroll(session, req, ctx.now())

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

    return router


def _device_router(ctx: ServerContext) -> APIRouter:
    router = APIRouter(prefix=p.API_PREFIX + "/devices/{device_id}")

    @router.post("/events:batch", response_model=p.BatchResponse)
    async def events_batch(
        device_id: str, request: Request, authorization: AuthHeader = None
    ) -> p.BatchResponse:
        await run_in_threadpool(ctx.authenticate, authorization, device_id)
        batch = parse_batch(await read_body(request, p.MAX_BODY_BYTES))
        return await run_in_threadpool(_ingest, ctx, device_id, batch)

    @router.get("/changes", response_model=p.ChangesPage)
    def changes(
        device_id: str,
        scope: str,
        since: str = "",
        limit: Annotated[int, Query(ge=1, le=p.MAX_PAGE_CHANGES)] = p.MAX_PAGE_CHANGES,
        authorization: AuthHeader = None,
    ) -> p.ChangesPage:
        if scope not in p.SCOPES:
            raise ApiError(400, "unknown_scope", f"scope must be one of {', '.join(p.SCOPES)}")
        try:
            cursor = decode_cursor(since)
        except ValueError as exc:
            raise ApiError(409, p.ERROR_MUST_REFETCH, "cursor not valid; start again") from exc
        with ctx.sessions.begin() as session:
            device = auth.authenticate(session, authorization, device_id, ctx.now())
            return read_page(
                session, scope=scope, service_point_id=device.service_point_id,
                cursor=cursor, limit=limit,
            )

    return router


def _ingest(ctx: ServerContext, device_id: str, batch: p.EventBatch) -> p.BatchResponse:
    """One transaction per attempt, committed before the reply is sent."""
    for attempt in range(1, INGEST_ATTEMPTS + 1):
        try:
            with ctx.sessions.begin() as session:
                return ingest_batch(session, device_id, batch, ctx.now())
        except IntegrityError as exc:
            # A concurrent request stored one of these events first. This attempt rolled
            # back whole; the next one sees those rows and answers duplicate/conflict.
            log.info("ingest race for %s (attempt %d): %s", device_id, attempt, exc.orig)
    raise ApiError(503, "busy", "too many concurrent uploads; retry", {"Retry-After": "1"})


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, gunzipped if sent so, refused (413) beyond `limit` bytes either way."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "too_large", f"body over {limit} bytes; send smaller batches")
        chunks.append(chunk)
    body = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding == "gzip":
        return _gunzip(body, limit)
    if encoding not in ("identity", ""):
        raise ApiError(415, "unsupported_encoding", f"Content-Encoding {encoding!r}; use gzip")
    return body


def _gunzip(body: bytes, limit: int) -> bytes:
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = decompressor.decompress(body, limit + 1)
    except zlib.error as exc:
        raise ApiError(400, "bad_gzip", f"body is not valid gzip: {exc}") from exc
    if len(data) > limit:
        raise ApiError(413, "too_large", f"body over {limit} bytes unpacked; send smaller batches")
    if not decompressor.eof:
        raise ApiError(400, "bad_gzip", "gzip body is truncated")
    return data


def parse_batch(body: bytes) -> p.EventBatch:
    try:
        return p.EventBatch.model_validate_json(body)
    except ValidationError as exc:
        raise ApiError(422, "invalid_batch", summarise_validation(exc.errors())) from exc

"""Per-device endpoints: event batches (push), change pages (pull) and config (ETag/304)."""
from __future__ import annotations

import json
import logging
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from sqlalchemy.exc import DataError, IntegrityError
from starlette.concurrency import run_in_threadpool

from sync import batchcodec
from sync import protocol as p
from sync.server import auth
from sync.server.bodies import batch_format, parse_batch, parse_compact_batch, read_body
from sync.server.errors import ApiError
from sync.server.feed import CursorInvalid, check_cursor, decode_cursor, read_page
from sync.server.ingest import SeqRewind, ingest_batch
from sync.server.models import DeviceAlert, ServicePointConfig
from sync.server.routes import ServerContext

log = logging.getLogger(__name__)
AuthHeader = Annotated[str | None, Header()]
INGEST_ATTEMPTS = 5
UNSTORABLE_REASON = "the server's database cannot store this event's data"


def device_router(ctx: ServerContext) -> APIRouter:
    router = APIRouter(prefix=p.API_PREFIX + "/devices/{device_id}")

    @router.post("/events:batch", response_model=None)
    async def events_batch(device_id: str, request: Request, authorization: AuthHeader = None) -> Response:
        """Format 1 is answered with a BatchResponse, format 2 with a BatchReplyV2."""
        await run_in_threadpool(ctx.authenticate, authorization, device_id)
        version = batch_format(request.headers.get("content-type"))
        body = await read_body(request, p.MAX_BODY_BYTES)
        batch = parse_batch(body) if version == 1 else parse_compact_batch(body)
        response = await run_in_threadpool(_ingest, ctx, device_id, batch)
        reply = response if version == 1 else batchcodec.compact_reply(response)
        return Response(reply.model_dump_json(), media_type="application/json")

    @router.get("/changes", response_model=p.ChangesPage)
    def changes(
        device_id: str,
        scope: str,
        since: str = "",
        limit: Annotated[int, Query(ge=1, le=p.MAX_PAGE_CHANGES)] = p.MAX_PAGE_CHANGES,
        authorization: AuthHeader = None,
    ) -> p.ChangesPage:
        return _changes(ctx, device_id, scope, since, limit, authorization)

    @router.get("/config", response_model=p.ConfigResponse)
    def config(
        device_id: str, response: Response, authorization: AuthHeader = None,
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> p.ConfigResponse | Response:
        return _config(ctx, device_id, response, authorization, if_none_match)

    return router


def _ingest(ctx: ServerContext, device_id: str, batch: p.EventBatch) -> p.BatchResponse:
    """One transaction per attempt, committed before the reply is sent."""
    for attempt in range(1, INGEST_ATTEMPTS + 1):
        try:
            with ctx.sessions.begin() as session:
                return ingest_batch(session, device_id, batch, ctx.now())
        except SeqRewind as rewind:
            _record_rewind(ctx, rewind)
            raise ApiError(409, p.ERROR_SEQ_REWIND, str(rewind), high_seq=rewind.high_seq) from rewind
        except IntegrityError:
            # A concurrent request stored one of these events first. This attempt rolled
            # back whole; the next one sees those rows and answers duplicate/conflict.
            log.info("ingest race for %s (attempt %d)", device_id, attempt)
        except DataError as exc:  # never logged whole: its parameters are the events' data
            log.warning("a batch of %s holds data the database refuses (%s); one event at a time",
                        device_id, type(exc.orig).__name__)
            return _ingest_one_by_one(ctx, device_id, batch)
    raise ApiError(503, "busy", "too many concurrent uploads; retry", {"Retry-After": "1"})


def _ingest_one_by_one(ctx: ServerContext, device_id: str, batch: p.EventBatch) -> p.BatchResponse:
    """Each event in a transaction of its own, so the one the database refuses (a value no
    check foresaw) is rejected alone and its batch-mates go in: no event blocks a queue. Each
    commit is final; a kiosk that misses the reply resends and gets duplicates."""
    results = [_ingest_alone(ctx, device_id, batch, event) for event in batch.events]
    return p.BatchResponse(results=results, acked_through=max(event.seq for event in batch.events),
                           server_time=ctx.now())


def _ingest_alone(ctx: ServerContext, device_id: str, batch: p.EventBatch,
                  event: p.Event) -> p.EventResult:
    alone = batch.model_copy(update={"events": [event]})
    for refuse in (None, UNSTORABLE_REASON):
        try:
            with ctx.sessions.begin() as session:
                return ingest_batch(session, device_id, alone, ctx.now(), refuse=refuse).results[0]
        except SeqRewind as rewind:
            _record_rewind(ctx, rewind)
            raise ApiError(409, p.ERROR_SEQ_REWIND, str(rewind), high_seq=rewind.high_seq) from rewind
        except DataError as exc:
            log.warning("event %s of %s refused by the database (%s)", event.event_id, device_id,
                        type(exc.orig).__name__)
    # Not even its rejection can be stored: answered, not kept (a resend is refused again).
    return p.EventResult(event_id=event.event_id, seq=event.seq, status="rejected",
                         reason=UNSTORABLE_REASON)


def _record_rewind(ctx: ServerContext, rewind: SeqRewind) -> None:
    """The alert commits on its own: the batch itself was rolled back."""
    log.warning("seq rewind: %s", rewind)
    with ctx.sessions.begin() as session:
        session.add(DeviceAlert(
            device_id=rewind.device_id, kind="seq_rewind", created_at=ctx.now(),
            detail=f"{rewind}; the SD card may be a clone or a restored backup",
        ))


def _changes(ctx: ServerContext, device_id: str, scope: str, since: str, limit: int,
             authorization: str | None) -> p.ChangesPage:
    if scope not in p.SCOPES:
        raise ApiError(400, "unknown_scope", f"scope must be one of {', '.join(p.SCOPES)}")
    with ctx.sessions.begin() as session:
        device = auth.authenticate(session, authorization, device_id, ctx.now())
        try:
            cursor = decode_cursor(since)
            check_cursor(session, scope, cursor)
        except (ValueError, CursorInvalid) as exc:
            raise ApiError(409, p.ERROR_MUST_REFETCH, f"{exc}; start again") from exc
        return read_page(session, scope=scope, service_point_id=device.service_point_id,
                         cursor=cursor, limit=limit)


def _config(ctx: ServerContext, device_id: str, response: Response, authorization: str | None,
            if_none_match: str | None) -> p.ConfigResponse | Response:
    with ctx.sessions.begin() as session:
        device = auth.authenticate(session, authorization, device_id, ctx.now())
        row = session.get(ServicePointConfig, device.service_point_id)
        version, settings = (0, "{}") if row is None else (row.version, row.settings)
    etag = f'"{device.service_point_id}-{version}"'
    if if_none_match is not None and etag in [tag.strip() for tag in if_none_match.split(",")]:
        return Response(status_code=304, headers={"ETag": etag})
    response.headers["ETag"] = etag
    return p.ConfigResponse(version=version, settings=json.loads(settings))

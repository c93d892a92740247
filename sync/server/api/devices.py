"""Per-device endpoints: event batches (push), change pages (pull) and config (ETag/304)."""
from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from sync import batchcodec
from sync import protocol as p
from sync.server.api.bodies import (
    batch_format,
    parse_batch,
    parse_compact_batch,
    read_body,
)
from sync.server.api.contract.responses import DEVICE_AUTH, INVALID_REQUEST, errors, ref
from sync.server.api.deps import DeviceAuth, NowDep, SessionDep, SessionFactoryDep
from sync.server.api.text_guard import URL_TEXT
from sync.server.db.kiosks import DeviceAlert, ServicePointConfig
from sync.server.errors import ApiError
from sync.server.kiosks.feed import (
    CursorInvalid,
    check_cursor,
    decode_cursor,
    read_page,
)
from sync.server.kiosks.ingest import SeqRewind, ingest_batch

log = logging.getLogger(__name__)
INGEST_ATTEMPTS = 5
UNSTORABLE_REASON = "the server's database cannot store this event's data"
router = APIRouter(prefix=p.API_PREFIX + "/devices/{device_id}", tags=["kiosks"],
                   dependencies=[URL_TEXT])  # batch bodies: a NUL event is rejected alone (ingest)


BATCH_REQUEST = {
    "required": True,
    "description": "Format 1: an EventBatch as JSON (gzip allowed with Content-Encoding). Format 2: "
                   "the compact encoding of sync/batchcodec.py (docs/protocol.md), zlib with its dictionary.",
    "content": {
        "application/json": {"schema": ref(p.EventBatch)},
        batchcodec.MEDIA_TYPE_V2: {"schema": {"type": "string", "format": "binary"}},
    },
}
BATCH_REPLY = {
    "description": "Format 1 is answered with a BatchResponse, format 2 with a BatchReplyV2.",
    "content": {"application/json": {"schema": {"anyOf": [ref(p.BatchResponse), ref(batchcodec.BatchReplyV2)]}}},
}


@router.post("/events:batch", response_model=None, openapi_extra={"requestBody": BATCH_REQUEST},
             responses={200: BATCH_REPLY, **errors(INVALID_REQUEST, DEVICE_AUTH, {
                 400: "`incomplete_body`: the connection closed mid-body | `bad_gzip` | `bad_batch_body`: "
                      "a format-2 body that does not decode.",
                 409: f"`{p.ERROR_SEQ_REWIND}`: the server holds events up to `high_seq` for this kiosk and "
                      "this batch starts below what it can accept; renumber after `high_seq` (docs/protocol.md).",
                 413: "`too_large`: over the batch limit, packed or unpacked; send a smaller batch.",
                 415: "`unsupported_encoding` (only gzip) | `unsupported_batch_format`: a Content-Type this "
                      "server cannot read; fall back to format 1.",
                 422: "`invalid_batch`: an event does not match its type's payload schema.",
                 503: "`busy`: too many concurrent uploads of this kiosk; retry.",
             })})
async def events_batch(device: DeviceAuth, request: Request, sessions: SessionFactoryDep,
                       now: NowDep) -> Response:
    """Format 1 is answered with a BatchResponse, format 2 with a BatchReplyV2."""
    version = batch_format(request.headers.get("content-type"))
    body = await read_body(request, p.MAX_BODY_BYTES)
    batch = parse_batch(body) if version == 1 else parse_compact_batch(body)
    response = await run_in_threadpool(_ingest, sessions, device.device_id, batch, now)
    reply = response if version == 1 else batchcodec.compact_reply(response)
    return Response(reply.model_dump_json(), media_type="application/json")


@router.get("/changes", response_model=p.ChangesPage, responses=errors(INVALID_REQUEST, DEVICE_AUTH, {
    400: "`unknown_scope`: the scope is not one of the protocol's scopes.",
    409: f"`{p.ERROR_MUST_REFETCH}`: the cursor is older than the compacted log or malformed; drop "
         "this scope's copy and pull again from an empty cursor.",
}))
def changes(
    device: DeviceAuth,
    session: SessionDep,
    scope: str,
    since: str = "",
    limit: Annotated[int, Query(ge=1, le=p.MAX_PAGE_CHANGES)] = p.MAX_PAGE_CHANGES,
) -> p.ChangesPage:
    if scope not in p.SCOPES:
        raise ApiError(400, "unknown_scope", f"scope must be one of {', '.join(p.SCOPES)}")
    with session.begin():
        try:
            cursor = decode_cursor(since)
            check_cursor(session, scope, cursor)
        except (ValueError, CursorInvalid) as exc:
            raise ApiError(409, p.ERROR_MUST_REFETCH, f"{exc}; start again") from exc
        return read_page(session, scope=scope, service_point_id=device.service_point_id,
                         cursor=cursor, limit=limit)


@router.get("/config", response_model=p.ConfigResponse, responses={
    304: {"description": "Not modified: the ETag in If-None-Match is current."},
    **errors(INVALID_REQUEST, DEVICE_AUTH)})
def config(
    device: DeviceAuth, session: SessionDep, response: Response,
    if_none_match: Annotated[str | None, Header()] = None,
) -> p.ConfigResponse | Response:
    with session.begin():
        row = session.get(ServicePointConfig, device.service_point_id)
        version, settings = (0, "{}") if row is None else (row.version, row.settings)
    etag = f'"{device.service_point_id}-{version}"'
    if if_none_match is not None and etag in [tag.strip() for tag in if_none_match.split(",")]:
        return Response(status_code=304, headers={"ETag": etag})
    response.headers["ETag"] = etag
    return p.ConfigResponse(version=version, settings=json.loads(settings))


def _ingest(sessions: sessionmaker[Session], device_id: str, batch: p.EventBatch,
            now: datetime) -> p.BatchResponse:
    """One transaction per attempt, committed before the reply is sent."""
    for attempt in range(1, INGEST_ATTEMPTS + 1):
        try:
            with sessions.begin() as session:
                return ingest_batch(session, device_id, batch, now)
        except SeqRewind as rewind:
            _record_rewind(sessions, rewind, now)
            raise ApiError(409, p.ERROR_SEQ_REWIND, str(rewind), high_seq=rewind.high_seq) from rewind
        except IntegrityError:
            # A concurrent request stored one of these events first. This attempt rolled
            # back whole; the next one sees those rows and answers duplicate/conflict.
            log.info("ingest race for %s (attempt %d)", device_id, attempt)
        except DataError as exc:  # never logged whole: its parameters are the events' data
            log.warning("a batch of %s holds data the database refuses (%s); one event at a time",
                        device_id, type(exc.orig).__name__)
            return _ingest_one_by_one(sessions, device_id, batch, now)
    raise ApiError(503, "busy", "too many concurrent uploads; retry", {"Retry-After": "1"})


def _ingest_one_by_one(sessions: sessionmaker[Session], device_id: str, batch: p.EventBatch,
                       now: datetime) -> p.BatchResponse:
    """Each event in a transaction of its own, so the one the database refuses (a value no
    check foresaw) is rejected alone and its batch-mates go in: no event blocks a queue. Each
    commit is final; a kiosk that misses the reply resends and gets duplicates."""
    results = [_ingest_alone(sessions, device_id, batch, event, now) for event in batch.events]
    return p.BatchResponse(results=results, acked_through=max(event.seq for event in batch.events),
                           server_time=now)


def _ingest_alone(sessions: sessionmaker[Session], device_id: str, batch: p.EventBatch,
                  event: p.Event, now: datetime) -> p.EventResult:
    alone = batch.model_copy(update={"events": [event]})
    for refuse in (None, UNSTORABLE_REASON):
        try:
            with sessions.begin() as session:
                return ingest_batch(session, device_id, alone, now, refuse=refuse).results[0]
        except SeqRewind as rewind:
            _record_rewind(sessions, rewind, now)
            raise ApiError(409, p.ERROR_SEQ_REWIND, str(rewind), high_seq=rewind.high_seq) from rewind
        except DataError as exc:
            log.warning("event %s of %s refused by the database (%s)", event.event_id, device_id,
                        type(exc.orig).__name__)
    # Not even its rejection can be stored: answered, not kept (a resend is refused again).
    return p.EventResult(event_id=event.event_id, seq=event.seq, status="rejected",
                         reason=UNSTORABLE_REASON)


def _record_rewind(sessions: sessionmaker[Session], rewind: SeqRewind, now: datetime) -> None:
    """The alert commits on its own: the batch itself was rolled back."""
    log.warning("seq rewind: %s", rewind)
    with sessions.begin() as session:
        session.add(DeviceAlert(
            device_id=rewind.device_id, kind="seq_rewind", created_at=now,
            detail=f"{rewind}; the SD card may be a clone or a restored backup",
        ))

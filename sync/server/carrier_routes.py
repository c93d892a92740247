"""Carrier-facing endpoints: pre-advice (with the carrier's API key) and the SMS gateway's
delivery reports (46elks posts form fields id, status, delivered to our whendelivered URL).

POST /v1/carrier/pre-advice   (key: `Authorization: Bearer KEY` or `X-Api-Key: KEY`)
    {"tracking_id": "CP123456785SE", "service_point": "SP-KORPILOMBOLO",
     "recipient_name": "Anna Niemi", "phone": "+46701234567", "email": "anna@example.se",
     "language": "sv|en|fi|fit|se|smj", "size_class": "S|M|L"}   phone and/or email required
 -> 201 {"tracking_id", "service_point", "carrier", "deadline_days", "status": "accepted"}
 -> 413 too_large (over 16 KiB, before anything else: limits.py) | 401 invalid_api_key |
    422 invalid_pre_advice (which field, why) | 422 unknown_service_point |
    409 duplicate_tracking_id.  A refusal changes
    nothing. Status changes come back to the carrier's webhook, see webhooks.py.
"""
from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from sync import protocol as p
from sync.server import carriers, sms_reports
from sync.server.errors import ApiError, summarise_validation
from sync.server.limits import PRE_ADVICE_LIMIT
from sync.server.ratelimit import guarded
from sync.server.routes import ServerContext

log = logging.getLogger(__name__)
MAX_PRE_ADVICE_BYTES = PRE_ADVICE_LIMIT  # limits.py refuses larger bodies before the key check


def carrier_router(ctx: ServerContext) -> APIRouter:
    router = APIRouter(prefix=p.API_PREFIX)

    @router.post("/carrier/pre-advice", status_code=201, response_model=carriers.PreAdviceAccepted)
    async def pre_advice(
        request: Request,
        authorization: Annotated[str | None, Header()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> carriers.PreAdviceAccepted:
        body = await request.body()
        return await run_in_threadpool(_pre_advice, ctx, carriers.api_key_from_headers(
            authorization, x_api_key), _client(request), body)

    @router.post("/sms/delivery")
    async def sms_delivery(
        request: Request, authorization: Annotated[str | None, Header()] = None,
    ) -> JSONResponse:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
        return await run_in_threadpool(_delivery_report, ctx, authorization, _client(request), form)

    return router


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


def _pre_advice(ctx: ServerContext, key: str | None, client: str,
                body: bytes) -> carriers.PreAdviceAccepted:
    """The key is checked before the body, so a caller without one learns nothing else."""
    with guarded(ctx.guess_limiter, f"carrier:{client}", ctx.now(), "API key attempts"), \
            ctx.sessions.begin() as session:
        carrier = carriers.authenticate_carrier(session, key)
    if len(body) > MAX_PRE_ADVICE_BYTES:
        raise ApiError(413, "too_large", f"a pre-advice is at most {MAX_PRE_ADVICE_BYTES} bytes")
    try:
        req = carriers.PreAdviceRequest.model_validate_json(body)
    except ValidationError as exc:
        raise ApiError(422, "invalid_pre_advice", summarise_validation(exc.errors())) from exc
    try:
        with ctx.sessions.begin() as session:
            accepted = carriers.pre_advise(session, carrier, req, ctx.now())
    except IntegrityError as exc:  # the same tracking id posted twice at once
        raise ApiError(409, "duplicate_tracking_id",
                       f"tracking id {req.tracking_id} is already pre-advised") from exc
    log.info("pre-advice %s from %s for %s", req.tracking_id, carrier.id, accepted.service_point)
    return accepted


def _delivery_report(ctx: ServerContext, authorization: str | None, client: str,
                     form: dict[str, str]) -> JSONResponse:
    """Authenticated first (sms_reports.py); then a report only moves a message forward."""
    now = ctx.now()
    with guarded(ctx.guess_limiter, f"sms-report:{client}", now, "delivery report credentials"):
        sms_reports.check_report_auth(authorization, ctx.sms_report_secret)
    with ctx.sessions.begin() as session:
        changed = sms_reports.apply_report(session, form.get("id", ""), form.get("status", ""), now)
    return JSONResponse({"status": "ok" if changed else "unchanged"})

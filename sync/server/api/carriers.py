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
from datetime import datetime
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from sync import protocol as p
from sync.server.api.contract.responses import CARRIER_AUTH, errors, json_body, ref
from sync.server.api.contract.schemas import ReportApplied, SmsDeliveryReport
from sync.server.api.deps import CarrierAuth, NowDep, SessionFactoryDep, SmsGatewayAuth
from sync.server.api.limits import PRE_ADVICE_LIMIT
from sync.server.api.text_guard import BODY_TEXT, URL_TEXT, refuse_nul_in_json
from sync.server.db.parcels import Carrier
from sync.server.errors import ApiError, summarise_validation
from sync.server.notify import delivery_reports
from sync.server.parcels import carriers

log = logging.getLogger(__name__)
MAX_PRE_ADVICE_BYTES = PRE_ADVICE_LIMIT  # limits.py refuses larger bodies before the key check
router = APIRouter(prefix=p.API_PREFIX, tags=["carriers"], dependencies=[URL_TEXT])


@router.post("/carrier/pre-advice", status_code=201, response_model=carriers.PreAdviceAccepted,
             openapi_extra={"requestBody": {"required": True, **json_body(carriers.PreAdviceRequest)}},
             responses=errors(CARRIER_AUTH, {
                 409: "`duplicate_tracking_id`: this tracking id is already pre-advised.",
                 413: f"`too_large`: a pre-advice is at most {MAX_PRE_ADVICE_BYTES} bytes.",
                 422: "`invalid_pre_advice`: `detail` names the field | `unknown_service_point`.",
             }))
async def pre_advice(carrier: CarrierAuth, request: Request, sessions: SessionFactoryDep,
                     now: NowDep) -> carriers.PreAdviceAccepted:
    """The key is checked (CarrierAuth) before the body is read, so a caller without one
    learns nothing else (but that a body over 16 KiB is too large: limits.py)."""
    body = await request.body()
    return await run_in_threadpool(_pre_advice, sessions, carrier, body, now)


SMS_REPORT_BODY = {"required": True, "content": {
    "application/x-www-form-urlencoded": {"schema": ref(SmsDeliveryReport)}}}


@router.post("/sms/delivery", response_model=ReportApplied, dependencies=[SmsGatewayAuth, BODY_TEXT],
             openapi_extra={"requestBody": SMS_REPORT_BODY}, responses=errors({
                 401: "`invalid_credentials`: the basic-auth credentials of the whendelivered URL "
                      "are missing or wrong.",
                 404: "`unknown_message`: no SMS with this id was sent.",
                 422: "`invalid_report`: expected form fields id and status.",
                 429: f"`{p.ERROR_RATE_LIMITED}`: too many wrong credentials from this client.",
             }))
async def sms_delivery(request: Request, sessions: SessionFactoryDep, now: NowDep) -> JSONResponse:
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
    return await run_in_threadpool(_delivery_report, sessions, form, now)


def _pre_advice(sessions: sessionmaker[Session], carrier: Carrier, body: bytes,
                now: datetime) -> carriers.PreAdviceAccepted:
    if len(body) > MAX_PRE_ADVICE_BYTES:
        raise ApiError(413, "too_large", f"a pre-advice is at most {MAX_PRE_ADVICE_BYTES} bytes")
    refuse_nul_in_json(body)  # here, not as a dependency: the key is checked before the body is read
    try:
        req = carriers.PreAdviceRequest.model_validate_json(body)
    except ValidationError as exc:
        raise ApiError(422, "invalid_pre_advice", summarise_validation(exc.errors())) from exc
    try:
        with sessions.begin() as session:
            accepted = carriers.pre_advise(session, carrier, req, now)
    except IntegrityError as exc:  # the same tracking id posted twice at once
        raise ApiError(409, "duplicate_tracking_id",
                       f"tracking id {req.tracking_id} is already pre-advised") from exc
    log.info("pre-advice %s from %s for %s", req.tracking_id, carrier.id, accepted.service_point)
    return accepted


def _delivery_report(sessions: sessionmaker[Session], form: dict[str, str], now: datetime) -> JSONResponse:
    """Authenticated already (SmsGatewayAuth); a report only moves a message forward."""
    with sessions.begin() as session:
        changed = delivery_reports.apply_report(session, form.get("id", ""), form.get("status", ""), now)
    return JSONResponse({"status": "ok" if changed else "unchanged"})

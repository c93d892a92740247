"""Carriers: registration with an API key (kept only as sha256), key checks, and pre-advice.

A pre-advice goes into the "parcels" feed of its destination service point only, in the same
transaction as its row, so only that service point's kiosks ever see the recipient's data.
"""
from __future__ import annotations

import re
import secrets
from datetime import datetime

from pydantic import Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from sync import protocol as p
from sync.server.db.kiosks import ServicePoint
from sync.server.db.parcels import Carrier, PreAdvice
from sync.server.errors import AdminError, ApiError
from sync.server.kiosks.credentials import sha256_hex
from sync.server.kiosks.feed import append_change

_CARRIER_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
API_KEY_PREFIX = "spk_"
WEBHOOK_SECRET_PREFIX = "whsec_"  # 6 + 43 characters


class PreAdviceRequest(p.WireModel):
    """What a carrier posts to /v1/carrier/pre-advice."""

    tracking_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    service_point: str = Field(min_length=1, max_length=64)
    recipient_name: str | None = Field(default=None, max_length=120)
    phone: str | None = Field(default=None, pattern=p.E164_PATTERN,
                              description="E.164, e.g. +46701234567")
    email: str | None = Field(default=None, max_length=254, pattern=p.EMAIL_PATTERN)
    language: p.LanguageCode = "sv"
    size_class: p.SizeClass = "M"

    @model_validator(mode="after")
    def _reachable(self) -> PreAdviceRequest:
        if not self.phone and not self.email:
            raise ValueError("give the recipient's phone (E.164) or e-mail, or both")
        return self


class PreAdviceAccepted(p.WireModel):
    tracking_id: str
    service_point: str
    carrier: str
    deadline_days: int
    status: str = "accepted"


def carrier_id_for(name: str) -> str:
    """"PostNord" -> "postnord", "DB Schenker" -> "db-schenker"."""
    return re.sub(r"[^a-z0-9_-]+", "-", name.strip().lower()).strip("-")


def add_carrier(session: Session, name: str, *, deadline_days: int, reminder_day: int,
                webhook_url: str | None, now: datetime) -> tuple[Carrier, str]:
    """A new carrier and its API key (returned in clear once, stored hashed)."""
    carrier_id = carrier_id_for(name)
    if not _CARRIER_ID.match(carrier_id):
        raise AdminError(f"carrier name {name!r} needs letters or digits")
    if session.get(Carrier, carrier_id) is not None:
        raise AdminError(f"carrier {carrier_id} already exists")
    if not 1 <= deadline_days <= 60:
        raise AdminError("--deadline-days must be 1 to 60")
    if not 1 <= reminder_day < deadline_days:
        raise AdminError("--reminder-day must be at least 1 and before the deadline day")
    if webhook_url is not None and not re.match(r"^https?://[^\s/]+", webhook_url):
        raise AdminError(f"--webhook {webhook_url!r} is not an http(s) URL")
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    carrier = Carrier(id=carrier_id, name=name.strip(), api_key_hash=sha256_hex(key),
                      deadline_days=deadline_days, reminder_day=reminder_day,
                      webhook_url=webhook_url, webhook_secret=new_webhook_secret(), created_at=now)
    session.add(carrier)
    return carrier, key


def new_webhook_secret() -> str:
    return WEBHOOK_SECRET_PREFIX + secrets.token_urlsafe(32)


def rotate_webhook_secret(session: Session, carrier_id: str) -> str:
    """A new signing secret for the carrier's webhook; the old one stops working at once."""
    carrier = session.get(Carrier, carrier_id)
    if carrier is None:
        raise AdminError(f"no carrier {carrier_id!r}")
    carrier.webhook_secret = new_webhook_secret()
    return carrier.webhook_secret


def list_carriers(session: Session) -> list[Carrier]:
    return list(session.scalars(select(Carrier).order_by(Carrier.id)))


def api_key_from_headers(authorization: str | None, x_api_key: str | None) -> str | None:
    if x_api_key:
        return x_api_key.strip()
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None


def authenticate_carrier(session: Session, key: str | None) -> Carrier:
    # 256 random bits: an unsalted hash cannot be reversed, and lookup by hash is constant.
    carrier = None if not key else session.scalar(
        select(Carrier).where(Carrier.api_key_hash == sha256_hex(key)))
    if carrier is None:
        raise ApiError(401, "invalid_api_key",
                       "send your carrier API key as 'Authorization: Bearer KEY' or 'X-Api-Key: KEY'",
                       {"WWW-Authenticate": "Bearer"})
    return carrier


def pre_advise(session: Session, carrier: Carrier, req: PreAdviceRequest, now: datetime) -> PreAdviceAccepted:
    point = session.get(ServicePoint, req.service_point.strip().upper())
    if point is None:
        raise ApiError(422, "unknown_service_point", f"no service point {req.service_point!r}")
    if session.get(PreAdvice, req.tracking_id) is not None:
        raise ApiError(409, "duplicate_tracking_id",
                       f"tracking id {req.tracking_id} is already pre-advised")
    advice = PreAdvice(
        tracking_id=req.tracking_id, carrier_id=carrier.id, service_point_id=point.id,
        recipient_name=req.recipient_name, recipient_phone=req.phone, recipient_email=req.email,
        language=req.language, size_class=req.size_class, deadline_days=carrier.deadline_days,
        state="open", version=1, created_at=now,
    )
    session.add(advice)
    data = p.PreAdviceData(
        tracking_id=advice.tracking_id, carrier=carrier.id, size_class=req.size_class,
        deadline_days=carrier.deadline_days,
        recipient=p.Recipient(name=req.recipient_name, phone=req.phone, email=req.email,
                              language=req.language),
    )
    append_change(session, scope=p.SCOPE_PARCELS, service_point_id=point.id, entity="pre_advice",
                  entity_id=advice.tracking_id, version=advice.version, op="upsert",
                  data=data.model_dump(), now=now)
    return PreAdviceAccepted(tracking_id=advice.tracking_id, service_point=point.id,
                             carrier=carrier.id, deadline_days=carrier.deadline_days)

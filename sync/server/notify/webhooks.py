"""Status reports to carriers' webhooks: JSON POSTs retried with backoff until a 2xx.

A parcel's reports go out in the order they were queued (stored before picked up): while an
earlier report of a parcel is undelivered, its later ones wait. Every attempt is logged in
webhook_attempts. Each POST carries the event id as Idempotency-Key, so a carrier can drop
the copy it gets when our record of a 2xx is lost (at-least-once, as for notifications).

Body (JSON, no personal data): {"tracking_id", "parcel_id", "service_point", "at" (server
time, ISO 8601), "status": "stored" | "held" (at the counter) | "picked_up" | "returned"},
plus "deadline" (ISO date) with stored/held and "via" (code | qr | counter) with picked_up.

Each POST is signed with the carrier's secret: `X-Servicepunkt-Timestamp` (Unix seconds) and
`X-Servicepunkt-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>." + the exact body bytes>`.
The timestamp is inside the signed string, so a carrier that refuses old timestamps cannot be
fed a recorded request again; a retry is signed anew (docs/central.md section 6).
"""
from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from datetime import datetime

import requests
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from sync.server.db.parcels import Carrier, WebhookAttempt, WebhookDelivery
from sync.server.db.rows import affected_rows
from sync.server.notify.retry import LEASE, backoff

log = logging.getLogger(__name__)
TIMEOUT = (5, 15)
BATCH = 200
SIGNATURE_HEADER = "X-Servicepunkt-Signature"
TIMESTAMP_HEADER = "X-Servicepunkt-Timestamp"


def signature_headers(secret: str, body: bytes, now: datetime) -> dict[str, str]:
    timestamp = str(int(now.timestamp()))
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: f"sha256={digest.hexdigest()}"}


def deliver_due(sessions: sessionmaker[Session], http: requests.Session,
                clock: Callable[[], datetime]) -> int:
    """Try every due report once; returns how many were delivered."""
    with sessions() as session:
        rows = session.execute(
            select(WebhookDelivery.id, WebhookDelivery.parcel_id, WebhookDelivery.next_attempt_at,
                   WebhookDelivery.event_id, WebhookDelivery.payload, Carrier.webhook_url,
                   Carrier.webhook_secret)
            .join(Carrier, Carrier.id == WebhookDelivery.carrier_id)
            .where(WebhookDelivery.state == "pending")
            .order_by(WebhookDelivery.id).limit(BATCH)).all()
    blocked: set[str] = set()
    delivered = 0
    for delivery_id, parcel_id, next_at, event_id, payload, url, secret in rows:
        if parcel_id in blocked or next_at > clock() or not url or not _claim(sessions, delivery_id, clock()):
            blocked.add(parcel_id)
            continue
        if _post(sessions, http, clock, delivery_id, url, event_id, payload, secret):
            delivered += 1
        else:
            blocked.add(parcel_id)
    return delivered


def _claim(sessions: sessionmaker[Session], delivery_id: int, now: datetime) -> bool:
    with sessions.begin() as session:
        return bool(affected_rows(session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id, WebhookDelivery.state == "pending",
                   WebhookDelivery.next_attempt_at <= now)
            .values(next_attempt_at=now + LEASE))))


def _post(sessions: sessionmaker[Session], http: requests.Session, clock: Callable[[], datetime],
          delivery_id: int, url: str, event_id: str, payload: str, secret: str | None) -> bool:
    status, error = None, None
    body = payload.encode("utf-8")
    headers = {"Content-Type": "application/json", "Idempotency-Key": event_id}
    if secret:  # every carrier has one since migration 0006
        headers.update(signature_headers(secret, body, clock()))
    try:
        reply = http.post(url, data=body, timeout=TIMEOUT, headers=headers)
        status = reply.status_code
        if not 200 <= status < 300:
            error = f"HTTP {status}: {reply.text[:200]}"
    except requests.RequestException as exc:
        error = f"unreachable: {exc}"
    with sessions.begin() as session:
        now = clock()
        session.add(WebhookAttempt(delivery_id=delivery_id, at=now, status_code=status, error=error))
        row = session.get_one(WebhookDelivery, delivery_id)
        row.attempts += 1
        if error is None:
            row.state, row.delivered_at = "delivered", now
        else:
            row.next_attempt_at = now + backoff(row.attempts)
            log.info("webhook %d to %s: %s; retry at %s", delivery_id, url, error, row.next_attempt_at)
    return error is None

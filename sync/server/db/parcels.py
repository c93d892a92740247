"""Tables of the parcel service: parcels, carriers and their pre-advice, parcel state history, door
audit, notifications to recipients and staff, and status reports to carriers' webhooks.

Personal data (recipient name, phone, e-mail, the pickup code) sits only in `parcels`,
`pre_advices` and `notifications`; purge.py clears it there 30 days after a parcel is done.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sync.server.db.base import Base, BigId, UTCDateTime


class Parcel(Base):
    """Server-side effect of parcel events; each change is keyed by the event that made it.

    state: stored (in `compartment`) | held (at the counter, `compartment` None) | picked_up |
    returned. Recipient fields, the pickup code and the link token are personal data: they are
    cleared by purge.py 30 days after `done_at` (picked up or returned), which sets `purged_at`."""

    __tablename__ = "parcels"

    parcel_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    service_point_id: Mapped[str] = mapped_column(ForeignKey("service_points.id"), index=True)
    tracking_id: Mapped[str] = mapped_column(String(64), index=True)
    compartment: Mapped[str | None] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    stored_event_id: Mapped[str] = mapped_column(String(36), unique=True)
    picked_up_event_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    returned_event_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    carrier: Mapped[str | None] = mapped_column(String(64))  # as the kiosk named it
    size_class: Mapped[str | None] = mapped_column(String(1))
    picked_up_via: Mapped[str | None] = mapped_column(String(8))
    stored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deadline: Mapped[date | None] = mapped_column(Date)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    recipient_name: Mapped[str | None] = mapped_column(String(120))
    recipient_phone: Mapped[str | None] = mapped_column(String(16))
    recipient_email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(3), default="sv")
    pickup_code: Mapped[str | None] = mapped_column(String(10))
    link_token: Mapped[str | None] = mapped_column(String(64), unique=True)  # for GET /p/{token}
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Carrier(Base):
    """A carrier that may pre-advise parcels. Its API key is kept only as sha256."""

    __tablename__ = "carriers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # "postnord"
    name: Mapped[str] = mapped_column(String(200))
    api_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    deadline_days: Mapped[int] = mapped_column(Integer)
    reminder_day: Mapped[int] = mapped_column(Integer)
    webhook_url: Mapped[str | None] = mapped_column(Text)
    # Signs the webhook POSTs (HMAC-SHA256): kept in clear, since signing needs it; shown once.
    webhook_secret: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PreAdvice(Base):
    """A carrier's notice that a parcel is on its way to a service point (scope "parcels").

    state: open (in the feed) | done (the parcel was picked up or returned; deleted from the
    feed). `version` is the feed version of the last change appended for it."""

    __tablename__ = "pre_advices"

    tracking_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    carrier_id: Mapped[str] = mapped_column(ForeignKey("carriers.id"), index=True)
    service_point_id: Mapped[str] = mapped_column(ForeignKey("service_points.id"), index=True)
    recipient_name: Mapped[str | None] = mapped_column(String(120))
    recipient_phone: Mapped[str | None] = mapped_column(String(16))
    recipient_email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(3))
    size_class: Mapped[str] = mapped_column(String(1))
    deadline_days: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(8))
    version: Mapped[int] = mapped_column(Integer)
    parcel_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ParcelTransition(Base):
    """One row per parcel state change, keyed by the event that made it (so never twice).

    The event id is the primary key: no generated id to fetch back, so a batch's rows go in
    one multi-row INSERT (a serial id cost ~0.6 ms per row on PostgreSQL). A parcel has at
    most two rows (stored/held, then picked_up/returned); `at` plus that order sorts them."""

    __tablename__ = "parcel_transitions"

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    parcel_id: Mapped[str] = mapped_column(ForeignKey("parcels.parcel_id"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class DoorAudit(Base):
    """door.opened, door.left_open and pickup.locked_out as rows a coordinator can query."""

    __tablename__ = "door_audits"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.device_id"), index=True)
    service_point_id: Mapped[str] = mapped_column(ForeignKey("service_points.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # the event type
    compartment: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(16))
    actor: Mapped[str | None] = mapped_column(String(64))
    parcel_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)  # the rest of the payload, JSON
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Notification(Base):
    """One message on one channel. state: queued | sent | delivered | failed | cancelled.

    Parcel messages (kind pickup_ready, reminder) are rendered when sent, from the parcel
    (cancelled if it is done by then); staff alarms carry their `body` from the start.
    `dedupe_key` makes queueing idempotent (parcel:kind:channel or event:channel)."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True)
    service_point_id: Mapped[str] = mapped_column(ForeignKey("service_points.id"), index=True)
    parcel_id: Mapped[str | None] = mapped_column(ForeignKey("parcels.parcel_id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str] = mapped_column(String(8))  # sms | email
    to_address: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(3))
    body: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)  # 46elks message id
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookDelivery(Base):
    """A parcel status change to report to its carrier. state: pending | delivered.

    Retried with backoff until the carrier answers 2xx; a parcel's reports go out in order."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    carrier_id: Mapped[str] = mapped_column(ForeignKey("carriers.id"), index=True)
    parcel_id: Mapped[str] = mapped_column(ForeignKey("parcels.parcel_id"), index=True)
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON, no personal data
    state: Mapped[str] = mapped_column(String(12), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookAttempt(Base):
    """The delivery log: every POST to a carrier's webhook and what came back."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"),
                                             ForeignKey("webhook_deliveries.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)

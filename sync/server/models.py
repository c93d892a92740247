"""Central server tables (SQLAlchemy 2 typed declarative).

The schema itself is created only by the Alembic migrations in `migrations/`; a test checks
that they and these classes agree.
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Explicit constraint names: SQLite batch migrations can only alter what they can name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in Python on both databases (SQLite keeps no zone: stored naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ServicePoint(Base):
    __tablename__ = "service_points"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # "SP-KORPILOMBOLO"
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Where alarms for the shop's staff go (a door left open), if set.
    staff_phone: Mapped[str | None] = mapped_column(String(16))
    staff_email: Mapped[str | None] = mapped_column(String(254))


class Device(Base):
    """A kiosk. `public_key` is NULL until the kiosk enrolls; state is active or revoked."""

    __tablename__ = "devices"

    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    service_point_id: Mapped[str] = mapped_column(ForeignKey("service_points.id"), index=True)
    public_key: Mapped[str | None] = mapped_column(String(64))
    install_id: Mapped[str | None] = mapped_column(String(64))
    hw: Mapped[str | None] = mapped_column(Text)  # JSON object as sent at enrollment
    state: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    key_rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeviceAlert(Base):
    """Something a coordinator must look at, e.g. a seq rewind (a cloned or restored SD card)."""

    __tablename__ = "device_alerts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.device_id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EnrollmentCode(Base):
    """A single-use code; only its sha256 is kept. Bound to one device row."""

    __tablename__ = "enrollment_codes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.device_id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    public_key: Mapped[str | None] = mapped_column(String(64))  # the key it was used with
    # Set when the kiosk got its first token: the enrollment is complete, the code is spent
    # (410). Until then a replay with the same key is answered again (lost response).
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuthNonce(Base):
    __tablename__ = "auth_nonces"

    nonce: Mapped[str] = mapped_column(String(128), primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.device_id"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Token(Base):
    """Bearer tokens, stored as sha256: a leaked database holds no usable token."""

    __tablename__ = "tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.device_id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EventRow(Base):
    """Every event a kiosk sent, kept for good (but anonymous usage events, which retention.py
    rolls up into weekly totals after a while): the unique constraints ARE the dedupe."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("device_id", "seq"),
        UniqueConstraint("event_id"),
        # Every notifier round reads recent video calls and the retention's old usage events.
        Index("ix_events_type_received_at", "type", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.device_id"))
    seq: Mapped[int] = mapped_column(BigInteger)
    event_id: Mapped[str] = mapped_column(String(36))
    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON
    payload_hash: Mapped[str] = mapped_column(String(64))
    wall_ms: Mapped[int] = mapped_column(BigInteger)
    clock_synced: Mapped[bool] = mapped_column(Boolean)
    boot_id: Mapped[str] = mapped_column(String(64))
    mono_ms: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))  # accepted | rejected
    reason: Mapped[str | None] = mapped_column(Text)
    # The server's estimate of when the event happened (never after received_at) and what it
    # was based on: "wall" (a synced kiosk clock), "mono" (same boot as the upload), "received".
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    occurred_from: Mapped[str | None] = mapped_column(String(8))


class EventConflict(Base):
    """An event that collided with a stored one (same event_id or same seq, other content).

    Never applied and never overwrites; kept here so a coordinator can see it.
    """

    __tablename__ = "event_conflicts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.device_id"), index=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    event_id: Mapped[str] = mapped_column(String(36))
    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    payload_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)


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


class StaffCard(Base):
    __tablename__ = "staff_cards"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    service_point_id: Mapped[str] = mapped_column(ForeignKey("service_points.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    uid_sha256: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)


class ChangeLog(Base):
    """The pull feed. `txid` is the writing transaction's id on PostgreSQL (0 on SQLite);
    the feed is ordered by (txid, server_seq) — see feed.py for why."""

    __tablename__ = "change_log"
    __table_args__ = (
        Index(None, "scope", "service_point_id", "txid", "server_seq"),
        # AUTOINCREMENT: a seq is never handed out twice, even after the newest row is pruned.
        {"sqlite_autoincrement": True},
    )

    server_seq: Mapped[int] = mapped_column(BigId, primary_key=True)
    txid: Mapped[int] = mapped_column(BigInteger)
    scope: Mapped[str] = mapped_column(String(32))
    service_point_id: Mapped[str] = mapped_column(ForeignKey("service_points.id"))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    op: Mapped[str] = mapped_column(String(8))  # upsert | delete
    data: Mapped[str | None] = mapped_column(Text)  # JSON object
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ServicePointConfig(Base):
    """Kiosk settings per service point (scope "config"), served with ETag = version."""

    __tablename__ = "service_point_configs"

    service_point_id: Mapped[str] = mapped_column(ForeignKey("service_points.id"), primary_key=True)
    settings: Mapped[str] = mapped_column(Text)  # canonical JSON object
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FeedHorizon(Base):
    """How far the change log of a scope has been compacted: a cursor before this position
    may have missed deleted rows, so it gets 409 must_refetch."""

    __tablename__ = "feed_horizons"

    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    txid: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


# Tables kept in their own modules (carriers, notifications, audit; the directory), registered
# on Base here so the migration check and anyone who imports the models see them.
from sync.server import directory_models, parcel_models  # noqa: E402,F401

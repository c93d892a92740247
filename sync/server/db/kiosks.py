"""Tables of the kiosk fleet and its sync: service points, kiosks and their credentials,
received events, staff cards, the change feed and per-service-point config.

The schema itself is created only by the Alembic migrations in `migrations/`; a test checks
that they and these classes (every module of this package) agree.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from sync.server.db.base import Base, BigId, UTCDateTime


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

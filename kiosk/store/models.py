"""The kiosk's own tables. Schema changes go through Alembic (kiosk/store/migrations)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Integer, LargeBinary, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ParcelState:
    STORED = "stored"  # in a compartment
    HELD = "held"  # at the counter: nothing free fitted
    PICKED_UP = "picked_up"
    RETURNED = "returned"

    WAITING = (STORED, HELD)  # still here, for its recipient or for return
    DONE = (PICKED_UP, RETURNED)


class Parcel(Base):
    __tablename__ = "parcels"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tracking_id: Mapped[str] = mapped_column(String(64), index=True)
    barcode_kind: Mapped[str] = mapped_column(String(16))
    compartment_id: Mapped[str | None] = mapped_column(String(8), index=True, nullable=True)  # None: counter
    state: Mapped[str] = mapped_column(String(16), index=True)
    # The pickup code is never stored, only a salted slow hash of it.
    code_salt: Mapped[bytes] = mapped_column(LargeBinary(16))
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    # HMAC of the code with this kiosk's code key (kiosk/services/pickup_codes/hashing.py): finds the one row
    # whose hash to check. NULL for rows stored before migration 0005: those are scanned.
    code_digest: Mapped[bytes | None] = mapped_column(LargeBinary(32), index=True, nullable=True)
    stored_at: Mapped[datetime] = mapped_column(DateTime)
    picked_up_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    carrier: Mapped[str | None] = mapped_column(String(64), nullable=True)  # None: no pre-advice
    size_class: Mapped[str] = mapped_column(String(1), default="M")
    deadline: Mapped[date | None] = mapped_column(Date, nullable=True)  # last pickup day
    staff_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    returned_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Personal data, purged once the parcel is done and its closing event is acknowledged.
    recipient_name: Mapped[str | None] = mapped_column(String(120), nullable=True)
    recipient_phone: Mapped[str | None] = mapped_column(String(16), nullable=True)
    recipient_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    recipient_language: Mapped[str | None] = mapped_column(String(3), nullable=True)
    # Set before a door is opened to take the parcel out ("pickup:code", "pickup:qr",
    # "return:<staff>"), cleared when that ends: a kiosk restarted in between settles it
    # from the board's sensors.
    door_pending: Mapped[str | None] = mapped_column(String(80), nullable=True)
    closing_event_id: Mapped[str | None] = mapped_column(String(36), nullable=True)  # picked_up/returned


class PreAdvice(Base):
    """A carrier's notice of a parcel on its way here, pulled from the server (scope "parcels")."""

    __tablename__ = "pre_advices"

    tracking_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    carrier: Mapped[str] = mapped_column(String(64))
    recipient_name: Mapped[str | None] = mapped_column(String(120), nullable=True)
    recipient_phone: Mapped[str | None] = mapped_column(String(16), nullable=True)
    recipient_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    recipient_language: Mapped[str] = mapped_column(String(3), default="sv")
    size_class: Mapped[str] = mapped_column(String(1), default="M")
    deadline_days: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)


class DoorOpening(Base):
    """Every attempt to open a door, for the audit trail (also sent as door.opened)."""

    __tablename__ = "door_openings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    compartment_id: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    parcel_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    detail: Mapped[str | None] = mapped_column(String(300), nullable=True)


class StaffCard(Base):
    """Staff badges for this service point, pulled from the central server (scope "staff")."""

    __tablename__ = "staff_cards"

    entity_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    uid_sha256: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)


class PickupAttempt(Base):
    """Every code entered at the keypad, right or wrong, for the audit trail (never the code)."""

    __tablename__ = "pickup_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    attempted_at: Mapped[datetime] = mapped_column(DateTime)
    success: Mapped[bool] = mapped_column(Boolean)
    parcel_count: Mapped[int] = mapped_column(Integer, default=0)
    via: Mapped[str] = mapped_column(String(8), default="code")  # code | qr | counter

"""The kiosk's own tables. Schema changes go through Alembic (kiosk/store/migrations)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, LargeBinary, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ParcelState:
    STORED = "stored"
    PICKED_UP = "picked_up"


class Parcel(Base):
    __tablename__ = "parcels"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tracking_id: Mapped[str] = mapped_column(String(64), index=True)
    barcode_kind: Mapped[str] = mapped_column(String(16))
    compartment_id: Mapped[str] = mapped_column(String(8), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    # The pickup code is never stored, only a salted slow hash of it.
    code_salt: Mapped[bytes] = mapped_column(LargeBinary(16))
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    stored_at: Mapped[datetime] = mapped_column(DateTime)
    picked_up_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


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

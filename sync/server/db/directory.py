"""Tables of the directory: video services, e-services, appointments, on-duty alerts and
the anonymous usage counts.

A directory entry keeps the coordinator's input as canonical JSON (`data`): the
texts per language, hours and domains are read and written whole, never queried by part.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sync.server.db.base import Base, UTCDateTime


class DirectoryEntry(Base):
    """A video service or e-service. `service_points`: JSON list of ids, [] = every point."""

    __tablename__ = "directory_entries"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # video_service | e_service
    entry_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[str] = mapped_column(Text)
    service_points: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    deleted: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Appointment(Base):
    """A booked video meeting at one service point. The code is kept only as a salted hash."""

    __tablename__ = "directory_appointments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    service_point_id: Mapped[str] = mapped_column(ForeignKey("service_points.id"), index=True)
    service_id: Mapped[str] = mapped_column(String(64))
    room_url: Mapped[str] = mapped_column(String(500))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    code_salt: Mapped[str] = mapped_column(String(32))
    code_sha256: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    deleted: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DutyAlert(Base):
    """"Someone is waiting in your room": one per video.call_started event, with its outcome."""

    __tablename__ = "duty_alerts"

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    service_point_id: Mapped[str] = mapped_column(String(64))
    service_id: Mapped[str] = mapped_column(String(64))
    room_url: Mapped[str] = mapped_column(String(500))
    channel: Mapped[str] = mapped_column(String(16))  # webhook | email | phone | none
    target: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)


class UsageWeek(Base):
    """Weekly totals of usage.visit events whose raw rows were dropped after the retention
    period (retention.py). The usage report adds them to what the remaining events give."""

    __tablename__ = "usage_weeks"

    service_point_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    week: Mapped[str] = mapped_column(String(8), primary_key=True)  # "2026-W49"
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    service_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    language: Mapped[str] = mapped_column(String(3), primary_key=True)
    visits: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[int] = mapped_column(Integer)
    large_text: Mapped[int] = mapped_column(Integer)
    high_contrast: Mapped[int] = mapped_column(Integer)
    speech: Mapped[int] = mapped_column(Integer)
    outcomes: Mapped[str] = mapped_column(Text)  # JSON: outcome -> count

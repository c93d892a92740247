"""Credentials of the coordinators' tools: named, revocable admin tokens."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from sync.server.db.base import Base, UTCDateTime


class AdminToken(Base):
    """A bearer token for the admin API, stored as sha256 like the kiosks' tokens."""

    __tablename__ = "admin_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

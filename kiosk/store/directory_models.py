"""The kiosk's copy of the directory (scope "directory"): one row per pulled entity.

`data` is the entity's JSON exactly as the server sent it; kiosk.services.directory parses it
with the wire models, so the table need not change when an entity gains a field.
"""
from __future__ import annotations

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.store.models import Base


class DirectoryRow(Base):
    __tablename__ = "directory_entries"

    entity: Mapped[str] = mapped_column(String(32), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[str] = mapped_column(Text)

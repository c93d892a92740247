"""Staff badges: a UID on the card reader opens staff mode when the server lists it."""
from __future__ import annotations

from typing import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kiosk.services.outcomes import StaffMember
from kiosk.store.models import StaffCard
from kiosk.store.pulled import added, newer_upserts
from sync.protocol import Change, card_uid_sha256

STAFF_SCOPE = "staff"


class StaffDirectory:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def find_by_card(self, uid: str) -> StaffMember | None:
        """Compares digests only: the server never sends, and the kiosk never keeps, a raw UID."""
        try:
            digest = card_uid_sha256(uid)
        except ValueError:
            return None  # not a UID any badge could have
        with self._sessions() as session:
            card = session.scalar(select(StaffCard).where(StaffCard.uid_sha256 == digest))
            return StaffMember(card.name, card.entity_id) if card else None


def apply_staff_changes(session: Session, changes: Sequence[Change]) -> None:
    """Applies a pulled page inside the caller's transaction; re-delivery is a no-op."""
    for change, current in newer_upserts(session, changes, lambda c: session.get(StaffCard, c.entity_id)):
        data = change.data or {}
        row = current or added(session, StaffCard(entity_id=change.entity_id))
        row.name = data.get("name", "")
        row.uid_sha256 = data["uid_sha256"]
        row.version = change.version

"""Carriers' pre-advice pulled from the central server (scope "parcels", entity "pre_advice").

Applied inside the sync worker's transaction, together with the page's cursor. The server
deletes an entry once its parcel is done, which also removes the recipient's data here.
"""
from __future__ import annotations

from typing import Sequence

from sqlalchemy import delete
from sqlalchemy.orm import Session

from kiosk.store.models import PreAdvice
from kiosk.store.pulled import added, newer_upserts
from sync.protocol import Change, PreAdviceData

PRE_ADVICE = "pre_advice"


def apply_pre_advice_changes(session: Session, changes: Sequence[Change]) -> None:
    """Upserts and deletes by tracking id and version; re-delivery is a no-op."""
    known = (change for change in changes if change.entity == PRE_ADVICE)  # not a newer server's entity
    for change, current in newer_upserts(session, known, lambda c: session.get(PreAdvice, c.entity_id)):
        data = PreAdviceData.model_validate(change.data or {})
        row = current or added(session, PreAdvice(tracking_id=change.entity_id))
        _copy(data, row)
        row.version = change.version


def _copy(data: PreAdviceData, row: PreAdvice) -> None:
    row.carrier, row.size_class, row.deadline_days = data.carrier, data.size_class, data.deadline_days
    recipient = data.recipient
    row.recipient_name, row.recipient_phone = recipient.name, recipient.phone
    row.recipient_email, row.recipient_language = recipient.email, recipient.language


def drop_pre_advice(session: Session) -> None:
    """The server invalidated our cursor: the new snapshot replaces every row."""
    session.execute(delete(PreAdvice))

"""Carriers' pre-advice pulled from the central server (scope "parcels", entity "pre_advice").

Applied inside the sync worker's transaction, together with the page's cursor. The server
deletes an entry once its parcel is done, which also removes the recipient's data here.
"""
from __future__ import annotations

from typing import Sequence

from sqlalchemy import delete
from sqlalchemy.orm import Session

from kiosk.store.models import PreAdvice
from sync.protocol import Change, PreAdviceData

PRE_ADVICE = "pre_advice"


def apply_pre_advice_changes(session: Session, changes: Sequence[Change]) -> None:
    """Upserts and deletes by tracking id and version; re-delivery is a no-op."""
    for change in changes:
        if change.entity != PRE_ADVICE:
            continue  # a newer server's entity this kiosk does not know yet
        current = session.get(PreAdvice, change.entity_id)
        if current is not None and current.version >= change.version:
            continue
        if change.op == "delete":
            if current is not None:
                session.delete(current)
            continue
        data = PreAdviceData.model_validate(change.data or {})
        if current is None:
            current = PreAdvice(tracking_id=change.entity_id)
            session.add(current)
        _copy(data, current)
        current.version = change.version


def _copy(data: PreAdviceData, row: PreAdvice) -> None:
    row.carrier, row.size_class, row.deadline_days = data.carrier, data.size_class, data.deadline_days
    recipient = data.recipient
    row.recipient_name, row.recipient_phone = recipient.name, recipient.phone
    row.recipient_email, row.recipient_language = recipient.email, recipient.language


def drop_pre_advice(session: Session) -> None:
    """The server invalidated our cursor: the new snapshot replaces every row."""
    session.execute(delete(PreAdvice))

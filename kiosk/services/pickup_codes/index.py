"""Binding the parcels' code digests to this kiosk's code key.

A digest made under one key finds nothing under another: were the key file lost or
replaced (a restored backup, a technician's clean-up) while the database kept its rows,
those parcels could no longer be found by their codes. So a check value of the key is kept
in the database, and when the key at start is not the one the digests were made with, the
digests are dropped: those rows fall back to the hash-by-hash check, as rows stored before
digests existed do, and new parcels get digests under the key in use.
"""
from __future__ import annotations

import logging

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from kiosk.services.pickup_codes.hashing import lookup_digest
from kiosk.store.models import Parcel
from sync.outbox import get_state, set_state

log = logging.getLogger(__name__)
KEY_CHECK_STATE = "pickup_code_key_check"
KEY_CHECK_INPUT = "key-check"  # not a code (codes are digits): a check value never opens anything


def attach_key(sessions: sessionmaker[Session], key: bytes) -> int:
    """Makes the stored digests this key's; returns how many had to be dropped."""
    check = lookup_digest(KEY_CHECK_INPUT, key).hex()
    with sessions.begin() as session:
        if get_state(session, KEY_CHECK_STATE) == check:
            return 0
        stale = session.scalars(select(Parcel.id).where(Parcel.code_digest.is_not(None))).all()
        session.execute(update(Parcel).where(Parcel.id.in_(stale)).values(code_digest=None))
        set_state(session, KEY_CHECK_STATE, check)
    if stale:
        log.warning("pickup-code key changed: %d parcels are found by their hashes alone", len(stale))
    return len(stale)

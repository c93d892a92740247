"""Keeping the parcel records true and small: settling doors a restart interrupted, and
purging what is no longer needed once the server has it.

- `reconcile()` at start, and when a full disk has space again: a parcel whose door was opened
  for pickup or return when the kiosk stopped is settled from the board: item gone -> picked
  up / returned (one event); still inside -> stays stored. Boards without item sensors settle
  on door closed. A door opening whose outcome was never written is reported (doors.py). A
  compartment whose item sensor sees something no stored parcel accounts for (a drop-off
  whose record a full disk refused) is flagged for staff, not silently skipped. While the
  disk is still full only the reading is done; the writing waits for space.
- `purge_synced(session)` after each sync round: the pickup code is redacted from
  acknowledged parcel.stored events, and the recipient's name, phone and e-mail are
  dropped from parcels that are done once their closing event is acknowledged.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.services.parcel_base import ParcelContext, waiting
from kiosk.services.pickup import close_parcel
from kiosk.services.preadvice import apply_pre_advice_changes
from kiosk.services.storage import STORAGE_FULL, StorageFull
from kiosk.store.models import Parcel, ParcelState, PreAdvice
from sync.outbox import OutboxEvent, redact_acknowledged

log = logging.getLogger(__name__)
ACKNOWLEDGED = ("accepted", "duplicate")


@dataclass
class Reconciled:
    picked_up: list[str] = field(default_factory=list)
    returned: list[str] = field(default_factory=list)
    still_inside: list[str] = field(default_factory=list)
    open_doors: list[str] = field(default_factory=list)  # compartments to show staff
    unreadable: list[str] = field(default_factory=list)
    unknown_items: list[str] = field(default_factory=list)  # compartments: something inside, no parcel
    storage_full: bool = False  # nothing could be written: tried again when space returns


class Upkeep:
    def __init__(self, ctx: ParcelContext) -> None:
        self._ctx = ctx

    def reconcile(self) -> Reconciled:
        found = Reconciled()
        try:
            if not self._ctx.storage.probe():  # full at start: the health state says so at once
                raise StorageFull(STORAGE_FULL)
            with self._ctx.storage.guard():
                self._ctx.doors.settle_unrecorded()
                self._settle_pending(found)
        except StorageFull:
            found.storage_full = True
        found.unknown_items = self.unknown_items()
        if found.unknown_items:
            log.error("items with no parcel record in compartments %s: shown to staff", found.unknown_items)
        return found

    def _settle_pending(self, found: Reconciled) -> None:
        with self._ctx.sessions() as session:
            pending = session.scalars(select(Parcel.id).where(Parcel.door_pending.is_not(None))).all()
        for parcel_id in pending:
            self._settle(parcel_id, found)
        if pending:
            self._ctx.on_committed()

    def unknown_items(self) -> list[str]:
        """Closed compartments whose item sensor sees something while no stored parcel is in
        them; one status query per board. Boards without item sensors cannot tell."""
        if not self._ctx.doors.item_sensors:
            return []
        with self._ctx.sessions() as session:
            occupied = {p.compartment_id for p in waiting(session, ParcelState.STORED)}
        unknown = []
        for board in sorted({c.board for c in self._ctx.compartments}):
            states = self._ctx.doors.board_states(board)
            for compartment in (c for c in self._ctx.compartments if c.board == board):
                state = states.get(compartment.lock)
                if state is not None and state.door_closed and state.item_present and compartment.id not in occupied:
                    unknown.append(compartment.id)
        return unknown

    def _settle(self, parcel_id: str, found: Reconciled) -> None:
        with self._ctx.sessions.begin() as session:
            parcel = session.get(Parcel, parcel_id)
            compartment = self._ctx.compartment(parcel)
            state = self._ctx.doors.read(compartment) if compartment else None
            if state is None:
                found.unreadable.append(parcel_id)  # tried again at the next start
                return
            if not state.door_closed:
                found.open_doors.append(compartment.id)
            gone = not state.item_present if self._ctx.doors.item_sensors else state.door_closed
            kind, _, actor = (parcel.door_pending or "").partition(":")
            if not gone:
                parcel.door_pending = None if state.door_closed else parcel.door_pending
                found.still_inside.append(parcel_id)
            elif kind == "return":
                close_parcel(session, parcel, ParcelState.RETURNED, staff_id=actor or None)
                found.returned.append(parcel_id)
            else:
                close_parcel(session, parcel, ParcelState.PICKED_UP, via=actor if actor in ("code", "qr") else "code")
                found.picked_up.append(parcel_id)
        log.warning("reconciled parcel %s after restart: %s", parcel_id, found)


def purge_synced(session: Session) -> int:
    """In the caller's transaction; returns how many parcels lost their personal data."""
    redact_acknowledged(session, type="parcel.stored", field="pickup_code")
    acknowledged = select(OutboxEvent.event_id).where(OutboxEvent.state.in_(ACKNOWLEDGED))
    done = session.scalars(select(Parcel).where(
        Parcel.state.in_(ParcelState.DONE), Parcel.closing_event_id.in_(acknowledged),
        (Parcel.recipient_phone.is_not(None) | Parcel.recipient_email.is_not(None)
         | Parcel.recipient_name.is_not(None)))).all()
    for parcel in done:
        parcel.recipient_name = parcel.recipient_phone = parcel.recipient_email = None
        advice = session.get(PreAdvice, parcel.tracking_id)
        if advice is not None:
            session.delete(advice)  # the server deletes it too; no need to wait for that page
    return len(done)


def apply_parcel_changes(session: Session, changes) -> None:
    """The sync worker's applier for scope "parcels": the pre-advice page, then the purge
    (the worker pulls right after it pushed, so fresh acknowledgements are seen here)."""
    apply_pre_advice_changes(session, changes)
    purge_synced(session)

"""Idempotent ingest of one kiosk's event batch, inside ONE caller-owned transaction.

Dedupe is permanent: UNIQUE(event_id) and UNIQUE(device_id, seq) on the events table.
A replay of a stored event is answered from what was stored; the same event_id with other
content is a conflict, recorded on the side and never overwriting anything. A new event on a
seq that already holds another event means the kiosk's counter went back (a cloned or
restored SD card): the whole batch is refused with SeqRewind, so the kiosk renumbers its
pending events above the server's highest seq and nothing collides.

The batch is read with a handful of queries (the device row, the stored events it names, its
parcels and their pre-advices) and written with one flush of the effects' rows plus one
executemany per table for the event rows and the parcels' state history: a 500-event batch
costs a handful of round trips, not thousands. The event rows skip the ORM (no objects, no
generated id fetched back): on PostgreSQL with 50 kiosks pushing, the ORM's unit of work was
the largest cost of ingest (bench/sync figure 3).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.orm import Session

from sync import protocol as p
from sync.server.db.kiosks import Device, EventConflict, EventRow
from sync.server.db.parcels import ParcelTransition
from sync.server.kiosks.clocks import estimate_occurred_at
from sync.server.kiosks.effect_context import EffectContext, EventTiming
from sync.server.kiosks.effects import apply_effect, load_parcels

NUL_REASON = "text holds a NUL character (U+0000), which the server cannot store"


class SeqRewind(Exception):
    """The kiosk sent new events on seqs the server already holds for other events."""

    def __init__(self, device_id: str, seq: int, high_seq: int) -> None:
        super().__init__(f"{device_id}: new event on seq {seq}, but the server holds up to {high_seq}")
        self.device_id, self.seq, self.high_seq = device_id, seq, high_seq


@dataclass(frozen=True)
class _Stored:
    """What ingest needs of a stored event (or of one this batch adds)."""

    event_id: str
    seq: int
    device_id: str
    type: str
    payload_hash: str
    status: str
    reason: str | None


_STORED_COLUMNS = (EventRow.event_id, EventRow.seq, EventRow.device_id, EventRow.type,
                   EventRow.payload_hash, EventRow.status, EventRow.reason)


@dataclass
class _Known:
    """Stored events this batch touches, plus the ones the batch itself adds."""

    by_id: dict[str, _Stored] = field(default_factory=dict)
    by_seq: dict[int, _Stored] = field(default_factory=dict)
    new_rows: list[dict[str, Any]] = field(default_factory=list)  # events table rows to insert

    def add(self, row: dict[str, Any]) -> None:
        stored = _Stored(row["event_id"], row["seq"], row["device_id"], row["type"],
                         row["payload_hash"], row["status"], row["reason"])
        self.by_id[stored.event_id] = stored
        self.by_seq[stored.seq] = stored
        self.new_rows.append(row)


def ingest_batch(
    session: Session, device_id: str, batch: p.EventBatch, now: datetime, *,
    refuse: str | None = None,
) -> p.BatchResponse:
    """With `refuse`, every new event is stored as rejected for that reason and nothing is
    applied: the caller's way out for an event the database would not store otherwise."""
    # Row lock: one uploader per device at a time on PostgreSQL (SQLite's BEGIN IMMEDIATE
    # already serializes writers). Concurrent copies of a batch then see each other's rows.
    device = session.get_one(Device, device_id, with_for_update=True)
    known = _load_known(session, device_id, batch.events)
    _refuse_rewind(session, device_id, batch.events, known)
    # Never a query parameter PostgreSQL refuses: events with a NUL are rejected anyway.
    applicable = [] if refuse else [event for event in batch.events if not _nul_in_text(event)]
    ctx = EffectContext(session, device, load_parcels(session, applicable), now)
    results = [_ingest_one(ctx, known, event, batch.sent_clock, now, refuse) for event in batch.events]
    session.flush()  # the effects' ORM rows (parcels first: the history below refers to them)
    _insert_many(session, EventRow, known.new_rows)
    _insert_many(session, ParcelTransition, ctx.transitions)
    return p.BatchResponse(
        results=results,
        acked_through=max((event.seq for event in batch.events), default=0),
        server_time=now,
    )


def _load_known(session: Session, device_id: str, events: list[p.Event]) -> _Known:
    """The stored events with the batch's event ids, or on its seqs for this device: one query."""
    known = _Known()
    if not events:
        return known
    ids = {str(event.event_id) for event in events}
    seqs = {event.seq for event in events}
    rows = session.execute(select(*_STORED_COLUMNS).where(or_(
        EventRow.event_id.in_(ids), and_(EventRow.device_id == device_id, EventRow.seq.in_(seqs)))))
    for row in rows:
        stored = _Stored(*row)
        if stored.event_id in ids:
            known.by_id[stored.event_id] = stored
        if stored.device_id == device_id and stored.seq in seqs:
            known.by_seq[stored.seq] = stored
    return known


def _insert_many(session: Session, table: type, rows: list[dict[str, Any]]) -> None:
    """One executemany (psycopg pipelines it): no ORM objects, nothing fetched back."""
    if rows:
        session.execute(insert(table), rows)


def _refuse_rewind(session: Session, device_id: str, events: list[p.Event], known: _Known) -> None:
    for event in events:
        taken = known.by_seq.get(event.seq)
        if taken is not None and str(event.event_id) not in known.by_id and taken.event_id != str(event.event_id):
            high = session.scalar(select(func.max(EventRow.seq)).where(EventRow.device_id == device_id))
            raise SeqRewind(device_id, event.seq, int(high or 0))


def _canonical(event: p.Event) -> tuple[str, str | None]:
    """The canonical payload text, and a problem if the payload cannot be canonical JSON."""
    try:
        return p.canonical_json(event.payload), None
    except ValueError:
        text = json.dumps(event.payload, sort_keys=True, separators=(",", ":"))
        return text, "payload contains NaN or Infinity"


def _ingest_one(
    ctx: EffectContext, known: _Known, event: p.Event, sent: p.Clock | None, now: datetime,
    refuse: str | None = None,
) -> p.EventResult:
    canonical, problem = _canonical(event)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    stored = known.by_id.get(str(event.event_id))
    if stored is not None:
        return _replay(ctx, event, stored, canonical, digest, now)
    same_seq = known.by_seq.get(event.seq)
    if same_seq is not None:  # only inside one batch: a kiosk bug, never applied
        reason = f"seq {event.seq} already holds event {same_seq.event_id}"
        return _conflict(ctx, event, canonical, digest, now, reason)
    problem = refuse or problem or _problem(event, digest)
    row = _new_row(ctx.device, event, canonical, digest, sent, now)
    if problem is None:
        ctx.timing = EventTiming.of(event.clock, row["occurred_at"])
        problem = apply_effect(ctx, event.type, event.payload, row["event_id"])
    row["status"], row["reason"] = ("rejected", problem) if problem else ("accepted", None)
    known.add(row)
    return _result(event, row["status"], row["reason"])


def _problem(event: p.Event, digest: str) -> str | None:
    if _nul_in_text(event):
        return NUL_REASON  # checked first: a reason below may quote the payload's text
    # Whole (format 1) or its first 8 digits (format 2): either way the kiosk's own hash.
    if event.payload_hash is not None and not digest.startswith(event.payload_hash):
        return "payload_hash does not match the canonical JSON of the payload"
    return p.payload_problem(event.type, event.payload)


def _nul_in_text(event: p.Event) -> bool:
    return _has_nul(event.type) or _has_nul(event.clock.boot_id) or _has_nul(event.payload)


def _has_nul(value: object) -> bool:
    """True if any text in `value` (a string, or the keys and values of JSON) holds U+0000."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def storable(text: str) -> str:
    """`text` as PostgreSQL can store it: U+0000 (never valid in its text) as U+FFFD. Only the
    event's own columns need it (type, boot_id): the payload column holds JSON, where a NUL is
    spelt \\u0000, and an event with a NUL anywhere is rejected before any effect."""
    return text.replace("\x00", "\ufffd")


def _replay(
    ctx: EffectContext, event: p.Event, stored: _Stored, canonical: str, digest: str, now: datetime
) -> p.EventResult:
    # Same event_id and same content is the same event, even on another seq: a kiosk that
    # renumbered its queue after a seq rewind resends events the server may already have.
    same = (
        stored.device_id == ctx.device.device_id
        and stored.type == storable(event.type)
        and stored.payload_hash == digest
    )
    if not same:
        reason = f"event_id already stored with other content (seq {stored.seq})"
        return _conflict(ctx, event, canonical, digest, now, reason)
    # A rejected event stays rejected: answering "duplicate" would hide the rejection.
    if stored.status == "rejected":
        return _result(event, "rejected", stored.reason)
    return _result(event, "duplicate", None)


def _conflict(
    ctx: EffectContext, event: p.Event, canonical: str, digest: str, now: datetime, reason: str
) -> p.EventResult:
    ctx.session.add(
        EventConflict(
            device_id=ctx.device.device_id,
            seq=event.seq,
            event_id=str(event.event_id),
            type=storable(event.type),
            payload=canonical,
            payload_hash=digest,
            received_at=now,
            reason=reason,
        )
    )
    return _result(event, "conflict", reason)


def _new_row(
    device: Device, event: p.Event, canonical: str, digest: str, sent: p.Clock | None, now: datetime
) -> dict[str, Any]:
    """The events table row (status and reason still to be set), as the insert's parameters."""
    occurred_at, occurred_from = estimate_occurred_at(event.clock, sent, now)
    return {
        "device_id": device.device_id,
        "seq": event.seq,
        "event_id": str(event.event_id),
        "type": storable(event.type),
        "payload": canonical,
        "payload_hash": digest,
        "wall_ms": event.clock.wall_ms,
        "clock_synced": event.clock.clock_synced,
        "boot_id": storable(event.clock.boot_id),
        "mono_ms": event.clock.mono_ms,
        "received_at": now,
        "occurred_at": occurred_at,
        "occurred_from": occurred_from,
    }


def _result(event: p.Event, status: p.EventStatus, reason: str | None) -> p.EventResult:
    return p.EventResult(event_id=event.event_id, seq=event.seq, status=status, reason=reason)

"""Idempotent ingest of one kiosk's event batch, inside ONE caller-owned transaction.

Dedupe is permanent: UNIQUE(event_id) and UNIQUE(device_id, seq) on the events table.
A replay of a stored event is answered from what was stored; a collision with different
content is a conflict, recorded on the side and never overwriting anything.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync import protocol as p
from sync.server.effects import apply_effect
from sync.server.models import Device, EventConflict, EventRow


def ingest_batch(
    session: Session, device_id: str, batch: p.EventBatch, now: datetime
) -> p.BatchResponse:
    # Row lock: one uploader per device at a time on PostgreSQL (SQLite's BEGIN IMMEDIATE
    # already serializes writers). Concurrent copies of a batch then see each other's rows.
    device = session.get_one(Device, device_id, with_for_update=True)
    results = [_ingest_one(session, device, event, now) for event in batch.events]
    return p.BatchResponse(
        results=results,
        acked_through=max((event.seq for event in batch.events), default=0),
        server_time=now,
    )


def _canonical(event: p.Event) -> tuple[str, str | None]:
    """The canonical payload text, and a problem if the payload cannot be canonical JSON."""
    try:
        return p.canonical_json(event.payload), None
    except ValueError:
        text = json.dumps(event.payload, sort_keys=True, separators=(",", ":"))
        return text, "payload contains NaN or Infinity"


def _ingest_one(session: Session, device: Device, event: p.Event, now: datetime) -> p.EventResult:
    canonical, problem = _canonical(event)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    event_id = str(event.event_id)
    stored = session.scalar(select(EventRow).where(EventRow.event_id == event_id))
    if stored is not None:
        return _replay(session, device, event, stored, canonical, digest, now)
    same_seq = session.scalar(
        select(EventRow).where(EventRow.device_id == device.device_id, EventRow.seq == event.seq)
    )
    if same_seq is not None:
        reason = f"seq {event.seq} already holds event {same_seq.event_id}"
        return _conflict(session, device, event, canonical, digest, now, reason)
    problem = problem or _problem(event, digest)
    row = _new_row(device, event, canonical, digest, now)
    if problem is None:
        problem = apply_effect(session, device, event.type, event.payload, event_id)
    row.status, row.reason = ("rejected", problem) if problem else ("accepted", None)
    session.add(row)
    session.flush()  # later events of this batch must see this one
    return _result(event, row.status, row.reason)


def _problem(event: p.Event, digest: str) -> str | None:
    if event.payload_hash != digest:
        return "payload_hash does not match the canonical JSON of the payload"
    return p.payload_problem(event.type, event.payload)


def _replay(
    session: Session,
    device: Device,
    event: p.Event,
    stored: EventRow,
    canonical: str,
    digest: str,
    now: datetime,
) -> p.EventResult:
    same = (
        stored.device_id == device.device_id
        and stored.seq == event.seq
        and stored.type == event.type
        and stored.payload_hash == digest
    )
    if not same:
        reason = f"event_id already stored with other content (seq {stored.seq})"
        return _conflict(session, device, event, canonical, digest, now, reason)
    # A rejected event stays rejected: answering "duplicate" would hide the rejection.
    if stored.status == "rejected":
        return _result(event, "rejected", stored.reason)
    return _result(event, "duplicate", None)


def _conflict(
    session: Session,
    device: Device,
    event: p.Event,
    canonical: str,
    digest: str,
    now: datetime,
    reason: str,
) -> p.EventResult:
    session.add(
        EventConflict(
            device_id=device.device_id,
            seq=event.seq,
            event_id=str(event.event_id),
            type=event.type,
            payload=canonical,
            payload_hash=digest,
            received_at=now,
            reason=reason,
        )
    )
    return _result(event, "conflict", reason)


def _new_row(
    device: Device, event: p.Event, canonical: str, digest: str, now: datetime
) -> EventRow:
    return EventRow(
        device_id=device.device_id,
        seq=event.seq,
        event_id=str(event.event_id),
        type=event.type,
        payload=canonical,
        payload_hash=digest,
        wall_ms=event.clock.wall_ms,
        clock_synced=event.clock.clock_synced,
        boot_id=event.clock.boot_id,
        mono_ms=event.clock.mono_ms,
        received_at=now,
        status="accepted",
    )


def _result(event: p.Event, status: p.EventStatus, reason: str | None) -> p.EventResult:
    return p.EventResult(event_id=event.event_id, seq=event.seq, status=status, reason=reason)

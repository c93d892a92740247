"""Kiosk-side outbox: events written in the caller's transaction, sent later by the worker.

The kiosk's own Alembic migration creates these tables by copying the definitions below
(SQLite; keep the SEQ_FLOOR_TRIGGER on `outbox`):

outbox         seq INTEGER PRIMARY KEY                -- per-device order, never reused (below)
               event_id VARCHAR(36) NOT NULL           -- uuid4, the server's dedupe key
                     (no index here: see OutboxEvent.event_id)
               type VARCHAR(64) NOT NULL               -- e.g. "parcel.stored"
               payload TEXT NOT NULL                   -- canonical JSON (protocol.canonical_json)
               payload_hash VARCHAR(64) NOT NULL       -- sha256 hex of payload
               wall_ms BIGINT NOT NULL, clock_synced BOOLEAN NOT NULL,
               boot_id VARCHAR(64) NOT NULL, mono_ms BIGINT NOT NULL   -- see read_clock()
               state VARCHAR(16) NOT NULL DEFAULT 'pending'
                     -- pending | accepted | duplicate | rejected | conflict
               attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT NULL
               created_at DATETIME NOT NULL            -- naive UTC by the kiosk clock: display only
               (no index on state: see pending_batch)
sync_cursors   scope VARCHAR(32) PRIMARY KEY, cursor TEXT NOT NULL, updated_at DATETIME NOT NULL
sync_state     key VARCHAR(64) PRIMARY KEY, value TEXT NOT NULL

Never order or dedupe by wall time: a Raspberry Pi has no RTC. Order is `seq`; dedupe is
`event_id`.

A seq is never handed out twice. enqueue() takes one above both the highest row and the
"outbox_seq_floor" in sync_state; the floor is raised by SEQ_FLOOR_TRIGGER when the newest
rows are deleted, and by renumbering (queue_ops). This is what AUTOINCREMENT did, without
rewriting its counter's page in every commit (kiosk migration 0004).
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    DDL,
    BigInteger,
    Boolean,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from sync import protocol as p
from sync.system_clock import clock_synchronised

log = logging.getLogger(__name__)

BOOT_ID_PATH = Path("/proc/sys/kernel/random/boot_id")

LAST_SUCCESS_AT = "last_success_at"
LAST_ERROR = "last_error"
LAST_ERROR_AT = "last_error_at"
REVOKED = "revoked"  # set while the server refuses this kiosk; the queue is kept
ALERT = "alert"  # something the technician must see (a seq rewind: cloned SD card)
CONFIG_JSON = "config_json"
CONFIG_ETAG = "config_etag"


class OutboxBase(DeclarativeBase):
    # Named constraints (uq_outbox_event_id...): SQLite batch migrations need the names.
    metadata = MetaData(naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    })


class OutboxEvent(OutboxBase):
    __tablename__ = "outbox"
    # No secondary index and no AUTOINCREMENT (kiosk migration 0004): each was one
    # more B-tree page written in every enqueue's commit, and enqueue runs in every parcel's
    # transaction. Rows are found by seq, the primary key; see the module doc for seq.

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Not unique here: this kiosk makes the ids with uuid4 and the server's UNIQUE(event_id)
    # is the dedupe.
    event_id: Mapped[str] = mapped_column(String(36))
    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    payload_hash: Mapped[str] = mapped_column(String(64))
    wall_ms: Mapped[int] = mapped_column(BigInteger)
    clock_synced: Mapped[bool] = mapped_column(Boolean)
    boot_id: Mapped[str] = mapped_column(String(64))
    mono_ms: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class SyncCursor(OutboxBase):
    __tablename__ = "sync_cursors"

    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    cursor: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class SyncState(OutboxBase):
    __tablename__ = "sync_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)



@functools.cache
def boot_id() -> str:
    """This boot's id: with mono_ms it lets the server place events of a clockless boot."""
    try:
        return BOOT_ID_PATH.read_text().strip()[:64]
    except OSError:
        return f"process-{uuid.uuid4()}"  # not Linux: at least constant for this process


def read_clock(synced: Callable[[], bool] = clock_synchronised) -> p.Clock:
    """The kiosk's readings for an event; `clock_synced` is the kernel's NTP state
    (sync/system_clock.py), so the server does not trust a wall clock NTP never set."""
    wall_ms = time.time_ns() // 1_000_000
    # Built without validation (once per enqueue): both readings are >= 0, the id <= 64 chars.
    return p.Clock.model_construct(
        wall_ms=max(wall_ms, 0),
        clock_synced=synced(),
        boot_id=boot_id(),
        mono_ms=time.monotonic_ns() // 1_000_000,
    )


def _utc_naive_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class QueuedEvent(NamedTuple):  # a tuple: made in every enqueue, cheaper than a dataclass
    """What enqueue() wrote: the outbox row's values, its seq assigned."""

    seq: int
    event_id: str
    type: str
    payload: str
    payload_hash: str
    wall_ms: int
    clock_synced: bool
    boot_id: str
    mono_ms: int
    state: str
    attempts: int
    created_at: datetime


def enqueue(
    session: Session,
    *,
    type: str,  # noqa: A002 - the wire name
    payload: Mapping[str, Any],
    clock: Callable[[], p.Clock] = read_clock,
) -> QueuedEvent:
    """Add an event in the caller's transaction (written, not committed): the domain row and
    its event commit together or not at all. Raises ValueError for an invalid payload."""
    problem = p.payload_problem(type, payload)
    if problem is not None:
        raise ValueError(problem)
    canonical = p.canonical_json(payload)
    now = clock()
    created_at = _utc_naive_now()
    event_id = str(uuid.uuid4())
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    row = (event_id, type, canonical, digest, now.wall_ms, now.clock_synced, now.boot_id, now.mono_ms,
           "pending", 0, created_at)
    return QueuedEvent(_insert(session, row), *row)  # row is in QueuedEvent's field order


# Every parcel stored or picked up passes here, and SQLAlchemy's statement execution cost
# more than SQLite's insert (bench/sync figure 4), so on SQLite (the kiosk) the row goes
# straight to the driver, on the caller's connection and in its transaction.
_COLUMNS = ("event_id", "type", "payload", "payload_hash", "wall_ms", "clock_synced", "boot_id",
            "mono_ms", "state", "attempts", "created_at")
SEQ_FLOOR = "outbox_seq_floor"  # sync_state key: no new event gets a seq at or below it
_NEXT_SEQ = ("(SELECT max(coalesce((SELECT max(seq) FROM outbox), 0), coalesce((SELECT CAST(value AS INTEGER)"
             f" FROM sync_state WHERE key = '{SEQ_FLOOR}'), 0)) + 1)")
_INSERT_SQL = (f"INSERT INTO outbox (seq, {', '.join(_COLUMNS)}) "
               f"VALUES ({_NEXT_SEQ}, {', '.join('?' * len(_COLUMNS))})")
# Deleting the newest rows must not let their seqs come back: remember the highest deleted.
SEQ_FLOOR_TRIGGER = f"""CREATE TRIGGER IF NOT EXISTS outbox_seq_floor AFTER DELETE ON outbox
WHEN OLD.seq > coalesce((SELECT max(seq) FROM outbox), 0)
BEGIN
    INSERT INTO sync_state (key, value) VALUES ('{SEQ_FLOOR}', OLD.seq)
    ON CONFLICT (key) DO UPDATE SET value = max(CAST(value AS INTEGER), OLD.seq);
END"""
event.listen(OutboxBase.metadata, "after_create",
             DDL(SEQ_FLOOR_TRIGGER).execute_if(dialect="sqlite"))  # type: ignore[no-untyped-call]
_INSERT_EVENT = insert(cast(Table, OutboxEvent.__table__))


# session.info key: the Connection whose transaction the Session is joined to, where a session
# factory runs transactions that way (kiosk.store.db.KioskSessions). enqueue() writes there,
# so a transaction that only enqueues never starts the Session's own transaction.
JOINED_CONNECTION = "joined_connection"


def _insert(session: Session, row: tuple[Any, ...]) -> int:
    """Insert the values of _COLUMNS, in that order; returns the new row's seq."""
    joined: Connection | None = session.info.get(JOINED_CONNECTION)
    # session.connection() begins the caller's transaction if it has not yet
    connection = joined if joined is not None else session.connection()
    if connection.dialect.name != "sqlite":
        inserted = connection.execute(_INSERT_EVENT, dict(zip(_COLUMNS, row, strict=True))).inserted_primary_key
        return int(inserted[0]) if inserted is not None else _missing_seq()
    # The text SQLAlchemy's SQLite DATETIME writes and reads ("2026-11-27 20:14:29.000000").
    created_at = row[-1].isoformat(" ", "microseconds")
    driver = connection.connection.driver_connection
    if driver is None:
        raise RuntimeError("the SQLite connection is closed")
    return int(driver.execute(_INSERT_SQL, (*row[:-1], created_at)).lastrowid)


def _missing_seq() -> int:
    raise RuntimeError("the database returned no seq for the new outbox row")


def to_wire(row: OutboxEvent) -> p.Event:
    return p.Event.model_validate(
        {
            "event_id": row.event_id,
            "seq": row.seq,
            "type": row.type,
            "payload": json.loads(row.payload),
            "payload_hash": row.payload_hash,
            "clock": {"wall_ms": row.wall_ms, "clock_synced": row.clock_synced,
                      "boot_id": row.boot_id, "mono_ms": row.mono_ms},
        }
    )


def pending_batch(
    session: Session, limit: int = p.MAX_BATCH_EVENTS, max_bytes: int = p.MAX_BATCH_BYTES,
    after: int = 0,
) -> list[p.Event]:
    """The oldest pending events, in seq order, at most `limit` of them and `max_bytes` of
    JSON (but always at least one, so an oversized event cannot wedge the queue).

    `after`: a seq at or below which no event is pending (0: none known). The scan walks the
    table in seq order from there, as there is no index on state; a caller that keeps
    `first seq of its last batch - 1` scans only the rows sent since (see push.Pusher)."""
    rows = session.scalars(
        select(OutboxEvent).where(OutboxEvent.seq > after, OutboxEvent.state == "pending")
        .order_by(OutboxEvent.seq).limit(limit)
    )
    batch: list[p.Event] = []
    size = 0
    for row in rows:
        event = to_wire(row)
        size += len(event.model_dump_json()) + 1
        if batch and size > max_bytes:
            break
        batch.append(event)
    return batch


def mark_results(session: Session, response: p.BatchResponse) -> dict[str, int]:
    """Record the server's verdict on each event; returns a count per status.

    A result is applied only to a pending row with the same event_id AND seq. Events
    without a result stay pending and are sent again.
    """
    # Found by seq (the primary key; event_id has no index on the kiosk), matched on both.
    results = {(result.seq, str(result.event_id)): result for result in response.results}
    counts: dict[str, int] = {}
    rows = session.scalars(select(OutboxEvent).where(
        OutboxEvent.seq.in_({seq for seq, _ in results}), OutboxEvent.state == "pending"))
    for row in rows:
        result = results.get((row.seq, row.event_id))
        if result is None:
            log.warning("server's verdicts for seq %s are not about event %s", row.seq, row.event_id)
            continue
        row.state, row.last_error = result.status, result.reason
        row.attempts += 1
        counts[result.status] = counts.get(result.status, 0) + 1
    return counts


def mark_failed(session: Session, events: Sequence[p.Event], error: str) -> None:
    """A send that got no verdict: the events stay pending; remember why."""
    rows = session.scalars(
        select(OutboxEvent).where(OutboxEvent.seq.in_([e.seq for e in events]),
                                  OutboxEvent.state == "pending")
    )
    for row in rows:
        row.attempts += 1
        row.last_error = error[:500]


def delete_state(session: Session, key: str) -> None:
    row = session.get(SyncState, key)
    if row is not None:
        session.delete(row)


def get_state(session: Session, key: str) -> str | None:
    row = session.get(SyncState, key)
    return None if row is None else row.value


def set_state(session: Session, key: str, value: str) -> None:
    session.merge(SyncState(key=key, value=value))


def get_cursor(session: Session, scope: str) -> str:
    row = session.get(SyncCursor, scope)
    return "" if row is None else row.cursor


def set_cursor(session: Session, scope: str, cursor: str) -> None:
    session.merge(SyncCursor(scope=scope, cursor=cursor, updated_at=_utc_naive_now()))


@dataclass(frozen=True)
class QueueStatus:
    depth: int  # pending events
    oldest_pending_seq: int | None
    oldest_pending_created_at: datetime | None  # kiosk wall clock, naive UTC: display only
    rejected: int
    conflicts: int
    last_success_at: str | None  # ISO UTC by the kiosk clock
    last_error: str | None
    last_error_at: str | None
    revoked: str | None = None  # why and since when, while the server refuses this kiosk
    alert: str | None = None


def queue_status(session: Session) -> QueueStatus:
    grouped = session.execute(select(OutboxEvent.state, func.count()).group_by(OutboxEvent.state))
    counts = {state: number for state, number in grouped}
    oldest = session.execute(
        select(OutboxEvent.seq, OutboxEvent.created_at)
        .where(OutboxEvent.state == "pending").order_by(OutboxEvent.seq).limit(1)
    ).first()
    return QueueStatus(
        depth=counts.get("pending", 0),
        oldest_pending_seq=None if oldest is None else oldest[0],
        oldest_pending_created_at=None if oldest is None else oldest[1],
        rejected=counts.get("rejected", 0),
        conflicts=counts.get("conflict", 0),
        last_success_at=get_state(session, LAST_SUCCESS_AT),
        last_error=get_state(session, LAST_ERROR),
        last_error_at=get_state(session, LAST_ERROR_AT),
        revoked=get_state(session, REVOKED),
        alert=get_state(session, ALERT),
    )


def redact_acknowledged(session: Session, *, type: str, field: str) -> int:  # noqa: A002
    """Drop a secret `field` (e.g. a pickup code) from events of `type` the server has given
    a final verdict on: they are never sent again, so the kiosk need not keep it. The hash
    is recomputed so the row stays self-consistent. Returns how many rows changed."""
    rows = session.scalars(select(OutboxEvent).where(
        OutboxEvent.type == type, OutboxEvent.state.in_(p.FINAL_STATUSES),
        OutboxEvent.payload.contains(f'"{field}":')))
    changed = 0
    for row in rows:
        payload = json.loads(row.payload)
        if payload.pop(field, None) is not None:
            row.payload = p.canonical_json(payload)
            row.payload_hash = hashlib.sha256(row.payload.encode("utf-8")).hexdigest()
            changed += 1
    return changed

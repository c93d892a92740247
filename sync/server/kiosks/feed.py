"""The change feed (server -> kiosk): append in the writer's transaction, read by cursor.

Why the feed is ordered by (txid, server_seq) and not by server_seq alone: on PostgreSQL a
sequence value is taken when a row is inserted, not when its transaction commits. A writer
holding seq 10 can commit after another writer's seq 11; a poller that already moved its
cursor past 11 would then never see 10. So each row records the id of the transaction that
wrote it (`pg_current_xact_id()`, 64-bit, never wraps), and a reader only serves rows whose
transaction id is below `pg_snapshot_xmin(pg_current_snapshot())`: every transaction below
that horizon has finished, and every transaction that can still commit has an id at or above
it, hence sorts after anything already served. A long-running transaction anywhere in the
cluster holds the feed back (delays it, never loses rows).

On SQLite every write transaction is BEGIN IMMEDIATE, so writers are serialized, server_seq
follows commit order, and txid is simply 0.
"""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, literal_column, or_, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnClause

from sync import protocol as p
from sync.server.db.kiosks import ChangeLog, FeedHorizon

_CURSOR_VERSION = "1"
_PG_XMIN: ColumnClause[int] = literal_column("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")


@dataclass(frozen=True)
class Cursor:
    txid: int = 0
    seq: int = 0


def encode_cursor(cursor: Cursor) -> str:
    raw = f"{_CURSOR_VERSION}:{cursor.txid}:{cursor.seq}".encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(token: str) -> Cursor:
    """"" means the beginning. Raises ValueError for anything this server did not hand out."""
    if not token:
        return Cursor()
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
        version, txid, seq = raw.split(":")
        cursor = Cursor(int(txid), int(seq))
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValueError("cursor not recognised") from exc
    if version != _CURSOR_VERSION or cursor.txid < 0 or cursor.seq < 0:
        raise ValueError("cursor not recognised")
    return cursor


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def current_txid(session: Session) -> int:
    if not _is_postgres(session):
        return 0
    return int(session.scalar(text("SELECT pg_current_xact_id()::text::bigint")))


def append_change(
    session: Session,
    *,
    scope: str,
    service_point_id: str,
    entity: str,
    entity_id: str,
    version: int,
    op: str,
    data: dict[str, Any] | None,
    now: datetime,
) -> ChangeLog:
    """Record a change in the caller's transaction (so it commits with the change itself)."""
    row = ChangeLog(
        txid=current_txid(session),
        scope=scope,
        service_point_id=service_point_id,
        entity=entity,
        entity_id=entity_id,
        version=version,
        op=op,
        data=None if data is None else p.canonical_json(data),
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def read_page(
    session: Session, *, scope: str, service_point_id: str, cursor: Cursor, limit: int
) -> p.ChangesPage:
    query = (
        select(ChangeLog)
        .where(
            ChangeLog.scope == scope,
            ChangeLog.service_point_id == service_point_id,
            or_(
                ChangeLog.txid > cursor.txid,
                and_(ChangeLog.txid == cursor.txid, ChangeLog.server_seq > cursor.seq),
            ),
        )
        .order_by(ChangeLog.txid, ChangeLog.server_seq)
        .limit(limit + 1)  # one extra row tells whether there is more
    )
    if _is_postgres(session):
        query = query.where(ChangeLog.txid < _PG_XMIN)
    rows = list(session.scalars(query))
    page, has_more = rows[:limit], len(rows) > limit
    last = Cursor(page[-1].txid, page[-1].server_seq) if page else cursor
    return p.ChangesPage(
        changes=[_to_change(row) for row in page],
        next_cursor=encode_cursor(last),
        has_more=has_more,
    )


def _to_change(row: ChangeLog) -> p.Change:
    return p.Change(
        entity=row.entity,
        entity_id=row.entity_id,
        version=row.version,
        op="delete" if row.op == "delete" else "upsert",
        data=None if row.data is None else json.loads(row.data),
    )


class CursorInvalid(ValueError):
    """The kiosk must drop its copy of the scope and fetch it again from the beginning."""


def check_cursor(session: Session, scope: str, cursor: Cursor) -> None:
    """A cursor from before a purged tombstone would never learn of that deletion; one
    beyond the end of the log comes from before a server restore. Either way: must_refetch."""
    if cursor == Cursor():
        return
    horizon = session.get(FeedHorizon, scope)
    if horizon is not None and (cursor.txid, cursor.seq) < (horizon.txid, horizon.seq):
        raise CursorInvalid(f"the {scope} feed was compacted past this cursor")
    newest = session.scalar(select(func.max(ChangeLog.server_seq))) or 0
    if cursor.seq > newest:
        raise CursorInvalid("this cursor is ahead of the server's log (restored server?)")


def compact(session: Session, scope: str, now: datetime) -> int:
    """Delete rows superseded by a newer row of the same entity, and the tombstones (deletes)
    that are an entity's last row; returns how many rows went.

    Dropping superseded rows harms no cursor: a kiosk still reads each entity's latest row.
    Dropping a tombstone does: a kiosk whose cursor is before it would keep the entity for
    ever. So the newest purged tombstone becomes the horizon, and cursors before it get 409
    must_refetch (a fresh snapshot has no deleted entities)."""
    rows = session.execute(
        select(ChangeLog.txid, ChangeLog.server_seq, ChangeLog.service_point_id,
               ChangeLog.entity, ChangeLog.entity_id, ChangeLog.op)
        .where(ChangeLog.scope == scope).order_by(ChangeLog.txid, ChangeLog.server_seq)
    )
    latest: dict[tuple[str, str, str], tuple[int, int, str]] = {}
    doomed: list[int] = []
    for txid, seq, sp, entity, entity_id, op in rows:
        previous = latest.get((sp, entity, entity_id))
        if previous is not None:
            doomed.append(previous[1])
        latest[(sp, entity, entity_id)] = (txid, seq, op)
    tombstones = [(txid, seq) for txid, seq, op in latest.values() if op == "delete"]
    doomed += [seq for _txid, seq in tombstones]
    for start in range(0, len(doomed), 500):
        session.execute(delete(ChangeLog).where(ChangeLog.server_seq.in_(doomed[start:start + 500])))
    if tombstones:
        _raise_horizon(session, scope, max(tombstones), now)
    return len(doomed)


def _raise_horizon(session: Session, scope: str, position: tuple[int, int], now: datetime) -> None:
    horizon = session.get(FeedHorizon, scope)
    if horizon is None:
        session.add(FeedHorizon(scope=scope, txid=position[0], seq=position[1], updated_at=now))
    elif position > (horizon.txid, horizon.seq):
        horizon.txid, horizon.seq, horizon.updated_at = position[0], position[1], now

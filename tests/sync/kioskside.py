"""The kiosk side of the fault tests: a staff table the worker pulls into, queue helpers, and
`drain` (sync rounds until nothing is pending, without sleeping through backoff)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, delete, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from sync.outbox import OutboxEvent, enqueue, queue_status
from sync.worker import SyncWorker

KIOSK_STAFF = Table("kiosk_staff", MetaData(), Column("entity_id", String, primary_key=True),
                    Column("name", String), Column("version", Integer))


def apply_staff(session, changes) -> None:
    """Upsert/delete by entity id + version, as the kiosk's real applier does."""
    for change in changes:
        current = session.execute(select(KIOSK_STAFF.c.version).where(
            KIOSK_STAFF.c.entity_id == change.entity_id)).scalar()
        if current is not None and current >= change.version:
            continue
        if change.op == "delete":
            session.execute(delete(KIOSK_STAFF).where(KIOSK_STAFF.c.entity_id == change.entity_id))
            continue
        row = {"entity_id": change.entity_id, "name": change.data["name"], "version": change.version}
        session.execute(sqlite_insert(KIOSK_STAFF).values(row).on_conflict_do_update(
            index_elements=["entity_id"], set_=row))


def drop_staff(session, scope: str) -> None:
    session.execute(delete(KIOSK_STAFF))


def make_worker(sessions, client, **kwargs: Any) -> SyncWorker:
    kwargs.setdefault("appliers", {"staff": apply_staff})
    kwargs.setdefault("on_refetch", drop_staff)
    return SyncWorker(sessions, client, interval=0.1, rand=lambda: 0.0, **kwargs)


def enqueue_parcels(sessions, ids: list[str], picked: list[str] = (), clock: Callable | None = None) -> None:
    extra = {} if clock is None else {"clock": clock}
    with sessions.begin() as session:
        for parcel_id in ids:
            enqueue(session, type="parcel.stored", **extra,
                    payload={"parcel_id": parcel_id, "tracking_id": f"T-{parcel_id}", "compartment": "A1"})
        for parcel_id in picked:
            enqueue(session, type="parcel.picked_up", payload={"parcel_id": parcel_id}, **extra)


def depth(sessions) -> int:
    with sessions() as session:
        return queue_status(session).depth


def states(sessions) -> dict[str, str]:
    """event_id -> state of every outbox row."""
    with sessions() as session:
        return dict(session.execute(select(OutboxEvent.event_id, OutboxEvent.state)).all())


def seqs(sessions) -> dict[str, int]:
    with sessions() as session:
        return dict(session.execute(select(OutboxEvent.event_id, OutboxEvent.seq)).all())


def staff_rows(sessions) -> set[tuple[str, str, int]]:
    with sessions() as session:
        return set(session.execute(select(KIOSK_STAFF)).all())


def drain(worker: SyncWorker, sessions, rounds: int = 60) -> int:
    """Run rounds until the queue is empty and a round succeeded; returns rounds used."""
    for used in range(1, rounds + 1):
        worker.run_once()
        if depth(sessions) == 0 and worker.status().consecutive_failures == 0:
            return used
    raise AssertionError(f"still {depth(sessions)} pending after {rounds} rounds: "
                         f"{worker.status().last_error}")

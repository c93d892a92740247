"""The sync worker against a live server: pushes the outbox, pulls scopes, survives
failures and a server that comes up late."""
from __future__ import annotations

import socket

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from sync import outbox
from sync.outbox import OutboxEvent, enqueue, queue_status
from sync.server.db.kiosks import EventRow
from sync.server.db.parcels import Parcel
from sync.worker import BACKOFF_CAP_S, SyncWorker, backoff_delay
from tests.sync.helpers import wait_until

KIOSK_STAFF = Table("kiosk_staff", MetaData(), Column("entity_id", String, primary_key=True),
                    Column("name", String), Column("version", Integer))


def apply_staff(session, changes) -> None:
    for change in changes:
        row = {"entity_id": change.entity_id, "name": change.data["name"], "version": change.version}
        session.execute(sqlite_insert(KIOSK_STAFF).values(row).on_conflict_do_update(
            index_elements=["entity_id"], set_=row))


@pytest.fixture
def kiosk_db(kiosk_engine, kiosk_sessions):
    KIOSK_STAFF.metadata.create_all(kiosk_engine)
    return kiosk_sessions


def enqueue_parcels(sessions, ids: list[str], picked: list[str] = ()) -> None:
    with sessions.begin() as session:
        for parcel_id in ids:
            enqueue(session, type="parcel.stored",
                    payload={"parcel_id": parcel_id, "tracking_id": f"T-{parcel_id}", "compartment": "A1"})
        for parcel_id in picked:
            enqueue(session, type="parcel.picked_up", payload={"parcel_id": parcel_id})


def depth(sessions) -> int:
    with sessions() as session:
        return queue_status(session).depth


def staff_names(sessions) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(KIOSK_STAFF.c.name).order_by(KIOSK_STAFF.c.name)))


def test_worker_pushes_the_outbox_and_pulls_staff_end_to_end(central, kiosk, kiosk_db) -> None:
    central.add_staff("Anna", "04:A2:3B:11")
    enqueue_parcels(kiosk_db, ["P1", "P2", "P3"], picked=["P2"])
    worker = SyncWorker(kiosk_db, kiosk.client, appliers={"staff": apply_staff}, interval=0.2,
                        batch_size=2)  # several batches
    worker.start()
    try:
        wait_until(lambda: depth(kiosk_db) == 0 and staff_names(kiosk_db), "the first sync")
        central.add_staff("Bertil", "04:00:00:02")
        worker.trigger()
        wait_until(lambda: staff_names(kiosk_db) == ["Anna", "Bertil"], "the new staff card")
    finally:
        assert worker.stop(5)
    with kiosk_db() as session:
        assert set(session.scalars(select(OutboxEvent.state))) == {"accepted"}
        assert outbox.get_state(session, outbox.LAST_SUCCESS_AT)
        assert outbox.get_cursor(session, "staff")
    assert central.count(EventRow) == 4
    assert {(p.parcel_id, p.state) for p in central.rows(Parcel)} == {
        ("P1", "stored"), ("P2", "picked_up"), ("P3", "stored")}
    assert worker.status().pushed == 4 and not worker.status().running


def test_worker_keeps_trying_until_the_server_comes_up(central, kiosk, kiosk_db) -> None:
    port = int(central.url.rsplit(":", 1)[1])
    central.live.stop()  # enrolled, then the server went away
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))  # refused until a server listens on it
    enqueue_parcels(kiosk_db, [f"P{i}" for i in range(5)])
    worker = SyncWorker(kiosk_db, kiosk.client, appliers={"staff": apply_staff}, interval=0.2,
                        rand=lambda: 0.05)
    worker.start()
    try:
        wait_until(lambda: worker.status().consecutive_failures >= 2, "failed rounds")
        with kiosk_db() as session:
            assert "ServerUnreachable" in outbox.get_state(session, outbox.LAST_ERROR)
            assert session.scalar(select(func.min(OutboxEvent.attempts))) >= 1
        assert depth(kiosk_db) == 5 and worker.status().running
        central.start(sock)
        worker.trigger()
        wait_until(lambda: depth(kiosk_db) == 0, "the queue to drain")
    finally:
        assert worker.stop(5)
    assert central.count(EventRow) == 5 and central.count(Parcel) == 5
    assert worker.status().consecutive_failures == 0


def test_a_page_and_its_cursor_are_saved_together(central, kiosk, kiosk_db) -> None:
    central.add_staff("Anna", "04:A2:3B:11")
    calls = []

    def flaky(session, changes) -> None:
        apply_staff(session, changes)
        calls.append(len(changes))
        if len(calls) == 1:
            raise RuntimeError("disk full while applying")

    worker = SyncWorker(kiosk_db, kiosk.client, appliers={"staff": flaky})
    worker.run_once()
    assert worker.status().consecutive_failures == 1 and "disk full" in worker.status().last_error
    assert staff_names(kiosk_db) == []
    with kiosk_db() as session:
        assert outbox.get_cursor(session, "staff") == ""
    worker.run_once()
    assert staff_names(kiosk_db) == ["Anna"] and worker.status().consecutive_failures == 0


def test_an_invalid_cursor_refetches_the_scope(central, kiosk, kiosk_db) -> None:
    central.add_staff("Anna", "04:A2:3B:11")
    with kiosk_db.begin() as session:
        outbox.set_cursor(session, "staff", "stale-cursor")
    dropped = []

    def drop(session, scope) -> None:
        dropped.append(scope)
        session.execute(KIOSK_STAFF.delete())

    worker = SyncWorker(kiosk_db, kiosk.client, appliers={"staff": apply_staff}, on_refetch=drop)
    worker.run_once()
    assert dropped == ["staff"] and staff_names(kiosk_db) == ["Anna"]
    assert worker.status().consecutive_failures == 0


def test_a_revoked_kiosk_keeps_its_queue(central, kiosk, kiosk_db) -> None:
    central.revoke(kiosk.device_id)
    enqueue_parcels(kiosk_db, ["P1", "P2"])
    worker = SyncWorker(kiosk_db, kiosk.client, appliers={})
    worker.run_once()
    assert worker.status().revoked and "revoked" in worker.status().last_error
    assert depth(kiosk_db) == 2 and central.count(EventRow) == 0


class ExplodingClient:
    def push(self, events, **_kwargs):
        raise ZeroDivisionError("a bug")

    def pull(self, scope, cursor):
        raise ZeroDivisionError("a bug")


def test_the_thread_survives_anything_and_stops_promptly(kiosk_db) -> None:
    enqueue_parcels(kiosk_db, ["P1"])
    worker = SyncWorker(kiosk_db, ExplodingClient(), appliers={}, interval=60, rand=lambda: 0.5)
    worker.start()
    try:
        wait_until(lambda: worker.status().consecutive_failures >= 2, "two failed rounds")
        assert worker._thread.is_alive()
    finally:
        assert worker.stop(5)  # wakes from its backoff wait at once
    with kiosk_db() as session:
        assert "ZeroDivisionError" in outbox.get_state(session, outbox.LAST_ERROR)
    assert depth(kiosk_db) == 1


def test_backoff_is_full_jitter_and_capped() -> None:
    assert [backoff_delay(n, lambda: 1.0) for n in range(10)] == [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert backoff_delay(5, lambda: 0.0) == 0
    assert all(0 <= backoff_delay(n) <= BACKOFF_CAP_S for n in range(100))


def test_unknown_scopes_are_refused_up_front(kiosk_db) -> None:
    with pytest.raises(ValueError, match="weather"):
        SyncWorker(kiosk_db, ExplodingClient(), appliers={"weather": apply_staff})

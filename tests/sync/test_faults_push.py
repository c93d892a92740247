"""Faults 1-8 of reference/sync-protocol.md, each a named test on the real worker, a real
server (SQLite and PostgreSQL) and the fault proxy between them."""
from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from datetime import datetime

import pytest
from sqlalchemy import select, update

from sync import protocol as p
from sync.client import SyncClient
from sync.outbox import OutboxEvent, queue_status, to_wire
from sync.server.db.kiosks import EventConflict, EventRow
from sync.server.db.parcels import Parcel
from tests.sync.faultproxy import Fault, always, every_kth, first_n, only
from tests.sync.helpers import bound_socket, wait_until
from tests.sync.kioskside import depth, drain, enqueue_parcels, make_worker, states

BATCH = "events:batch"


def parcels(central) -> set[tuple[str, str]]:
    return {(row.parcel_id, row.state) for row in central.rows(Parcel)}


def test_fault01_response_lost_after_commit_retry_has_exactly_one_effect(central, proxy, proxied, kiosk_db):
    enqueue_parcels(kiosk_db, ["P1", "P2"], picked=["P1"])
    proxy.plan = only("POST", BATCH, Fault.DROP_RESPONSE, times=1)
    worker = make_worker(kiosk_db, proxied)
    worker.run_once()
    assert worker.status().consecutive_failures == 1
    assert central.count(EventRow) == 3 and depth(kiosk_db) == 3  # committed, not heard
    drain(worker, kiosk_db)
    assert set(states(kiosk_db).values()) == {"duplicate"}
    assert central.count(EventRow) == 3
    assert parcels(central) == {("P1", "picked_up"), ("P2", "stored")}


@pytest.mark.parametrize("fault", [Fault.STALL_RESPONSE, Fault.TRUNCATE_REQUEST])
def test_fault02_timeout_mid_batch_then_resume_smaller(central, proxy, proxied, kiosk_db, fault):
    ids = [f"P{i}" for i in range(60)]
    enqueue_parcels(kiosk_db, ids)
    proxy.plan = only("POST", BATCH, fault, times=1)
    worker = make_worker(kiosk_db, proxied)
    worker.run_once()
    assert worker.status().consecutive_failures == 1 and worker.pusher.size == 30  # halved
    committed = central.count(EventRow)
    assert committed == (60 if fault is Fault.STALL_RESPONSE else 0)
    drain(worker, kiosk_db)
    assert central.count(EventRow) == 60 and len(parcels(central)) == 60
    assert set(states(kiosk_db).values()) <= {"accepted", "duplicate"}
    assert worker.pusher.size == 120  # doubled after each of the two successes


def test_fault03_first_requests_fail_then_every_kth_converges_without_leaks(central, proxy, proxied, kiosk_db):
    enqueue_parcels(kiosk_db, [f"P{i}" for i in range(120)], picked=[f"P{i}" for i in range(0, 120, 3)])
    proxy.plan = first_n(3, Fault.REFUSE, then=every_kth(3, Fault.TRUNCATE_RESPONSE))
    proxied._timeout = (5, 10)  # a loaded CI machine must not add timeouts of its own
    worker = make_worker(kiosk_db, proxied, batch_size=20)
    drain(worker, kiosk_db, rounds=300)
    assert Fault.REFUSE in proxy.faults_seen() and Fault.TRUNCATE_RESPONSE in proxy.faults_seen()
    assert central.count(EventRow) == 160 and central.count(EventConflict) == 0
    assert sum(state == "picked_up" for _id, state in parcels(central)) == 40
    proxied.close()
    wait_until(lambda: proxy.open_connections == 0, "every proxied connection to close", timeout=60)


def test_fault04_start_offline_and_come_online_later(central, proxy, proxied, kiosk_db):
    proxy.down = True
    enqueue_parcels(kiosk_db, ["P1", "P2"])
    worker = make_worker(kiosk_db, proxied)
    for _ in range(3):
        worker.run_once()
    assert worker.status().consecutive_failures == 3 and depth(kiosk_db) == 2
    with kiosk_db() as session:
        assert "ServerUnreachable" in queue_status(session).last_error
    proxy.down = False
    enqueue_parcels(kiosk_db, ["P3"])
    drain(worker, kiosk_db)
    assert central.count(EventRow) == 3 and set(states(kiosk_db).values()) == {"accepted"}


def test_fault05_same_batch_twice_and_concurrently(central, kiosk, kiosk_db):
    enqueue_parcels(kiosk_db, [f"P{i}" for i in range(50)], picked=["P1", "P2"])
    clients = [SyncClient(central.url, kiosk.device_id, kiosk.key_path) for _ in range(4)]
    workers = [make_worker(kiosk_db, client) for client in clients]
    threads = [threading.Thread(target=worker.run_once) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    drain(workers[0], kiosk_db)
    assert set(states(kiosk_db).values()) <= {"accepted", "duplicate"}
    again = workers[1]._client.push(_all_events(kiosk_db))  # the same batch once more
    assert {r.status for r in again.results} == {"duplicate"}
    assert central.count(EventRow) == 52 and len(parcels(central)) == 50
    assert sum(state == "picked_up" for _id, state in parcels(central)) == 2
    for client in clients:
        client.close()


def _all_events(sessions):
    with sessions() as session:
        return [to_wire(row) for row in session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq))]


def test_fault06_same_event_id_other_payload_is_a_surfaced_conflict(central, kiosk, kiosk_db):
    enqueue_parcels(kiosk_db, ["P1"])
    worker = make_worker(kiosk_db, kiosk.client)
    drain(worker, kiosk_db)
    with kiosk_db.begin() as session:  # e.g. a restored backup edited by hand, or a bug
        session.execute(update(OutboxEvent).values(
            state="pending", payload='{"compartment":"B9","parcel_id":"P1","tracking_id":"T-X"}'))
    worker.run_once()
    assert set(states(kiosk_db).values()) == {"conflict"}
    with kiosk_db() as session:
        assert queue_status(session).conflicts == 1 and queue_status(session).depth == 0
    [stored] = central.rows(Parcel)
    assert stored.compartment == "A1" and central.count(EventConflict) == 1  # never overwritten


def test_fault07_an_invalid_event_does_not_block_later_ones(central, kiosk, kiosk_db):
    enqueue_parcels(kiosk_db, ["P1"])
    with kiosk_db.begin() as session:  # written by a newer kiosk version, say
        row = OutboxEvent(event_id=str(uuid.uuid4()), type="parcel.teleported", payload='{"parcel_id":"P1"}',
                          payload_hash=p.payload_hash({"parcel_id": "P1"}),
                          wall_ms=0, clock_synced=False, boot_id="b", mono_ms=0,
                          state="pending", attempts=0, created_at=datetime(2026, 1, 1))
        session.add(row)
    enqueue_parcels(kiosk_db, ["P2"], picked=["P1"])
    drain(make_worker(kiosk_db, kiosk.client), kiosk_db)
    with kiosk_db() as session:
        rejected = session.get(OutboxEvent, 2)
        assert rejected.state == "rejected" and "unknown event type" in rejected.last_error
    assert sorted(states(kiosk_db).values()) == ["accepted"] * 3 + ["rejected"]
    assert parcels(central) == {("P1", "picked_up"), ("P2", "stored")}


def test_fault08_server_killed_mid_batch_leaves_no_partial_effects(central, proxy, proxied, kiosk_db):
    central.live.stop()  # replaced by a real server process that dies mid-transaction
    sock = bound_socket()
    port = sock.getsockname()[1]
    sock.close()
    stuck = subprocess.Popen([sys.executable, "-m", "tests.sync.stuck_server", central.database_url, str(port)],
                             stdout=subprocess.PIPE, text=True)
    try:
        proxy.upstream_port = port
        wait_until(lambda: _listening(port), "the stuck server to listen")
        enqueue_parcels(kiosk_db, [f"P{i}" for i in range(20)])
        worker = make_worker(kiosk_db, proxied)
        killed = threading.Event()

        def push_until_killed() -> None:  # a round lost to a slow start is simply retried
            while not killed.is_set() and stuck.poll() is None:
                worker.run_once()
        pusher = threading.Thread(target=push_until_killed)
        pusher.start()
        assert stuck.stdout.readline().strip() == "STUCK"
        stuck.kill()  # SIGKILL with the transaction open
        killed.set()
        pusher.join(30)
    finally:
        stuck.kill()
        stuck.wait(10)
    assert central.count(EventRow) == 0 and central.count(Parcel) == 0  # nothing half-done
    central.start()
    proxy.upstream_port = central.live.sock.getsockname()[1]
    drain(worker, kiosk_db)
    assert central.count(EventRow) == 20 and len(parcels(central)) == 20


def _listening(port: int) -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def test_the_proxy_passes_everything_through_when_told_nothing(central, proxy, proxied, kiosk_db):
    proxy.plan = always()
    enqueue_parcels(kiosk_db, ["P1"])
    drain(make_worker(kiosk_db, proxied), kiosk_db)
    assert {r.fault for r in proxy.records} == {Fault.PASS} and central.count(EventRow) == 1

"""A busy kiosk's commits do not hurry a sync worker that is waiting out a failure: neither
the server's Retry-After nor the backoff is cut short by trigger(), so an outage does not
turn every commit into a refused retry that halves the next batch."""
from __future__ import annotations

import threading

from sync import protocol as p
from sync.worker import SyncWorker
from tests.sync.faultproxy import Fault, FaultProxy, only
from tests.sync.helpers import wait_until
from tests.sync.kioskside import apply_staff, enqueue_parcels

COMMITS = 15  # a busy afternoon's drop-offs and pickups, each followed by a trigger


def batches_sent(proxy: FaultProxy) -> int:
    return sum(1 for record in proxy.records if "events:batch" in record.request.path)


def commit_and_trigger(sessions, worker: SyncWorker, count: int) -> None:
    """Commits as the kiosk makes them: each one a transaction, then trigger()."""
    pause = threading.Event()
    for number in range(count):
        enqueue_parcels(sessions, [f"busy-{number}"])
        worker.trigger()
        pause.wait(0.02)  # the worker thread gets its chance to (wrongly) start a round


def test_triggers_do_not_override_the_servers_retry_after(central, proxy, proxied, kiosk_db) -> None:
    proxy.retry_after_s = 120
    proxy.plan = only("POST", "events:batch", Fault.STATUS_503)
    enqueue_parcels(kiosk_db, [f"P{number}" for number in range(p.MAX_BATCH_EVENTS)])
    worker = SyncWorker(kiosk_db, proxied, appliers={"staff": apply_staff}, interval=0.05,
                        rand=lambda: 0.0)  # no backoff of its own: only Retry-After holds it
    worker.start()
    try:
        wait_until(lambda: worker.status().consecutive_failures == 1, "the refused first batch")
        size_after_refusal = worker.pusher.size
        commit_and_trigger(kiosk_db, worker, COMMITS)
        assert batches_sent(proxy) == 1
        assert worker.status().consecutive_failures == 1
        assert worker.pusher.size == size_after_refusal  # halved once, not once per commit
    finally:
        assert worker.stop(5)  # stop() still ends the wait at once


def test_triggers_do_not_override_the_backoff(central, proxy, proxied, kiosk_db) -> None:
    proxy.down = True  # the link is down: no Retry-After, only the backoff
    enqueue_parcels(kiosk_db, ["P1"])
    worker = SyncWorker(kiosk_db, proxied, appliers={"staff": apply_staff}, interval=0.05,
                        rand=lambda: 1.0)
    for _ in range(4):  # four failed rounds already: the next wait is 2 * 2**4 = 32 s
        worker.run_once()
    worker.start()
    try:
        wait_until(lambda: worker.status().consecutive_failures == 5, "the fifth failed round")
        commit_and_trigger(kiosk_db, worker, COMMITS)
        assert worker.status().consecutive_failures == 5
    finally:
        assert worker.stop(5)


def test_after_a_success_a_trigger_still_starts_the_next_round_at_once(central, proxy, proxied,
                                                                        kiosk_db) -> None:
    worker = SyncWorker(kiosk_db, proxied, appliers={}, interval=120, fetch_config=False)
    worker.start()
    try:
        wait_until(lambda: worker.status().rounds == 1, "the first round")
        enqueue_parcels(kiosk_db, ["P1"])
        worker.trigger()
        wait_until(lambda: worker.status().pushed == 1, "the triggered round")
    finally:
        assert worker.stop(5)

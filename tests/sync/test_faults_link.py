"""Faults 10, 11, 12 and 13 of reference/sync-protocol.md: clock chaos, a cloned SD card,
a month offline, and a degraded link."""
from __future__ import annotations

import sqlite3
import tracemalloc
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from sync import protocol as p
from sync.outbox import OutboxEvent, queue_status
from sync.server.db.engine import make_engine, make_session_factory
from sync.server.db.kiosks import DeviceAlert, EventConflict, EventRow
from sync.server.db.parcels import Parcel
from tests.sync.faultproxy import Fault, Link, seeded
from tests.sync.kioskside import (
    KIOSK_STAFF,
    depth,
    drain,
    enqueue_parcels,
    make_worker,
    seqs,
    staff_rows,
    states,
)

# Link faults do not depend on the server's database; the SQLite run is enough for them.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


class KioskClock:
    """The kiosk's clocks as a test moves them: wall (may be 1970, may jump), monotonic."""

    def __init__(self, boot_id: str = "boot-A") -> None:
        self.wall_ms, self.synced, self.mono_ms, self.boot_id = 0, False, 5_000, boot_id

    def __call__(self) -> p.Clock:
        return p.Clock(wall_ms=self.wall_ms, clock_synced=self.synced, boot_id=self.boot_id,
                       mono_ms=self.mono_ms)

    def tick(self, seconds: float) -> None:
        self.wall_ms += int(seconds * 1000)
        self.mono_ms += int(seconds * 1000)


def test_fault10_clock_chaos_boot_in_1970_jumps_and_ntp_sync(central, kiosk, kiosk_db):
    clock = KioskClock()
    enqueue_parcels(kiosk_db, ["P1"], clock=clock)             # booted in 1970
    clock.tick(60)
    enqueue_parcels(kiosk_db, ["P2"], clock=clock)
    clock.wall_ms += 3 * 86_400_000                            # jumps three days (still 1970)
    enqueue_parcels(kiosk_db, ["P3"], clock=clock)
    clock.tick(30)
    clock.wall_ms, clock.synced = int(central.clock.now.timestamp() * 1000), True  # NTP answers
    enqueue_parcels(kiosk_db, ["P4"], picked=["P1"], clock=clock)  # same wall time twice
    clock.wall_ms += 10 * 86_400_000                           # a bad time source: 10 days ahead
    enqueue_parcels(kiosk_db, ["P5"], clock=clock)
    old_boot = KioskClock("boot-OLD")                          # queued before a reboot
    old_boot.wall_ms, old_boot.synced = int(central.clock.now.timestamp() * 1000) + 86_400_000, True
    enqueue_parcels(kiosk_db, ["P6"], clock=old_boot)
    clock.tick(10)
    drain(make_worker(kiosk_db, kiosk.client, clock=clock), kiosk_db)

    rows = sorted(central.rows(EventRow), key=lambda row: row.seq)
    assert [row.status for row in rows] == ["accepted"] * 7  # nothing deduped by wall time
    assert [row.payload for row in rows] == [_payload(r) for r in _outbox(kiosk_db)]  # seq order
    assert all(row.occurred_at <= row.received_at for row in rows)  # nothing from the future
    same_boot = [row for row in rows if row.boot_id == "boot-A"]
    assert {row.occurred_from for row in same_boot} == {"mono"}
    assert [row.occurred_at for row in same_boot] == sorted(row.occurred_at for row in same_boot)
    gap = same_boot[1].occurred_at - same_boot[0].occurred_at
    assert gap == timedelta(seconds=60)  # measured by the monotonic clock, not by the jumps
    [other] = [row for row in rows if row.boot_id == "boot-OLD"]
    assert other.occurred_from == "wall" and other.occurred_at == other.received_at  # clamped


def _outbox(sessions) -> list[OutboxEvent]:
    with sessions() as session:
        return list(session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq)))


def _payload(row: OutboxEvent) -> str:
    return row.payload


def _clone(engine_url_path, target) -> None:
    """Copy a live SQLite file as an SD card imager would (consistent, via the backup API)."""
    source = sqlite3.connect(engine_url_path)
    copy = sqlite3.connect(target)
    with copy:
        source.backup(copy)
    source.close()
    copy.close()


def test_fault11_cloned_sd_card_seq_rewind_detected_renumbered_and_alerted(
        central, kiosk, kiosk_db, kiosk_engine, tmp_path):
    original = make_worker(kiosk_db, kiosk.client)
    enqueue_parcels(kiosk_db, ["P1", "P2", "P3"])
    drain(original, kiosk_db)
    enqueue_parcels(kiosk_db, ["P4", "P5"])                    # pending when the card is copied
    _clone(kiosk_engine.url.database, tmp_path / "clone.db")
    enqueue_parcels(kiosk_db, ["P6"])
    drain(original, kiosk_db)                                  # server: seq 1..6
    clone_engine = make_engine(f"sqlite:///{tmp_path / 'clone.db'}")
    clone_db = make_session_factory(clone_engine)
    try:
        enqueue_parcels(clone_db, ["C1", "C2"], picked=["C1"])  # clone's seq 6, 7, 8: taken
        drain(make_worker(clone_db, kiosk.client), clone_db)
        assert Counter(states(clone_db).values()) == {"accepted": 6, "duplicate": 2}  # P4, P5
        assert sorted(seqs(clone_db).values()) == [1, 2, 3, 9, 10, 11, 12, 13]  # above both 6 and 8, in order
        with clone_db() as session:
            assert "seq rewind" in queue_status(session).alert
        enqueue_parcels(clone_db, ["C3"])
        assert max(seqs(clone_db).values()) == 14  # the counter continues above the new seqs
        # The original goes on at seq 7..11; the clone's C1 holds 11 now (P4, P5 kept 4, 5).
        enqueue_parcels(kiosk_db, ["P7", "P8", "P9", "P10", "P11"])
        drain(original, kiosk_db)
        drain(make_worker(clone_db, kiosk.client), clone_db)
    finally:
        clone_engine.dispose()
    # Two live copies of one kiosk keep colliding (the clone's C3 hit the original's new
    # seqs): every collision is resolved, and each one is an alert for the coordinator.
    assert central.count(EventConflict) == 0
    assert [a.kind for a in central.rows(DeviceAlert)] == ["seq_rewind"] * 3
    names = {row.parcel_id for row in central.rows(Parcel)}
    assert names == {"P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9", "P10", "P11",
                     "C1", "C2", "C3"}
    assert central.count(EventRow) == 15  # every event once; P4, P5 not twice


@SQLITE_ONLY
def test_fault12_thirty_days_offline_backlog_bounded_memory_adaptive_batches(central, proxy, proxied, kiosk_db):
    days, per_day = 30, 100
    enqueue_parcels(kiosk_db, [f"P{i}" for i in range(days * per_day)])
    # A middlebox on the way refuses bodies over 8 KB (a full batch is ~23 KB): the worker
    # must find a size that fits.
    proxy.plan = lambda request: Fault.STATUS_413 if request.body_bytes > 8_000 else Fault.PASS
    worker = make_worker(kiosk_db, proxied)
    tracemalloc.start()
    try:
        drain(worker, kiosk_db, rounds=40)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert central.count(EventRow) == days * per_day and depth(kiosk_db) == 0
    sizes = [r.request.body_bytes for r in proxy.records if "events:batch" in r.request.path]
    assert any(r.status == 413 for r in proxy.records) and max(sizes) > 8_000
    accepted = [r for r in proxy.records if r.status == 200 and "events:batch" in r.request.path]
    assert all(r.request.body_bytes <= 8_000 for r in accepted)
    assert peak < 60 * 2**20  # the server and the kiosk together: one batch in memory, not 3,000


@SQLITE_ONLY
def test_fault13_slow_high_latency_link(central, proxy, proxied, kiosk_db):
    proxy.link = Link(latency_s=1.0, bandwidth_bps=64_000)  # 2 s round trips, 64 kbit/s
    proxied._timeout = (10, 20)
    enqueue_parcels(kiosk_db, [f"P{i}" for i in range(40)])
    drain(make_worker(kiosk_db, proxied, fetch_config=False, appliers={}), kiosk_db)
    assert central.count(EventRow) == 40


@SQLITE_ONLY
def test_fault13_lossy_link_truncated_corrupted_dropped_converges(central, proxy, proxied, kiosk_db):
    for i in range(30):
        central.add_staff(f"Staff {i}", f"04:00:00:{i:02X}")
    enqueue_parcels(kiosk_db, [f"P{i}" for i in range(150)], picked=[f"P{i}" for i in range(0, 150, 5)])
    proxy.plan = seeded(13, {Fault.PASS: 5, Fault.REFUSE: 1, Fault.DROP_RESPONSE: 1, Fault.TRUNCATE_REQUEST: 1,
                             Fault.TRUNCATE_RESPONSE: 1, Fault.CORRUPT_RESPONSE: 1})
    worker = make_worker(kiosk_db, proxied, batch_size=25)
    drain(worker, kiosk_db, rounds=200)
    for _ in range(20):  # the pull may still be behind after the push drained
        worker.run_once()
        if worker.status().consecutive_failures == 0 and len(staff_rows(kiosk_db)) == 30:
            break
    assert {Fault.CORRUPT_RESPONSE, Fault.TRUNCATE_RESPONSE, Fault.DROP_RESPONSE} <= set(proxy.faults_seen())
    assert central.count(EventRow) == 180 and central.count(EventConflict) == 0
    assert sum(row.state == "picked_up" for row in central.rows(Parcel)) == 30
    assert {name for _id, name, _v in staff_rows(kiosk_db)} == {f"Staff {i}" for i in range(30)}
    assert KIOSK_STAFF.name == "kiosk_staff"

"""Fault 17: a Hypothesis state machine mixing the fault list as rules, seeded and replayable.

Rules: enqueue parcels and pickups (with kiosk clock jumps), sync rounds through the fault
proxy with one fault each (refused, dropped or stalled after commit, truncated, corrupted,
413/503, offline), token expiry, server restart, staff added/removed, feed compaction.
Invariant after quiescence: the server's event set equals the kiosk's, no effect applied
twice, and the kiosk's pulled staff equals the server's.

Deterministic (derandomize): the same code runs the same examples; a failure prints a
@reproduce_failure blob. SYNC_MODEL_EXAMPLES raises the example count for a longer hunt.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from sync import protocol as p
from sync.client import SyncClient, enroll, generate_device_key
from sync.outbox import OutboxBase
from sync.server import feed
from sync.server.db import make_engine, make_session_factory, upgrade
from sync.server.models import EventRow, Parcel, StaffCard
from tests.sync.faultproxy import Fault, FaultProxy
from tests.sync.helpers import SP, Central
from tests.sync.kioskside import KIOSK_STAFF, drain, enqueue_parcels, make_worker, staff_rows, states

FAULTS = [Fault.PASS, Fault.REFUSE, Fault.DROP_RESPONSE, Fault.STALL_RESPONSE, Fault.TRUNCATE_REQUEST,
          Fault.TRUNCATE_RESPONSE, Fault.CORRUPT_RESPONSE, Fault.STATUS_413, Fault.STATUS_503]


class KioskWallClock:
    def __init__(self) -> None:
        self.wall_ms, self.mono_ms = 0, 1000

    def __call__(self) -> p.Clock:
        self.mono_ms += 1
        return p.Clock(wall_ms=max(self.wall_ms, 0), clock_synced=self.wall_ms > 0, boot_id="b",
                       mono_ms=self.mono_ms)


class SyncModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="sync-model-"))
        url = f"sqlite:///{self.tmp / 'central.db'}"
        upgrade(url)
        self.central = Central(url)
        self.central.add_service_point()
        self.central.start()
        self.proxy = FaultProxy(self._server_port()).start()
        key = self.tmp / "key"
        generate_device_key(key)
        device = enroll(self.central.url, self.central.add_kiosk(), key, install_id="m").device_id
        self.client = SyncClient(self.proxy.url, device, key, timeout=(1, 1))
        self.engine = make_engine(f"sqlite:///{self.tmp / 'kiosk.db'}")
        OutboxBase.metadata.create_all(self.engine)
        KIOSK_STAFF.metadata.create_all(self.engine)
        self.sessions = make_session_factory(self.engine)
        self.clock = KioskWallClock()
        self.worker = make_worker(self.sessions, self.client, batch_size=7)
        self.stored: list[str] = []
        self.picked: set[str] = set()
        self.staff: list[int] = []
        self.staff_made = 0

    def _server_port(self) -> int:
        return self.central.live.sock.getsockname()[1]

    @rule(count=st.integers(1, 9), fault=st.sampled_from(FAULTS), nth=st.integers(1, 4))
    def store_parcels(self, count: int, fault: Fault, nth: int) -> None:
        ids = [f"P{len(self.stored) + i}" for i in range(count)]
        enqueue_parcels(self.sessions, ids, clock=self.clock)
        self.stored += ids
        self.sync_round_with_fault(fault, nth)

    @precondition(lambda self: len(self.picked) < len(self.stored))
    @rule(data=st.data(), fault=st.sampled_from(FAULTS), nth=st.integers(1, 4))
    def pick_up(self, data, fault: Fault, nth: int) -> None:
        parcel = data.draw(st.sampled_from([p for p in self.stored if p not in self.picked]))
        enqueue_parcels(self.sessions, [], picked=[parcel], clock=self.clock)
        self.picked.add(parcel)
        self.sync_round_with_fault(fault, nth)

    @rule(days=st.sampled_from([-3, 0, 2, 40, 20_000]))
    def kiosk_clock_jumps(self, days: int) -> None:
        self.clock.wall_ms = 0 if days == 0 else self.clock.wall_ms + days * 86_400_000  # 0: 1970

    @rule(fault=st.sampled_from(FAULTS), nth=st.integers(1, 3))
    def sync_round_with_fault(self, fault: Fault, nth: int) -> None:
        """One sync round whose nth request meets `fault`. The other rules end with such a
        round too, so faults hit the kiosk and server in every kind of state."""
        seen = [0]

        def plan(_request):
            seen[0] += 1
            return fault if seen[0] == nth else Fault.PASS
        self.proxy.plan = plan
        self.worker.run_once()
        self.proxy.plan = lambda _request: Fault.PASS

    @rule()
    def offline_round(self) -> None:
        self.proxy.down = True
        self.worker.run_once()
        self.proxy.down = False

    @rule(fault=st.sampled_from(FAULTS), nth=st.integers(1, 4))
    def tokens_expire(self, fault: Fault, nth: int) -> None:
        self.central.clock.advance(hours=5)
        self.sync_round_with_fault(fault, nth)

    @rule(fault=st.sampled_from(FAULTS), nth=st.integers(1, 4))
    def server_restarts(self, fault: Fault, nth: int) -> None:
        self.central.live.stop()
        self.central.start()
        self.proxy.upstream_port = self._server_port()
        self.sync_round_with_fault(fault, nth)

    @rule(fault=st.sampled_from(FAULTS), nth=st.integers(1, 4))
    def staff_added(self, fault: Fault, nth: int) -> None:
        self.staff_made += 1
        number = self.staff_made
        self.staff.append(self.central.add_staff(f"Staff {number}", f"{number:08X}"))
        self.sync_round_with_fault(fault, nth)

    @precondition(lambda self: bool(self.staff))
    @rule(data=st.data(), fault=st.sampled_from(FAULTS), nth=st.integers(1, 4), compact=st.booleans())
    def staff_removed(self, data, fault: Fault, nth: int, compact: bool) -> None:
        card = data.draw(st.sampled_from(self.staff))
        self.staff.remove(card)
        self.central.remove_staff(card)
        if compact:  # the tombstone is purged at once: kiosks behind it must re-snapshot
            self.feed_compacted(Fault.PASS, 1)
        self.sync_round_with_fault(fault, nth)

    @rule(fault=st.sampled_from(FAULTS), nth=st.integers(1, 4))
    def feed_compacted(self, fault: Fault, nth: int) -> None:
        with self.central.sessions.begin() as session:
            feed.compact(session, "staff", self.central.clock())
        self.sync_round_with_fault(fault, nth)

    def check_after_quiescence(self) -> None:
        self.proxy.plan, self.proxy.down = (lambda _request: Fault.PASS), False
        drain(self.worker, self.sessions)
        self.worker.run_once()  # a full round after the push drained: the pull catches up
        kiosk_events = states(self.sessions)
        assert set(kiosk_events.values()) <= {"accepted", "duplicate"}
        assert {row.event_id for row in self.central.rows(EventRow)} == set(kiosk_events)
        parcels = {row.parcel_id: row.state for row in self.central.rows(Parcel)}
        assert sorted(parcels) == sorted(self.stored)  # each stored once
        assert {pid for pid, state in parcels.items() if state == "picked_up"} == self.picked
        server_staff = {(str(row.id), row.name) for row in self.central.rows(StaffCard, StaffCard.deleted.is_(False))}
        assert {(entity_id, name) for entity_id, name, _v in staff_rows(self.sessions)} == server_staff

    def teardown(self) -> None:
        try:
            self.check_after_quiescence()
        finally:
            self.client.close()
            self.proxy.close()
            self.central.close()
            self.engine.dispose()
            shutil.rmtree(self.tmp, ignore_errors=True)


def test_fault17_state_machine_of_all_faults_keeps_the_invariant() -> None:
    run_state_machine_as_test(SyncModel, settings=settings(
        max_examples=int(os.environ.get("SYNC_MODEL_EXAMPLES", "8")),
        stateful_step_count=12,
        derandomize=True,  # seeded: every run replays the same examples
        database=None,
        deadline=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    ))
    assert SP  # the model's kiosk lives at the default service point

"""Fault 17: a Hypothesis state machine with the fault list as rules, checked after every step.

Rules change the world (parcels stored and picked up, kiosk clock jumps, staff added and
removed, feed compaction, config changes, token expiry, server restarts) or run a sync round
through the fault proxy whose n-th (or every n-th) request meets one fault: refused, dropped
or stalled after the server committed, truncated or corrupted either way, delayed until
after later requests (reorder + duplicate), or answered 413/429/503 with Retry-After. A round
may also cut the kiosk's power at a commit (the verdicts of a batch the server committed, a
pull page, a cursor, the sync state, or the n-th), after which the kiosk restarts from its
SQLite file; the power also fails while parcels are being stored. Other rules take the kiosk
offline, deliver delayed requests, and push a copy of a batch from a second connection,
alone or concurrently with the kiosk's own round.

Checked after every step (`invariant`):
- every event the kiosk holds a verdict for is on the server with that verdict, and the
  server holds no event the kiosk did not write;
- no effect twice: each parcel is stored by one accepted event and picked up by at most one,
  and the server's parcels are exactly what its accepted events say;
- pulled staff never invents or outruns the server's data;
- after a round that succeeded: nothing pending, pulled staff and config equal the server's;
- a round that met 413/429/503 failed and waits at least the Retry-After.
After quiescence (teardown): the server's event set equals the kiosk's, every parcel the
kiosk stored is on the server once, every pickup too, and the pulled data equals the server's.

Seeded and replayable: the run uses SYNC_MODEL_SEED (default 17), so the same code and seed
run the same examples. A failure prints the shrunk steps, a @reproduce_failure blob and the
seed; replay it with
    SYNC_MODEL_SEED=<seed> .venv/bin/pytest -q tests/sync/test_model.py -k invariant
SYNC_MODEL_EXAMPLES (default 20) and SYNC_MODEL_STEPS (default 30) make a longer hunt, e.g.
    SYNC_MODEL_SEED=$RANDOM SYNC_MODEL_EXAMPLES=500 .venv/bin/pytest -q tests/sync/test_model.py
The last tests plant bugs and require the machine to find them: it is not a check that
cannot fail.
"""
from __future__ import annotations

import contextlib
import json
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from sync import outbox
from sync import protocol as p
from sync.client import SyncClient
from sync.errors import MustRefetch, ServerError, SyncError
from sync.outbox import OutboxEvent, to_wire
from sync.push import Pusher
from sync.server.db.kiosks import EventConflict, EventRow, ServicePointConfig, StaffCard
from sync.server.db.parcels import Parcel
from sync.server.kiosks import admin, feed
from sync.worker import SyncWorker
from tests.sync.faultproxy import Fault, Request
from tests.sync.kioskside import KIOSK_STAFF, apply_staff, drain, drop_staff, enqueue_parcels
from tests.sync.model_world import BATCH_SIZE, Kiosk, KioskCrash, WorkerFactory, World, default_worker

SEED = int(os.environ.get("SYNC_MODEL_SEED", "17"))
EXAMPLES = int(os.environ.get("SYNC_MODEL_EXAMPLES", "20"))
STEPS = int(os.environ.get("SYNC_MODEL_STEPS", "30"))

# STALL_RESPONSE costs a client timeout of wall time: listed once among many. PASS is listed
# often: a fault on a later request than the round makes is no fault either, and the strongest
# checks follow a round that succeeded.
ROUND_FAULTS = [
    Fault.PASS, Fault.PASS, Fault.PASS, Fault.PASS, Fault.REFUSE, Fault.TRUNCATE_REQUEST, Fault.CORRUPT_REQUEST,
    Fault.DELAY_REQUEST, Fault.DROP_RESPONSE, Fault.TRUNCATE_RESPONSE, Fault.CORRUPT_RESPONSE,
    Fault.STATUS_413, Fault.STATUS_429, Fault.STATUS_503, Fault.STALL_RESPONSE,
]
RETRY_AFTER_FAULTS = {Fault.STATUS_413, Fault.STATUS_429, Fault.STATUS_503}
SETTLED = ("accepted", "duplicate")


class KioskWallClock:
    """The kiosk's clock: starts in 1970 (no RTC), jumps when the model says so."""

    def __init__(self) -> None:
        self.wall_ms, self.mono_ms = 0, 1000

    def __call__(self) -> p.Clock:
        self.mono_ms += 1
        return p.Clock(wall_ms=max(self.wall_ms, 0), clock_synced=self.wall_ms > 0, boot_id="b",
                       mono_ms=self.mono_ms)


# Where the kiosk's power is cut in a round: at the first commit writing that table (outbox:
# the verdicts of a batch the server has committed; kiosk_staff: a pull page; sync_cursors;
# sync_state), or at the n-th commit. Then the kiosk restarts from its file (fault 9b, 9c).
CRASH_POINTS = st.sampled_from(["outbox", "kiosk_staff", "sync_cursors", "sync_state", 1, 2, 3])


@dataclass(frozen=True)
class RoundPlan:
    fault: Fault = Fault.PASS
    nth: int = 1  # the fault hits the nth request of the round, or every nth
    every: bool = False
    crash_at: int | str | None = None  # see CRASH_POINTS; None: the power stays on


CLEAN_ROUND = RoundPlan()
ROUND_PLANS = st.builds(RoundPlan, st.sampled_from(ROUND_FAULTS), st.integers(1, 4), st.booleans(),
                        st.none() | CRASH_POINTS)
THEN_SYNC = st.none() | ROUND_PLANS


@dataclass(frozen=True)
class RoundOutcome:
    ok: bool
    delay: float  # what the worker would wait before the next round
    retry_after: bool  # the round met an answer with Retry-After: 1


def fault_plan(fault: Fault, nth: int, every: bool) -> Callable[[Request], Fault]:
    seen = [0]

    def plan(_request: Request) -> Fault:
        seen[0] += 1
        hit = seen[0] % nth == 0 if every else seen[0] == nth
        return fault if hit else Fault.PASS
    return plan


class SyncModel(RuleBasedStateMachine):
    world: World  # set by the test: one server for all examples
    worker_factory: WorkerFactory = staticmethod(default_worker)

    def __init__(self) -> None:
        super().__init__()
        self.number = self.world.next_number()
        self.sp = f"SP-MODEL-{self.number}"
        self.central = self.world.central
        self.central.add_service_point(self.sp, f"Model {self.number}")
        work = self.world.tmp / f"kiosk-{self.number}"
        work.mkdir()
        self.world.reset_link()
        self.kiosk = Kiosk(self.world, work, self.sp, type(self).worker_factory)
        self.clock = KioskWallClock()
        self.stored: list[str] = []  # parcels whose enqueue committed
        self.picked: set[str] = set()
        self.staff: list[int] = []
        self.staff_made = 0
        self.last_round: RoundOutcome | None = None  # until checked

    @initialize(cards=st.integers(0, 4))
    def staff_before_the_first_pull(self, cards: int) -> None:
        if cards:
            self.staff_added(cards)

    # --- what happens at the kiosk ------------------------------------------------------------

    @rule(count=st.integers(1, 9), then=THEN_SYNC)
    def store_parcels(self, count: int, then: RoundPlan | None) -> None:
        ids = [f"M{self.number}-P{len(self.stored) + i}" for i in range(count)]
        enqueue_parcels(self.kiosk.sessions, ids, clock=self.clock)
        self.stored += ids
        self._maybe_round(then)

    @precondition(lambda self: len(self.picked) < len(self.stored))
    @rule(data=st.data(), then=THEN_SYNC)
    def pick_up(self, data: st.DataObject, then: RoundPlan | None) -> None:
        parcel = data.draw(st.sampled_from([p for p in self.stored if p not in self.picked]))
        enqueue_parcels(self.kiosk.sessions, [], picked=[parcel], clock=self.clock)
        self.picked.add(parcel)
        self._maybe_round(then)

    @rule(days=st.sampled_from([-3, 0, 2, 40, 20_000]))
    def kiosk_clock_jumps(self, days: int) -> None:
        self.clock.wall_ms = 0 if days == 0 else self.clock.wall_ms + days * 86_400_000  # 0: 1970

    @rule(count=st.integers(1, 3))
    def power_cut_while_enqueueing(self, count: int) -> None:
        """The parcel rows and their events go together or not at all (fault 9a)."""
        self.kiosk.crash.arm(1)
        ids = [f"M{self.number}-LOST{len(self.stored)}-{i}" for i in range(count)]
        with pytest.raises(KioskCrash):
            enqueue_parcels(self.kiosk.sessions, ids, clock=self.clock)
        self.kiosk.restart()

    # --- sync rounds ----------------------------------------------------------------------------

    @rule(plan=ROUND_PLANS)
    def sync_round(self, plan: RoundPlan) -> None:
        self._round(plan)

    def _maybe_round(self, plan: RoundPlan | None) -> None:
        """Most changes are followed by a round, as the kiosk triggers one after a commit."""
        if plan is not None:
            self._round(plan)

    @rule()
    def offline_round(self) -> None:
        self.world.proxy.down = True
        try:
            self.kiosk.worker.run_once()
        finally:
            self.world.proxy.down = False
        assert self.kiosk.worker.status().consecutive_failures > 0
        self.last_round = None

    @rule()
    def delayed_requests_arrive(self) -> None:
        """Old requests reach the server after newer ones (their token may have expired)."""
        statuses = self.world.proxy.deliver_delayed()
        assert set(statuses) <= {200, 304, 401, 409}, statuses

    @rule(concurrent=st.booleans(), first=st.integers(0, 40), count=st.integers(1, 9))
    def duplicate_delivery(self, concurrent: bool, first: int, count: int) -> None:
        """A copy of a batch the kiosk sent or is about to send, from a second connection:
        the same batch twice, or concurrently with the kiosk's own round (fault 5). Only what
        the kiosk itself could have sent: events with a verdict and the oldest pending ones
        (a pickup never overtakes its parcel's store)."""
        with self.kiosk.sessions() as session:
            rows = list(session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq)))
            sendable = [row for row in rows if row.state != "pending"] + \
                [row for row in rows if row.state == "pending"][:BATCH_SIZE]
            events = [to_wire(row) for row in sendable[first:first + count]]
        if not events:
            return
        answers: list[p.BatchResponse | ServerError] = []

        def push_copy(other: SyncClient) -> None:
            try:
                answers.append(other.push(events))
            except ServerError as exc:  # 503 busy after racing the kiosk: a fair answer
                answers.append(exc)
        with SyncClient(self.central.url, self.kiosk.device_id, self.kiosk.key, timeout=(5, 30)) as other:
            if concurrent:
                thread = threading.Thread(target=push_copy, args=(other,))
                thread.start()
                self._round(CLEAN_ROUND)
                thread.join(30)
            else:
                push_copy(other)
        [answer] = answers
        if isinstance(answer, ServerError):
            assert answer.status == 503, answer
        else:
            assert all(r.status in SETTLED for r in answer.results), answer

    # --- what happens at the server (each may be followed by a kiosk round) ---------------------

    @rule(then=THEN_SYNC)
    def tokens_expire(self, then: RoundPlan | None) -> None:
        self.central.clock.advance(hours=5)
        self._maybe_round(then)

    @rule(then=THEN_SYNC)
    def server_restarts(self, then: RoundPlan | None) -> None:
        self.world.restart_server()
        self._maybe_round(then)

    @rule(cards=st.integers(1, 3), then=THEN_SYNC)
    def staff_added(self, cards: int = 1, then: RoundPlan | None = None) -> None:
        for _ in range(cards):
            self.staff_made += 1
            uid = f"{self.number:04X}{self.staff_made:04X}"
            self.staff.append(self.central.add_staff(f"Staff {self.staff_made}", uid, sp=self.sp))
        self._maybe_round(then)

    @precondition(lambda self: bool(self.staff))
    @rule(data=st.data(), then=THEN_SYNC)
    def staff_removed(self, data: st.DataObject, then: RoundPlan | None) -> None:
        card = data.draw(st.sampled_from(self.staff))
        self.staff.remove(card)
        self.central.remove_staff(card)
        self._maybe_round(then)

    @rule(then=THEN_SYNC)
    def feed_compacted(self, then: RoundPlan | None) -> None:
        """Tombstones purged: kiosks behind them must fetch the scope again (fault 15)."""
        with self.central.sessions.begin() as session:
            feed.compact(session, "staff", self.central.clock())
        self._maybe_round(then)

    @rule(value=st.integers(0, 3), then=THEN_SYNC)
    def config_changed(self, value: int, then: RoundPlan | None) -> None:
        with self.central.sessions.begin() as session:
            admin.set_config(session, self.sp, {"volume": value}, self.central.clock())
        self._maybe_round(then)

    def _round(self, plan: RoundPlan) -> None:
        """One sync round meeting the plan's link fault; with a crash point, the kiosk then
        restarts from disk (whether the power cut came before the round ended or not)."""
        proxy = self.world.proxy
        before = len(proxy.records)
        proxy.plan = fault_plan(plan.fault, plan.nth, plan.every)
        if plan.crash_at is not None:
            self.kiosk.crash.arm(plan.crash_at)
        try:
            delay = self.kiosk.worker.run_once()
        except KioskCrash:
            self.last_round = None  # a crashed round promises nothing
        else:
            self.last_round = RoundOutcome(
                ok=self.kiosk.worker.status().consecutive_failures == 0, delay=delay,
                retry_after=any(r.fault in RETRY_AFTER_FAULTS for r in proxy.records[before:]))
        finally:
            proxy.plan = fault_plan(Fault.PASS, 1, False)
        if plan.crash_at is not None:
            self.kiosk.restart()

    # --- checked after every step -------------------------------------------------------------

    @invariant()
    def holds_after_every_step(self) -> None:
        server, kiosk = ServerView.read(self), KioskView.read(self.kiosk)
        verdicts_match_the_server(server, kiosk)
        no_effect_twice(server, self.stored, self.picked)
        pulled_staff_never_outruns_the_server(server, kiosk)
        outcome, self.last_round = self.last_round, None
        if outcome is not None:
            a_finished_round_kept_its_promises(outcome, server, kiosk)

    # --- after quiescence -----------------------------------------------------------------------

    def teardown(self) -> None:
        try:
            self.delayed_requests_arrive()
            self._check_after_quiescence()
        finally:
            self.kiosk.close()
            self.world.reset_link()

    def _check_after_quiescence(self) -> None:
        self.world.reset_link()  # link faults off; delayed requests were delivered already
        self.kiosk.be_patient()
        drain(self.kiosk.worker, self.kiosk.sessions)
        self._round(CLEAN_ROUND)  # a full round after the push drained: pull catches up
        assert self.last_round.ok, self.kiosk.worker.status().last_error
        server, kiosk = ServerView.read(self), KioskView.read(self.kiosk)
        assert {state for _seq, state, _d in kiosk.outbox.values()} <= set(SETTLED)
        assert set(server.events) == set(kiosk.outbox)
        assert sorted(server.parcels) == sorted(self.stored)  # each stored once, the lost ones never
        assert {pid for pid, state in server.parcels.items() if state == "picked_up"} == self.picked
        assert kiosk.staff_names() == server.live_staff()


@dataclass(frozen=True)
class ServerView:
    """What the server holds for one model kiosk, read in one transaction."""

    events: dict[str, EventRow]
    conflicts: set[str]
    parcels: dict[str, str]  # parcel_id -> state
    staff: dict[str, StaffCard]
    config: dict

    @classmethod
    def read(cls, model: SyncModel) -> ServerView:
        device, sp = model.kiosk.device_id, model.sp
        with model.central.sessions() as session:
            config = session.get(ServicePointConfig, sp)
            return cls(
                events={r.event_id: r for r in session.scalars(select(EventRow).where(EventRow.device_id == device))},
                conflicts=set(session.scalars(select(EventConflict.event_id).where(EventConflict.device_id == device))),
                parcels=dict(session.execute(
                    select(Parcel.parcel_id, Parcel.state).where(Parcel.service_point_id == sp)).all()),
                staff={str(c.id): c
                       for c in session.scalars(select(StaffCard).where(StaffCard.service_point_id == sp))},
                config={} if config is None else json.loads(config.settings),
            )

    def live_staff(self) -> set[tuple[str, str]]:
        return {(entity_id, card.name) for entity_id, card in self.staff.items() if not card.deleted}


@dataclass(frozen=True)
class KioskView:
    outbox: dict[str, tuple[int, str, str]]  # event_id -> (seq, state, payload hash)
    staff: set[tuple[str, str, int]]  # (entity id, name, version)
    pending: int
    config: dict | None

    @classmethod
    def read(cls, kiosk: Kiosk) -> KioskView:
        with kiosk.sessions() as session:
            rows = session.execute(select(OutboxEvent.event_id, OutboxEvent.seq, OutboxEvent.state,
                                          OutboxEvent.payload_hash))
            outbox_rows = {event_id: (seq, state, digest) for event_id, seq, state, digest in rows}
            staff = set(session.execute(select(KIOSK_STAFF)).all())
            config = outbox.get_state(session, outbox.CONFIG_JSON)
        pending = sum(state == "pending" for _seq, state, _d in outbox_rows.values())
        return cls(outbox_rows, staff, pending, None if config is None else json.loads(config)["settings"])

    def staff_names(self) -> set[tuple[str, str]]:
        return {(entity_id, name) for entity_id, name, _version in self.staff}


def verdicts_match_the_server(server: ServerView, kiosk: KioskView) -> None:
    """Every verdict the kiosk holds is on the server; the server has nothing the kiosk never wrote."""
    for event_id, (seq, state, _digest) in kiosk.outbox.items():
        if state == "pending":
            continue
        assert event_id in server.events or (state == "conflict" and event_id in server.conflicts), (
            f"the kiosk holds verdict {state!r} for seq {seq}, but the server does not have the event")
        if state in SETTLED:
            assert server.events[event_id].status == "accepted", (event_id, server.events[event_id].status)
    for event_id, row in server.events.items():
        assert event_id in kiosk.outbox, f"the server holds {event_id} (seq {row.seq}) the kiosk never wrote"
        assert kiosk.outbox[event_id][0::2] == (row.seq, row.payload_hash), f"{event_id} differs"


def no_effect_twice(server: ServerView, stored: list[str], picked: set[str]) -> None:
    accepted = [row for row in server.events.values() if row.status == "accepted"]
    stores = Counter(json.loads(r.payload)["parcel_id"] for r in accepted if r.type == "parcel.stored")
    pickups = Counter(json.loads(r.payload)["parcel_id"] for r in accepted if r.type == "parcel.picked_up")
    assert all(n == 1 for n in stores.values()), f"stored twice: {stores.most_common(1)}"
    assert all(n == 1 for n in pickups.values()), f"picked up twice: {pickups.most_common(1)}"
    assert set(server.parcels) == set(stores) and set(stores) <= set(stored)
    assert {pid for pid, state in server.parcels.items() if state == "picked_up"} == set(pickups) <= picked


def pulled_staff_never_outruns_the_server(server: ServerView, kiosk: KioskView) -> None:
    for entity_id, name, version in kiosk.staff:
        card = server.staff.get(entity_id)
        assert card is not None and version <= card.version, f"kiosk staff {entity_id} v{version} invented"
        assert version < card.version or (name == card.name and not card.deleted)


def a_finished_round_kept_its_promises(outcome: RoundOutcome, server: ServerView, kiosk: KioskView) -> None:
    """A round that met Retry-After failed and waits for it; one that succeeded left nothing
    pending and the kiosk's staff and config equal to the server's."""
    if outcome.retry_after:
        assert not outcome.ok and outcome.delay >= 1.0, f"Retry-After: 1 not honoured: {outcome}"
    if outcome.ok:
        assert kiosk.pending == 0, f"{kiosk.pending} events pending after a successful round"
        assert kiosk.staff_names() == server.live_staff()
        assert kiosk.config == server.config


def model_settings(examples: int, steps: int, *, shrink: bool = True) -> settings:
    phases = (Phase.generate, Phase.shrink) if shrink else (Phase.generate,)
    return settings(max_examples=examples, stateful_step_count=steps, database=None, deadline=None,
                    print_blob=True, phases=phases,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def run_model(machine: type[SyncModel], seed_value: int, examples: int, steps: int, *, shrink: bool = True) -> None:
    factory = seed(seed_value)(lambda: machine())
    try:
        run_state_machine_as_test(factory, settings=model_settings(examples, steps, shrink=shrink))
    except BaseException as exc:
        exc.add_note(f"replay: SYNC_MODEL_SEED={seed_value} (examples {examples}, steps {steps})")
        raise


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    shared = World()
    SyncModel.world = shared
    yield shared
    shared.close()


def test_fault17_state_machine_of_all_faults_keeps_the_invariant(world: World) -> None:
    run_model(SyncModel, SEED, EXAMPLES, STEPS)


# --- planted bugs: the machine must find each ---------------------------------------------------

class MarksBeforeTheReply(Pusher):
    """Bug: takes the events as accepted before the server answered (and so loses them when
    the request never arrives)."""

    def _push(self, batch: list[p.Event]) -> int:
        with self._sessions() as session, session.begin():
            outbox.mark_results(session, _all_accepted(batch))
        with contextlib.suppress(SyncError):  # "it is marked already"
            self._client.push(batch, sent_clock=self._clock())
        return len(batch)


def _all_accepted(batch: list[p.Event]) -> p.BatchResponse:
    results = [p.EventResult(event_id=e.event_id, seq=e.seq, status="accepted") for e in batch]
    return p.BatchResponse(results=results, acked_through=batch[-1].seq, server_time=datetime.now(UTC))


def eager_worker(sessions, client) -> SyncWorker:
    worker = default_worker(sessions, client)
    worker.pusher = MarksBeforeTheReply(sessions, client, batch_size=BATCH_SIZE)
    return worker


class CursorFirstWorker(SyncWorker):
    """Bug: saves the pull cursor in a transaction of its own before applying the page, so a
    power cut between the two loses the page for good."""

    def _pull_page(self, scope, applier) -> bool:
        with self._sessions() as session:
            cursor = outbox.get_cursor(session, scope)
        refetch = False
        try:
            page = self._client.pull(scope, cursor)
        except MustRefetch:
            page, refetch = self._client.pull(scope, ""), True
        with self._sessions() as session, session.begin():
            outbox.set_cursor(session, scope, page.next_cursor)
        with self._sessions() as session, session.begin():  # the bug: a transaction of its own
            if refetch:
                self._on_refetch(session, scope)
            applier(session, list(page.changes))
        return page.has_more


def cursor_first_worker(sessions, client) -> SyncWorker:
    return CursorFirstWorker(sessions, client, appliers={"staff": apply_staff}, on_refetch=drop_staff,
                             interval=0.1, rand=lambda: 0.0, batch_size=BATCH_SIZE)


@pytest.mark.parametrize("worker_factory", [eager_worker, cursor_first_worker],
                         ids=["acks-before-reply", "cursor-before-page"])
def test_fault17_finds_a_planted_bug(world: World, worker_factory: WorkerFactory) -> None:
    buggy = type("BuggyModel", (SyncModel,), {"worker_factory": staticmethod(worker_factory)})
    with pytest.raises(AssertionError) as found:
        run_model(buggy, SEED, examples=60, steps=STEPS, shrink=False)
    assert any("SYNC_MODEL_SEED" in note for note in getattr(found.value, "__notes__", []))


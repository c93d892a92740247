"""Faults 14, 15 and 16 of reference/sync-protocol.md: out-of-order commits on the change
log, cursor invalidation, and token expiry / revocation / lost enrollment / reused code."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from sync.client import EnrollmentRefused, ServerUnreachable, enroll, generate_device_key
from sync.outbox import OutboxEvent, queue_status
from sync.server.db.kiosks import EventRow
from sync.server.kiosks import feed
from tests.sync.faultproxy import Fault, only
from tests.sync.helpers import SP
from tests.sync.kioskside import depth, enqueue_parcels, make_worker, staff_rows


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_fault14_out_of_order_commits_the_poller_skips_nothing(central, kiosk, kiosk_db):
    """On SQLite writers are serialized (BEGIN IMMEDIATE), so only PostgreSQL can commit
    change-log rows out of sequence order; this runs there."""
    staff = dict(scope="staff", service_point_id=SP, entity="staff_card", version=1, op="upsert",
                 now=datetime.now(UTC))
    worker = make_worker(kiosk_db, kiosk.client)
    early, late = central.sessions(), central.sessions()
    try:
        early.execute(text("SELECT pg_current_xact_id()"))
        late.execute(text("SELECT pg_current_xact_id()"))
        feed.append_change(late, entity_id="1", data={"name": "Late"}, **staff)   # lower seq
        feed.append_change(early, entity_id="2", data={"name": "Early"}, **staff)  # higher seq
        early.commit()
        worker.run_once()
        first = {name for _id, name, _v in staff_rows(kiosk_db)}
        late.commit()
        worker.run_once()
    finally:
        early.close()
        late.close()
    assert first == {"Early"}
    assert {name for _id, name, _v in staff_rows(kiosk_db)} == {"Early", "Late"}


def _outbox_rows(sessions) -> list[tuple]:
    with sessions() as session:
        return [(r.seq, r.event_id, r.state, r.payload) for r in
                session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq))]


def test_fault15_cursor_invalidation_resnapshots_without_touching_the_outbox(central, kiosk, kiosk_db):
    anna = central.add_staff("Anna", "04:00:00:01")
    central.add_staff("Bertil", "04:00:00:02")
    worker = make_worker(kiosk_db, kiosk.client)
    worker.run_once()
    enqueue_parcels(kiosk_db, ["P1", "P2"])
    before = _outbox_rows(kiosk_db)
    central.remove_staff(anna)
    central.add_staff("Cecilia", "04:00:00:03")
    with central.sessions.begin() as session:
        assert feed.compact(session, "staff", central.clock()) == 2  # Anna's row and tombstone
    worker.pusher.push_all = lambda _stopping: 0  # this round: pull only, outbox untouched
    worker.run_once()
    assert {name for _id, name, _v in staff_rows(kiosk_db)} == {"Bertil", "Cecilia"}
    assert _outbox_rows(kiosk_db) == before and depth(kiosk_db) == 2


def test_fault15_a_cursor_past_the_compaction_stays_valid(central, kiosk, kiosk_db):
    anna = central.add_staff("Anna", "04:00:00:01")
    central.remove_staff(anna)
    worker = make_worker(kiosk_db, kiosk.client, on_refetch=lambda *_: pytest.fail("refetched"))
    worker.run_once()
    with central.sessions.begin() as session:
        feed.compact(session, "staff", central.clock())
    central.add_staff("Bertil", "04:00:00:02")
    worker.run_once()
    assert worker.status().consecutive_failures == 0
    assert {name for _id, name, _v in staff_rows(kiosk_db)} == {"Bertil"}


def test_fault16_token_expiry_mid_backlog(central, proxy, proxied, kiosk_db):
    enqueue_parcels(kiosk_db, [f"P{i}" for i in range(200)])
    batches = [0]

    def expire_on_the_third_batch(request):
        if "events:batch" in request.path:
            batches[0] += 1
            if batches[0] == 3:
                central.clock.advance(hours=5)  # every token is past its 4 h
        return Fault.PASS
    proxy.plan = expire_on_the_third_batch
    worker = make_worker(kiosk_db, proxied, batch_size=40)
    worker.run_once()  # one round: the 401 is handled inside it
    assert worker.status().consecutive_failures == 0 and depth(kiosk_db) == 0
    assert [r.status for r in proxy.records].count(401) == 1
    assert [r.request.path for r in proxy.records].count("/v1/auth/token") == 2
    assert central.count(EventRow) == 200


def test_fault16_revoked_mid_backlog_keeps_the_queue_and_says_so(central, kiosk, proxy, proxied, kiosk_db):
    enqueue_parcels(kiosk_db, [f"P{i}" for i in range(100)])
    proxy.plan = lambda r: (central.revoke(kiosk.device_id) if r.number == 5 else None) or Fault.PASS
    worker = make_worker(kiosk_db, proxied, batch_size=20)
    worker.run_once()
    worker.run_once()
    status = worker.status()
    assert status.revoked and "revoked" in status.last_error
    with kiosk_db() as session:
        report = queue_status(session)
    assert report.revoked and "revoked" in report.revoked
    assert 0 < report.depth < 100  # sent before the revocation stays sent; the rest is kept
    assert central.count(EventRow) == 100 - report.depth


def test_fault16_lost_enrollment_response_then_same_answer(central, proxy, tmp_path):
    key = tmp_path / "key"
    generate_device_key(key)
    code = central.add_kiosk()
    proxy.plan = only("POST", "/v1/enroll", Fault.DROP_RESPONSE, times=1)
    with pytest.raises(ServerUnreachable):
        enroll(proxy.url, code, key, install_id="i-1")
    answer = enroll(proxy.url, code, key, install_id="i-1")
    assert answer.device_id.startswith("kiosk-") and answer.service_point_id == SP


def test_fault16_code_reused_with_another_key_is_409_then_410_once_spent(central, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    generate_device_key(first)
    generate_device_key(second)
    code = central.add_kiosk()
    answer = enroll(central.url, code, first, install_id="i-1")
    with pytest.raises(EnrollmentRefused) as conflict:
        enroll(central.url, code, second, install_id="i-2")
    assert conflict.value.status == 409
    from sync.client import SyncClient
    with SyncClient(central.url, answer.device_id, first) as client:
        client.pull("staff", "")  # the first token spends the code
    for key in (first, second):
        with pytest.raises(EnrollmentRefused) as gone:
            enroll(central.url, code, key, install_id="i-3")
        assert gone.value.status == 410

"""The kiosk outbox on a real SQLite file: one transaction with the domain write, seq never
reused, batches bounded, verdicts recorded."""
from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, delete, func, insert, select

from sync import outbox
from sync import protocol as p
from sync.outbox import OutboxEvent, enqueue, mark_failed, mark_results, pending_batch, queue_status
from sync.system_clock import ask_now


def stored(parcel_id: str = "P1", **extra: str) -> dict:
    return {"parcel_id": parcel_id, "tracking_id": "CP123SE", "compartment": "A1", **extra}


def count(sessions) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(OutboxEvent))


def test_enqueue_commits_and_rolls_back_with_the_domain_write(kiosk_engine, kiosk_sessions) -> None:
    domain = Table("domain", MetaData(), Column("id", Integer, primary_key=True), Column("v", String))
    domain.metadata.create_all(kiosk_engine)
    with pytest.raises(RuntimeError), kiosk_sessions.begin() as session:
        session.execute(insert(domain).values(v="lost"))
        enqueue(session, type="parcel.stored", payload=stored())
        raise RuntimeError("power cut before commit")
    assert count(kiosk_sessions) == 0
    with kiosk_sessions.begin() as session:
        session.execute(insert(domain).values(v="kept"))
        event = enqueue(session, type="parcel.stored", payload=stored())
        assert event.seq == 1  # flushed, so the caller can log it
    with kiosk_sessions() as session:
        row = session.get(OutboxEvent, 1)
        assert session.scalar(select(func.count()).select_from(domain)) == 1
    assert row.state == "pending" and row.attempts == 0 and uuid.UUID(row.event_id)
    assert row.payload == p.canonical_json(stored())
    assert row.payload_hash == hashlib.sha256(row.payload.encode()).hexdigest()


def test_clock_fields_are_filled(kiosk_sessions) -> None:
    with kiosk_sessions.begin() as session:
        row = enqueue(session, type="parcel.stored", payload=stored())
    assert row.boot_id == outbox.boot_id() and row.boot_id
    assert row.mono_ms > 0 and row.wall_ms > 0
    assert row.clock_synced is ask_now()  # the kernel's NTP state, whatever this machine's is


def test_clock_synced_is_the_kernels_ntp_state_not_the_date() -> None:
    assert outbox.read_clock(synced=lambda: False).clock_synced is False  # a 2026 date, unsynced
    assert outbox.read_clock(synced=lambda: True).clock_synced is True


def test_invalid_payloads_never_enter_the_queue(kiosk_sessions) -> None:
    with kiosk_sessions.begin() as session:
        with pytest.raises(ValueError, match="unknown event type"):
            enqueue(session, type="parcel.lost", payload={"parcel_id": "P1"})
        with pytest.raises(ValueError, match="pickup_code"):
            enqueue(session, type="parcel.stored",
                    payload={"parcel_id": "P1", "tracking_id": "T", "pickup_code": "12"})
    assert count(kiosk_sessions) == 0


def test_seq_is_never_reused(kiosk_sessions) -> None:
    with kiosk_sessions.begin() as session:
        for i in range(3):
            enqueue(session, type="parcel.stored", payload=stored(f"P{i}"))
    with kiosk_sessions.begin() as session:
        session.execute(delete(OutboxEvent).where(OutboxEvent.seq == 3))
    with kiosk_sessions.begin() as session:
        assert enqueue(session, type="parcel.stored", payload=stored("P9")).seq == 4


def test_pending_batch_is_bounded_ordered_and_only_pending(kiosk_sessions) -> None:
    with kiosk_sessions.begin() as session:
        for i in range(10):
            enqueue(session, type="parcel.stored", payload=stored(f"P{i}"))
        session.get(OutboxEvent, 2).state = "accepted"
    with kiosk_sessions() as session:
        assert [e.seq for e in pending_batch(session, limit=4)] == [1, 3, 4, 5]
        one_size = len(pending_batch(session, limit=1)[0].model_dump_json())
        assert [e.seq for e in pending_batch(session, max_bytes=one_size * 2 + 2)] == [1, 3]
        assert [e.seq for e in pending_batch(session, max_bytes=1)] == [1]  # never wedged
        event = pending_batch(session, limit=1)[0]
    assert event.payload == stored("P0") and event.payload_hash == p.payload_hash(stored("P0"))


def test_pending_batch_starts_after_a_seq_known_to_have_nothing_pending(kiosk_sessions) -> None:
    with kiosk_sessions.begin() as session:
        for i in range(5):
            enqueue(session, type="parcel.stored", payload=stored(f"P{i}"))
    with kiosk_sessions() as session:
        assert [e.seq for e in pending_batch(session, after=3)] == [4, 5]
        assert [e.seq for e in pending_batch(session, after=0)] == [1, 2, 3, 4, 5]


def test_deleting_the_newest_events_does_not_free_their_seqs(kiosk_sessions) -> None:
    with kiosk_sessions.begin() as session:
        for i in range(4):
            enqueue(session, type="parcel.stored", payload=stored(f"P{i}"))
    with kiosk_sessions.begin() as session:
        session.execute(delete(OutboxEvent).where(OutboxEvent.seq >= 2))
    with kiosk_sessions.begin() as session:
        assert enqueue(session, type="parcel.stored", payload=stored("P9")).seq == 5


def verdict(events: list[p.Event], statuses: list[str], seq_shift: int = 0) -> p.BatchResponse:
    return p.BatchResponse(
        results=[p.EventResult(event_id=e.event_id, seq=e.seq + seq_shift, status=s,
                               reason=None if s in ("accepted", "duplicate") else f"{s}!")
                 for e, s in zip(events, statuses, strict=True)],
        acked_through=max(e.seq for e in events),
        server_time=datetime.now(UTC),
    )


def test_verdicts_are_recorded_and_status_reports_them(kiosk_sessions) -> None:
    with kiosk_sessions.begin() as session:
        for i in range(6):
            enqueue(session, type="parcel.stored", payload=stored(f"P{i}"))
    with kiosk_sessions.begin() as session:
        events = pending_batch(session)
        counts = mark_results(session, verdict(events[:4], ["accepted", "duplicate", "rejected", "conflict"]))
        mark_results(session, verdict(events[4:5], ["accepted"], seq_shift=100))  # not ours: ignored
        mark_failed(session, events[5:], "ServerUnreachable: refused")
    assert counts == {"accepted": 1, "duplicate": 1, "rejected": 1, "conflict": 1}
    with kiosk_sessions() as session:
        rows = session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq)).all()
        assert [r.state for r in rows] == ["accepted", "duplicate", "rejected", "conflict", "pending", "pending"]
        assert rows[2].last_error == "rejected!" and rows[5].last_error.startswith("ServerUnreachable")
        assert rows[5].attempts == 1 and rows[4].attempts == 0
        outbox.set_state(session, outbox.LAST_ERROR, "boom")
        status = queue_status(session)
    assert (status.depth, status.oldest_pending_seq) == (2, 5)
    assert (status.rejected, status.conflicts, status.last_error) == (1, 1, "boom")
    assert status.last_success_at is None and status.oldest_pending_created_at is not None


def test_cursors_and_state_are_upserted(kiosk_sessions) -> None:
    with kiosk_sessions.begin() as session:
        assert outbox.get_cursor(session, "staff") == ""
        outbox.set_cursor(session, "staff", "c1")
    with kiosk_sessions.begin() as session:
        outbox.set_cursor(session, "staff", "c2")
        outbox.set_state(session, "k", "v1")
        outbox.set_state(session, "k", "v2")
    with kiosk_sessions() as session:
        assert outbox.get_cursor(session, "staff") == "c2"
        assert outbox.get_state(session, "k") == "v2"

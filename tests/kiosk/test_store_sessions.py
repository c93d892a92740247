"""KioskSessions: begin() reuses a Session and connection per thread, and must still behave
like a fresh Session in every transaction."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk.store import db
from sync.outbox import OutboxEvent, SyncState, enqueue, get_state, set_state


@pytest.fixture
def sessions(tmp_path: Path):
    engine = db.create_kiosk_engine(tmp_path / "kiosk.db")
    db.upgrade(engine)
    factory = db.session_factory(engine)
    yield factory
    factory.close()
    engine.dispose()


def _in_thread(function):
    result = []
    thread = threading.Thread(target=lambda: result.append(function()))
    thread.start()
    thread.join()
    return result[0]


def test_one_session_per_thread_across_transactions(sessions):
    with sessions.begin() as first:
        set_state(first, "k", "1")
    with sessions.begin() as second:
        assert get_state(second, "k") == "1"
    assert first is second
    other = _in_thread(lambda: _session_of(sessions))
    assert other is not first


def _session_of(sessions):
    with sessions.begin() as session:
        return session


def test_rows_read_in_one_transaction_are_not_served_stale_in_the_next(sessions):
    with sessions.begin() as session:
        set_state(session, "door", "closed")
    with sessions.begin() as session:
        row = session.get(SyncState, "door")
        assert row.value == "closed"
    with sessions() as elsewhere, elsewhere.begin():  # another connection changes the row
        elsewhere.get(SyncState, "door").value = "open"
    with sessions.begin() as session:
        assert session.get(SyncState, "door").value == "open"
        assert session.get(SyncState, "door") is not row
    assert row.value == "closed"  # the old object is detached, not refreshed behind our back


def test_nested_begin_on_one_thread_gets_its_own_session(sessions):
    with sessions.begin() as outer:
        set_state(outer, "a", "1")
        with sessions.begin() as inner:
            assert inner is not outer
            assert get_state(inner, "a") is None  # outer's write is not committed yet
    with sessions.begin() as session:
        assert get_state(session, "a") == "1"


def test_an_error_rolls_back_and_the_next_transaction_works(sessions):
    with pytest.raises(RuntimeError), sessions.begin() as session:
        set_state(session, "lost", "yes")
        session.flush()
        raise RuntimeError("power cut")
    with sessions.begin() as session:
        assert get_state(session, "lost") is None
        set_state(session, "kept", "yes")
    with sessions() as session:
        assert session.scalars(select(SyncState.key)).all() == ["kept"]


def test_close_ends_every_threads_connection(sessions):
    with sessions.begin() as session:
        set_state(session, "k", "v")
    held = _in_thread(lambda: _session_of(sessions).bind)
    main = session.bind
    sessions.close()
    assert main.closed and held.closed
    with sessions.begin() as session:  # a new one is opened on demand
        assert get_state(session, "k") == "v"


def _outbox_types(sessions) -> list[str]:
    with sessions() as session:
        return session.scalars(select(OutboxEvent.type).order_by(OutboxEvent.seq)).all()


USAGE = {"kind": "video", "service_id": "fk", "language": "sv", "duration_s": 60, "large_text": False,
         "high_contrast": False, "speech": False, "outcome": "done"}


def test_an_event_on_its_own_is_written_without_starting_the_sessions_transaction(sessions):
    with sessions.begin() as session:
        enqueue(session, type="usage.visit", payload=USAGE)
        assert not session.in_transaction()  # the connection's transaction holds the row
    assert _outbox_types(sessions) == ["usage.visit"]


def test_the_sessions_rows_and_the_event_commit_together(sessions):
    with sessions.begin() as session:
        set_state(session, "parcel", "stored")
        enqueue(session, type="usage.visit", payload=USAGE)
        assert session.in_transaction()
    with sessions.begin() as session:
        assert get_state(session, "parcel") == "stored"
    assert _outbox_types(sessions) == ["usage.visit"]


@pytest.mark.parametrize("session_first", [True, False], ids=["session-then-event", "event-then-session"])
def test_an_error_loses_the_sessions_rows_and_the_event_alike(sessions, session_first):
    with pytest.raises(RuntimeError), sessions.begin() as session:
        if session_first:
            set_state(session, "parcel", "stored")
            session.flush()
        enqueue(session, type="usage.visit", payload=USAGE)
        if not session_first:
            set_state(session, "parcel", "stored")
            session.flush()
        raise RuntimeError("door jammed")
    assert _outbox_types(sessions) == []
    with sessions.begin() as session:
        assert get_state(session, "parcel") is None

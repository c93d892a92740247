"""Kiosk schema upgrades keep the queue: migration 0004 rebuilds the outbox without its
indexes and AUTOINCREMENT, and a seq is still never handed out twice."""
from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from sqlalchemy import text

from kiosk.store import db
from sync.outbox import enqueue

INSERT = ("INSERT INTO outbox (event_id, type, payload, payload_hash, wall_ms, clock_synced, boot_id, mono_ms,"
          " created_at) VALUES (:id, 'parcel.stored', '{}', 'h', 1, 1, 'b', 2, '2026-12-01 10:00:00.000000')")
PAYLOAD = {"parcel_id": "P9", "tracking_id": "CP123SE", "compartment": "A1"}


def outbox_seqs(engine) -> list[int]:
    with engine.connect() as connection:
        return list(connection.execute(text("SELECT seq FROM outbox ORDER BY seq")).scalars())


def test_0004_keeps_queued_events_and_autoincrements_high_water_mark(tmp_path: Path) -> None:
    engine = db.create_kiosk_engine(tmp_path / "kiosk.db")
    db.upgrade(engine, "0003")
    with engine.begin() as connection:
        for n in range(3):
            connection.execute(text(INSERT), {"id": f"event-{n}"})
        # a renumbering raised AUTOINCREMENT's counter above every row
        connection.execute(text("UPDATE sqlite_sequence SET seq = 40 WHERE name = 'outbox'"))
    db.upgrade(engine)
    assert outbox_seqs(engine) == [1, 2, 3]
    sessions = db.session_factory(engine)
    with sessions.begin() as session:
        assert enqueue(session, type="parcel.stored", payload=PAYLOAD).seq == 41
    with engine.begin() as connection:
        indexes = connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'index' "
                                          "AND tbl_name = 'outbox'")).scalars().all()
        connection.execute(text("DELETE FROM outbox WHERE seq = 41"))  # the newest row goes...
    assert indexes == []
    with sessions.begin() as session:
        assert enqueue(session, type="parcel.stored", payload=PAYLOAD).seq == 42  # ...its seq stays used
    engine.dispose()


def test_0004_downgrade_gives_autoincrement_back_its_counter(tmp_path: Path) -> None:
    engine = db.create_kiosk_engine(tmp_path / "kiosk.db")
    db.upgrade(engine)
    with db.session_factory(engine).begin() as session:
        for _ in range(3):
            enqueue(session, type="parcel.stored", payload=PAYLOAD)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM outbox WHERE seq = 3"))
    command.downgrade(db.alembic_config(engine), "0003")
    with engine.begin() as connection:
        connection.execute(text(INSERT), {"id": "after-downgrade"})
    assert outbox_seqs(engine) == [1, 2, 4]
    engine.dispose()


def test_concurrent_upgrades_of_a_new_file_all_succeed(tmp_path):
    """A kiosk starting while a `kiosk …` command opens the same new database: both migrate."""
    for round_ in range(5):
        path = tmp_path / f"kiosk{round_}.db"
        engines = [db.create_kiosk_engine(path) for _ in range(4)]
        start, errors = threading.Barrier(len(engines)), []

        def migrate(engine, start: threading.Barrier, errors: list[Exception]) -> None:
            start.wait()
            try:
                db.upgrade(engine)
            except Exception as error:  # noqa: BLE001 - collected for the assertion
                errors.append(error)

        threads = [threading.Thread(target=migrate, args=(engine, start, errors)) for engine in engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        for engine in engines:
            engine.dispose()
        assert errors == []

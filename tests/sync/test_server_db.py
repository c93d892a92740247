"""Engines and migrations of the central server, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import exc, text

from sync.server.db.base import Base
from sync.server.db.engine import (
    alembic_config,
    current_revision,
    make_engine,
    make_session_factory,
    normalise_url,
    upgrade,
)
from sync.server.db.kiosks import ServicePoint


@pytest.mark.parametrize("given,expected", [
    ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:///central.db", "sqlite:///central.db"),
])
def test_postgresql_urls_mean_psycopg3(given: str, expected: str) -> None:
    assert normalise_url(given) == expected


def test_migrations_reach_head_repeatably_and_match_the_models(database_url: str) -> None:
    upgrade(database_url)  # a second run (the fixture ran the first) changes nothing
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert current_revision(database_url) == head
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_sqlite_is_durable_and_checks_foreign_keys(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with engine.connect() as connection:
            pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert pragma("journal_mode") == "wal"
            assert pragma("synchronous") == 2  # FULL
            assert pragma("foreign_keys") == 1
            assert pragma("busy_timeout") >= 1000
    finally:
        engine.dispose()


def test_times_come_back_as_aware_utc_and_naive_times_are_refused(database_url: str) -> None:
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    moment = datetime(2026, 11, 27, 12, 0, 1, tzinfo=UTC)
    try:
        with sessions.begin() as session:
            session.add(ServicePoint(id="SP-A", name="A", created_at=moment))
        with sessions() as session:
            assert session.get(ServicePoint, "SP-A").created_at == moment
            assert session.scalar(text("SELECT count(*) FROM service_points")) == 1
        with pytest.raises(exc.StatementError), sessions.begin() as session:
            session.add(ServicePoint(id="SP-B", name="B", created_at=datetime(2026, 1, 1)))
    finally:
        engine.dispose()


def test_carriers_from_before_signing_get_a_webhook_secret(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0005")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO carriers (id, name, api_key_hash, deadline_days, reminder_day, webhook_url, created_at) "
                "VALUES (:id, :id, :hash, 7, 5, NULL, :at)"),
                [{"id": name, "hash": name * 8, "at": datetime.now(UTC)} for name in ("postnord", "dhl")])
        upgrade(url)
        with engine.connect() as connection:
            secrets = connection.execute(text("SELECT webhook_secret FROM carriers")).scalars().all()
    finally:
        engine.dispose()
    assert len(set(secrets)) == 2 and all(s.startswith("whsec_") and len(s) > 40 for s in secrets)

"""Engines, sessions and schema upgrades for the central server, built from a URL.

No module-level engine: callers build one from explicit settings and dispose of it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_DATABASE_URL = "sqlite:///central.db"
SQLITE_BUSY_TIMEOUT_MS = 10_000
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def normalise_url(database_url: str) -> str:
    """`postgresql://` and `postgres://` mean psycopg 3 (the only PostgreSQL driver we ship)."""
    for prefix in ("postgresql://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url[len(prefix):]
    return database_url


def is_sqlite(database_url: str) -> bool:
    return make_url(normalise_url(database_url)).get_backend_name() == "sqlite"


def make_engine(database_url: str, **kwargs: Any) -> Engine:
    url = normalise_url(database_url)
    # A failed statement's text otherwise carries its parameters (phone numbers, addresses)
    # into every log line and traceback that shows the error.
    kwargs.setdefault("hide_parameters", True)
    if not is_sqlite(url):
        # As many connections as the web server has worker threads (anyio's default 40), so
        # a burst of kiosks waits for a thread, never 30 s for a connection and then fails.
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 30)
        return create_engine(url, pool_pre_ping=True, **kwargs)
    engine = create_engine(url, **kwargs)
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    """WAL + synchronous=FULL (a commit survives a power cut), foreign keys, busy timeout.

    Every transaction starts with BEGIN IMMEDIATE: it takes SQLite's single write lock up
    front, so two ingest requests never read the same "not there yet" state and then both
    insert. The pysqlite driver's own transaction handling is switched off for that, as the
    SQLAlchemy SQLite docs describe. Readers still run beside the writer thanks to WAL.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: handlers read attributes after the commit that precedes a reply.
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the schema to `revision` (default: the newest). Safe to run on every start."""
    from alembic import command

    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def current_revision(database_url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()

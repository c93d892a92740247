"""The kiosk's SQLite database: durable settings on every connection, schema through Alembic."""
from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from sync.outbox import JOINED_CONNECTION

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def create_kiosk_engine(database_path: Path) -> Engine:
    database_path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{database_path}", connect_args={"timeout": 30})
    event.listen(engine, "connect", _durable_sqlite)
    return engine


def _durable_sqlite(dbapi_connection, _record) -> None:
    # WAL lets the UI read while the sync worker writes; synchronous=FULL makes a committed
    # pickup or payment survive a power cut.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def session_factory(engine: Engine) -> KioskSessions:
    return KioskSessions(engine, expire_on_commit=False)


class KioskSessions(sessionmaker[Session]):
    """A sessionmaker whose begin() keeps one Session and connection per thread and runs each
    transaction on that connection, with the Session joined to it.

    Every parcel stored or picked up commits through begin(), and on fast storage making a
    Session, checking a connection out of the pool and running the Session's own
    transaction cost more than SQLite's whole commit (bench/sync figure 4). So:

    - each thread keeps its Session and connection; the identity map is emptied when each
      transaction ends, exactly as closing a Session would, so no row read in one
      transaction is served stale in the next;
    - the transaction is the connection's. The Session joins it when the caller first uses
      it ("rollback_only": its commit flushes, its rollback rolls the whole transaction
      back), and enqueue() writes on the connection itself (outbox.JOINED_CONNECTION), so
      a transaction that only enqueues an event never starts the Session's machinery.

    A begin() nested in another on the same thread gets a Session of its own, as before.
    Calling the factory still makes a new, ordinary Session.
    """

    def __init__(self, engine: Engine, **options) -> None:
        super().__init__(engine, **options)
        self._engine = engine
        self._options = options
        self._local = threading.local()
        self._held: list[Connection] = []  # every thread's connection, so close() can end them
        self._held_lock = threading.Lock()

    @contextmanager
    def begin(self) -> Iterator[Session]:
        if getattr(self._local, "busy", False):
            with super().begin() as session:  # nested on this thread: its own transaction
                yield session
            return
        session = self._thread_session()
        self._local.busy = True
        try:
            with session.info[JOINED_CONNECTION].begin():  # commits unless an error escapes
                yield session
                if session.in_transaction():  # the caller used the Session: flush its changes
                    session.commit()
        except BaseException:
            self._drop_thread_session()  # a broken connection must not serve the next one
            raise
        finally:
            self._local.busy = False
            if len(session.identity_map):  # skip the cost when nothing was loaded
                session.expunge_all()  # (pending objects: flushed by commit, expunged by rollback)

    def close(self) -> None:
        """Close every thread's connection (at shutdown; begin() opens new ones if called)."""
        with self._held_lock:
            held, self._held = self._held, []
        for connection in held:
            connection.close()
        self._local = threading.local()

    def _thread_session(self) -> Session:
        session = getattr(self._local, "session", None)
        if session is None:
            connection = self._engine.connect()
            with self._held_lock:
                self._held.append(connection)
            session = Session(bind=connection, join_transaction_mode="rollback_only", **self._options)
            session.info[JOINED_CONNECTION] = connection
            self._local.session = session
        return session

    def _drop_thread_session(self) -> None:
        session = self._local.__dict__.pop("session", None)
        if session is None:
            return
        connection = session.info[JOINED_CONNECTION]
        session.close()
        with self._held_lock:
            if connection in self._held:
                self._held.remove(connection)
        connection.close()


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate, one process at a time: SQLite runs DDL outside any transaction, so a kiosk
    starting while a `kiosk …` command opens the same new file would both create the
    tables, and one would fail ("table parcels already exists"). The second waits for the
    first and then finds nothing to do."""
    with _migration_lock(engine):
        command.upgrade(alembic_config(engine), revision)


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrating", "a") as lock_file:  # beside the database, kept: never shared
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)

"""Fixtures of the sync tests: the central server on SQLite and on PostgreSQL, an enrolled
kiosk with a real key, and a kiosk-side outbox database."""
from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from sync.client import SyncClient, enroll, generate_device_key
from sync.outbox import OutboxBase
from sync.server.db.base import Base
from sync.server.db.engine import make_engine, make_session_factory, upgrade
from tests.sync.faultproxy import FaultProxy
from tests.sync.helpers import SP, Central
from tests.sync.kioskside import KIOSK_STAFF

PG_HOST = "127.0.0.1:5432"
PG_ADMIN_URL = f"postgresql://postgres@{PG_HOST}/test"


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A throwaway PostgreSQL database for this test session, migrated once, dropped after."""
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at {PG_HOST} as user postgres: {exc}")
    name = f"sync_test_{os.getpid()}_{secrets.token_hex(3)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        url = f"postgresql://postgres@{PG_HOST}/{name}"
        try:
            upgrade(url)
            yield url
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _empty_postgres(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
            connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty central database: a SQLite file, then the same on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'central.db'}"
        upgrade(url)
        return url
    url = request.getfixturevalue("pg_database")
    _empty_postgres(url)
    return url


@pytest.fixture
def central(database_url: str) -> Iterator[Central]:
    """A running server with one service point."""
    server = Central(database_url)
    server.add_service_point()
    server.start()
    yield server
    server.close()


@dataclass
class Kiosk:
    device_id: str
    key_path: Path
    client: SyncClient


@pytest.fixture
def make_kiosk(central: Central, tmp_path: Path) -> Iterator:
    """Enrolls kiosks (real key files, real HTTP) and closes their clients afterwards."""
    clients: list[SyncClient] = []

    def make(sp: str = SP) -> Kiosk:
        key_path = tmp_path / f"device_key_{len(clients)}"
        generate_device_key(key_path)
        answer = enroll(central.url, central.add_kiosk(sp), key_path, install_id="install-1")
        client = SyncClient(central.url, answer.device_id, key_path, timeout=(2, 10))
        clients.append(client)
        return Kiosk(answer.device_id, key_path, client)

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def kiosk(make_kiosk) -> Kiosk:
    return make_kiosk()


@pytest.fixture
def kiosk_engine(tmp_path: Path) -> Iterator[Engine]:
    """The kiosk's SQLite file with the outbox tables (the kiosk's migration makes them there)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'kiosk.db'}")
    OutboxBase.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def kiosk_sessions(kiosk_engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(kiosk_engine)


@pytest.fixture
def kiosk_db(kiosk_engine: Engine, kiosk_sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """The kiosk's outbox database plus the staff table the test workers pull into."""
    KIOSK_STAFF.metadata.create_all(kiosk_engine)
    return kiosk_sessions


@pytest.fixture
def proxy(central: Central) -> Iterator[FaultProxy]:
    """A fault-injecting proxy in front of the live server."""
    fault_proxy = FaultProxy(central.live.sock.getsockname()[1]).start()
    yield fault_proxy
    fault_proxy.close()


@pytest.fixture
def proxied(kiosk: Kiosk, proxy: FaultProxy) -> Iterator[SyncClient]:
    """The enrolled kiosk's client, talking through the proxy with short timeouts."""
    client = SyncClient(proxy.url, kiosk.device_id, kiosk.key_path, timeout=(2, 2))
    yield client
    client.close()

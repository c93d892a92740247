"""Alembic environment for the central server.

Run through `sync.server.db.engine.upgrade(url)`, which hands over an open connection in
`config.attributes["connection"]`; no alembic.ini is needed. SQLite gets batch mode because
it cannot ALTER most things in place.
"""
from __future__ import annotations

from alembic import context

from sync.server.db.base import Base  # the package import registers every table on it
from sync.server.db.engine import make_engine

config = context.config


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    # Plain `alembic -x url=...` use by a developer (e.g. to autogenerate a revision).
    url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///central.db")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; use a database URL")
run_migrations_online()

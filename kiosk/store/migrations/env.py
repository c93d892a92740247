"""Alembic environment for the kiosk database; the engine is handed in by kiosk.store.db."""
from alembic import context

from kiosk.store.models import Base
from sync.outbox import OutboxBase

target_metadata = [Base.metadata, OutboxBase.metadata]


def run_migrations_online() -> None:
    engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        # render_as_batch: SQLite cannot ALTER most things in place.
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()

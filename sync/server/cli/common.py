"""Helpers shared by the kiosk-central command modules: the clock, a password-free URL for
messages, and one transaction per command."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from sync.server.db.engine import make_engine, make_session_factory, normalise_url
from sync.server.errors import AdminError


def now() -> datetime:
    return datetime.now(UTC)


def safe_url(database_url: str) -> str:
    return make_url(normalise_url(database_url)).render_as_string(hide_password=True)


def require_sqlite_file(database_url: str) -> None:
    """Opening a missing SQLite file would create an empty one; say what to do instead."""
    url = make_url(normalise_url(database_url))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        if not Path(url.database).exists():
            raise click.ClickException(
                f"no database at {url.database}; run `kiosk-central db upgrade` first"
            )


@contextmanager
def transaction(ctx: click.Context) -> Iterator[Session]:
    """One transaction for the whole command: committed only if the command succeeds."""
    require_sqlite_file(ctx.obj)
    engine = make_engine(ctx.obj)
    try:
        with make_session_factory(engine).begin() as session:
            yield session
    except AdminError as exc:
        raise click.ClickException(str(exc)) from exc
    except DBAPIError as exc:
        raise click.ClickException(
            f"database {safe_url(ctx.obj)}: {exc.orig}. "
            "If the schema is missing, run `kiosk-central db upgrade` first."
        ) from exc
    finally:
        engine.dispose()

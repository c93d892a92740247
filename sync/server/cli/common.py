"""Helpers shared by the kiosk-central command modules: the clock, times as coordinators read
them, a password-free URL for messages, and one transaction per command."""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from sync import protocol as p
from sync.server.db.engine import make_engine, make_session_factory, normalise_url
from sync.server.errors import AdminError


def now() -> datetime:
    return datetime.now(UTC)


TIMEZONE_ENV = "KIOSK_CENTRAL_TIMEZONE"


def local_time(moment: datetime | None) -> str:
    """MOMENT as the coordinators read it: "2026-12-07 23:10:37 CET", in the service points'
    zone (Europe/Stockholm, or $KIOSK_CENTRAL_TIMEZONE); "none" for None. (The kiosk's CLI has
    the same in kiosk/timetext.py; the server shares only sync.protocol with the kiosk.)"""
    if moment is None:
        return "none"
    name = os.environ.get(TIMEZONE_ENV) or p.DIRECTORY_TIMEZONE
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.ClickException(f"{TIMEZONE_ENV}: unknown time zone {name!r}; use an IANA name "
                                   "such as Europe/Stockholm") from None
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M:%S %Z}"


def safe_url(database_url: str) -> str:
    return make_url(normalise_url(database_url)).render_as_string(hide_password=True)


def require_sqlite_file(database_url: str) -> None:
    """Opening a missing SQLite file would create an empty one; say what to do instead."""
    url = make_url(normalise_url(database_url))
    database = url.database if url.get_backend_name() == "sqlite" else None
    if database and database != ":memory:" and not Path(database).exists():
        raise click.ClickException(f"no database at {url.database}; run `kiosk-central db upgrade` first")


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

"""`kiosk sync …`: what is waiting to reach the central server, and one sync round right now."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click

from kiosk.timetext import NONE, local_text

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from kiosk.cli.main import KioskContext
    from kiosk.config import KioskConfig


@contextmanager
def _database(obj: KioskContext) -> Iterator[tuple[KioskConfig, Callable[[], Session]]]:
    from kiosk.services.runtime import open_database

    config = obj.load()
    engine, sessions = open_database(config)
    try:
        yield config, sessions
    finally:
        sessions.close()
        engine.dispose()


@click.group()
def sync() -> None:
    """Inspect and drive the sync with the central server."""


@sync.command()
@click.pass_obj
def status(obj: KioskContext) -> None:
    """Show queue depth, oldest pending event, last success and last error."""
    from sync.outbox import queue_status

    with _database(obj) as (config, sessions), sessions() as session:
        report = asdict(queue_status(session))
    for key, value in report.items():
        click.echo(f"{key.replace('_', ' ')}: {_shown(key, value, config.zone)}")
    if report["revoked"]:
        click.echo("REVOKED: the central server refuses this kiosk; its queue is kept. "
                   "Ask a coordinator, then re-provision.")
    if report["alert"]:
        click.echo(f"ALERT: {report['alert']}")


def _shown(key: str, value: object, zone: ZoneInfo) -> str:
    """A status value as the technician reads it: times in the service point's zone."""
    if value is None:
        return NONE
    if key.endswith("_at") and isinstance(value, datetime | str):
        return local_text(value, zone)
    return str(value)


@sync.command()
@click.pass_obj
def now(obj: KioskContext) -> None:
    """Push queued events and pull changes once, now; exit 1 if the round failed."""
    from kiosk.services.runtime import build_sync_worker

    with _database(obj) as (config, sessions):
        worker = build_sync_worker(config, sessions)
        if worker is None:
            raise click.ClickException("this kiosk is not provisioned with a server (run 'kiosk provision')")
        worker.run_once()
        result = worker.status()
    if result.revoked:
        raise click.ClickException("the central server has revoked this kiosk; its queue is kept")
    if result.consecutive_failures:
        raise click.ClickException(f"sync failed: {result.last_error}")
    click.echo(f"Sync done: {result.pushed} events sent, {result.pulled} changes received.")


@sync.command("rotate-key")
@click.pass_obj
def rotate_key(obj: KioskContext) -> None:
    """Replace this kiosk's device key (the request is signed by the old key)."""
    from sync.client import SyncClient, SyncError

    config = obj.load()
    if config.server is None:
        raise click.ClickException("this kiosk is not provisioned with a server (run 'kiosk provision')")
    try:
        with SyncClient(config.server.url, config.server.device_id, config.device_key_path) as client:
            public_key = client.rotate_key()
    except SyncError as error:
        raise click.ClickException(f"key rotation failed: {error}") from None
    click.echo(f"New device key in use; public key {public_key}")

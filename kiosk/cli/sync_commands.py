"""`kiosk sync …`: what is waiting to reach the central server, and a push right now."""
from __future__ import annotations

import click


@click.group()
def sync() -> None:
    """Inspect and drive the sync with the central server."""


@sync.command()
@click.pass_obj
def status(obj) -> None:
    """Show queue depth, oldest pending event, last success and last error."""
    from kiosk.services.runtime import open_database
    from sync.outbox import queue_status

    config = obj.load()
    engine, sessions = open_database(config)
    try:
        with sessions() as session:
            report = queue_status(session)
    finally:
        engine.dispose()
    for key, value in _as_dict(report).items():
        click.echo(f"{key}: {value if value is not None else '-'}")


def _as_dict(report) -> dict:
    return report if isinstance(report, dict) else vars(report)

"""`kiosk queue`: the events waiting for, or refused by, the central server."""
from __future__ import annotations

from typing import TYPE_CHECKING

import click

from kiosk.timetext import local_text

if TYPE_CHECKING:
    from kiosk.cli.main import KioskContext

STATES = ("pending", "rejected", "conflict", "accepted", "duplicate")


@click.command()
@click.option("--state", "states", multiple=True, type=click.Choice(STATES),
              help="Only events in this state (repeatable) [default: pending, rejected, conflict].")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000),
              help="Show at most this many (the newest).")
@click.pass_obj
def queue(obj: KioskContext, states: tuple[str, ...], limit: int) -> None:
    """List queued events; rejected and conflict ones say why the server refused them."""
    from kiosk.cli.sync_commands import _database
    from sync.queue_ops import events_in_state

    with _database(obj) as (config, sessions), sessions() as session:
        rows = [(e.seq, e.state, e.type, e.attempts, local_text(e.created_at, config.zone), e.last_error or "")
                for e in events_in_state(session, states or ("pending", "rejected", "conflict"), limit)]
    if not rows:
        click.echo("no events")
    for row in rows:
        click.echo("{:>7} {:<9} {:<18} tries={:<3} {} {}".format(*row).rstrip())

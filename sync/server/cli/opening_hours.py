"""`kiosk-central directory exception ...`: holidays and special hours of video services
(sync/server/directory/opening_hours_admin.py), added to the directory group by directory_cli.register."""
from __future__ import annotations

import json
from datetime import date

import click

from sync import protocol as p
from sync.server.cli.common import now as _now
from sync.server.cli.common import transaction as _transaction


@click.group("exception")
def exception() -> None:
    """Holidays and special hours of video services (closed on 2026-12-24..2026-12-26...)."""


@exception.command("add")
@click.argument("dates")
@click.option("--closed", is_flag=True, help="Closed on these days.")
@click.option("--hours", "spans", multiple=True, metavar="HH:MM-HH:MM",
              help="Open only these hours on these days (repeatable).")
@click.option("--service", "services", multiple=True,
              help="Only this video service (repeatable); without it: every video service.")
@click.option("--service-point", "points", multiple=True,
              help="Only at this service point (repeatable); without it: wherever offered.")
@click.pass_context
def exception_add(ctx: click.Context, dates: str, closed: bool, spans: tuple[str, ...],
                  services: tuple[str, ...], points: tuple[str, ...]) -> None:
    """Give DATES (2026-12-24 or 2026-12-24..2026-12-26) other hours than their weekdays':
    --closed, or --hours for special hours."""
    from sync.server.directory import opening_hours_admin as x

    if closed == bool(spans):
        raise click.UsageError("give --closed or --hours, not both")
    first, last = _dates(dates)
    with _transaction(ctx) as session:
        exception = x.parse_exception({"first": first, "last": last, "hours": list(spans),
                                       "service_points": [point.strip().upper() for point in points]})
        rows = x.add_exception(session, exception, list(services), _now())
    what = "closed" if closed else " ".join(spans)
    for row in rows:
        click.echo(f"video {row.entry_id} v{row.version}: {first}..{last} {what}")


@exception.command("remove")
@click.argument("dates")
@click.option("--service", "services", multiple=True,
              help="Only from this video service (repeatable); without it: from every one.")
@click.pass_context
def exception_remove(ctx: click.Context, dates: str, services: tuple[str, ...]) -> None:
    """Remove the exceptions lying within DATES: those days have their weekday's hours again."""
    from sync.server.directory import opening_hours_admin as x

    first, last = _dates(dates)
    with _transaction(ctx) as session:
        removed = x.remove_exceptions(session, first, last, list(services), _now())
    click.echo(f"removed {removed} exception(s) within {first}..{last}")


@exception.command("list")
@click.pass_context
def exception_list(ctx: click.Context) -> None:
    """Every video service's holidays and special hours."""
    from sync.server.directory import services as d

    with _transaction(ctx) as session:
        for row in d.list_entries(session, p.ENTITY_VIDEO_SERVICE):
            for item in json.loads(row.data).get("exceptions", []):
                where = ",".join(item["service_points"]) or "all"
                hours = " ".join(item["hours"]) or "closed"
                click.echo(f"{row.entry_id:<24} {item['first']}..{item['last']} {hours:<24} {where}")


def _dates(text: str) -> tuple[date, date]:
    from sync.server.directory.opening_hours import parse_dates

    try:
        return parse_dates(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="DATES") from None

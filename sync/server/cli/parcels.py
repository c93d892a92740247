"""kiosk-central commands of the parcel service: carriers, parcels (list, show, overdue,
purge), one notifier round, and a service point's staff contact for alarms."""
from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

import click

from sync.server.cli.common import now, transaction
from sync.server.errors import AdminError

if TYPE_CHECKING:  # imported when called: commands that send nothing do not load it
    from sync.server.notify.settings import NotifySettings


def notify_settings_from_env() -> NotifySettings:
    from sync.server.notify.settings import NotifySettings, SettingsError

    try:
        return NotifySettings.from_env(os.environ)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


def register_parcel_commands(main: click.Group, service_point: click.Group) -> None:
    main.add_command(carrier)
    main.add_command(parcels)
    main.add_command(notify)
    service_point.add_command(service_point_contact)


@click.group()
def carrier() -> None:
    """Carriers that pre-advise parcels through the API."""


@carrier.command("add")
@click.argument("name")
@click.option("--deadline-days", default=7, show_default=True, type=int,
              help="Days a parcel waits for pickup before it is returned.")
@click.option("--reminder-day", default=5, show_default=True, type=int,
              help="Day after drop-off on which the recipient is reminded.")
@click.option("--webhook", "webhook_url", default=None,
              help="URL the server POSTs parcel status changes to (JSON).")
@click.pass_context
def carrier_add(ctx: click.Context, name: str, deadline_days: int, reminder_day: int,
                webhook_url: str | None) -> None:
    """Add carrier NAME and print its API key (shown only this once)."""
    from sync.server.parcels.carriers import add_carrier

    with transaction(ctx) as session:
        row, key = add_carrier(session, name, deadline_days=deadline_days,
                               reminder_day=reminder_day, webhook_url=webhook_url, now=now())
    click.echo(f"carrier {row.id} ({row.name}): deadline {row.deadline_days} days, "
               f"reminder on day {row.reminder_day}, webhook {row.webhook_url or '-'}")
    click.echo(f"API key: {key}   (shown once; only its hash is kept)")
    click.echo(f"Webhook signing secret: {row.webhook_secret}   (shown once; see docs/central.md section 6)")


@carrier.command("webhook-secret")
@click.argument("carrier_id")
@click.pass_context
def carrier_webhook_secret(ctx: click.Context, carrier_id: str) -> None:
    """A new secret that signs CARRIER_ID's webhook reports; the old one stops at once."""
    from sync.server.parcels.carriers import rotate_webhook_secret

    with transaction(ctx) as session:
        secret = rotate_webhook_secret(session, carrier_id)
    click.echo(f"Webhook signing secret of {carrier_id}: {secret}   (shown once; the old one no longer signs)")


@carrier.command("list")
@click.pass_context
def carrier_list(ctx: click.Context) -> None:
    """List carriers (their keys cannot be shown again)."""
    from sync.server.parcels.carriers import list_carriers

    with transaction(ctx) as session:
        rows = [(c.id, c.deadline_days, c.reminder_day, c.webhook_url or "-", c.name)
                for c in list_carriers(session)]
    if not rows:
        click.echo("no carriers")
    for row in rows:
        click.echo("{:<16} deadline={:<3} reminder_day={:<3} webhook={} {}".format(*row))


@click.group()
def parcels() -> None:
    """Parcels received at the service points."""


@parcels.command("list")
@click.option("--service-point", "service_point_id", default=None, help="Only this service point.")
@click.option("--state", default=None,
              type=click.Choice(["stored", "held", "picked_up", "returned"]), help="Only this state.")
@click.pass_context
def parcels_list(ctx: click.Context, service_point_id: str | None, state: str | None) -> None:
    """List parcels with their state, deadline and notification delivery state."""
    from sync.server.parcels import query as q

    with transaction(ctx) as session:
        rows = [(r.tracking_id, r.service_point_id, r.state, r.compartment or "counter",
                 r.deadline.isoformat() if r.deadline else "-", q.delivery_summary(session, r.parcel_id))
                for r in q.list_parcels(session, service_point_id, state)]
    if not rows:
        click.echo("no parcels")
    for row in rows:
        click.echo("{:<20} {:<20} {:<10} {:<8} {} {}".format(*row))


@parcels.command("show")
@click.argument("tracking_id")
@click.pass_context
def parcels_show(ctx: click.Context, tracking_id: str) -> None:
    """Everything about one parcel (by tracking or parcel id), as JSON."""
    from sync.server.parcels import query as q

    with transaction(ctx) as session:
        detail = q.parcel_detail(session, q.find_parcel(session, tracking_id))
    click.echo(json.dumps(detail, indent=2, ensure_ascii=False))


@parcels.command("overdue")
@click.option("--service-point", "service_point_id", default=None, help="Only this service point.")
@click.pass_context
def parcels_overdue(ctx: click.Context, service_point_id: str | None) -> None:
    """Parcels past their last pickup day: to be returned to the carrier."""
    from sync.server.parcels import query as q

    with transaction(ctx) as session:
        rows = [(r.tracking_id, r.service_point_id, r.compartment or "counter",
                 r.deadline.isoformat() if r.deadline else "-", r.carrier or "-")
                for r in q.overdue_parcels(session, now(), service_point_id)]
    if not rows:
        click.echo("no overdue parcels")
    for row in rows:
        click.echo("{:<20} {:<20} {:<8} deadline={} carrier={}".format(*row))


@parcels.command("purge")
@click.pass_context
def parcels_purge(ctx: click.Context) -> None:
    """Purge recipients' data of parcels done 30 days ago or more (the notifier does it too)."""
    from sync.server.parcels.purge import purge_personal_data

    with transaction(ctx) as session:
        count = purge_personal_data(session, now())
    click.echo(f"purged personal data of {count} parcels")


@click.group()
def notify() -> None:
    """The notifier (SMS, e-mail, carrier webhooks), which `serve` also runs."""


@notify.command("run-once")
@click.pass_context
def notify_run_once(ctx: click.Context) -> None:
    """One notifier round: reminders, sending, carrier reports, purge."""
    from sync.server.cli.common import require_sqlite_file
    from sync.server.db.engine import make_engine, make_session_factory
    from sync.server.notify.notifier import Notifier

    settings = notify_settings_from_env()
    require_sqlite_file(ctx.obj)
    engine = make_engine(ctx.obj)
    try:
        summary = Notifier(make_session_factory(engine), settings, now).run_once()
    finally:
        engine.dispose()
    click.echo(f"reminders queued {summary.reminders}, sent {summary.sent}, "
               f"retrying {summary.retrying}, failed {summary.failed}, "
               f"carrier reports delivered {summary.webhooks_delivered}, purged {summary.purged}")


@click.command("contact")
@click.argument("sp_id")
@click.option("--staff-phone", default=None, help="E.164 number for staff alarms ('' removes).")
@click.option("--staff-email", default=None, help="E-mail address for staff alarms ('' removes).")
@click.pass_context
def service_point_contact(ctx: click.Context, sp_id: str, staff_phone: str | None,
                          staff_email: str | None) -> None:
    """Where alarms for the staff of SP_ID go (e.g. a locker door left open)."""
    import re

    from sync import protocol as p
    from sync.server.kiosks.admin import get_service_point

    if staff_phone and not re.match(p.E164_PATTERN, staff_phone):
        raise click.BadParameter(f"{staff_phone!r} is not E.164, e.g. +46701234567",
                                 param_hint="--staff-phone")
    if staff_email and not re.match(p.EMAIL_PATTERN, staff_email):
        raise click.BadParameter(f"{staff_email!r} is not an e-mail address", param_hint="--staff-email")
    with transaction(ctx) as session:
        point = get_service_point(session, sp_id)
        if staff_phone is None and staff_email is None:
            raise AdminError("give --staff-phone and/or --staff-email")
        if staff_phone is not None:
            point.staff_phone = staff_phone or None
        if staff_email is not None:
            point.staff_email = staff_email or None
        shown = (point.id, point.staff_phone or "-", point.staff_email or "-")
    click.echo("staff contact of {}: phone {} e-mail {}".format(*shown))

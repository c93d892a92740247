"""`kiosk-central directory ...` and `kiosk-central usage ...`: the directory from the
command line. Entries are JSON files (texts per language and opening hours do not fit options);
the same validation as the admin API applies. Registered on the main group by `register()`."""
from __future__ import annotations

import json
from typing import TextIO

import click

from sync import protocol as p
from sync.server.cli.common import local_time as _local_time
from sync.server.cli.common import now as _now
from sync.server.cli.common import require_sqlite_file
from sync.server.cli.common import transaction as _transaction

KIND_NAMES = {"video": p.ENTITY_VIDEO_SERVICE, "eservice": p.ENTITY_E_SERVICE}


@click.group()
def directory() -> None:
    """Video services, e-services and booked appointments, synced to kiosks (scope directory)."""


@directory.command("put")
@click.argument("kind", type=click.Choice(sorted(KIND_NAMES)))
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.pass_context
def put(ctx: click.Context, kind: str, file: TextIO) -> None:
    """Create or replace a video service or e-service from a JSON FILE ('-' = stdin)."""
    from sync.server.directory import services as d

    try:
        data = json.load(file)
    except ValueError as exc:
        raise click.ClickException(f"{file.name} is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise click.ClickException(f"{file.name} must hold one JSON object")
    with _transaction(ctx) as session:
        row = d.put_entry(session, KIND_NAMES[kind], data, _now())
    click.echo(f"{kind} {row.entry_id} is now version {row.version}")


@directory.command("remove")
@click.argument("kind", type=click.Choice(sorted(KIND_NAMES)))
@click.argument("entry_id")
@click.pass_context
def remove(ctx: click.Context, kind: str, entry_id: str) -> None:
    """Withdraw a video service or e-service from every kiosk."""
    from sync.server.directory import services as d

    with _transaction(ctx) as session:
        d.remove_entry(session, KIND_NAMES[kind], entry_id, _now())
    click.echo(f"removed {kind} {entry_id}")


@directory.command("list")
@click.pass_context
def list_(ctx: click.Context) -> None:
    """List video services, e-services and upcoming appointments."""
    from sync.server.directory import services as d

    with _transaction(ctx) as session:
        now = _now()
        for kind, entity in sorted(KIND_NAMES.items()):
            for row in d.list_entries(session, entity):
                view = d.entry_view(row)
                title = view.get("name", view.get("title", {})).get("sv", "")
                points = ",".join(view["service_points"]) or "all"
                click.echo(f"{kind:<9} {row.entry_id:<24} v{row.version:<3} {points:<20} {title}")
        for appointment in d.list_appointments(session, now):
            click.echo(f"booking   {appointment.id} {appointment.service_point_id} "
                       f"{appointment.service_id} {_local_time(appointment.starts_at)} "
                       f"-> {_local_time(appointment.ends_at)}")


@directory.command("on-duty")
@click.argument("service_id")
@click.argument("contact", required=False)
@click.option("--language", default="sv", show_default=True,
              type=click.Choice(["sv", "en", "fi", "fit", "se", "smj"]), help="Language of the alert.")
@click.option("--none", "remove", is_flag=True, help="Remove the contact: nobody is alerted.")
@click.pass_context
def on_duty(ctx: click.Context, service_id: str, contact: str | None, language: str, remove: bool) -> None:
    """Who is told that someone waits in SERVICE_ID's room: CONTACT is a phone number
    (+46701234567, by SMS), an e-mail address or an https webhook URL."""
    from sync.server.directory import services as d

    if remove == (contact is not None):
        raise click.UsageError("give a CONTACT or --none")
    value = None if remove else {**_contact_fields(contact or ""), "language": language}
    with _transaction(ctx) as session:
        row = d.edit_video_service(session, service_id, {"on_duty": value}, _now())
    click.echo(f"video {service_id} is now version {row.version}: "
               + ("nobody is alerted" if remove else f"alerts {contact} ({language})"))


def _contact_fields(contact: str) -> dict[str, str]:
    from sync.server.directory.on_duty import classify

    try:
        return classify(contact)
    except ValueError as exc:
        raise click.ClickException(f"on_duty: {exc}") from None


@directory.command("book")
@click.option("--service", "service_id", required=True, help="The video service's id.")
@click.option("--service-point", "service_point_id", required=True, help="Where the resident sits.")
@click.option("--start", required=True, help="ISO time with zone, e.g. 2026-12-01T10:00+01:00.")
@click.option("--minutes", default=30, show_default=True, type=int, help="Length of the meeting.")
@click.pass_context
def book(ctx: click.Context, service_id: str, service_point_id: str, start: str, minutes: int) -> None:
    """Book a meeting; prints the 6-digit code for the resident (shown only now)."""
    from pydantic import ValidationError

    from sync.server.directory import services as d

    try:
        # Validated from the text as given: pydantic parses the ISO time and words any error.
        booking = d.AppointmentIn.model_validate({"service_id": service_id, "service_point_id": service_point_id,
                                                  "starts_at": start, "minutes": minutes})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise click.ClickException(f"{first['loc'][0]}: {first['msg']}") from None
    with _transaction(ctx) as session:
        appointment, code = d.book(session, booking, _now())
    click.echo(f"booked {appointment.id} at {appointment.service_point_id}, "
               f"{_local_time(appointment.starts_at)} for {minutes} min")
    click.echo(f"booking code: {code}")


@directory.command("cancel")
@click.argument("appointment_id")
@click.pass_context
def cancel(ctx: click.Context, appointment_id: str) -> None:
    """Cancel a booked meeting; its code stops working on the kiosk."""
    from sync.server.directory import services as d

    with _transaction(ctx) as session:
        d.cancel(session, appointment_id, _now())
    click.echo(f"cancelled {appointment_id}")


@directory.command("publish")
@click.pass_context
def publish(ctx: click.Context) -> None:
    """Bring every service point's feed in line (after adding a service point; daily, to
    withdraw ended appointments)."""
    from sync.server.directory import services as d

    with _transaction(ctx) as session:
        appended = d.publish(session, _now())
    click.echo(f"appended {appended} directory changes")


@directory.command("purge")
@click.pass_context
def purge(ctx: click.Context) -> None:
    """Delete appointments and on-duty alerts past KIOSK_CENTRAL_APPOINTMENT_RETENTION_DAYS
    (30) and roll raw usage events past KIOSK_CENTRAL_USAGE_RETENTION_DAYS (400) up into weekly
    totals (each notifier round also does this)."""
    from sync.server.cli.parcels import notify_settings_from_env
    from sync.server.directory.retention import BATCH, purge_directory_data

    settings = notify_settings_from_env()
    with _transaction(ctx) as session:
        total = purged = purge_directory_data(session, _now(), settings.appointment_retention,
                                              settings.usage_retention)
        while purged.usage_events == BATCH:  # by hand, finish the job in one go
            purged = purge_directory_data(session, _now(), settings.appointment_retention,
                                          settings.usage_retention)
            total.usage_events += purged.usage_events
    click.echo(f"deleted {total.appointments} appointments and {total.duty_alerts} on-duty alerts; "
               f"rolled up {total.usage_events} usage events into weekly totals")


@directory.command("alert-duty")
@click.option("--watch", type=click.FloatRange(min=1), default=None,
              help="Keep running, checking every this many seconds (beside `serve`).")
@click.pass_context
def alert_duty(ctx: click.Context, watch: float | None) -> None:
    """Tell on-duty contacts that someone waits in their video room. `serve` does this in every
    notifier round; use --watch only where every server runs with --no-notifier. SMS and
    e-mail are queued here and sent by the notifier (`notify run-once`)."""
    import time

    from sync.server.db.engine import make_engine, make_session_factory
    from sync.server.notify import duty_alerts

    require_sqlite_file(ctx.obj)
    engine = make_engine(ctx.obj)
    try:
        while True:
            for outcome in duty_alerts.run_round(make_session_factory(engine), duty_alerts.post_json, _now):
                click.echo(f"{outcome.service_point_id} {outcome.service_id} -> {outcome.channel}: "
                           f"{outcome.result}")
            if watch is None:
                return
            time.sleep(watch)
    finally:
        engine.dispose()


@click.group()
def usage() -> None:
    """Anonymous usage of video calls and e-services, for the pilots' evaluation."""


@usage.command("report")
@click.option("--csv", "csv_file", type=click.File("w", encoding="utf-8"), default=None,
              help="Write the aggregates as CSV here ('-' = stdout).")
@click.option("--html", "html_file", type=click.File("w", encoding="utf-8"), default=None,
              help="Write the report page (table and chart) here.")
@click.pass_context
def usage_report(ctx: click.Context, csv_file: TextIO | None, html_file: TextIO | None) -> None:
    """Visits per service point, ISO week, service and language."""
    from sync.server.api.html import make_templates
    from sync.server.usage import aggregate as u
    from sync.server.usage.report import render_html

    if csv_file is None and html_file is None:
        raise click.UsageError("give --csv FILE and/or --html FILE")
    with _transaction(ctx) as session:
        rows, names = u.aggregate(session), u.service_names(session)
    if csv_file is not None:
        csv_file.write(u.to_csv(rows))
    if html_file is not None:
        html_file.write(render_html(make_templates(), rows, _now(), names))


def register(main: click.Group) -> None:
    from sync.server.cli.opening_hours import exception

    directory.add_command(exception)
    main.add_command(directory)
    main.add_command(usage)

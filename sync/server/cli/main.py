"""`kiosk-central`: run the central server and administer service points, staff and kiosks.

Heavy imports (fastapi, uvicorn, alembic) happen inside the commands that need them, so
`kiosk-central --help` stays fast.
"""
from __future__ import annotations

import os
from datetime import timedelta

import click
from sqlalchemy.exc import DBAPIError

from sync import __version__
from sync.server.cli.admin_tokens import register as register_admin_token_commands
from sync.server.cli.apt_repo import register as register_repo_commands
from sync.server.cli.common import local_time as _local_time
from sync.server.cli.common import now as _now
from sync.server.cli.common import safe_url as _safe_url
from sync.server.cli.common import transaction as _transaction
from sync.server.cli.directory import register as register_directory_commands
from sync.server.cli.parcels import notify_settings_from_env, register_parcel_commands
from sync.server.db.engine import DEFAULT_DATABASE_URL
from sync.server.db.kiosks import Device
from sync.server.errors import AdminError
from sync.server.kiosks import admin


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kiosk-central")
@click.option(
    "--database-url",
    envvar="DATABASE_URL",
    default=DEFAULT_DATABASE_URL,
    show_default=True,
    help="sqlite:///path or postgresql://user@host/db (env: DATABASE_URL).",
)
@click.pass_context
def main(ctx: click.Context, database_url: str) -> None:
    """Central server for Servicepunkt kiosks: sync API and coordinator commands."""
    ctx.obj = database_url


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8400, show_default=True, type=click.IntRange(0, 65535),
              help="TCP port to listen on.")
@click.option("--no-upgrade", is_flag=True, help="Do not run database migrations first.")
@click.option("--no-notifier", is_flag=True,
              help="Do not send notifications and carrier reports from this process.")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"]), help="Log verbosity.")
@click.option("--header-timeout", default=10.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds a client may take to send its request headers.")
@click.option("--body-timeout", default=30.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds a request body may stall between bytes before the answer is 408.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, no_upgrade: bool, no_notifier: bool,
          log_level: str, header_timeout: float, body_timeout: float) -> None:
    """Run the sync API and the notifier (migrates the database first unless --no-upgrade).

    Notifier and admin API settings come from KIOSK_CENTRAL_* environment variables, see
    sync/server/notify/settings.py; KIOSK_CENTRAL_ADMIN_TOKEN bootstraps the admin API
    (stored as the named token "bootstrap" while no named token is active)."""
    import uvicorn

    from sync.server.api.app import create_app
    from sync.server.api.header_timeout import header_deadline_protocol
    from sync.server.db.engine import upgrade
    from sync.server.logs import setup_logging
    from sync.server.watchdog import start_from_environment

    setup_logging(log_level, os.environ)
    settings = notify_settings_from_env()  # also with --no-notifier: the SMS report secret
    notify = None if no_notifier else settings
    if not no_upgrade:
        upgrade(ctx.obj)
    try:
        app = create_app(ctx.obj, notify=notify, sms_report_secret=settings.report_secret,
                         body_timeout=body_timeout,
                         admin_token=os.environ.get("KIOSK_CENTRAL_ADMIN_TOKEN", "").strip() or None)
    except AdminError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"kiosk-central serving http://{host}:{port} (database {_safe_url(ctx.obj)})")
    # Keep-alive beyond the kiosks' 5 s sync interval, so a polling kiosk reuses its connection.
    # log_config=None: uvicorn keeps the masking, journald-aware handler of setup_logging.
    # Under systemd (Type=notify, WatchdogSec=): READY=1 once /healthz answers, pings while it does.
    watchdog = start_from_environment(f"http://{_loopback(host)}:{port}", os.environ)
    try:
        uvicorn.run(app, host=host, port=port, log_level=log_level, timeout_keep_alive=30,
                    log_config=None, http=header_deadline_protocol(header_timeout))
    finally:
        if watchdog is not None:
            watchdog.stop()


def _loopback(host: str) -> str:
    """Where this machine reaches a server listening on `host`."""
    return "127.0.0.1" if host in ("0.0.0.0", "", "::") else host


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Migrate the database schema to the newest version."""
    from sync.server.db.engine import current_revision, upgrade

    try:
        upgrade(ctx.obj)
    except DBAPIError as exc:
        raise click.ClickException(f"database {_safe_url(ctx.obj)}: {exc.orig}") from exc
    click.echo(f"database {_safe_url(ctx.obj)} at revision {current_revision(ctx.obj)}")


@main.group("service-point")
def service_point() -> None:
    """Service points (the village shops)."""


@service_point.command("add")
@click.argument("sp_id")
@click.option("--name", required=True, help="Shown on the kiosk, e.g. 'Korpilombolo Handel'.")
@click.pass_context
def service_point_add(ctx: click.Context, sp_id: str, name: str) -> None:
    """Add service point SP_ID (e.g. SP-KORPILOMBOLO)."""
    with _transaction(ctx) as session:
        point = admin.add_service_point(session, sp_id, name, _now())
    click.echo(f"added service point {point.id} ({point.name})")


@service_point.command("list")
@click.pass_context
def service_point_list(ctx: click.Context) -> None:
    """List service points with their kiosks (not revoked)."""
    with _transaction(ctx) as session:
        rows = [(point.id, str(kiosks), _local_time(point.created_at), point.name)
                for point, kiosks in admin.list_service_points(session)]
    if not rows:
        click.echo("none: no service points yet (add one with `kiosk-central service-point add`)")
        return
    click.echo("{:<24} {:>6}  {:<23}  {}".format("ID", "KIOSKS", "ADDED", "NAME"))
    for row in rows:
        click.echo("{:<24} {:>6}  {:<23}  {}".format(*row))


@main.group()
def staff() -> None:
    """Staff cards, sent to the kiosks of their service point."""


@staff.command("add")
@click.option("--service-point", "service_point_id", required=True, help="Service point id.")
@click.option("--name", required=True, help="The staff member's name.")
@click.option("--card-uid", required=True, help="Card UID in hex, e.g. 04:A2:3B:11 (only its hash is kept).")
@click.pass_context
def staff_add(ctx: click.Context, service_point_id: str, name: str, card_uid: str) -> None:
    """Register a staff card at a service point."""
    with _transaction(ctx) as session:
        card = admin.add_staff(session, service_point_id=service_point_id, name=name,
                               card_uid=card_uid, now=_now())
    click.echo(f"added staff card {card.id} for {card.name} at {card.service_point_id}")


@main.group()
def kiosk() -> None:
    """Kiosks: create with an enrollment code, list, revoke."""


@kiosk.command("add")
@click.argument("name")
@click.option("--service-point", "service_point_id", required=True, help="Service point id.")
@click.option("--expires-hours", default=72, show_default=True, type=click.IntRange(1, 72),
              help="Hours until the enrollment code expires.")
@click.option("--quiet", is_flag=True, help="Print only the enrollment code (for scripts).")
@click.pass_context
def kiosk_add(ctx: click.Context, name: str, service_point_id: str, expires_hours: int, quiet: bool) -> None:
    """Create kiosk NAME and print its one-time enrollment code."""
    with _transaction(ctx) as session:
        device, code = admin.add_kiosk(session, name=name, service_point_id=service_point_id,
                                       expires=timedelta(hours=expires_hours), now=_now())
    if quiet:
        click.echo(code)
        return
    click.echo(f"kiosk {device.device_id} ({device.name}) at {device.service_point_id}")
    click.echo(f"enrollment code: {code}   (single use, expires in {expires_hours} h)")
    click.echo(f"on the kiosk:    kiosk provision --server URL --code {code}")


@kiosk.command("list")
@click.pass_context
def kiosk_list(ctx: click.Context) -> None:
    """List kiosks, their state and how many alerts each has (see `kiosk alerts`)."""
    with _transaction(ctx) as session:
        alerts = admin.alert_counts(session)
        rows = [(d.device_id, d.service_point_id, _kiosk_state(d), alerts.get(d.device_id, 0), d.name)
                for d in admin.list_kiosks(session)]
    if not rows:
        click.echo("no kiosks")
    for row in rows:
        click.echo("{:<18} {:<24} {:<9} alerts={:<3} {}".format(*row))


@kiosk.command("alerts")
@click.option("--device", "device_id", default=None, help="Only this kiosk's alerts.")
@click.pass_context
def kiosk_alerts(ctx: click.Context, device_id: str | None) -> None:
    """Show alerts, e.g. a seq rewind (a kiosk's SD card was cloned or restored)."""
    with _transaction(ctx) as session:
        rows = [(_local_time(a.created_at), a.device_id, a.kind, a.detail)
                for a in admin.list_alerts(session, device_id)]
    if not rows:
        click.echo("no alerts")
    for row in rows:
        click.echo("{} {:<18} {:<12} {}".format(*row))


def _kiosk_state(device: Device) -> str:
    if device.state == "active" and device.enrolled_at is None:
        return "pending"
    return device.state


@kiosk.command("revoke")
@click.argument("device_id")
@click.pass_context
def kiosk_revoke(ctx: click.Context, device_id: str) -> None:
    """Revoke kiosk DEVICE_ID: it gets no new token; what it already sent stays."""
    with _transaction(ctx) as session:
        device = admin.revoke_kiosk(session, device_id, _now())
    click.echo(f"revoked {device.device_id} ({device.name})")


@staff.command("remove")
@click.argument("card_id", type=int)
@click.pass_context
def staff_remove(ctx: click.Context, card_id: int) -> None:
    """Withdraw staff card CARD_ID; its kiosks drop it at their next sync."""
    with _transaction(ctx) as session:
        card = admin.remove_staff(session, card_id, _now())
    click.echo(f"removed staff card {card.id} ({card.name})")


@main.group()
def config() -> None:
    """Kiosk settings per service point (kiosks fetch them with ETag/304)."""


@config.command("set")
@click.argument("sp_id")
@click.argument("settings", nargs=-1, required=True)
@click.pass_context
def config_set(ctx: click.Context, sp_id: str, settings: tuple[str, ...]) -> None:
    """Set KEY=VALUE settings of service point SP_ID (VALUE is JSON if it parses; KEY= removes)."""
    parsed = dict(_setting(item) for item in settings)
    with _transaction(ctx) as session:
        row = admin.set_config(session, sp_id, parsed, _now())
    click.echo(f"config of {row.service_point_id} is now version {row.version}: {row.settings}")


def _setting(item: str) -> tuple[str, object]:
    import json

    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise click.BadParameter(f"{item!r} is not KEY=VALUE")
    if value == "":
        return key.strip(), None
    try:
        return key.strip(), json.loads(value)
    except ValueError:
        return key.strip(), value


@main.group()
def feed() -> None:
    """The change feed kiosks pull."""


@feed.command("compact")
@click.option("--scope", default="staff", show_default=True, help="Which scope's log to compact.")
@click.pass_context
def feed_compact(ctx: click.Context, scope: str) -> None:
    """Drop superseded changes; kiosks with older cursors fetch the scope again (409)."""
    from sync.server.kiosks.feed import compact

    with _transaction(ctx) as session:
        removed = compact(session, scope, _now())
    click.echo(f"removed {removed} superseded changes from scope {scope}")


@main.group()
def events() -> None:
    """Events received from kiosks."""


@events.command("list")
@click.option("--device", "device_id", default=None, help="Only this kiosk's events.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000),
              help="Show at most this many (the newest).")
@click.pass_context
def events_list(ctx: click.Context, device_id: str | None, limit: int) -> None:
    """List received events, oldest first."""
    with _transaction(ctx) as session:
        rows = [
            (e.device_id, e.seq, e.type, e.status, _local_time(e.received_at), e.reason or "")
            for e in admin.list_events(session, device_id=device_id, limit=limit)
        ]
    if not rows:
        click.echo("no events")
    for row in rows:
        click.echo("{:<18} {:>6} {:<18} {:<9} {} {}".format(*row).rstrip())


register_parcel_commands(main, service_point)
register_directory_commands(main)
register_admin_token_commands(main)
register_repo_commands(main)

cli = main  # the name the kiosk's tests and tools import

if __name__ == "__main__":  # `python -m sync.server.cli.main`, as the demo and e2e tests run it
    main(prog_name="kiosk-central")

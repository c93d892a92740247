"""`kiosk update …`: the updater (run by servicepunkt-update.timer), its hold, and the region's
apt source. Runs as root (the /usr/bin/kiosk wrapper does not drop to the kiosk user for it);
the kiosk's database and files are still written as their owner."""
from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import click

from kiosk.services.updates.system import (
    SOURCE_FILE,
    AptCli,
    CommandSystem,
    KioskFiles,
    Systemd,
    channel_of,
    downgrade_schema,
    write_apt_source,
)
from kiosk.services.updates.updater import DEFAULT_SETTINGS_PATH, Updater, UpdaterError, load_settings, release


def _files(obj: Any) -> KioskFiles:
    config = obj.load()
    return KioskFiles(data_dir=config.data_dir, database=config.database_path)


@click.group("update")
def update() -> None:
    """Install the channel's version outside opening hours; roll back one that is not healthy."""


@update.command("run")
@click.option("--settings", "settings_path", type=click.Path(dir_okay=False, path_type=Path),
              default=DEFAULT_SETTINGS_PATH, show_default=True, help="The updater's settings.")
@click.option("--restart-command", default=None, metavar="COMMAND",
              help="Restart the app with this command instead of systemctl (a kiosk without systemd).")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=Path("/"), hidden=True)
@click.pass_obj
def run(obj: Any, settings_path: Path, restart_command: str | None, root: Path) -> None:
    """One round: install the channel's version if now is a good time, then check its health."""
    try:
        settings = load_settings(settings_path)
        config = obj.load()
        source = root / SOURCE_FILE
        channel = channel_of(source)
        if channel is None:
            raise UpdaterError(f"no apt source at {source}: run `kiosk update source` first")
        system = CommandSystem(tuple(shlex.split(restart_command))) if restart_command else Systemd()
        updater = Updater(settings=settings, apt=AptCli(source), system=system,
                          data=KioskFiles(data_dir=config.data_dir, database=config.database_path),
                          channel=channel, idle_timeout_s=config.idle_timeout_s,
                          sync_configured=config.server is not None)
        click.echo(updater.run())
    except UpdaterError as error:
        raise click.ClickException(str(error)) from None


@update.command("status")
@click.pass_obj
def status(obj: Any) -> None:
    """The channel, the hold and an install whose health check is unfinished."""
    state = _files(obj).load_state()
    click.echo(f"channel: {channel_of(Path('/') / SOURCE_FILE) or '(no source)'}")
    if state.held_version:
        click.echo(f"held: {state.held_version} was rolled back: {state.held_reason}")
    if state.pending_to:
        click.echo(f"checking: {state.pending_from} -> {state.pending_to}")


@update.command("release")
@click.pass_obj
def release_hold(obj: Any) -> None:
    """Lift the hold after a rollback (once the region has a fixed version in the channel)."""
    try:
        click.echo(release(_files(obj), AptCli()))
    except UpdaterError as error:
        raise click.ClickException(str(error)) from None


@update.command("source")
@click.option("--url", required=True, help="The region's repository, e.g. https://apt.region.example/servicepunkt")
@click.option("--channel", default="stable", show_default=True, help="canary or stable")
@click.option("--key", "key_file", required=True, type=click.File("rb"),
              help="The region's public signing key, ASCII-armoured.")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=Path("/"), show_default=True,
              help="Install under this directory (an image being prepared).")
def source(url: str, channel: str, key_file: Any, root: Path) -> None:
    """Install the region's apt source and its public key (provisioning does this)."""
    try:
        for path in write_apt_source(root, url, channel, key_file.read()):
            click.echo(f"wrote {path}")
    except UpdaterError as error:
        raise click.ClickException(str(error)) from None


@update.command("downgrade-db", hidden=True)
@click.argument("revision")
@click.pass_obj
def downgrade_db(obj: Any, revision: str) -> None:
    """Migrate the kiosk database back to REVISION (the updater, before a rollback)."""
    files = _files(obj)
    downgrade_schema(files.database, files.data_dir, revision)
    click.echo(f"database at {revision}")

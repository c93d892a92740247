"""`kiosk-central repo …`: the region's signed apt repository (sync/server/apt_repo.py).
Registered on the main group by `register()`."""
from __future__ import annotations

import os
from pathlib import Path

import click

from sync.server.cli.common import transaction
from sync.server.updates.repository import CHANNELS, RepoError, Repository, canary_rollbacks, check_channel

BASEDIR_ENV = "SERVICEPUNKT_APT_DIR"


def _repository(basedir: Path | None) -> Repository:
    chosen = basedir or (Path(os.environ[BASEDIR_ENV]) if os.environ.get(BASEDIR_ENV) else None)
    if chosen is None:
        raise click.UsageError(f"name the repository with --basedir or ${BASEDIR_ENV}")
    return Repository(chosen)


basedir_option = click.option("--basedir", type=click.Path(file_okay=False, path_type=Path), default=None,
                              help=f"The repository's directory (env: {BASEDIR_ENV}).")


@click.group("repo")
def repo() -> None:
    """The kiosks' apt repository: publish to canary, promote to stable (reprepro, signed)."""


@repo.command("init")
@basedir_option
@click.option("--key", "fingerprint", required=True, help="Fingerprint of the region's signing key (in GNUPGHOME).")
@click.option("--origin", default="Servicepunkt", show_default=True)
def init(basedir: Path | None, fingerprint: str, origin: str) -> None:
    """Create the repository with the channels canary and stable, signed with KEY."""
    try:
        _repository(basedir).init(fingerprint.upper(), origin)
    except RepoError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"repository ready: channels {', '.join(CHANNELS)}")


@repo.command("publish")
@basedir_option
@click.option("--channel", default="canary", show_default=True)
@click.argument("debs", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def publish(basedir: Path | None, channel: str, debs: tuple[Path, ...]) -> None:
    """Add the built packages (dist/deb/*.deb) to a channel."""
    try:
        check_channel(channel)
        repository = _repository(basedir)
        repository.publish(channel, list(debs))
        click.echo(f"{channel} offers servicepunkt-kiosk {repository.version(channel)}")
    except RepoError as error:
        raise click.ClickException(str(error)) from None


@repo.command("promote")
@basedir_option
@click.option("--override", is_flag=True, help="Promote although canary kiosks rolled this version back.")
@click.argument("version")
@click.pass_context
def promote(ctx: click.Context, basedir: Path | None, override: bool, version: str) -> None:
    """Copy VERSION (and its runtime) from canary to stable, unless a canary kiosk rolled it back."""
    with transaction(ctx) as session:
        rollbacks = canary_rollbacks(session, version)
    try:
        _repository(basedir).promote(version, rollbacks, override=override)
    except RepoError as error:
        raise click.ClickException(str(error)) from None
    note = f" (overriding {len(rollbacks)} rollback(s))" if rollbacks else ""
    click.echo(f"stable offers servicepunkt-kiosk {version}{note}")


@repo.command("list")
@basedir_option
def list_channels(basedir: Path | None) -> None:
    """What each channel offers."""
    repository = _repository(basedir)
    try:
        for channel in CHANNELS:
            click.echo(f"{channel}: {repository.version(channel) or '-'} "
                       f"(previous: {repository.version(channel + '-previous') or '-'})")
    except RepoError as error:
        raise click.ClickException(str(error)) from None


def register(main: click.Group) -> None:
    main.add_command(repo)

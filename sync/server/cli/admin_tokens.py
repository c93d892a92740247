"""`kiosk-central admin-token create|list|revoke`: the named credentials of the admin API
(sync/server/admin_tokens.py)."""
from __future__ import annotations

import click

from sync.server import admin_tokens
from sync.server.cli.common import now as _now
from sync.server.cli.common import transaction as _transaction


@click.group("admin-token")
def admin_token() -> None:
    """Named bearer tokens: the one credential of every /v1/admin route."""


@admin_token.command("create")
@click.argument("name")
@click.pass_context
def token_create(ctx: click.Context, name: str) -> None:
    """Create a token for NAME (a person or tool); printed once, stored hashed."""
    with _transaction(ctx) as session:
        token = admin_tokens.create(session, name, _now())
    click.echo(token)


@admin_token.command("list")
@click.pass_context
def token_list(ctx: click.Context) -> None:
    """List the tokens' names, when each was made and whether it is revoked (never the secrets)."""
    with _transaction(ctx) as session:
        rows = [(row.name, row.created_at.isoformat(timespec="seconds"),
                 "active" if row.revoked_at is None else f"revoked {row.revoked_at.isoformat(timespec='seconds')}")
                for row in admin_tokens.list_tokens(session)]
    if not rows:
        click.echo("no admin tokens")
    for row in rows:
        click.echo("{:<30} created {}  {}".format(*row))


@admin_token.command("revoke")
@click.argument("name")
@click.pass_context
def token_revoke(ctx: click.Context, name: str) -> None:
    """Revoke every active token named NAME (refused at once, on every admin route)."""
    with _transaction(ctx) as session:
        count = admin_tokens.revoke(session, name, _now())
    click.echo(f"revoked {count} token(s) named {name}")


def register(main: click.Group) -> None:
    main.add_command(admin_token)

"""One admin credential model: named, revocable admin tokens with the Bearer scheme on every
/v1/admin route; the environment token only bootstraps the first one (sync/server/admin_tokens.py)."""
from __future__ import annotations

import pytest
import requests
from click.testing import CliRunner

from sync.server import admin_tokens
from sync.server.api.app import create_app
from sync.server.cli.main import main
from sync.server.db.admin import AdminToken
from sync.server.errors import AdminError
from tests.sync.helpers import LiveServer

BOOTSTRAP = "bootstrap-token-from-the-environment"
# One route of each admin router: the parcels' and the directory's.
ADMIN_PATHS = ("/v1/admin/parcels", "/v1/admin/parcels/overdue", "/v1/admin/directory/video-services")


def named_token(central, name: str = "coordinator") -> str:
    with central.sessions.begin() as session:
        return admin_tokens.create(session, name, central.clock())


def get(url: str, authorization: str | None) -> requests.Response:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return requests.get(url, headers=headers, timeout=10)


@pytest.fixture
def bootstrapped(central):
    """A second app on the same database started with KIOSK_CENTRAL_ADMIN_TOKEN set."""
    server = LiveServer(create_app(central.database_url, clock=central.clock, admin_token=BOOTSTRAP)).start()
    yield server.url
    server.stop()


@pytest.mark.parametrize("path", ADMIN_PATHS)
def test_a_named_token_opens_every_admin_route(central, path) -> None:
    # Before: /v1/admin/parcels* refused `admin-token create` tokens (it knew only the env token).
    response = get(central.url + path, f"Bearer {named_token(central)}")
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("path", ADMIN_PATHS)
def test_every_admin_route_needs_the_bearer_scheme(central, path) -> None:
    token = named_token(central)
    for authorization in (None, token, f"Basic {token}", "Bearer spa_guessed", "Bearer "):
        response = get(central.url + path, authorization)
        assert response.status_code == 401, (authorization, response.text)
        assert response.json()["error"] == "unauthorized"
        assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("path", ADMIN_PATHS)
def test_a_revoked_token_is_refused_at_once_everywhere(central, path) -> None:
    token = named_token(central)
    assert get(central.url + path, f"Bearer {token}").status_code == 200
    with central.sessions.begin() as session:
        admin_tokens.revoke(session, "coordinator", central.clock())
    assert get(central.url + path, f"Bearer {token}").status_code == 401


def test_the_environment_token_becomes_the_named_token_bootstrap(central, bootstrapped) -> None:
    for path in ADMIN_PATHS:
        # Before: the env token was refused on the directory and accepted without a scheme.
        assert get(bootstrapped + path, f"Bearer {BOOTSTRAP}").status_code == 200
        assert get(bootstrapped + path, BOOTSTRAP).status_code == 401
    [row] = central.rows(AdminToken)
    assert row.name == admin_tokens.BOOTSTRAP_NAME and BOOTSTRAP not in row.token_hash


def test_a_revoked_bootstrap_token_stays_revoked_after_a_restart(central) -> None:
    with central.sessions.begin() as session:
        assert admin_tokens.bootstrap(session, BOOTSTRAP, central.clock())
        admin_tokens.create(session, "coordinator", central.clock())
        admin_tokens.revoke(session, admin_tokens.BOOTSTRAP_NAME, central.clock())
    server = LiveServer(create_app(central.database_url, clock=central.clock, admin_token=BOOTSTRAP)).start()
    try:
        assert get(server.url + ADMIN_PATHS[0], f"Bearer {BOOTSTRAP}").status_code == 401
    finally:
        server.stop()


def test_the_environment_token_is_ignored_once_a_named_token_exists(central) -> None:
    named_token(central)
    with central.sessions.begin() as session:
        assert admin_tokens.bootstrap(session, BOOTSTRAP, central.clock()) is False
    assert [row.name for row in central.rows(AdminToken)] == ["coordinator"]


def test_a_short_environment_token_is_refused_with_a_message(central) -> None:
    with pytest.raises(AdminError, match="at least 16 characters"):
        create_app(central.database_url, admin_token="secret")
    assert central.rows(AdminToken) == []


def test_the_cli_creates_lists_and_revokes_tokens(central) -> None:
    def run(*args: str) -> str:
        result = CliRunner().invoke(main, ["--database-url", central.database_url, "admin-token", *args])
        assert result.exit_code == 0, result.output
        return result.output

    token = run("create", "region-tool").strip()
    assert token.startswith(admin_tokens.TOKEN_PREFIX)
    assert get(central.url + ADMIN_PATHS[0], f"Bearer {token}").status_code == 200
    listed = run("list")
    assert "region-tool" in listed and "active" in listed and token not in listed
    assert "revoked 1 token(s)" in run("revoke", "region-tool")
    assert "revoked" in run("list").split("region-tool")[1]
    assert get(central.url + ADMIN_PATHS[0], f"Bearer {token}").status_code == 401

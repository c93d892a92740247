"""Rate limits wherever a secret can be guessed: after GUESS_LIMIT failures from one client,
even the right secret gets 429 with Retry-After until the window has passed (ratelimit.py)."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import requests

from sync.server.api.app import create_app
from sync.server.kiosks.ratelimit import GUESS_LIMIT
from tests.sync.helpers import Central, LiveServer
from tests.sync.parcel_helpers import add_carrier, post_pre_advice, pre_advice_body

ADMIN_TOKEN = "environment-admin-token-for-tests"


def assert_limited_then_released(central: Central, guess: Callable[[], requests.Response],
                                 right: Callable[[], requests.Response], failure: int) -> None:
    for _ in range(GUESS_LIMIT):
        assert guess().status_code == failure
    limited = right()
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert limited.json()["error"] == "rate_limited"
    central.clock.advance(minutes=11)
    assert right().status_code < 400


def test_carrier_api_keys(central: Central) -> None:
    key = add_carrier(central)
    assert_limited_then_released(
        central, lambda: post_pre_advice(central, "wrong-key", pre_advice_body()),
        lambda: post_pre_advice(central, key, pre_advice_body(f"CP{central.clock().timestamp():.0f}SE")),
        401)


@pytest.fixture
def admin_server(central: Central) -> Iterator[str]:
    server = LiveServer(create_app(central.database_url, clock=central.clock, admin_token=ADMIN_TOKEN)).start()
    yield server.url
    server.stop()


def test_the_environment_admin_token(central: Central, admin_server: str) -> None:
    def get(token: str) -> requests.Response:
        return requests.get(f"{admin_server}/v1/admin/parcels", timeout=10,
                            headers={"Authorization": f"Bearer {token}"})

    assert_limited_then_released(central, lambda: get("guess"), lambda: get(ADMIN_TOKEN), 401)


def test_pickup_page_tokens(central: Central) -> None:
    def page(token: str) -> requests.Response:
        return requests.get(f"{central.url}/p/{token}", timeout=10)

    for n in range(GUESS_LIMIT):
        assert page(f"guess{n}").status_code == 404
    limited = page("another-guess")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    central.clock.advance(minutes=11)
    assert page("after-the-window").status_code == 404


def test_named_admin_tokens(central: Central) -> None:
    from sync.server import admin_tokens

    with central.sessions.begin() as session:
        token = admin_tokens.create(session, "coordinator", central.clock())

    def get(bearer: str) -> requests.Response:
        return requests.get(f"{central.url}/v1/admin/directory/appointments", timeout=10,
                            headers={"Authorization": f"Bearer {bearer}"})

    assert_limited_then_released(central, lambda: get("guess"), lambda: get(token), 401)

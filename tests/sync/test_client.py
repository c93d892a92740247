"""The kiosk's client: device key files, and how each kind of failure reaches the caller."""
from __future__ import annotations

import os
import stat

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response

from sync.client import (
    BadResponse,
    KeyFileError,
    ServerError,
    ServerUnreachable,
    SyncClient,
    enroll,
    generate_device_key,
    load_device_key,
    public_key_b64,
)
from tests.sync.helpers import LiveServer, bound_socket, make_event


def test_device_key_is_private_atomic_and_never_replaced_silently(tmp_path) -> None:
    path = tmp_path / "device_key"
    public = generate_device_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert public_key_b64(load_device_key(path)) == public
    with pytest.raises(FileExistsError):
        generate_device_key(path)
    assert public_key_b64(load_device_key(path)) == public
    assert generate_device_key(path, overwrite=True) != public
    assert sorted(os.listdir(tmp_path)) == ["device_key"]  # no temporary files left behind


def test_a_key_readable_by_others_is_refused(tmp_path) -> None:
    path = tmp_path / "device_key"
    generate_device_key(path)
    path.chmod(0o644)
    with pytest.raises(KeyFileError, match="0600"):
        load_device_key(path)
    with pytest.raises(KeyFileError, match="cannot read"):
        load_device_key(tmp_path / "missing")


def test_nothing_listening_is_server_unreachable(tmp_path) -> None:
    generate_device_key(tmp_path / "key")
    sock = bound_socket()  # bound, not listening: connection refused
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        with pytest.raises(ServerUnreachable):
            enroll(url, "AAAA-BBBB", tmp_path / "key", install_id="i")
        with SyncClient(url, "kiosk-1", tmp_path / "key") as client, pytest.raises(ServerUnreachable):
            client.push([make_event(1)])
    finally:
        sock.close()


def stub_server(batch_response: Response) -> LiveServer:
    """A server that hands out tokens freely and answers every batch with `batch_response`."""
    app = FastAPI()
    app.post("/v1/auth/challenge")(lambda: {"nonce": "n", "expires_in": 60})
    app.post("/v1/auth/token")(lambda: {"token": "t", "expires_in": 3600})
    app.post("/v1/devices/{device_id}/events:batch")(lambda device_id: batch_response)
    return LiveServer(app).start()


@pytest.mark.parametrize("response,expected,retry_after", [
    (JSONResponse({"error": "busy", "detail": "x"}, 503, {"Retry-After": "7"}), ServerError, 7.0),
    (JSONResponse({"error": "too_large", "detail": "x"}, 413), ServerError, None),
    (Response("<html>bad gateway</html>", 502), ServerError, None),
    (Response('{"results": [', 200, media_type="application/json"), BadResponse, None),
])
def test_server_failures_are_typed(tmp_path, response, expected, retry_after) -> None:
    generate_device_key(tmp_path / "key")
    server = stub_server(response)
    try:
        with SyncClient(server.url, "kiosk-1", tmp_path / "key") as client, pytest.raises(expected) as err:
            client.push([make_event(1)])
    finally:
        server.stop()
    if expected is ServerError:
        assert err.value.status == response.status_code and err.value.retry_after == retry_after

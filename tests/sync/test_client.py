"""The kiosk's client: device key files, and how each kind of failure reaches the caller."""
from __future__ import annotations

import gzip
import json
import os
import stat

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from sync import batchcodec
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


def format_1_only_server(seen: list[str]) -> LiveServer:
    """A server from before push format 2: 415 for it, BatchResponse JSON for format 1."""
    app = FastAPI()
    app.post("/v1/auth/challenge")(lambda: {"nonce": "n", "expires_in": 60})
    app.post("/v1/auth/token")(lambda: {"token": "t", "expires_in": 3600})

    @app.post("/v1/devices/{device_id}/events:batch")
    async def batch(device_id: str, request: Request) -> Response:
        seen.append(request.headers["content-type"])
        if request.headers["content-type"] != "application/json":
            return JSONResponse({"error": "unsupported_batch_format", "detail": "format 1 only"}, 415)
        events = json.loads(gzip.decompress(await request.body()))["events"]
        results = [{"event_id": e["event_id"], "seq": e["seq"], "status": "accepted"} for e in events]
        return JSONResponse({"results": results, "acked_through": events[-1]["seq"],
                             "server_time": "2026-11-27T12:00:00Z"})

    return LiveServer(app).start()


def test_a_server_that_cannot_read_format_2_gets_format_1_from_then_on(tmp_path) -> None:
    generate_device_key(tmp_path / "key")
    seen: list[str] = []
    server = format_1_only_server(seen)
    try:
        with SyncClient(server.url, "kiosk-1", tmp_path / "key") as client:
            first = client.push([make_event(1)])
            second = client.push([make_event(2)])
    finally:
        server.stop()
    assert [r.status for r in first.results + second.results] == ["accepted", "accepted"]
    assert seen == [batchcodec.MEDIA_TYPE_V2, "application/json", "application/json"]
    assert client.push_format == 1


def test_a_format_2_reply_for_another_batch_is_a_bad_response(tmp_path) -> None:
    generate_device_key(tmp_path / "key")
    reply = Response('{"v":2,"n":3,"acked_through":3,"server_time":"2026-11-27T12:00:00Z"}',
                     media_type="application/json")
    server = stub_server(reply)
    try:
        with SyncClient(server.url, "kiosk-1", tmp_path / "key") as client, \
                pytest.raises(BadResponse, match="does not fit"):
            client.push([make_event(1)])
    finally:
        server.stop()

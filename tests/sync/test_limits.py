"""Body limits and slow clients against `kiosk-central serve` in a process of its own (its
memory is measured from /proc), plus the middleware's behaviour in-process (limits.py,
header_timeout.py)."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from sync import protocol as p
from tests.sync.helpers import bound_socket, wait_until

MIB = 1024 * 1024
TIMEOUT_S = 2  # the served process's header and body timeouts


@dataclass
class Served:
    process: subprocess.Popen[str]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_bytes(self) -> int:
        """VmRSS of the server process (/proc/PID/status), in bytes."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS line")

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    sock = bound_socket()
    port = sock.getsockname()[1]
    sock.close()
    database = tmp_path_factory.mktemp("limits") / "central.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "sync.server.cli.main", "--database-url", f"sqlite:///{database}", "serve",
         "--port", str(port), "--no-notifier", "--log-level", "warning",
         "--header-timeout", str(TIMEOUT_S), "--body-timeout", str(TIMEOUT_S)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True, stdin=subprocess.DEVNULL)
    server = Served(process, port)
    try:
        def healthy() -> bool:
            try:
                return requests.get(f"{server.url}/healthz", timeout=1).status_code == 200
            except requests.RequestException:
                assert process.poll() is None, "kiosk-central serve exited"
                return False

        wait_until(healthy, "kiosk-central serve")
        yield server
    finally:
        process.terminate()
        process.wait(10)


def send_until_refused(sock: socket.socket, head: bytes, body_bytes: int, chunked: bool) -> bytes:
    """Send `head`, then up to `body_bytes` of body (raw or as 64 KiB chunks) for as long as the
    server reads; returns what the server answered (b"" if it only closed)."""
    piece = b"x" * (64 * 1024)
    frame = b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
    try:
        sock.sendall(head)
        for _ in range(body_bytes // len(piece)):
            sock.sendall(frame)
    except (BrokenPipeError, ConnectionResetError):
        pass  # refused and closed mid-body, as it should be
    return read_reply(sock)


def read_reply(sock: socket.socket) -> bytes:
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return data


def status_and_body(reply: bytes) -> tuple[int, dict[str, str], str]:
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body.decode()


def post_head(path: str, length: int | None) -> bytes:
    framing = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    return (f"POST {path} HTTP/1.1\r\nHost: central\r\nContent-Type: application/json\r\n"
            f"{framing}\r\n\r\n").encode()


BATCH_PATH = f"{p.API_PREFIX}/devices/kiosk-nobody/events:batch"
PRE_ADVICE_PATH = f"{p.API_PREFIX}/carrier/pre-advice"
SMS_REPORT_PATH = f"{p.API_PREFIX}/sms/delivery"
ENROLL_PATH = f"{p.API_PREFIX}/enroll"  # the one body read with no credential (it holds one)


@pytest.mark.parametrize("path, chunked, refusal", [
    ("/no/such/route", False, 413), ("/no/such/route", True, 404),
    (BATCH_PATH, False, 413), (BATCH_PATH, True, 401),
    (PRE_ADVICE_PATH, False, 413), (PRE_ADVICE_PATH, True, 401), (SMS_REPORT_PATH, True, 401),
], ids=["404-length", "404-chunked", "batch-length", "batch-chunked", "pre-advice-length",
        "pre-advice-chunked", "sms-report-chunked"])
def test_a_64_mib_unauthenticated_body_is_refused_without_the_server_growing(
        served: Served, path: str, chunked: bool, refusal: int) -> None:
    """Unauthenticated bodies were read whole into memory: 64 MiB to a 404 route cost the
    server 430 MiB. Now a declared length over the limit is 413 before routing or auth; a
    chunked body of unknown length is never read by a route that refuses the request anyway
    (404, 401), and its connection is closed instead of drained."""
    with served.connect() as warm_up:  # the first request's imports and buffers are not the body's
        send_until_refused(warm_up, post_head(path, 10), 0, chunked=False)
    before = served.rss_bytes()

    with served.connect() as sock:
        reply = send_until_refused(sock, post_head(path, None if chunked else 64 * MIB), 64 * MIB, chunked)

    growth = served.rss_bytes() - before
    assert growth < 10 * MIB, f"the server grew {growth / MIB:.1f} MiB"
    status, headers, body = status_and_body(reply)
    assert status == refusal and headers["connection"] == "close"
    error = json.loads(body)["error"]
    assert error == "too_large" if refusal == 413 else error != "too_large"


def test_a_client_sending_its_headers_a_byte_a_second_is_dropped(served: Served) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: central\r\nUser-Agent: slowloris\r\n\r\n"
    sent = 0
    with served.connect() as sock:
        sock.settimeout(1)
        try:
            for byte in request:
                sock.sendall(bytes([byte]))
                sent += 1
                try:
                    if sock.recv(1) == b"":
                        break  # closed by the server
                except TimeoutError:
                    pass  # still open: the next byte, one second later
        except (BrokenPipeError, ConnectionResetError):
            pass
    # Dropped within the header timeout (TIMEOUT_S at one byte a second, plus slack for a
    # loaded machine), long before the request was whole.
    assert sent < min(len(request), 4 * TIMEOUT_S + 4), f"still connected after {sent} bytes"


def test_a_connection_that_sends_nothing_is_dropped(served: Served) -> None:
    with served.connect() as sock:
        sock.settimeout(4 * TIMEOUT_S + 4)
        assert read_reply(sock) == b""  # closed without a word, not held open


def test_a_stalled_body_is_answered_408(served: Served) -> None:
    """Enrollment reads its body first (the code is in it): a body that stops half-way gets
    408 and a closed connection, not a worker held for ever."""
    with served.connect() as sock:
        sock.settimeout(4 * TIMEOUT_S + 4)
        sock.sendall(post_head(ENROLL_PATH, 100) + b'{"code": ')
        status, headers, body = status_and_body(read_reply(sock))
    assert status == 408 and headers["connection"] == "close"
    assert json.loads(body)["error"] == "body_timeout"


def test_a_body_answered_unread_closes_the_connection(served: Served) -> None:
    """A 401 sent before the body was read: the rest of the body, however slow, must not
    keep the connection open (uvicorn keeps reading it otherwise)."""
    with served.connect() as sock:
        sock.settimeout(10)
        sock.sendall(post_head(BATCH_PATH, 1000) + b"{")
        status, headers, _body = status_and_body(read_reply(sock))
    assert status == 401 and headers["connection"] == "close"


def test_small_bodies_and_keep_alive_still_work(served: Served) -> None:
    with requests.Session() as http:
        first = http.post(f"{served.url}{ENROLL_PATH}", json={"code": "nope"}, timeout=10)
        time.sleep(0)  # the same pooled connection serves the second request
        second = http.get(f"{served.url}/healthz", timeout=10)
    assert first.status_code == 422 and second.status_code == 200
    assert "close" not in second.headers.get("connection", "")


def test_a_pre_advice_over_its_limit_is_413_before_the_key_is_checked(served: Served) -> None:
    reply = requests.post(f"{served.url}{PRE_ADVICE_PATH}", data=b"{" * (17 * 1024),
                          headers={"Content-Type": "application/json"}, timeout=10)
    assert reply.status_code == 413 and reply.json()["error"] == "too_large"


def test_an_authenticated_batch_streamed_past_the_limit_is_413(central, kiosk) -> None:
    """The one "send smaller" signal: counted as it streams, refused as it passes the limit."""
    from sync.client import load_device_key
    from tests.sync.helpers import signed_token

    token = signed_token(central.url, kiosk.device_id, load_device_key(kiosk.key_path)).json()["token"]
    chunks = (b" " * (64 * 1024) for _ in range(p.MAX_BODY_BYTES // (64 * 1024) + 2))
    try:
        reply = requests.post(f"{central.url}{p.API_PREFIX}/devices/{kiosk.device_id}/events:batch",
                              data=chunks, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    except requests.ConnectionError:
        pytest.fail("refused by closing, without the 413 a kiosk acts on")
    assert reply.status_code == 413 and reply.json()["error"] == "too_large"

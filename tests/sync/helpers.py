"""Real parts for the sync tests: a uvicorn server on an ephemeral port, a fake clock,
a seeded central database, and event builders."""
from __future__ import annotations

import base64
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from sync import protocol as p
from sync.server.api.app import create_app
from sync.server.db.engine import make_engine, make_session_factory
from sync.server.kiosks import admin

SP = "SP-KORPILOMBOLO"
SP_NAME = "Korpilombolo Handel"
OTHER_SP = "SP-PAJALA"


class FakeClock:
    """The server's clock, moved by the test (codes, nonces and tokens expire by it)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def bound_socket() -> socket.socket:
    """Bound to an ephemeral port but not listening: connections are refused until a
    server is started on it (the 'server comes up late' case)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class LiveServer:
    """A real uvicorn server in a thread, on a socket of its own."""

    def __init__(self, app: Any, sock: socket.socket | None = None) -> None:
        self.sock = sock or bound_socket()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "server did not start"
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


class Central:
    """The server side of a test: its database (seeded through sync.server.kiosks.admin, as the
    CLI does), its clock and, once started, the live server."""

    # The password of the SMS delivery-report URL; the notifier fixtures' settings use it too.
    sms_report_secret = "test-report-secret"

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.clock = FakeClock()
        self.engine = make_engine(database_url)
        self.sessions = make_session_factory(self.engine)
        self.live: LiveServer | None = None

    @property
    def url(self) -> str:
        assert self.live is not None
        return self.live.url

    def start(self, sock: socket.socket | None = None) -> Central:
        app = create_app(self.database_url, clock=self.clock, sms_report_secret=self.sms_report_secret)
        self.live = LiveServer(app, sock).start()
        return self

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()
        self.engine.dispose()

    def add_service_point(self, sp: str = SP, name: str = SP_NAME) -> None:
        with self.sessions.begin() as session:
            admin.add_service_point(session, sp, name, self.clock())

    def add_kiosk(self, sp: str = SP, expires: timedelta = timedelta(hours=72)) -> str:
        with self.sessions.begin() as session:
            _device, code = admin.add_kiosk(session, name="Kassa", service_point_id=sp,
                                            expires=expires, now=self.clock())
        return code

    def add_staff(self, name: str, uid: str, sp: str = SP) -> int:
        with self.sessions.begin() as session:
            return admin.add_staff(session, service_point_id=sp, name=name, card_uid=uid,
                                   now=self.clock()).id

    def remove_staff(self, card_id: int) -> None:
        with self.sessions.begin() as session:
            admin.remove_staff(session, card_id, self.clock())

    def revoke(self, device_id: str) -> None:
        with self.sessions.begin() as session:
            admin.revoke_kiosk(session, device_id, self.clock())

    def count(self, model: Any, *where: Any) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    def rows(self, model: Any, *where: Any) -> list[Any]:
        with self.sessions() as session:
            return list(session.scalars(select(model).where(*where)))


def make_event(seq: int, type_: str = "parcel.stored", payload: dict[str, Any] | None = None,
               event_id: uuid.UUID | None = None, payload_hash: str | None = None) -> p.Event:
    payload = payload if payload is not None else stored_payload(f"P{seq}")
    return p.Event(
        event_id=event_id or uuid.uuid4(),
        seq=seq,
        type=type_,
        payload=payload,
        payload_hash=payload_hash or p.payload_hash(payload),
        clock=p.Clock(wall_ms=1000 + seq, clock_synced=False, boot_id="boot-1", mono_ms=seq),
    )


def stored_payload(parcel_id: str) -> dict[str, Any]:
    return {"parcel_id": parcel_id, "tracking_id": f"CP{parcel_id}SE", "compartment": "A1"}


def signed_token(server_url: str, device_id: str, key: Ed25519PrivateKey) -> requests.Response:
    """Challenge + token by hand, to test the endpoints themselves."""
    challenge = requests.post(f"{server_url}/v1/auth/challenge", json={"device_id": device_id},
                              timeout=10)
    challenge.raise_for_status()
    nonce = challenge.json()["nonce"]
    signature = base64.b64encode(key.sign(nonce.encode())).decode()
    return requests.post(f"{server_url}/v1/auth/token", timeout=10,
                         json={"device_id": device_id, "nonce": nonce, "signature": signature})


def wait_until(condition: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")

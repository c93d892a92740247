"""Server ingest on PostgreSQL: 50 simulated kiosks push concurrently to a real
`kiosk-central serve` process. Bodies are built and encoded (push format 2, as the kiosks
send them) before the clock starts, so the figure is the server's (the clients only send
bytes)."""
from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

from sync import batchcodec
from sync import protocol as p
from sync.client import SyncClient, enroll, generate_device_key
from sync.server.db.engine import make_engine, make_session_factory, upgrade
from sync.server.kiosks import admin
from tests.sync.helpers import SP, FakeClock

PG = "postgresql://postgres@127.0.0.1:5432"
KIOSKS, BATCHES, BATCH = 50, 2, 500
ROOT = Path(__file__).resolve().parents[2]


def _batches(count: int) -> list[bytes]:
    bodies, seq = [], 0
    for _ in range(count):
        events = []
        for _ in range(BATCH):
            seq += 1
            payload = {"parcel_id": str(uuid.uuid4()), "tracking_id": f"RR{seq:09d}SE", "compartment": "A1"}
            events.append(p.Event(event_id=uuid.uuid4(), seq=seq, type="parcel.stored", payload=payload,
                                  payload_hash=p.payload_hash(payload),
                                  clock=p.Clock(wall_ms=0, clock_synced=False, boot_id="b", mono_ms=seq)))
        bodies.append(batchcodec.encode_batch(events))
    return bodies


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_up(url: str) -> None:
    for _ in range(100):
        try:
            if requests.get(f"{url}/healthz", timeout=1).ok:
                return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError("kiosk-central did not start")


def _kiosks(url: str, database_url: str, work: Path) -> list[tuple[str, str]]:
    """Enroll KIOSKS kiosks; returns (device_id, bearer token) pairs."""
    engine = make_engine(database_url)
    codes = []
    with make_session_factory(engine).begin() as session:
        now = FakeClock()()
        admin.add_service_point(session, SP, "Bench", now)
        from datetime import timedelta
        for i in range(KIOSKS):
            codes.append(admin.add_kiosk(session, name=f"k{i}", service_point_id=SP,
                                         expires=timedelta(hours=1), now=now)[1])
    engine.dispose()
    out = []
    for i, code in enumerate(codes):
        key = work / f"key{i}"
        generate_device_key(key)
        device = enroll(url, code, key, install_id=f"i{i}").device_id
        with SyncClient(url, device, key) as client:
            out.append((device, client._current_token()))
    return out


def _push_all(url: str, device: str, token: str, bodies: list[bytes], start: threading.Barrier,
              errors: list[str]) -> None:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": batchcodec.MEDIA_TYPE_V2}
    with requests.Session() as http:
        start.wait()
        for body in bodies:
            reply = http.post(f"{url}/v1/devices/{device}/events:batch", data=body, headers=headers, timeout=300)
            if reply.status_code != 200:
                errors.append(f"{reply.status_code} {reply.text[:100]}")


def postgres_ingest() -> dict:
    try:
        import psycopg
        admin_conn = psycopg.connect(f"{PG}/postgres", autocommit=True, connect_timeout=3)
    except Exception as exc:  # noqa: BLE001 - no PostgreSQL here: say so in the results
        return {"skipped": f"PostgreSQL not reachable at 127.0.0.1:5432 ({exc})"}
    name = f"bench_sync_{secrets.token_hex(3)}"
    admin_conn.execute(f'CREATE DATABASE "{name}"')
    database_url = f"{PG}/{name}"
    try:
        upgrade(database_url)
        return _run(database_url)
    finally:
        admin_conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin_conn.close()


def _run(database_url: str) -> dict:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "sync.server.cli.main", "--database-url", database_url, "serve",
                               "--port", str(port), "--no-upgrade", "--log-level", "warning"],
                              cwd=ROOT, env={**os.environ})
    try:
        _wait_up(url)
        with tempfile.TemporaryDirectory() as tmp:
            kiosks = _kiosks(url, database_url, Path(tmp))
        bodies = [_batches(BATCHES) for _ in kiosks]
        start, errors = threading.Barrier(len(kiosks) + 1), []
        threads = [threading.Thread(target=_push_all, args=(url, d, t, b, start, errors))
                   for (d, t), b in zip(kiosks, bodies, strict=True)]
        for thread in threads:
            thread.start()
        start.wait()
        began = time.monotonic()
        for thread in threads:
            thread.join()
        seconds = time.monotonic() - began
    finally:
        server.terminate()
        server.wait(20)
    if errors:
        return {"skipped": f"{len(errors)} failed batches, e.g. {errors[0]}"}
    events = KIOSKS * BATCHES * BATCH
    return {"events": events, "kiosks": KIOSKS, "seconds": seconds, "rate": events / seconds}

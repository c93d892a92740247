"""Schemathesis against a live kiosk-central (a real `kiosk-central serve` process on a free
127.0.0.1 port), on SQLite and on PostgreSQL, once per credential kind: no 5xx, every reply
matches its schema in /openapi.json, and no status the document does not list for its operation.

Each operation gets a bounded number of generated requests, schema-conforming ones and
schema-violating ones (FUZZ_EXAMPLES), so the run fits the CI's time: the operations of the
credential's own audience and, without a credential, all of them get the full number; another
audience's operations only a few (they answer 401, which is checked all the same). A failure
names the operation and the request to replay it.
"""
from __future__ import annotations

import base64
import os
import secrets
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import schemathesis
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from sync import batchcodec
from sync.server import admin_tokens
from sync.server.db.engine import make_engine, make_session_factory
from sync.server.kiosks import admin
from sync.server.parcels.carriers import add_carrier
from tests.sync.helpers import SP, signed_token, wait_until

pytestmark = pytest.mark.fuzz
FUZZ_EXAMPLES = {GenerationMode.POSITIVE: 20, GenerationMode.NEGATIVE: 10}
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
OTHER_AUDIENCE_EXAMPLES = 3
# credential kind -> the security scheme of the operations it opens
AUDIENCES = {"device": "deviceToken", "admin": "adminToken", "carrier": "carrierApiKey", "none": None}
# Format 2 bodies are bytes: sent as they are generated.
schemathesis.serializer.alias([batchcodec.MEDIA_TYPE_V2, batchcodec.MEDIA_TYPE], "application/octet-stream")


@dataclass(frozen=True)
class LiveCentral:
    url: str
    device_id: str
    headers: dict[str, dict[str, str]]  # credential kind -> headers that carry it


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed(database_url: str) -> tuple[str, str, str]:
    """A service point, a kiosk awaiting enrollment and a carrier: (enrollment code, device id, carrier key)."""
    engine = make_engine(database_url)
    now = datetime.now(UTC)
    try:
        with make_session_factory(engine).begin() as session:
            admin.add_service_point(session, SP, "Korpilombolo Handel", now)
            device, code = admin.add_kiosk(session, name="fuzzed", service_point_id=SP,
                                           expires=timedelta(hours=1), now=now)
            _carrier, key = add_carrier(session, "FuzzPost", deadline_days=7, reminder_day=3,
                                        webhook_url=None, now=now)
        return code, device.device_id, key
    finally:
        engine.dispose()


def enrolled_token(url: str, code: str, device_id: str) -> str:
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    requests.post(f"{url}/v1/enroll", timeout=10, json={
        "code": code, "public_key": base64.b64encode(raw).decode(), "install_id": "fuzz",
        "hw": {}}).raise_for_status()
    reply = signed_token(url, device_id, key)
    reply.raise_for_status()
    return str(reply.json()["token"])


def named_admin_token(database_url: str) -> str:
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine).begin() as session:
            return admin_tokens.create(session, "fuzzer", datetime.now(UTC))
    finally:
        engine.dispose()


@pytest.fixture
def live_central(database_url: str) -> Iterator[LiveCentral]:
    code, device_id, carrier_key = seed(database_url)
    port = free_port()
    env = {**os.environ, "KIOSK_CENTRAL_ADMIN_TOKEN": secrets.token_urlsafe(24)}
    server = subprocess.Popen(
        [sys.executable, "-m", "sync.server.cli.main", "--database-url", database_url, "serve",
         "--port", str(port), "--no-notifier", "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(url) or server.poll() is not None, "the server to start", timeout=60)
        assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
        headers = {
            "device": {"Authorization": f"Bearer {enrolled_token(url, code, device_id)}"},
            "admin": {"Authorization": f"Bearer {named_admin_token(database_url)}"},
            "carrier": {"X-Api-Key": carrier_key},
            "none": {},
        }
        yield LiveCentral(url, device_id, headers)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def examples(operation: Any, credential: str, mode: GenerationMode) -> int:
    schemes = {name for requirement in operation.definition.raw.get("security", [])
               for name in requirement}
    if AUDIENCES[credential] is None or AUDIENCES[credential] in schemes:
        return FUZZ_EXAMPLES[mode]
    return min(OTHER_AUDIENCE_EXAMPLES, FUZZ_EXAMPLES[mode])


def fuzz_operation(operation: Any, central: LiveCentral, credential: str,
                   mode: GenerationMode) -> str | None:
    """None, or what failed for this operation with this credential and mode."""
    http = requests.Session()
    headers = central.headers[credential]

    @settings(max_examples=examples(operation, credential, mode), deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case) -> None:
        if credential == "device" and "device_id" in (case.path_parameters or {}):
            case.path_parameters["device_id"] = central.device_id  # its token is for its own URLs
        case.call_and_validate(base_url=central.url, session=http, headers=headers, checks=CHECKS,
                               timeout=30)

    try:
        run()
    except Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE, f"{operation.label}: no valid request can be generated"
        return None  # nothing to negate: no parameters and no body (GET /healthz)
    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collected per operation, reported below
        return f"{operation.label} [{credential}, {mode.value}]: {exc}"
    finally:
        http.close()
    return None


@pytest.mark.parametrize("credential", AUDIENCES)
def test_the_live_server_keeps_its_openapi_contract(live_central: LiveCentral, credential: str) -> None:
    schema = schemathesis.openapi.from_url(f"{live_central.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    failures = [failure for operation in operations for mode in FUZZ_EXAMPLES
                if (failure := fuzz_operation(operation, live_central, credential, mode))]
    assert not failures, "\n\n".join(failures)

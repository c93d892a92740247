"""A kiosk client written by a third party: only from docs/protocol.md and /openapi.json.

It imports nothing of this project (no `sync`, `kiosk`, `hardware`, `tests`): only the
standard library, httpx and cryptography, plus pytest to run it; the last test checks that by
parsing this file's imports. It talks to a live `kiosk-central serve` started as a process on
a SQLite file, with the service point, staff cards, a carrier and the enrollment codes made by
the `kiosk-central` CLI, as a region's operator would. One test is a carrier integration
(pre-advice), the others a kiosk. Where the page was not enough to write
this client, the page was fixed, not the client. The dictionary of push format 2 is read
from the page itself, as a third party would copy it.
"""
from __future__ import annotations

import ast
import base64
import gzip
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL_PAGE = ROOT / "docs" / "protocol.md"
SERVICE_POINT = "SP-THIRDPARTY"
FORMAT_2 = "application/vnd.servicepunkt.events; v=2"
FINAL = {"accepted", "duplicate", "conflict", "rejected"}
Sender = Callable[[list[dict[str, Any]]], dict[str, str]]  # a batch -> event_id: status


# --- the live server, set up with the operator's CLI ----------------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    database_url: str
    process: subprocess.Popen[bytes]

    def cli(self, *args: str) -> str:
        return run_cli(self.database_url, *args)


def run_cli(database_url: str, *args: str) -> str:
    command = [str(Path(sys.executable).with_name("kiosk-central")), "--database-url", database_url, *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, f"{' '.join(args)}: {done.stderr}"
    return done.stdout


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"kiosk-central serve exited: {log.read_text()}")
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"kiosk-central serve did not answer /healthz: {log.read_text()}")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    database_url = f"sqlite:///{tmp_path / 'central.db'}"
    run_cli(database_url, "db", "upgrade")
    run_cli(database_url, "service-point", "add", SERVICE_POINT, "--name", "Byabutiken")
    port, log = _free_port(), tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("kiosk-central")), "--database-url", database_url,
             "serve", "--port", str(port), "--no-notifier", "--log-level", "warning"],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "KIOSK_CENTRAL_ADMIN_TOKEN": ""})
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, process, log)
        yield LiveServer(url, database_url, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


# --- what docs/protocol.md specifies ----------------------------------------------------------

def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def public_key(key: Ed25519PrivateKey) -> str:
    """§4: base64 of the raw 32-byte public key."""
    return b64(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def canonical_json(payload: dict[str, Any]) -> str:
    """§5.2: keys sorted, no whitespace, non-ASCII as itself, no NaN."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def payload_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def rotation_message(device_id: str, nonce: str, new_public_key: str) -> bytes:
    """§4: "rotate-key" LF device_id LF nonce LF new_public_key, UTF-8, no trailing newline."""
    return f"rotate-key\n{device_id}\n{nonce}\n{new_public_key}".encode()


def dictionary_from_the_page() -> bytes:
    """§5.4: the preset dictionary, copied from the page and checked against its digest."""
    page = PROTOCOL_PAGE.read_text(encoding="utf-8")
    found = re.search(r"The dictionary \(\d+ bytes .*?SHA-256 `([0-9a-f]{64})`\):\n\n```text\n(.*?)\n```",
                      page, re.DOTALL)
    assert found, "docs/protocol.md §5.4 shows no dictionary"
    dictionary = found[2].encode("ascii")
    assert hashlib.sha256(dictionary).hexdigest() == found[1]
    return dictionary


def deltas(values: list[int]) -> list[int]:
    return [b - a for a, b in zip([0, *values], values, strict=False)]  # the first list is one longer


def format_2_body(events: list[dict[str, Any]], dictionary: bytes) -> bytes:
    """§5.4, column by column."""
    kinds: dict[tuple[str, tuple[str, ...]], int] = {}
    boots: dict[str, int] = {}
    rows, boot = [], []
    for event in events:
        keys = tuple(sorted(event["payload"]))
        kind = kinds.setdefault((event["type"], keys), len(kinds))
        rows.append([kind, *(event["payload"][key] for key in keys)])
        boot.append(boots.setdefault(event["clock"]["boot_id"], len(boots)))
    walls = [event["clock"]["wall_ms"] for event in events]
    document = {
        "v": 2, "n": len(events),
        "ids": b64(b"".join(uuid.UUID(event["event_id"]).bytes for event in events)),
        "hashes": b64(b"".join(bytes.fromhex(payload_hash(event["payload"])[:8]) for event in events)),
        "seq": deltas([event["seq"] for event in events]),
        "kinds": [[type_, list(keys)] for type_, keys in kinds],
        "rows": rows, "boots": list(boots), "boot": boot,
        "synced": "".join("1" if event["clock"]["clock_synced"] else "0" for event in events),
        "wall": deltas(walls),
        "skew": deltas([event["clock"]["mono_ms"] - wall for event, wall in zip(events, walls, strict=True)]),
    }
    packer = zlib.compressobj(9, zlib.DEFLATED, 15, zdict=dictionary)
    return packer.compress(json.dumps(document, separators=(",", ":")).encode("utf-8")) + packer.flush()


class ProtocolError(Exception):
    def __init__(self, response: httpx.Response) -> None:
        body = response.json()
        super().__init__(f"{response.status_code} {body['error']}: {body.get('detail', '')}")
        self.status, self.error, self.body = response.status_code, body["error"], body


# --- the client -------------------------------------------------------------------------------

@dataclass
class Outbox:
    """Events with their seq, event_id and (once answered) final status."""

    events: list[dict[str, Any]] = field(default_factory=list)
    status: dict[str, str] = field(default_factory=dict)  # event_id -> final status
    next_seq: int = 1
    boot_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def add(self, type_: str, payload: dict[str, Any]) -> dict[str, Any]:
        now_ms = int(time.time() * 1000)
        event = {"event_id": str(uuid.uuid4()), "seq": self.next_seq, "type": type_, "payload": payload,
                 "clock": {"wall_ms": now_ms, "clock_synced": True, "boot_id": self.boot_id,
                           "mono_ms": int(time.monotonic() * 1000)}}
        self.next_seq += 1
        self.events.append(event)
        return event

    def pending(self) -> list[dict[str, Any]]:
        return [event for event in self.events if event["event_id"] not in self.status]

    def renumber_above(self, high_seq: int) -> None:
        """§5.5: pending events get high_seq + 1, + 2, … in their order, same event ids."""
        base = max(high_seq, max((event["seq"] for event in self.events), default=0))
        for offset, event in enumerate(sorted(self.pending(), key=lambda e: e["seq"]), start=1):
            event["seq"] = base + offset
        self.next_seq = base + len(self.pending()) + 1


class ThirdPartyKiosk:
    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=20)
        self.key = Ed25519PrivateKey.generate()
        self.device_id = ""
        self.token: str | None = None
        self.outbox = Outbox()
        self.rewinds = 0
        self.halvings = 0

    def close(self) -> None:
        self.http.close()

    def _json(self, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            raise ProtocolError(response)
        return response.json()

    def enroll(self, code: str) -> dict[str, Any]:
        reply = self._json(self.http.post("/v1/enroll", json={
            "code": code, "public_key": public_key(self.key), "install_id": "third-party-1", "hw": {}}))
        self.device_id = reply["device_id"]
        return dict(reply)

    def nonce(self) -> str:
        return str(self._json(self.http.post("/v1/auth/challenge", json={"device_id": self.device_id}))["nonce"])

    def fetch_token(self) -> None:
        nonce = self.nonce()
        signature = b64(self.key.sign(nonce.encode("utf-8")))
        reply = self._json(self.http.post("/v1/auth/token", json={
            "device_id": self.device_id, "nonce": nonce, "signature": signature}))
        self.token = reply["token"]

    def authorized(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """§10: on 401 invalid_token, a new token and the request once more."""
        if self.token is None:
            self.fetch_token()
        response = self._send(method, path, **kwargs)
        if response.status_code == 401 and response.json()["error"] == "invalid_token":
            self.fetch_token()
            response = self._send(method, path, **kwargs)
        return response

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {self.token}"}
        return self.http.request(method, f"/v1/devices/{self.device_id}{path}", headers=headers, **kwargs)

    # push ----------------------------------------------------------------------------------

    def push_format_1(self, events: list[dict[str, Any]]) -> dict[str, str]:
        body = gzip.compress(json.dumps({"events": events}).encode("utf-8"))
        response = self.authorized("POST", "/events:batch", content=body, headers={
            "Content-Type": "application/json", "Content-Encoding": "gzip"})
        reply = self._json(response)
        assert reply["acked_through"] == max((e["seq"] for e in events), default=0)
        return {result["event_id"]: result["status"] for result in reply["results"]}

    def push_format_2(self, events: list[dict[str, Any]], dictionary: bytes) -> dict[str, str]:
        response = self.authorized("POST", "/events:batch", content=format_2_body(events, dictionary),
                                   headers={"Content-Type": FORMAT_2})
        reply = self._json(response)
        assert reply["n"] == len(events)
        statuses = {event["event_id"]: "accepted" for event in events}
        for index, status, _reason in reply["others"]:
            statuses[events[index]["event_id"]] = status
        return statuses

    def push_pending(self, send: Sender | None = None, size: int = 500) -> None:
        """Send every pending event: halve on 413 (§9), renumber on seq_rewind (§5.5)."""
        send = send or self.push_format_1
        while self.outbox.pending():
            batch = sorted(self.outbox.pending(), key=lambda e: e["seq"])[:size]
            try:
                verdicts = send(batch)
            except ProtocolError as exc:
                if exc.status == 413 and exc.error == "too_large" and size > 1:
                    size = max(1, min(size, len(batch)) // 2)
                    self.halvings += 1
                    continue
                if exc.status == 409 and exc.error == "seq_rewind":
                    self.rewinds += 1
                    self.outbox.renumber_above(int(exc.body["high_seq"]))
                    continue
                raise
            assert set(verdicts.values()) <= FINAL
            self.outbox.status.update(verdicts)

    # pull and rotate -----------------------------------------------------------------------

    def pull(self, scope: str, cursor: str, limit: int) -> dict[str, Any]:
        response = self.authorized("GET", "/changes", params={"scope": scope, "since": cursor, "limit": limit})
        return dict(self._json(response))

    def pull_all(self, scope: str, cursor: str = "", limit: int = 1) -> tuple[dict[str, dict[str, Any]], str]:
        """Every change of a scope, page by page; on must_refetch, from the start again."""
        items: dict[str, dict[str, Any]] = {}
        while True:
            try:
                page = self.pull(scope, cursor, limit)
            except ProtocolError as exc:
                if exc.error != "must_refetch":
                    raise
                items, cursor = {}, ""
                continue
            for change in page["changes"]:
                key = f"{change['entity']}:{change['entity_id']}"
                if change["op"] == "delete":
                    items.pop(key, None)
                else:
                    items[key] = change["data"]
            cursor = page["next_cursor"]
            if not page["has_more"]:
                return items, cursor

    def rotate_key(self) -> Ed25519PrivateKey:
        new_key = Ed25519PrivateKey.generate()
        nonce, new_public = self.nonce(), public_key(new_key)
        message = rotation_message(self.device_id, nonce, new_public)
        reply = self._json(self.http.post("/v1/auth/rotate-key", json={
            "device_id": self.device_id, "nonce": nonce, "new_public_key": new_public,
            "signature": b64(self.key.sign(message)), "new_key_signature": b64(new_key.sign(message))}))
        assert reply == {"device_id": self.device_id, "public_key": new_public}
        old, self.key = self.key, new_key
        return old


# --- the run ----------------------------------------------------------------------------------

def door_opened(compartment: str) -> dict[str, Any]:
    return {"compartment": compartment, "reason": "inspect", "outcome": "opened", "actor": "staff-1"}


@pytest.fixture
def kiosk(server: LiveServer) -> Iterator[ThirdPartyKiosk]:
    client = ThirdPartyKiosk(server.url)
    yield client
    client.close()


def test_the_operations_used_here_are_in_the_openapi_document(server: LiveServer) -> None:
    paths = httpx.get(server.url + "/openapi.json", timeout=20).json()["paths"]
    for path in ("/v1/enroll", "/v1/auth/challenge", "/v1/auth/token", "/v1/auth/rotate-key",
                 "/v1/devices/{device_id}/events:batch", "/v1/devices/{device_id}/changes"):
        assert path in paths


def test_enroll_token_push_rewind_pull_and_rotate(server: LiveServer, kiosk: ThirdPartyKiosk) -> None:
    code = server.cli("kiosk", "add", "Kiosk 1", "--service-point", SERVICE_POINT, "--quiet").strip()
    enrolled = kiosk.enroll(code)
    assert enrolled["service_point_id"] == SERVICE_POINT and "staff" in enrolled["scopes"]

    # Push: three events, one with a payload the server cannot accept (rejected, alone).
    good = [kiosk.outbox.add("door.opened", door_opened(c)) for c in ("A1", "A2")]
    bad = kiosk.outbox.add("door.opened", {**door_opened("A3"), "colour": "red"})
    kiosk.push_pending()
    assert [kiosk.outbox.status[e["event_id"]] for e in (*good, bad)] == ["accepted", "accepted", "rejected"]
    assert kiosk.push_format_1(good) == {e["event_id"]: "duplicate" for e in good}  # at least once

    # seq_rewind: a kiosk restored from an old backup numbers new events from 2 again.
    restored = Outbox(next_seq=2, boot_id=kiosk.outbox.boot_id)
    kiosk.outbox = restored
    fresh = [restored.add("door.opened", door_opened(c)) for c in ("B1", "B2")]
    kiosk.push_pending()
    assert kiosk.rewinds == 1
    assert [e["seq"] for e in fresh] == [4, 5]  # high_seq was 3
    assert all(restored.status[e["event_id"]] == "accepted" for e in fresh)

    # Format 2, from a client that ignores the event limit: 413, halved, then through.
    dictionary = dictionary_from_the_page()
    many = [restored.add("door.opened", door_opened(f"C{i}")) for i in range(501)]
    kiosk.push_pending(lambda batch: kiosk.push_format_2(batch, dictionary), size=1000)
    assert kiosk.halvings == 1
    assert {restored.status[e["event_id"]] for e in many} == {"accepted"}

    # Pull: two staff cards, one page each, then a cursor the server does not know.
    for name, uid in (("Anna", "04A1B2C3"), ("Olle", "04A1B2C4")):
        server.cli("staff", "add", "--service-point", SERVICE_POINT, "--name", name, "--card-uid", uid)
    cards, cursor = kiosk.pull_all("staff", limit=1)
    assert sorted(card["name"] for card in cards.values()) == ["Anna", "Olle"]
    assert kiosk.pull("staff", cursor, 10)["changes"] == []
    again, _ = kiosk.pull_all("staff", cursor="bm90LWEtY3Vyc29y", limit=10)
    assert again == cards

    # Rotate the key: the old token and the old key are void, the new key works.
    old_token = kiosk.token
    old_key = kiosk.rotate_key()
    kiosk.token = old_token
    last = restored.add("door.opened", door_opened("D1"))
    kiosk.push_pending()  # 401 invalid_token -> a token signed with the new key -> pushed
    assert restored.status[last["event_id"]] == "accepted" and kiosk.token != old_token
    nonce = kiosk.nonce()
    refused = kiosk.http.post("/v1/auth/token", json={
        "device_id": kiosk.device_id, "nonce": nonce, "signature": b64(old_key.sign(nonce.encode()))})
    assert (refused.status_code, refused.json()["error"]) == (401, "bad_signature")


def test_a_carriers_pre_advice_reaches_only_its_service_points_kiosk(server: LiveServer,
                                                                      kiosk: ThirdPartyKiosk) -> None:
    """§8 as a carrier integration would do it, then §6 on the kiosk: scope `parcels`."""
    added = server.cli("carrier", "add", "Byapost", "--deadline-days", "7", "--reminder-day", "5")
    key = re.search(r"API key: (\S+)", added)
    assert key, added
    kiosk.enroll(server.cli("kiosk", "add", "Kiosk 3", "--service-point", SERVICE_POINT, "--quiet").strip())
    advice = {"tracking_id": "CP123456785SE", "service_point": SERVICE_POINT, "phone": "+46701234567",
              "language": "fi", "size_class": "S"}
    assert httpx.post(server.url + "/v1/carrier/pre-advice", json=advice, timeout=20).status_code == 401
    accepted = httpx.post(server.url + "/v1/carrier/pre-advice", json=advice, timeout=20,
                          headers={"X-Api-Key": key[1]})
    assert accepted.status_code == 201 and accepted.json()["status"] == "accepted"
    again = httpx.post(server.url + "/v1/carrier/pre-advice", json=advice, timeout=20,
                       headers={"Authorization": f"Bearer {key[1]}"})
    assert (again.status_code, again.json()["error"]) == (409, "duplicate_tracking_id")
    advices, _cursor = kiosk.pull_all("parcels", limit=10)
    (data,) = advices.values()
    assert data["tracking_id"] == "CP123456785SE" and data["recipient"]["phone"] == "+46701234567"


def test_an_unreadable_format_is_415_and_names_what_the_server_reads(server: LiveServer,
                                                                     kiosk: ThirdPartyKiosk) -> None:
    kiosk.enroll(server.cli("kiosk", "add", "Kiosk 2", "--service-point", SERVICE_POINT, "--quiet").strip())
    response = kiosk.authorized("POST", "/events:batch", content=b"{}",
                                headers={"Content-Type": "application/vnd.servicepunkt.events; v=9"})
    assert (response.status_code, response.json()["error"]) == (415, "unsupported_batch_format")
    assert "application/json" in response.json()["detail"]


def _generated(name: str) -> str:
    page = PROTOCOL_PAGE.read_text(encoding="utf-8")
    return page[page.index(f"<!-- generated:{name} "):page.index(f"<!-- end generated:{name} -->")]


def _json_example(section: str) -> dict[str, str]:
    found = re.search(r"```json\n(.*?)\n```", section, re.DOTALL)
    assert found, "the example shows no request"
    return dict(json.loads(found[1]))


def test_this_client_signs_the_pages_worked_examples_byte_for_byte() -> None:
    """§4's examples: the same seed and nonce give the same request with this client's code."""
    token, rotation = _generated("token-example"), _generated("rotation-example")
    seeds = re.findall(r"seed[^`]*`([0-9a-f]{64})`", rotation)
    old, new = (Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed)) for seed in seeds)
    expected = _json_example(token)
    nonce = expected["nonce"]
    assert b64(old.sign(nonce.encode("utf-8"))) == expected["signature"]
    expected = _json_example(rotation)
    message = rotation_message(expected["device_id"], nonce, public_key(new))
    assert public_key(new) == expected["new_public_key"]
    assert b64(old.sign(message)) == expected["signature"]
    assert b64(new.sign(message)) == expected["new_key_signature"]


ALLOWED_IMPORTS = {"httpx", "cryptography", "pytest"}


def test_this_client_imports_nothing_of_the_project() -> None:
    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "a relative import would reach into the project"
            imported.add((node.module or "").split(".")[0])
    foreign = imported - set(sys.stdlib_module_names) - ALLOWED_IMPORTS - {"__future__"}
    assert not foreign, f"the third-party client imports {sorted(foreign)}"
    assert imported & {"sync", "kiosk", "hardware", "tests"} == set()

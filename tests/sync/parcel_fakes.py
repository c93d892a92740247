"""The edges of the world for the parcel tests, each on loopback and speaking the real wire
format: a 46elks SMS gateway that checks requests strictly, a carrier's webhook receiver and
a real SMTP server (aiosmtpd)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import requests

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
SENDER = re.compile(r"^([A-Za-z][A-Za-z0-9]{1,10}|\+[1-9][0-9]{6,14})$")
ELKS_REQUIRED = {"from", "to", "message"}
ELKS_OPTIONAL = {"whendelivered", "dryrun", "flashsms", "dontlog"}


class _Loopback:
    """A ThreadingHTTPServer on 127.0.0.1:0 whose handler calls `self.handle`."""

    def __init__(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                owner._serve(self)

            def do_GET(self) -> None:  # noqa: N802
                owner._serve(self)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.lock = threading.Lock()
        self.fail_next: list[int] = []  # statuses to answer with before behaving normally
        self.fail_body = "forced failure"  # and the text of those answers
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> _Loopback:
        self.thread.start()
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        with self.lock:
            forced = self.fail_next.pop(0) if self.fail_next else None
        if forced is not None:
            self._reply(handler, forced, self.fail_body.encode(), "text/plain")
            return
        status, payload, content_type = self.handle(handler, body)
        self._reply(handler, status, payload, content_type)

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, payload: bytes, content_type: str) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, bytes, str]:
        raise NotImplementedError


@dataclass
class Sms:
    id: str
    sender: str
    to: str
    message: str
    whendelivered: str | None


class FakeElks(_Loopback):
    """46elks' POST /a1/sms, strict: anything else is answered as 46elks would (4xx) and
    recorded in `violations`, which a test asserts is empty."""

    def __init__(self, user: str = "u0123456789abcdef", password: str = "SECRETPASSWORD") -> None:
        super().__init__()
        self.user, self.password = user, password
        self.messages: list[Sms] = []
        self.violations: list[str] = []

    def _refuse(self, status: int, why: str) -> tuple[int, bytes, str]:
        self.violations.append(why)
        return status, why.encode(), "text/plain"

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, bytes, str]:
        if handler.command != "POST" or handler.path != "/a1/sms":
            return self._refuse(404, f"{handler.command} {handler.path}: no such API resource")
        expected = "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        if handler.headers.get("Authorization") != expected:
            return self._refuse(401, "bad or missing basic auth")
        if handler.headers.get("Content-Type", "").split(";")[0] != "application/x-www-form-urlencoded":
            return self._refuse(400, f"content type {handler.headers.get('Content-Type')!r}")
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
        if any(len(values) != 1 for values in fields.values()):
            return self._refuse(400, "a field given twice")
        form = {key: values[0] for key, values in fields.items()}
        missing, unknown = ELKS_REQUIRED - form.keys(), form.keys() - ELKS_REQUIRED - ELKS_OPTIONAL
        if missing or unknown:
            return self._refuse(400, f"missing {sorted(missing)}, unknown {sorted(unknown)}")
        if not E164.match(form["to"]):
            return self._refuse(400, f"Invalid to number {form['to']!r}")
        if not SENDER.match(form["from"]):
            return self._refuse(400, f"Invalid from {form['from']!r}")
        if not form["message"]:
            return self._refuse(400, "Missing message")
        sms = Sms("s" + uuid.uuid4().hex, form["from"], form["to"], form["message"],
                  form.get("whendelivered"))
        with self.lock:
            self.messages.append(sms)
        reply = {"status": "created", "direction": "outgoing", "from": sms.sender, "to": sms.to,
                 "message": sms.message, "id": sms.id, "parts": 1, "cost": 3500,
                 "created": "2026-11-27T12:00:00.000000"}
        return 200, json.dumps(reply).encode(), "application/json"

    def report(self, sms: Sms, status: str = "delivered") -> requests.Response:
        """What 46elks does when the phone network answers: a form POST to whendelivered."""
        assert sms.whendelivered, "the message asked for no delivery report"
        return requests.post(sms.whendelivered, timeout=10, data={
            "id": sms.id, "status": status, "delivered": "2026-11-27T12:00:05.000000"})


@dataclass
class Hook:
    body: dict[str, Any]
    headers: dict[str, str]


class WebhookSink(_Loopback):
    """A carrier's webhook endpoint: records JSON POSTs to /hook. Given the carrier's `secret`,
    it verifies each signature as docs/central.md tells carriers to, and refuses (401) a body
    or timestamp that does not match it, or a timestamp more than 5 minutes from `now()`."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[Hook] = []
        self.raw: list[tuple[bytes, dict[str, str]]] = []  # what came, to send it again
        self.secret: str | None = None
        self.now = lambda: time.time()
        self.refused: list[str] = []

    @property
    def hook_url(self) -> str:
        return self.url + "/hook"

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, bytes, str]:
        if handler.command != "POST" or handler.path != "/hook":
            return 404, b"not here", "text/plain"
        if handler.headers.get("Content-Type") != "application/json":
            return 415, b"json please", "text/plain"
        headers = dict(handler.headers.items())
        problem = self._signature_problem(body, headers) if self.secret else None
        with self.lock:
            if problem:
                self.refused.append(problem)
                return 401, problem.encode(), "text/plain"
            self.received.append(Hook(json.loads(body), headers))
            self.raw.append((body, headers))
        return 204, b"", "text/plain"

    def _signature_problem(self, body: bytes, headers: dict[str, str]) -> str | None:
        timestamp = headers.get("X-Servicepunkt-Timestamp", "")
        signature = headers.get("X-Servicepunkt-Signature", "")
        if not timestamp.isdigit() or abs(self.now() - int(timestamp)) > 300:
            return "stale or missing timestamp"
        expected = hmac.new(self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(signature, f"sha256={expected}"):
            return "bad signature"
        return None

    def statuses(self) -> list[tuple[str, str]]:
        return [(hook.body["tracking_id"], hook.body["status"]) for hook in self.received]


@dataclass
class SmtpSink:
    """A real SMTP server (aiosmtpd) on loopback that keeps what it receives."""

    host: str = "127.0.0.1"
    port: int = 0
    mails: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)  # recipients answered as Postfix does: 550

    async def handle_RCPT(self, _server: Any, _session: Any, envelope: Any,  # noqa: N802
                          address: str, _options: Any) -> str:
        if address in self.refused:  # a real relay's reply names the address
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.mails.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 Message accepted for delivery"

    def start(self) -> SmtpSink:
        from aiosmtpd.controller import Controller

        with socket.socket() as probe:  # the Controller needs a concrete port
            probe.bind((self.host, 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self, hostname=self.host, port=self.port)
        self.controller.start()
        return self

    def close(self) -> None:
        self.controller.stop()

"""What the demo needs from the world outside the kiosk, on loopback: an https site serving a
video room and an e-service (so every home tile does something), and a stand-in for 46elks'
SMS API (so the resident's SMS can be read in the simulator panel).

The SMS stand-in speaks 46elks' wire format (POST /a1/sms, form-encoded from/to/message,
HTTP basic auth, a JSON reply with the message id) and appends each message to a JSON-lines
file the panel reads. The site is named demo.localhost (the directory wants a domain name, and
Chromium resolves every *.localhost name to loopback itself); its certificate is self-signed,
and the kiosk's browser trusts that one key only (SERVICEPUNKT_TRUST_SPKI), not every certificate.
"""
from __future__ import annotations

import base64
import datetime
import hashlib
import http.server
import json
import re
import secrets
import ssl
import threading
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from kiosk.services.codes import CODE_LENGTH
from sync.protocol import QR_PICKUP_PREFIX

HOST = "127.0.0.1"
SITE_HOST = "demo.localhost"
TRUST_SPKI_ENV = "SERVICEPUNKT_TRUST_SPKI"  # read by the kiosk app (kiosk/ui/app.py browser_options)
SMS_USER = "demo"
ROOM_PATH, ESERVICE_PATH = "/demo-room", "/demo-eservice"
PAGE = """<!doctype html><html lang="sv"><meta charset="utf-8"><title>{title}</title>
<body style="font: 28px sans-serif; margin: 2em; background: #f4f1ea">
<h1>{title}</h1><p>{text}</p></body></html>"""
ROOM_TEXT = ("Här öppnas videosamtalet (Jitsi Meet) i en riktig servicepunkt. "
             "Tryck på Avsluta samtalet längst ner för att komma tillbaka.")
ESERVICE_TEXT = "Här öppnas e-tjänsten. Tryck på Klar längst ner för att komma tillbaka."


class _Quiet(http.server.BaseHTTPRequestHandler):
    def log_message(self, *_args: object) -> None:  # the demo's own log says what matters
        pass

    def _reply(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server:
    def __init__(self, handler: type[http.server.BaseHTTPRequestHandler], context: ssl.SSLContext | None = None):
        self._server = http.server.ThreadingHTTPServer((HOST, 0), handler)
        if context is not None:
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str = "", scheme: str = "http", host: str = HOST) -> str:
        return f"{scheme}://{host}:{self._server.server_address[1]}{path}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class SmsGateway(_Server):
    """46elks' POST /a1/sms on loopback; each message sent is one JSON line in `outbox`."""

    def __init__(self, outbox: Path) -> None:
        self.outbox, self.password = outbox, secrets.token_urlsafe(16)
        self._lock = threading.Lock()
        gateway = self

        class Handler(_Quiet):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._reply(*gateway.receive(self.path, self.headers.get("Authorization", ""), body))
        super().__init__(Handler)

    @property
    def env(self) -> dict[str, str]:
        """The central server's settings for this gateway (sync/server/notify_settings.py)."""
        return {"KIOSK_CENTRAL_SMS_URL": self.url(), "KIOSK_CENTRAL_SMS_USER": SMS_USER,
                "KIOSK_CENTRAL_SMS_PASSWORD": self.password, "KIOSK_CENTRAL_QUIET_HOURS": "off",
                "KIOSK_CENTRAL_NOTIFY_INTERVAL": "1"}

    def receive(self, path: str, authorization: str, body: bytes) -> tuple[int, bytes, str]:
        expected = "Basic " + base64.b64encode(f"{SMS_USER}:{self.password}".encode()).decode()
        if path != "/a1/sms":
            return 404, b"Not found", "text/plain"
        if not secrets.compare_digest(authorization, expected):
            return 401, b"Unauthorized", "text/plain"
        form = {key: values[0] for key, values in parse_qs(body.decode("utf-8")).items()}
        if not all(form.get(field) for field in ("from", "to", "message")):
            return 400, b"Missing from, to or message", "text/plain"
        message = {"id": "s" + uuid.uuid4().hex, "from": form["from"], "to": form["to"],
                   "message": form["message"], "created": datetime.datetime.now(datetime.UTC).isoformat()}
        with self._lock, self.outbox.open("a", encoding="utf-8") as out:
            out.write(json.dumps(message, ensure_ascii=False) + "\n")
        reply = {"status": "created", "direction": "outgoing", "parts": 1, **message}
        return 200, json.dumps(reply).encode(), "application/json"


class DemoSite(_Server):
    """The demo's video room and e-service, over https on 127.0.0.1."""

    def __init__(self, folder: Path) -> None:
        cert, key, self.spki = _self_signed(folder)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        pages = {ROOM_PATH: PAGE.format(title="Demo: videosamtal", text=ROOM_TEXT),
                 ESERVICE_PATH: PAGE.format(title="Demo: e-tjänst", text=ESERVICE_TEXT)}

        class Handler(_Quiet):
            def do_GET(self) -> None:
                page = pages.get(self.path.split("?")[0])
                self._reply(200 if page else 404, (page or "Not found").encode(), "text/html; charset=utf-8")
        super().__init__(Handler, context)

    def https(self, path: str) -> str:
        return self.url(path, scheme="https", host=SITE_HOST)


def _self_signed(folder: Path) -> tuple[Path, Path, str]:
    """A certificate for demo.localhost, and its key's SPKI hash (base64 SHA-256), the form
    Chromium's --ignore-certificate-errors-spki-list takes."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SITE_HOST)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=7))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName(SITE_HOST)]),
                                  critical=False)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "demo-site.crt", folder / "demo-site.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return cert_path, key_path, base64.b64encode(hashlib.sha256(spki).digest()).decode()


def directory_entries(site: DemoSite, service_point: str) -> dict[str, dict[str, Any]]:
    """One video service open around the clock and one e-service, both on the demo site."""
    every_day = {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    video = {"id": "demo-video", "organisation": "Demo", "name": {"sv": "Demo: videosamtal", "en": "Demo: video call"},
             "description": {"sv": "Provar ett videosamtal", "en": "Try a video call"},
             "room_url_template": site.https(ROOM_PATH), "opening_hours": every_day,
             "service_points": [service_point]}
    eservice = {"id": "demo-eservice", "title": {"sv": "Demo: e-tjänst", "en": "Demo: e-service"},
                "description": {"sv": "Provar en e-tjänst", "en": "Try an e-service"}, "category": "other",
                "start_url": site.https(ESERVICE_PATH), "allowed_domains": [SITE_HOST], "service_points": [service_point]}
    return {"video": video, "eservice": eservice}


# -- what the panel reads --------------------------------------------------------------------

_LINK = re.compile(r"https?://\S+")
_CODE = re.compile(rf"(?<!\d)(\d{{{CODE_LENGTH}}})(?!\d)")


def last_sms(outbox: Path) -> dict[str, str] | None:
    """The newest message the gateway took, or None before the first."""
    try:
        lines = outbox.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return None
    if not lines:
        return None
    newest: dict[str, str] = json.loads(lines[-1])
    return newest


def pickup_qr(message: str) -> str | None:
    """What the QR in the SMS's link holds ("SPKT1:<code>"), from the code the SMS states:
    the resident would hold that QR to the kiosk's scanner."""
    found = _CODE.search(_LINK.sub("", message))  # a link's token may hold a run of digits
    return f"{QR_PICKUP_PREFIX}{found.group(1)}" if found else None

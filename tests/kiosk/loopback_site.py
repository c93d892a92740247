"""Tiny web sites on loopback addresses for the browser tests.

Each `Site` is a real HTTP server bound to one loopback address (127.0.0.1, 127.0.0.2, ...:
every 127/8 address is loopback on Linux, and each is a different host and origin to the
browser). Pages are set per path; every request is recorded, so a test can tell what the
browser really asked for, and pages report results back with a `/report?...` request.
"""
from __future__ import annotations

import datetime
import http.server
import ipaddress
import ssl
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit


def self_signed_certificate(folder: Path, host: str) -> tuple[Path, Path]:
    """A certificate for `host` (an IP) that Chromium accepts with --ignore-certificate-errors:
    Jitsi rooms and e-services are https-only, so their tests need an https loopback site."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]),
                                  critical=False)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "site.crt", folder / "site.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class Site:
    def __init__(self, host: str, tls: tuple[Path, Path] | None = None) -> None:
        self.host = host
        self.scheme = "https" if tls else "http"
        self.pages: dict[str, tuple[str, bytes, dict[str, str]]] = {}
        self.requests: list[str] = []
        self.reports: list[dict[str, str]] = []
        self._changed = threading.Condition()
        self._server = http.server.ThreadingHTTPServer((host, 0), self._handler())
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.host}:{self._server.server_address[1]}"

    def url(self, path: str = "/") -> str:
        return self.origin + path

    def page(self, path: str, html: str, content_type: str = "text/html; charset=utf-8",
             headers: dict[str, str] | None = None) -> str:
        self.pages[path] = (content_type, html.encode("utf-8"), headers or {})
        return self.url(path)

    def wait_report(self, timeout: float = 20.0) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not self.reports:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no report from the page on {self.host} in {timeout} s")
                self._changed.wait(remaining)
            return self.reports[0]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _record(self, path: str) -> None:
        with self._changed:
            self.requests.append(path)
            parts = urlsplit(path)
            if parts.path == "/report":
                self.reports.append({key: values[0] for key, values in parse_qs(parts.query).items()})
            self._changed.notify_all()

    def _handler(self):
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site._record(self.path)
                content_type, body, headers = site.pages.get(
                    urlsplit(self.path).path, ("text/plain", b"ok", {}))
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        return Handler


# Reads the permission state the browser holds for this origin, then asks for camera and
# microphone and reports both. The state is read before asking: afterwards a headless browser
# shows "denied" for a prompt it dismissed, so only the state before tells a refusal by
# setting ("denied") from a prompt that would have been shown ("prompt").
MEDIA_PAGE = """<!doctype html><title>media</title><script>
async function run() {
  const camera = (await navigator.permissions.query({name: 'camera'})).state;
  const microphone = (await navigator.permissions.query({name: 'microphone'})).state;
  let result;
  try {
    const stream = await navigator.mediaDevices.getUserMedia({video: true, audio: true});
    result = 'granted:' + stream.getTracks().map(t => t.kind).sort().join('+');
  } catch (error) { result = error.name; }
  fetch('/report?result=' + encodeURIComponent(result) + '&camera=' + camera + '&microphone=' + microphone);
}
run();
</script>"""

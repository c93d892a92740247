"""A small fault-injecting HTTP/1.1 proxy on loopback, for the sync tests and bench/sync.

Sits between the kiosk client and the real server as a TCP proxy that understands just enough
HTTP (Content-Length framing) to act per request: add latency, limit bandwidth, refuse or drop
connections, stall, truncate or corrupt bodies, drop a response after the server committed,
answer 413/503 itself, or hold a request until a test (e.g. one SIGKILLing the kiosk) lets go.
Which fault hits which request is decided by `plan(request) -> Fault`, set by the test.
"""
from __future__ import annotations

import contextlib
import enum
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

LOOPBACK = "127.0.0.1"
CHUNK = 1024


class Fault(enum.Enum):
    PASS = "pass"
    REFUSE = "refuse"                        # close at once: nothing reaches the server
    CORRUPT_REQUEST = "corrupt_request"      # one body byte flipped on the way to the server
    DELAY_REQUEST = "delay_request"          # close at once; the request reaches the server only
                                             # at deliver_delayed(), after later ones (reorder)
    TRUNCATE_REQUEST = "truncate_request"    # half the body reaches the server, then both close
    STALL = "stall"                          # never answer (the client times out); nothing sent on
    DROP_RESPONSE = "drop_response"          # the server answered (committed); the client gets EOF
    STALL_RESPONSE = "stall_response"        # the server committed; the client times out
    TRUNCATE_RESPONSE = "truncate_response"  # headers and half the body, then EOF
    CORRUPT_RESPONSE = "corrupt_response"    # full length, garbage body
    STATUS_413 = "status_413"                # the proxy answers 413 itself
    STATUS_503 = "status_503"                # the proxy answers 503 with Retry-After (retry_after_s)
    STATUS_429 = "status_429"                # the proxy answers 429 with Retry-After (retry_after_s)
    HOLD_REQUEST = "hold_request"            # wait for release(); then close, nothing sent on
    HOLD_RESPONSE = "hold_response"          # the server committed; wait for release(); close


@dataclass(frozen=True)
class Request:
    number: int  # 1-based, over the proxy's life
    method: str
    path: str
    body_bytes: int


@dataclass(frozen=True)
class Record:
    request: Request
    fault: Fault
    sent_bytes: int  # request bytes from the client (headers + body), as on the wire
    received_bytes: int  # response bytes delivered to the client
    status: int | None  # the status the client saw, if any


Plan = Callable[[Request], Fault]


def always(fault: Fault = Fault.PASS) -> Plan:
    return lambda _request: fault


PASS_ALL = always()


def first_n(n: int, fault: Fault, then: Plan = PASS_ALL) -> Plan:
    return lambda request: fault if request.number <= n else then(request)


def every_kth(k: int, fault: Fault) -> Plan:
    return lambda request: fault if request.number % k == 0 else Fault.PASS


def only(method: str, path_part: str, fault: Fault, times: int = 1 << 30) -> Plan:
    """`fault` for the first `times` requests matching method and path; PASS otherwise."""
    hits = [0]

    def plan(request: Request) -> Fault:
        if request.method == method and path_part in request.path and hits[0] < times:
            hits[0] += 1
            return fault
        return Fault.PASS
    return plan


def seeded(seed: int, weights: dict[Fault, float]) -> Plan:
    """A replayable random mix (same seed, same request order -> same faults)."""
    rng = random.Random(seed)
    faults, cumulative = list(weights), list(weights.values())
    return lambda _request: rng.choices(faults, cumulative)[0]


class HttpMessage:
    """One HTTP/1.1 message read off a socket: raw head, body, and a few parsed fields."""

    def __init__(self, head: bytes, body: bytes) -> None:
        self.head, self.body = head, body
        lines = head.split(b"\r\n")
        self.start_line = lines[0].decode("latin-1")
        self.headers = {}
        for line in lines[1:]:
            name, _, value = line.decode("latin-1").partition(":")
            self.headers[name.strip().lower()] = value.strip()

    @property
    def raw(self) -> bytes:
        return self.head + b"\r\n\r\n" + self.body


class _Reader:
    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.buffer = sock, b""

    def read_message(self, *, response_to: str = "") -> HttpMessage | None:
        """None on a clean EOF before any byte; raises ConnectionError on EOF mid-message."""
        while b"\r\n\r\n" not in self.buffer:
            if not self._fill():
                if self.buffer:
                    raise ConnectionError("EOF inside the headers")
                return None
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        message = HttpMessage(head, b"")
        if "chunked" in message.headers.get("transfer-encoding", ""):
            raise ConnectionError("chunked bodies are not supported by the fault proxy")
        length = 0 if response_to == "HEAD" else int(message.headers.get("content-length", "0"))
        while len(self.buffer) < length:
            if not self._fill():
                raise ConnectionError("EOF inside the body")
        message.body, self.buffer = self.buffer[:length], self.buffer[length:]
        return message

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        self.buffer += data
        return bool(data)


@dataclass
class Link:
    """The simulated line: one-way latency and bandwidth per direction (0 = unlimited)."""

    latency_s: float = 0.0
    bandwidth_bps: float = 0.0

    def send(self, sock: socket.socket, data: bytes) -> None:
        if self.latency_s:
            time.sleep(self.latency_s)
        if not self.bandwidth_bps:
            sock.sendall(data)
            return
        start = time.monotonic()
        for offset in range(0, len(data), CHUNK):
            piece = data[offset:offset + CHUNK]
            sock.sendall(piece)
            due = start + (offset + len(piece)) * 8 / self.bandwidth_bps
            time.sleep(max(0.0, due - time.monotonic()))


@dataclass
class _Stats:
    records: list[Record] = field(default_factory=list)
    open_connections: int = 0
    accepted: int = 0


class FaultProxy:
    """`FaultProxy(upstream_port).start()`; point the client at `proxy.url`."""

    def __init__(self, upstream_port: int, *, plan: Plan | None = None, link: Link | None = None) -> None:
        self.upstream_port = upstream_port
        self.delayed: list[bytes] = []  # raw requests of DELAY_REQUEST, oldest first
        self.plan: Plan = plan or always()
        self.link = link or Link()
        self.down = False  # True: refuse connections at once (offline)
        self.retry_after_s = 1  # the Retry-After of the proxy's own 429 and 503 answers
        self.held = threading.Event()  # set while a HOLD_* request is being held
        self._release = threading.Event()
        self._lock = threading.Lock()
        self._stats = _Stats()
        self._count = 0
        self._listener = socket.create_server((LOOPBACK, 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://{LOOPBACK}:{self.port}"
        self._closing = False
        self._thread = threading.Thread(target=self._accept_loop, name="fault-proxy", daemon=True)

    # --- control -------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def close(self) -> None:
        self._closing = True
        self._release.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept(); close() alone does not
        self._listener.close()
        self._thread.join(5)

    def release(self) -> None:
        """Let a held request go (its connection is then closed) and re-arm holding."""
        self._release.set()

    @property
    def records(self) -> list[Record]:
        with self._lock:
            return list(self._stats.records)

    @property
    def open_connections(self) -> int:
        with self._lock:
            return self._stats.open_connections

    def faults_seen(self) -> list[Fault]:
        return [record.fault for record in self.records]

    def deliver_delayed(self) -> list[int]:
        """Send the delayed requests to the server now, oldest first, each on a connection of
        its own; the answers go nowhere (their client gave up long ago). Returns the statuses."""
        with self._lock:
            pending, self.delayed = self.delayed, []
        statuses = []
        for raw in pending:
            with socket.create_connection((LOOPBACK, self.upstream_port)) as upstream:
                upstream.sendall(raw)
                reply = _Reader(upstream).read_message()
                statuses.append(0 if reply is None else int(reply.start_line.split()[1]))
        return statuses

    # --- connections ---------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self._closing:
            try:
                client, _addr = self._listener.accept()
            except OSError:
                return
            if self.down:
                client.close()
                continue
            with self._lock:
                self._stats.open_connections += 1
                self._stats.accepted += 1
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        try:
            if self.link.latency_s:
                time.sleep(2 * self.link.latency_s)  # the TCP handshake costs a round trip
            reader = _Reader(client)
            upstream_box: list[socket.socket] = []
            while not self._closing:
                request = reader.read_message()
                if request is None or not self._one_exchange(client, request, upstream_box):
                    break
            upstream = upstream_box[0] if upstream_box else None
        except (OSError, ConnectionError, ValueError):
            pass
        finally:
            for sock in (client, upstream):
                if sock is not None:
                    sock.close()
            with self._lock:
                self._stats.open_connections -= 1

    def _one_exchange(self, client: socket.socket, request: HttpMessage, upstream_box: list) -> bool:
        """Handle one request; False when the connection must end."""
        if self.down:  # the line went down under a kept-alive connection too
            return False
        info = self._describe(request)
        fault = self.plan(info)
        sent = len(request.raw)
        if fault in _WITHOUT_UPSTREAM:
            if fault is Fault.DELAY_REQUEST:
                with self._lock:
                    self.delayed.append(request.raw)
            return self._without_upstream(client, info, fault, sent)
        if upstream_box and upstream_box[0].getpeername()[1] != self.upstream_port:
            upstream_box.pop().close()  # the server moved (restarted): follow it
        if not upstream_box:
            upstream_box.append(socket.create_connection((LOOPBACK, self.upstream_port)))
        upstream = upstream_box[0]
        if fault is Fault.TRUNCATE_REQUEST:
            cut = request.head + b"\r\n\r\n" + request.body[: len(request.body) // 2]
            self.link.send(upstream, cut)
            self._record(info, fault, sent, 0, None)
            return False
        self.link.send(upstream, _corrupt_body(request) if fault is Fault.CORRUPT_REQUEST else request.raw)
        response = _Reader(upstream).read_message(response_to=info.method)
        if response is None:
            raise ConnectionError("the server closed the connection")
        return self._deliver(client, info, fault, sent, response)

    def _without_upstream(self, client: socket.socket, info: Request, fault: Fault, sent: int) -> bool:
        if fault in _SYNTHETIC:
            status = _SYNTHETIC[fault]
            raw = _synthetic(status, self.retry_after_s)
            self.link.send(client, raw)
            self._record(info, fault, sent, len(raw), status)
            return True
        self._record(info, fault, sent, 0, None)
        if fault is Fault.STALL:
            _wait_for_eof(client)
        elif fault is Fault.HOLD_REQUEST:
            self._hold()
        return False

    def _deliver(self, client: socket.socket, info: Request, fault: Fault, sent: int,
                 response: HttpMessage) -> bool:
        status = int(response.start_line.split()[1])
        if fault is Fault.DROP_RESPONSE:
            self._record(info, fault, sent, 0, None)
            return False
        if fault is Fault.STALL_RESPONSE:
            self._record(info, fault, sent, 0, None)
            _wait_for_eof(client)
            return False
        if fault is Fault.HOLD_RESPONSE:
            self._record(info, fault, sent, 0, None)
            self._hold()
            return False
        raw = response.raw
        if fault is Fault.TRUNCATE_RESPONSE:
            raw = raw[: len(response.head) + 4 + len(response.body) // 2]
        elif fault is Fault.CORRUPT_RESPONSE:
            raw = response.head + b"\r\n\r\n" + bytes(b ^ 0xA5 for b in response.body)
        self.link.send(client, raw)
        self._record(info, fault, sent, len(raw), status)
        keep = fault in (Fault.PASS, Fault.CORRUPT_RESPONSE, Fault.CORRUPT_REQUEST)
        return keep and response.headers.get("connection", "").lower() != "close"

    def _hold(self) -> None:
        self._release.clear()
        self.held.set()
        self._release.wait()
        self.held.clear()

    def _describe(self, request: HttpMessage) -> Request:
        method, path, *_ = request.start_line.split()
        with self._lock:
            self._count += 1
            number = self._count
        return Request(number, method, path, len(request.body))

    def _record(self, info: Request, fault: Fault, sent: int, received: int, status: int | None) -> None:
        with self._lock:
            self._stats.records.append(Record(info, fault, sent, received, status))


_SYNTHETIC = {Fault.STATUS_413: 413, Fault.STATUS_429: 429, Fault.STATUS_503: 503}
_WITHOUT_UPSTREAM = {Fault.REFUSE, Fault.STALL, Fault.HOLD_REQUEST, Fault.DELAY_REQUEST, *_SYNTHETIC}


def _corrupt_body(request: HttpMessage) -> bytes:
    """The request with the middle byte of its body inverted (a body-less request as is)."""
    body = bytearray(request.body)
    if body:
        body[len(body) // 2] ^= 0xFF
    return request.head + b"\r\n\r\n" + bytes(body)


def _synthetic(status: int, retry_after_s: int) -> bytes:
    reason = {413: "Payload Too Large", 429: "Too Many Requests", 503: "Service Unavailable"}[status]
    body = b'{"error":"proxy_%d","detail":"injected by the fault proxy"}' % status
    head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nRetry-After: {retry_after_s}\r\n\r\n").encode("ascii")
    return head + body


def _wait_for_eof(sock: socket.socket) -> None:
    """Hold the connection open until the client gives up (its timeout) or closes it."""
    sock.settimeout(60)
    try:
        while sock.recv(65536):
            pass
    except OSError:
        pass

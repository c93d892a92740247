"""Request body limits, enforced while reading and before anything else runs (routing,
authentication, parsing): a pure ASGI middleware, so no framework reads a body first.

- A Content-Length over the route's limit is refused at once with 413, unread.
- A chunked body is counted as it streams and refused the moment it passes the limit.
- A body that stalls (no bytes for `idle_timeout` s) or drags on past `total_timeout` s
  is answered 408: a slow client cannot hold a worker and its buffers for ever.
Each refusal is the usual {error, detail} body with `Connection: close`: the rest of the body
is never read, the connection is dropped after the answer.

413 is the one "send smaller" signal of the sync protocol: a kiosk halves its batch on it.
"""
from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync import protocol as p

KIB = 1024
DEFAULT_LIMIT = 64 * KIB  # any JSON body but the ones below: enrollment, auth, admin writes
PRE_ADVICE_LIMIT = 16 * KIB
IDLE_TIMEOUT_S = 30.0  # a rural mobile link stalls for seconds, not half a minute
TOTAL_TIMEOUT_S = 300.0  # a full batch at 32 kB/s takes ~35 s; ten times that is a slow loris


def body_limit(path: str) -> int:
    """The largest body `path` accepts, by route family."""
    if path.endswith("/events:batch"):
        return p.MAX_BODY_BYTES
    if path == f"{p.API_PREFIX}/carrier/pre-advice":
        return PRE_ADVICE_LIMIT
    return DEFAULT_LIMIT


class BodyRefused(Exception):
    """Raised into the app from `receive` once its body is refused; the reply is already due."""


@dataclass
class _Body:
    """One request's body as it arrives."""

    limit: int
    started: float = field(default_factory=time.monotonic)
    received: int = 0
    complete: bool = False
    refusal: tuple[int, str, str] | None = None  # status, error, detail
    response_started: bool = False


class BodyLimits:
    """ASGI middleware: `BodyLimits(app)`, or `app.add_middleware(BodyLimits)`."""

    def __init__(self, app: ASGIApp, *, limit_for: Callable[[str], int] = body_limit,
                 idle_timeout: float = IDLE_TIMEOUT_S, total_timeout: float = TOTAL_TIMEOUT_S) -> None:
        self.app, self.limit_for = app, limit_for
        self.idle_timeout, self.total_timeout = idle_timeout, total_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = _Body(self.limit_for(scope["path"]), complete=not _has_body(scope))
        declared = _content_length(scope)
        if declared is not None and declared > body.limit:
            await _refuse(send, *_too_large(body.limit))
            return
        # BodyRefused: the app gave up on its body; its answer, if any, was dropped below.
        with contextlib.suppress(BodyRefused):
            await self.app(scope, self._receiving(receive, body), self._sending(send, body))
        if body.refusal is not None and not body.response_started:
            await _refuse(send, *body.refusal)

    def _receiving(self, receive: Receive, body: _Body) -> Receive:
        async def guarded() -> Message:
            if body.refusal is not None:
                raise BodyRefused
            if body.complete:  # after the body only http.disconnect comes: no deadline
                return await receive()
            message = await self._next_chunk(receive, body)
            if message["type"] == "http.request":
                body.received += len(message.get("body", b""))
                body.complete = not message.get("more_body", False)
                if body.received > body.limit:
                    body.refusal = _too_large(body.limit)
                    raise BodyRefused
            return message

        return guarded

    async def _next_chunk(self, receive: Receive, body: _Body) -> Message:
        left = body.started + self.total_timeout - time.monotonic()
        try:
            return await asyncio.wait_for(receive(), timeout=max(0.0, min(self.idle_timeout, left)))
        except TimeoutError:
            body.refusal = (408, "body_timeout", "the request body came too slowly; send it again")
            raise BodyRefused from None

    @staticmethod
    def _sending(send: Send, body: _Body) -> Send:
        async def guarded(message: Message) -> None:
            if body.refusal is not None and not body.response_started:
                return  # the app's answer to a body it never got whole: ours goes instead
            if message["type"] == "http.response.start":
                body.response_started = True
                if not body.complete:  # answered unread (401, 404...): the rest of the body,
                    # however slowly it trickles in, must not keep the connection open
                    message = {**message, "headers": [*message.get("headers", ()), _CLOSE]}
            await send(message)

        return guarded


_CLOSE = (b"connection", b"close")


def _has_body(scope: Scope) -> bool:
    """Whether a body follows the headers: a Content-Length above 0 or chunked encoding."""
    headers = dict(scope.get("headers", ()))
    return headers.get(b"content-length", b"0") != b"0" or b"transfer-encoding" in headers


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server (h11) has refused such a request already
    return None


def _too_large(limit: int) -> tuple[int, str, str]:
    return 413, "too_large", f"body over {limit} bytes; send smaller batches"


async def _refuse(send: Send, status: int, error: str, detail: str) -> None:
    payload = p.ErrorBody(error=error, detail=detail).model_dump_json(exclude_none=True).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
        _CLOSE]})
    await send({"type": "http.response.body", "body": payload})

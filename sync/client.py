"""The kiosk's HTTP client for the central server: device key, enrollment, push and pull.

Built on requests.Session: every request has a timeout, pushes are compact batches
(push format 2, sync/batchcodec.py), tokens are fetched (challenge -> signed nonce) when
needed and again after a 401, and every failure is a typed SyncError saying whose problem
it is. Not thread-safe: the sync worker owns it.
"""
from __future__ import annotations

import base64
import email.utils
import gzip
import logging
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import requests
from pydantic import BaseModel, ValidationError

from sync import batchcodec
from sync import protocol as p
from sync.devicekey import (
    adopt_pending_key,
    generate_device_key,
    load_device_key,
    pending_key_path,
    public_key_b64,
)
from sync.errors import (
    BadResponse,
    DeviceRevoked,
    EnrollmentRefused,
    KeyFileError,
    MustRefetch,
    RequestRejected,
    SeqRewound,
    ServerError,
    ServerUnreachable,
    SyncError,
)

__all__ = [
    "BadResponse", "DeviceRevoked", "EnrollmentRefused", "KeyFileError", "MustRefetch",
    "RequestRejected", "SeqRewound", "ServerError", "ServerUnreachable", "SyncClient", "SyncError",
    "enroll", "generate_device_key", "load_device_key", "public_key_b64",
]

log = logging.getLogger(__name__)
DEFAULT_TIMEOUT = (5.0, 30.0)  # (connect, read) seconds
TOKEN_REFRESH_MARGIN_S = 60.0
USER_AGENT = "servicepunkt-kiosk/1"
M = TypeVar("M", bound=BaseModel)


# --- HTTP helpers ---------------------------------------------------------------------------

def _new_http() -> requests.Session:
    http = requests.Session()
    http.headers["User-Agent"] = USER_AGENT
    return http


def _send(http: requests.Session, method: str, url: str, timeout: Any, **kwargs: Any) -> requests.Response:
    try:
        return http.request(method, url, timeout=timeout, **kwargs)
    except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError) as exc:
        failure: SyncError = ServerUnreachable(f"{method} {url}: {exc}")
    except requests.RequestException as exc:  # e.g. an invalid URL in the settings
        failure = SyncError(f"{method} {url}: {exc}")
    # Raised outside the except block, so it does not chain the requests error: that one's
    # frames hold the failed response and its socket, and the worker keeps its last error.
    raise failure


def _error_body(response: requests.Response) -> p.ErrorBody:
    try:
        return p.ErrorBody.model_validate_json(response.content)
    except ValidationError:
        return p.ErrorBody(error=f"http_{response.status_code}", detail=response.text[:200])


def _retry_after(response: requests.Response) -> float | None:
    """Seconds from Retry-After; an HTTP date is measured against the server's own Date
    header, never the kiosk clock (which may be years off)."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        until = email.utils.parsedate_to_datetime(value)
        sent = email.utils.parsedate_to_datetime(response.headers["Date"])
    except (KeyError, TypeError, ValueError):
        return None
    return max((until - sent).total_seconds(), 0.0)


def _check(response: requests.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    body = _error_body(response)
    if status == 403 and body.error == p.ERROR_REVOKED:
        raise DeviceRevoked(body.detail or "this kiosk has been revoked")
    if status >= 500 or status in (408, 413, 429):
        raise ServerError(status, _retry_after(response), body.error, body.detail)
    if status == 409 and body.error == p.ERROR_SEQ_REWIND and body.high_seq is not None:
        raise SeqRewound(status, body.error, body.detail, body.high_seq)
    raise RequestRejected(status, body.error, body.detail)


def _parse(model: type[M], response: requests.Response) -> M:
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        raise BadResponse(f"unreadable {model.__name__} from server: {exc.error_count()} errors") from exc


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _api_url(server_url: str, path: str) -> str:
    return server_url.rstrip("/") + p.API_PREFIX + path


# --- enrollment -----------------------------------------------------------------------------

def enroll(
    server_url: str,
    code: str,
    key_path: str | os.PathLike[str],
    *,
    install_id: str,
    hw: Mapping[str, str] | None = None,
    timeout: Any = DEFAULT_TIMEOUT,
) -> p.EnrollResponse:
    """Register this kiosk's key with a one-time code. Safe to repeat with the same key."""
    request = p.EnrollRequest(
        code=code, public_key=public_key_b64(load_device_key(key_path)),
        install_id=install_id, hw=dict(hw or {}),
    )
    with _new_http() as http:
        response = _send(http, "POST", _api_url(server_url, "/enroll"), timeout,
                         json=request.model_dump(mode="json"))
    _check_enrollment(response)
    return _parse(p.EnrollResponse, response)


def check_enrollment_code(
    server_url: str,
    code: str,
    *,
    public_key: str | None = None,
    timeout: Any = DEFAULT_TIMEOUT,
) -> p.EnrollCheckResponse:
    """Whether enrolling with CODE (and PUBLIC_KEY, base64; None for a key not made yet) would
    be accepted, and for which service point, without spending the code."""
    request = p.EnrollCheckRequest(code=code, public_key=public_key)
    with _new_http() as http:
        response = _send(http, "POST", _api_url(server_url, "/enroll/check"), timeout,
                         json=request.model_dump(mode="json"))
    _check_enrollment(response)
    return _parse(p.EnrollCheckResponse, response)


def _check_enrollment(response: requests.Response) -> None:
    if response.status_code in (404, 409, 410):
        body = _error_body(response)
        raise EnrollmentRefused(response.status_code, body.detail, body.error)
    _check(response)


# --- the client -----------------------------------------------------------------------------

class SyncClient:
    def __init__(
        self,
        server_url: str,
        device_id: str,
        key_path: str | os.PathLike[str],
        *,
        timeout: Any = DEFAULT_TIMEOUT,
        push_format: int = batchcodec.FORMAT_VERSION,
    ) -> None:
        if push_format not in (1, batchcodec.FORMAT_VERSION):
            raise ValueError(f"push format {push_format}: this kiosk writes 1 and {batchcodec.FORMAT_VERSION}")
        self.push_format = push_format
        self.server_url = server_url.rstrip("/")
        self.device_id = device_id
        self._key_path = key_path
        self._key = load_device_key(key_path)
        self._timeout = timeout
        self._http = _new_http()
        self._token: str | None = None
        self._token_valid_until = 0.0  # time.monotonic(): the kiosk wall clock is not trusted

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def push(self, events: Sequence[p.Event], *, sent_clock: p.Clock | None = None) -> p.BatchResponse:
        """Send one batch. Any exception means nothing is acknowledged: send it again.

        In push format 2 (sync/batchcodec.py) unless the server cannot read it (415): then
        in format 1 from here on."""
        events = list(events)
        if self.push_format == batchcodec.FORMAT_VERSION:
            try:
                return self._push_compact(events, sent_clock)
            except RequestRejected as exc:
                if exc.status != 415:
                    raise
                log.warning("server cannot read push format 2 (%s); using format 1", exc.detail)
                self.push_format = 1
        return self._push_json(events, sent_clock)

    def _push_compact(self, events: list[p.Event], sent_clock: p.Clock | None) -> p.BatchResponse:
        response = self._authorized(
            "POST", f"/devices/{self.device_id}/events:batch",
            data=batchcodec.encode_batch(events, sent_clock),
            headers={"Content-Type": batchcodec.MEDIA_TYPE_V2},
        )
        reply = _parse(batchcodec.BatchReplyV2, response)
        try:
            return batchcodec.expand_reply(events, reply)
        except ValueError as exc:
            raise BadResponse(f"batch reply does not fit the batch: {exc}") from exc

    def _push_json(self, events: list[p.Event], sent_clock: p.Clock | None) -> p.BatchResponse:
        """Format 1: EventBatch JSON, gzip; empty fields stay off the wire."""
        batch = p.EventBatch(events=events, sent_clock=sent_clock)
        body = batch.model_dump_json(exclude_none=True).encode("utf-8")
        response = self._authorized(
            "POST", f"/devices/{self.device_id}/events:batch",
            data=gzip.compress(body, mtime=0),
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        )
        return _parse(p.BatchResponse, response)

    def pull(self, scope: str, cursor: str, *, limit: int = p.MAX_PAGE_CHANGES) -> p.ChangesPage:
        try:
            response = self._authorized(
                "GET", f"/devices/{self.device_id}/changes",
                params={"scope": scope, "since": cursor, "limit": limit},
            )
        except RequestRejected as exc:
            if exc.status == 409 and exc.error == p.ERROR_MUST_REFETCH:
                raise MustRefetch(exc.status, exc.error, f"scope {scope}: {exc.detail}") from exc
            raise
        return _parse(p.ChangesPage, response)

    def config(self, etag: str | None) -> tuple[p.ConfigResponse | None, str | None]:
        """The service point's settings and their ETag; (None, etag) when unchanged (304)."""
        headers = {"If-None-Match": etag} if etag else {}
        response = self._authorized("GET", f"/devices/{self.device_id}/config", headers=headers)
        if response.status_code == 304:
            return None, etag
        return _parse(p.ConfigResponse, response), response.headers.get("ETag")

    def _authorized(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        response = self._send_with_token(method, path, **kwargs)
        if response.status_code == 401:  # expired or unknown to a restored server: once more
            self._token = None
            response = self._send_with_token(method, path, **kwargs)
        _check(response)
        return response

    def _send_with_token(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        headers["Authorization"] = f"Bearer {self._current_token()}"
        return _send(self._http, method, _api_url(self.server_url, path), self._timeout,
                     headers=headers, **kwargs)

    def _current_token(self) -> str:
        if self._token is None or time.monotonic() >= self._token_valid_until:
            self._fetch_token()
        assert self._token is not None
        return self._token

    def rotate_key(self) -> str:
        """Switch to a new device key; returns its public key.

        The new key waits in `<key>.new` until the server has accepted a request signed by
        the old key; only then does it replace the key file. If the answer is lost, the next
        token request fails with the old key and adopts the new one (see _fetch_token)."""
        pending = pending_key_path(self._key_path)
        if not pending.exists():
            generate_device_key(pending)
        new_key = load_device_key(pending)
        new_public = public_key_b64(new_key)
        nonce = self._challenge()
        message = p.rotation_message(self.device_id, nonce, new_public)
        self._post(p.KeyRotationResponse, "/auth/rotate-key", p.KeyRotationRequest(
            device_id=self.device_id, nonce=nonce, new_public_key=new_public,
            signature=_b64(self._key.sign(message)), new_key_signature=_b64(new_key.sign(message)),
        ))
        adopt_pending_key(self._key_path)
        self._key, self._token = new_key, None
        return new_public

    def _challenge(self) -> str:
        return self._post(p.ChallengeResponse, "/auth/challenge",
                          p.ChallengeRequest(device_id=self.device_id)).nonce

    def _fetch_token(self) -> None:
        try:
            self._fetch_token_once()
        except RequestRejected as exc:
            # A rotation whose answer was lost: the server already has the pending key.
            if exc.error != "bad_signature" or not adopt_pending_key(self._key_path):
                raise
            self._key = load_device_key(self._key_path)
            self._fetch_token_once()

    def _fetch_token_once(self) -> None:
        challenge = self._post(p.ChallengeResponse, "/auth/challenge",
                               p.ChallengeRequest(device_id=self.device_id))
        signature = base64.b64encode(self._key.sign(challenge.nonce.encode("utf-8"))).decode()
        token = self._post(p.TokenResponse, "/auth/token", p.TokenRequest(
            device_id=self.device_id, nonce=challenge.nonce, signature=signature))
        self._token = token.token
        self._token_valid_until = time.monotonic() + max(token.expires_in - TOKEN_REFRESH_MARGIN_S, 0)

    def _post(self, model: type[M], path: str, request: BaseModel) -> M:
        response = _send(self._http, "POST", _api_url(self.server_url, path), self._timeout,
                         json=request.model_dump(mode="json"))
        _check(response)
        return _parse(model, response)

"""Request bodies: size-capped reading, gunzip without gzip bombs, batch parsing in either
push format (1: EventBatch JSON, 2: sync/batchcodec.py), chosen by the Content-Type."""
from __future__ import annotations

import zlib

from fastapi import Request
from pydantic import ValidationError
from starlette.requests import ClientDisconnect

from sync import batchcodec
from sync import protocol as p
from sync.server.errors import ApiError, summarise_validation

FORMAT_1_MEDIA_TYPES = ("", "application/json")
ERROR_UNSUPPORTED_FORMAT = "unsupported_batch_format"


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, gunzipped if sent so, refused (413) beyond `limit` bytes either way."""
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ApiError(413, "too_large", f"body over {limit} bytes; send smaller batches")
            chunks.append(chunk)
    except ClientDisconnect as exc:  # the line dropped mid-body: nothing to do, nobody to tell
        raise ApiError(400, "incomplete_body", "the connection closed before the body ended") from exc
    body = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding == "gzip":
        return _gunzip(body, limit)
    if encoding not in ("identity", ""):
        raise ApiError(415, "unsupported_encoding", f"Content-Encoding {encoding!r}; use gzip")
    return body


def _gunzip(body: bytes, limit: int) -> bytes:
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = decompressor.decompress(body, limit + 1)
    except zlib.error as exc:
        raise ApiError(400, "bad_gzip", f"body is not valid gzip: {exc}") from exc
    if len(data) > limit:
        raise ApiError(413, "too_large", f"body over {limit} bytes unpacked; send smaller batches")
    if not decompressor.eof:
        raise ApiError(400, "bad_gzip", "gzip body is truncated")
    return data


def batch_format(content_type: str | None) -> int:
    """1 or 2 from the Content-Type; 415 for anything this server cannot read, saying what
    it can, so a newer kiosk knows to fall back."""
    media_type, _, rest = (content_type or "").partition(";")
    media_type = media_type.strip().lower()
    if media_type in FORMAT_1_MEDIA_TYPES:
        return 1
    params = dict(_param(part) for part in rest.split(";") if part.strip())
    if media_type == batchcodec.MEDIA_TYPE and params.get("v") == str(batchcodec.FORMAT_VERSION):
        return batchcodec.FORMAT_VERSION
    raise ApiError(415, ERROR_UNSUPPORTED_FORMAT,
                   f"cannot read a batch sent as {content_type!r}; this server reads format 1 "
                   f"(application/json, gzip allowed) and format 2 ({batchcodec.MEDIA_TYPE_V2})")


def _param(part: str) -> tuple[str, str]:
    name, _, value = part.partition("=")
    return name.strip().lower(), value.strip().strip('"')


def parse_batch(body: bytes) -> p.EventBatch:
    """A format-1 body: EventBatch JSON."""
    try:
        return p.EventBatch.model_validate_json(body)
    except ValidationError as exc:
        raise ApiError(422, "invalid_batch", summarise_validation(exc.errors())) from exc


def parse_compact_batch(body: bytes) -> p.EventBatch:
    """A format-2 body (zlib with the format's dictionary, columns): the same EventBatch."""
    try:
        return batchcodec.decode_batch(body, p.MAX_BODY_BYTES)
    except batchcodec.TooLarge as exc:
        raise ApiError(413, "too_large", str(exc)) from exc
    except batchcodec.BatchFormatError as exc:
        raise ApiError(400, "bad_batch_body", str(exc)) from exc
    except batchcodec.BatchContentError as exc:
        raise ApiError(422, "invalid_batch", str(exc)) from exc

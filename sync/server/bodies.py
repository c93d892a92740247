"""Request bodies: size-capped reading, gunzip without gzip bombs, batch parsing."""
from __future__ import annotations

import zlib

from fastapi import Request
from pydantic import ValidationError

from sync import protocol as p
from sync.server.errors import ApiError, summarise_validation


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, gunzipped if sent so, refused (413) beyond `limit` bytes either way."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "too_large", f"body over {limit} bytes; send smaller batches")
        chunks.append(chunk)
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


def parse_batch(body: bytes) -> p.EventBatch:
    try:
        return p.EventBatch.model_validate_json(body)
    except ValidationError as exc:
        raise ApiError(422, "invalid_batch", summarise_validation(exc.errors())) from exc

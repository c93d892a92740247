"""Text PostgreSQL cannot store is refused before any handler runs: a NUL (U+0000) in a path
or query parameter or in a JSON or form body is a 422 `invalid_request` on both databases,
instead of a 503 from PostgreSQL only (found by tests/sync/test_openapi_fuzz.py).

Event batches are the exception: their bodies are not checked here, because one event with a
NUL is rejected alone by the ingest (sync/server/kiosks/ingest.py) while its batch-mates are
accepted. Their URL is checked like every other.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Depends, Request

from sync.server.errors import ApiError

NUL = "\x00"
FORM = "application/x-www-form-urlencoded"


def _refuse(where: str) -> ApiError:
    return ApiError(422, "invalid_request",
                    f"{where} holds a NUL character (U+0000), which the server cannot store")


def refuse_nul_in_url(request: Request) -> None:
    for name, value in request.path_params.items():
        if NUL in str(value):
            raise _refuse(f"path parameter {name}")
    for name, value in request.query_params.multi_items():
        if NUL in name or NUL in value:
            raise _refuse(f"query parameter {name!r}")


async def refuse_nul_in_body(request: Request) -> None:
    """JSON (any string, key or value, however deep) and form bodies; others are left to their
    handler. A body that does not parse is left to the handler too, which says what is wrong."""
    body = await request.body()  # kept by Starlette: the handler reads the same bytes
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type == FORM:
        texts = [text for pair in parse_qsl(body.decode("utf-8", "replace")) for text in pair]
        if any(NUL in text for text in texts):
            raise _refuse("the body")
    else:
        refuse_nul_in_json(body)


def refuse_nul_in_json(body: bytes) -> None:
    """422 if the JSON `body` holds a NUL in any string; nothing if it holds none or is no JSON."""
    try:
        document = json.loads(body) if body else None
    except ValueError:
        return
    if any(NUL in text for text in _strings(document)):
        raise _refuse("the body")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


URL_TEXT = Depends(refuse_nul_in_url)
BODY_TEXT = Depends(refuse_nul_in_body)

"""What each operation can answer, for `responses=` and so for /openapi.json: every error is an
ErrorBody {error, detail[, high_seq]}, and each status names the `error` codes it carries.

The sets below are shared by the operations of one audience; an operation adds its own codes
with `errors(*shared, {status: "`code`: when", ...})`. The schemathesis test (tests/sync/
test_openapi_fuzz.py) fails on any status an operation returns that is not listed here.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync import protocol as p

Codes = Mapping[int, str]

# Any operation: the body limits and timeouts (enforced while reading, before routing) and
# an overloaded or unreachable database. Nothing was changed; retry after Retry-After.
ANY_OPERATION: Codes = {
    408: "`body_timeout`: the body came too slowly; send it again.",
    413: "`too_large`: the body is over this route's limit (see docs/protocol.md); send less.",
    422: "`invalid_request`: a parameter or body text holds a NUL character (U+0000), which the "
         "server cannot store.",
    503: "`database_unavailable` | `busy`: nothing was changed; retry after `Retry-After` seconds.",
}
INVALID_REQUEST: Codes = {
    422: "`invalid_request`: a parameter or the JSON body does not match the schema; `detail` names the field.",
}
JSON_BODY: Codes = {
    400: "`http_error`: the body could not be read as JSON text at all (e.g. not UTF-8).",
    **INVALID_REQUEST,
}
DEVICE_AUTH: Codes = {
    401: f"`{p.ERROR_INVALID_TOKEN}`: no bearer token, or it is unknown or expired; get a new one "
         "(POST /v1/auth/challenge, then /v1/auth/token).",
    403: f"`{p.ERROR_REVOKED}`: this kiosk was revoked (stop syncing) | `forbidden`: the token "
         "belongs to another kiosk than the URL's.",
    429: f"`{p.ERROR_RATE_LIMITED}`: too many failed attempts from this client; wait `Retry-After` seconds.",
}
KIOSK_IDENTITY: Codes = {
    401: "`unknown_device`: no enrolled kiosk with this id | `invalid_nonce`: the nonce is unknown, "
         "used or expired; ask for a new one | `bad_signature`: the signature does not verify.",
    403: f"`{p.ERROR_REVOKED}`: this kiosk was revoked; ask a coordinator.",
    429: f"`{p.ERROR_RATE_LIMITED}`: too many failed attempts from this client; wait `Retry-After` seconds.",
}
ADMIN_AUTH: Codes = {
    401: "`unauthorized`: no `Authorization: Bearer <admin token>`, or the token is unknown or revoked.",
    429: f"`{p.ERROR_RATE_LIMITED}`: too many failed attempts from this client; wait `Retry-After` seconds.",
}
CARRIER_AUTH: Codes = {
    401: "`invalid_api_key`: send the carrier API key as `X-Api-Key: KEY` or `Authorization: Bearer KEY`.",
    429: f"`{p.ERROR_RATE_LIMITED}`: too many failed attempts from this client; wait `Retry-After` seconds.",
}


def errors(*code_sets: Codes) -> dict[int | str, dict[str, Any]]:
    """`responses=` for these statuses, each an ErrorBody; a later set's text for a status is
    appended to an earlier one's, so an operation can add codes to a shared status."""
    merged: dict[int, list[str]] = {}
    for codes in (ANY_OPERATION, *code_sets):
        for status, text in codes.items():
            merged.setdefault(status, []).append(text)
    # The media type is spelt out: FastAPI would give a `model` the route's own (text/html on pages).
    return {status: {"description": " ".join(texts), "content": {"application/json": {"schema": ref(p.ErrorBody)}}}
            for status, texts in sorted(merged.items())}


def html(status: int, description: str) -> dict[int | str, dict[str, Any]]:
    """A status answered with an HTML page instead of an ErrorBody."""
    return {status: {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}}


def ref(model: type[Any]) -> dict[str, str]:
    """A JSON-schema reference to `model` in the document's components (openapi.py adds the
    models that no handler signature names: the raw bodies read by hand)."""
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def json_body(model: type[Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": ref(model)}}}

"""/openapi.json as the server really behaves: security schemes, the bodies read by hand (both
push formats, pre-advice, SMS delivery reports), and the ErrorBody {error, detail[, high_seq]}
for every error, instead of FastAPI's HTTPValidationError that this server never sends."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from sync import batchcodec
from sync import protocol as p
from sync.server.api.contract.responses import INVALID_REQUEST, ref
from sync.server.api.contract.schemas import SmsDeliveryReport
from sync.server.parcels import carriers

DESCRIPTION = ("The central server of Servicepunkt: the kiosks' sync API (docs/protocol.md), carriers' "
               "pre-advice, SMS delivery reports and the region's admin API (docs/central.md). Every "
               "error is an ErrorBody; each operation lists its statuses and their `error` codes.")
# Models of bodies the handlers read by hand, so no signature names them.
BODY_MODELS: tuple[type[BaseModel], ...] = (
    p.EventBatch, p.BatchResponse, batchcodec.BatchReplyV2, carriers.PreAdviceRequest, SmsDeliveryReport,
    p.ErrorBody)
EXTRA_SECURITY_SCHEMES = {
    "smsReportBasic": {
        "type": "http", "scheme": "basic",
        "description": "46elks' delivery reports: the basic-auth user and report secret written into "
                       "the whendelivered URL (docs/central.md).",
    },
}
FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


def install_openapi(app: FastAPI) -> None:
    """Serve build_openapi(app), built once on first request."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def build_openapi(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(title=app.title, version=app.version, description=DESCRIPTION, routes=app.routes)
    components = document.setdefault("components", {})
    _add_models(components.setdefault("schemas", {}), BODY_MODELS)
    components.setdefault("securitySchemes", {}).update(EXTRA_SECURITY_SCHEMES)
    for operation in _operations(document):
        _replace_validation_error(operation)
    for name in FASTAPI_VALIDATION_SCHEMAS:
        components["schemas"].pop(name, None)
    missing = sorted(set(_refs(document)) - {f"#/components/schemas/{name}" for name in components["schemas"]})
    if missing:
        raise RuntimeError(f"the OpenAPI document refers to undefined schemas: {missing}")
    return document


def _add_models(schemas: dict[str, Any], models: tuple[type[BaseModel], ...]) -> None:
    _, definitions = models_json_schema([(model, "validation") for model in models],
                                        ref_template="#/components/schemas/{model}")
    for name, schema in definitions.get("$defs", {}).items():
        if name not in schemas:
            schemas[name] = schema
        elif set(schemas[name].get("properties", {})) != set(schema.get("properties", {})):
            # FastAPI's copy of a model it knows differs only in serialisation details
            raise RuntimeError(f"two different models are named {name}; rename one")


def _operations(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for path_item in document.get("paths", {}).values():
        yield from path_item.values()


def _replace_validation_error(operation: dict[str, Any]) -> None:
    """FastAPI adds a 422 HTTPValidationError to each operation with parameters that did not
    declare one; this server answers that case with an ErrorBody `invalid_request`."""
    response = operation.get("responses", {}).get("422")
    if response is None or "HTTPValidationError" not in str(response):
        return
    operation["responses"]["422"] = {"description": INVALID_REQUEST[422],
                                     "content": {"application/json": {"schema": ref(p.ErrorBody)}}}


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)

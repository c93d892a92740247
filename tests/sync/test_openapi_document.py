"""/openapi.json says what the server does (the fuzz test checks the server against it): its
security schemes, the bodies read by hand, and the ErrorBody for every error."""
from __future__ import annotations

from typing import Any

import pytest

from sync import batchcodec
from sync.server.api.app import create_app

ERROR_BODY = {"$ref": "#/components/schemas/ErrorBody"}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    app = create_app(f"sqlite:///{tmp_path_factory.mktemp('openapi') / 'unused.db'}")
    return app.openapi()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, operation) for path, item in document["paths"].items()
            for method, operation in item.items()]


def test_there_is_no_validation_error_schema_the_server_never_sends(document) -> None:
    assert "HTTPValidationError" not in str(document)
    assert "ValidationError" not in document["components"]["schemas"]


def test_every_error_reply_is_an_error_body(document) -> None:
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400 or path == "/p/{token}" and status in ("404", "410"):
                continue
            assert response["content"]["application/json"]["schema"] == ERROR_BODY, (method, path, status)
            assert "`" in response["description"], f"{method} {path} {status} names no error code"


def test_each_audience_has_its_security_scheme(document) -> None:
    assert set(document["components"]["securitySchemes"]) == {
        "deviceToken", "adminToken", "carrierApiKey", "carrierBearer", "smsReportBasic"}
    for method, path, operation in operations(document):
        schemes = [name for requirement in operation.get("security", []) for name in requirement]
        if path.startswith("/v1/admin/"):
            assert schemes == ["adminToken"], (method, path)
        elif path.startswith("/v1/devices/"):
            assert schemes == ["deviceToken"], (method, path)
        elif path == "/v1/carrier/pre-advice":
            assert operation["security"] == [{"carrierApiKey": []}, {"carrierBearer": []}]  # either one
        elif path == "/v1/sms/delivery":
            assert schemes == ["smsReportBasic"]
        else:
            assert schemes == [], (method, path)


def test_the_bodies_read_by_hand_are_declared(document) -> None:
    paths = document["paths"]
    batch = paths["/v1/devices/{device_id}/events:batch"]["post"]["requestBody"]["content"]
    assert batch["application/json"]["schema"] == {"$ref": "#/components/schemas/EventBatch"}
    assert batch[batchcodec.MEDIA_TYPE_V2]["schema"]["format"] == "binary"
    pre_advice = paths["/v1/carrier/pre-advice"]["post"]["requestBody"]["content"]
    assert pre_advice["application/json"]["schema"] == {"$ref": "#/components/schemas/PreAdviceRequest"}
    report = paths["/v1/sms/delivery"]["post"]["requestBody"]["content"]
    assert report["application/x-www-form-urlencoded"]["schema"] == {
        "$ref": "#/components/schemas/SmsDeliveryReport"}
    assert {"EventBatch", "PreAdviceRequest", "SmsDeliveryReport", "BatchReplyV2", "Event"} <= set(
        document["components"]["schemas"])


def test_seq_rewind_and_must_refetch_are_documented(document) -> None:
    paths = document["paths"]
    push = paths["/v1/devices/{device_id}/events:batch"]["post"]["responses"]
    assert "seq_rewind" in push["409"]["description"] and "high_seq" in push["409"]["description"]
    assert "must_refetch" in paths["/v1/devices/{device_id}/changes"]["get"]["responses"]["409"]["description"]

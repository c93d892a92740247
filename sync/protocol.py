"""The wire format between kiosk and central server, shared by both ends.

Versioned by URL prefix (/v1). Both ends import these models; nothing else of the other side.
The dense push-batch encoding both ends share (push format 2) is in sync/batchcodec.py.
Everything that must be computed identically on both ends (canonical JSON, payload hash,
card UID hashing, event payload validation) lives here, so there is one definition of it.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError

API_PREFIX = "/v1"
MAX_BATCH_EVENTS = 500
MAX_BATCH_BYTES = 256 * 1024
# Decompressed request bodies above this are refused (413): a gzip bomb must not fill RAM.
MAX_BODY_BYTES = 4 * MAX_BATCH_BYTES
MAX_PAGE_CHANGES = 500

EventStatus = Literal["accepted", "duplicate", "conflict", "rejected"]
# Statuses after which the kiosk never sends the event again.
FINAL_STATUSES: frozenset[str] = frozenset({"accepted", "duplicate", "conflict", "rejected"})

# Change-feed scopes the server serves. Later: parcels, catalog, config, commands.
SCOPE_STAFF = "staff"
SCOPES: tuple[str, ...] = (SCOPE_STAFF,)

# Machine-readable `error` values of ErrorBody that a client acts on.
ERROR_REVOKED = "revoked"
ERROR_MUST_REFETCH = "must_refetch"
ERROR_INVALID_TOKEN = "invalid_token"
ERROR_SEQ_REWIND = "seq_rewind"
ERROR_RATE_LIMITED = "rate_limited"

HASH_PATTERN = r"^[0-9a-f]{64}$"
HASH_OR_PREFIX_PATTERN = r"^(?:[0-9a-f]{8}|[0-9a-f]{64})$"
INT64_LIMIT = 2**63  # seq and clock values must fit a BIGINT column


def canonical_json(payload: Mapping[str, Any]) -> str:
    """One spelling per payload, so equal payloads hash equally on both ends.

    NaN/Infinity are refused: they are not JSON and would not survive the round trip.
    """
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def payload_hash(payload: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


class WireModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EnrollRequest(WireModel):
    code: str = Field(min_length=4, max_length=64)
    public_key: str = Field(description="Ed25519 public key, raw 32 bytes, base64")
    install_id: str = Field(min_length=1, max_length=64)
    hw: dict[str, str] = Field(default_factory=dict)


class EnrollResponse(WireModel):
    device_id: str
    service_point_id: str
    service_point_name: str
    server_time: datetime
    scopes: list[str]


class ChallengeRequest(WireModel):
    device_id: str = Field(min_length=1, max_length=64)


class ChallengeResponse(WireModel):
    nonce: str
    expires_in: int


class TokenRequest(WireModel):
    device_id: str = Field(min_length=1, max_length=64)
    nonce: str = Field(min_length=1, max_length=128)
    signature: str = Field(description="Ed25519 signature of the nonce's UTF-8 bytes, base64")


class TokenResponse(WireModel):
    token: str
    expires_in: int


class KeyRotationRequest(WireModel):
    """A new device key, signed by the old key (authority) and the new one (possession).

    Both signatures are over `rotation_message(device_id, nonce, new_public_key)`; the nonce
    comes from /auth/challenge, so a captured request cannot be replayed."""

    device_id: str = Field(min_length=1, max_length=64)
    nonce: str = Field(min_length=1, max_length=128)
    new_public_key: str
    signature: str
    new_key_signature: str


class KeyRotationResponse(WireModel):
    device_id: str
    public_key: str


def rotation_message(device_id: str, nonce: str, new_public_key: str) -> bytes:
    return f"rotate-key\n{device_id}\n{nonce}\n{new_public_key}".encode("utf-8")


class Clock(WireModel):
    """When the kiosk thinks an event happened. Never used to order or dedupe (no RTC on a Pi)."""

    wall_ms: int = Field(ge=0, lt=INT64_LIMIT)
    clock_synced: bool
    boot_id: str = Field(max_length=64)
    mono_ms: int = Field(ge=0, lt=INT64_LIMIT)


class Event(WireModel):
    event_id: UUID
    seq: int = Field(ge=1, lt=INT64_LIMIT)
    type: str = Field(min_length=1, max_length=64)
    payload: dict[str, Any]
    # Optional on the wire: the server recomputes it from the canonical payload anyway, and
    # 64 hex digits of entropy would double the size of a batch. If sent, whole or as its
    # first 8 digits (push format 2, sync/batchcodec.py), it is checked.
    payload_hash: str | None = Field(default=None, pattern=HASH_OR_PREFIX_PATTERN)
    clock: Clock


class EventBatch(WireModel):
    events: list[Event] = Field(max_length=MAX_BATCH_EVENTS)
    # The kiosk's clock when it sent the batch: with each event's boot_id + mono_ms it lets
    # the server date events of a boot whose wall clock was never set.
    sent_clock: Clock | None = None


class EventResult(WireModel):
    event_id: UUID
    seq: int
    status: EventStatus
    reason: str | None = None


class BatchResponse(WireModel):
    """`acked_through`: the highest seq of the batch; every event of the batch with a seq up
    to it has a final result in `results` (0 for an empty batch)."""

    results: list[EventResult]
    acked_through: int
    server_time: datetime


class Change(WireModel):
    entity: str
    entity_id: str
    version: int
    op: Literal["upsert", "delete"]
    data: dict[str, Any] | None = None


class ChangesPage(WireModel):
    changes: list[Change]
    next_cursor: str
    has_more: bool


class ErrorBody(WireModel):
    error: str
    detail: str = ""
    # With ERROR_SEQ_REWIND: the highest seq the server holds for this kiosk.
    high_seq: int | None = None


class ConfigResponse(WireModel):
    """The service point's kiosk settings; served with an ETag, 304 when unchanged."""

    version: int
    settings: dict[str, Any]


# --- Event payloads -------------------------------------------------------------------------
# Validated strictly on both ends: the kiosk refuses to enqueue an invalid payload, the server
# rejects one (acknowledged, so it never blocks the queue). Extra fields are refused: a new
# field means a new event type (or version), so an old server never half-understands an event.

class ParcelStored(WireModel):
    parcel_id: str = Field(min_length=1, max_length=64)
    tracking_id: str = Field(min_length=1, max_length=64)
    compartment: str = Field(min_length=1, max_length=16)


class ParcelPickedUp(WireModel):
    parcel_id: str = Field(min_length=1, max_length=64)
    compartment: str | None = Field(default=None, min_length=1, max_length=16)  # the door opened


EVENT_PAYLOADS: Mapping[str, type[WireModel]] = {
    "parcel.stored": ParcelStored,
    "parcel.picked_up": ParcelPickedUp,
}


def payload_problem(type_: str, payload: Mapping[str, Any]) -> str | None:
    """Why this event payload is invalid, or None if it is valid."""
    model = EVENT_PAYLOADS.get(type_)
    if model is None:
        return f"unknown event type {type_!r}"
    try:
        model.model_validate(payload, strict=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "payload"
        return f"invalid {type_} payload: {where}: {first['msg']}"
    return None


# --- Staff credentials (scope "staff") ------------------------------------------------------

class StaffCardData(WireModel):
    """`data` of a scope-"staff" change with entity "staff_card"."""

    id: int
    name: str
    uid_sha256: str = Field(pattern=HASH_PATTERN)


_UID_SEPARATORS = re.compile(r"[\s:\-]")
_HEX = re.compile(r"^[0-9A-F]+$")


def normalise_card_uid(text: str) -> str:
    """A card UID as uppercase hex without separators ("04:a2:3b:11" -> "04A23B11").

    Accepts 4..10-byte UIDs (ISO 14443 4/7/10 bytes, EM4100 5 bytes). Raises ValueError.
    """
    uid = _UID_SEPARATORS.sub("", text).upper()
    if not _HEX.match(uid) or len(uid) % 2:
        raise ValueError(f"card UID {text!r} is not whole bytes of hex")
    if not 4 <= len(uid) // 2 <= 10:
        raise ValueError(f"card UID {text!r} must be 4 to 10 bytes long")
    return uid


def card_uid_sha256(text: str) -> str:
    """The only form in which a card UID is stored or sent: sha256 of the normalised hex."""
    return hashlib.sha256(normalise_card_uid(text).encode("ascii")).hexdigest()

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
from datetime import date, datetime
from itertools import pairwise
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

# Re-exported (the `as` form says so to mypy): part of the wire format.
from sync.directory_terms import DIRECTORY_TIMEZONE as DIRECTORY_TIMEZONE
from sync.directory_terms import E_SERVICE_CATEGORIES as E_SERVICE_CATEGORIES

API_PREFIX = "/v1"
MAX_BATCH_EVENTS = 500
MAX_BATCH_BYTES = 256 * 1024
# Decompressed request bodies above this are refused (413): a gzip bomb must not fill RAM.
MAX_BODY_BYTES = 4 * MAX_BATCH_BYTES
MAX_PAGE_CHANGES = 500

EventStatus = Literal["accepted", "duplicate", "conflict", "rejected"]
# Statuses after which the kiosk never sends the event again.
FINAL_STATUSES: frozenset[str] = frozenset({"accepted", "duplicate", "conflict", "rejected"})

# Change-feed scopes the server serves. Later: catalog, config, commands.
SCOPE_STAFF = "staff"
SCOPE_PARCELS = "parcels"  # carriers' pre-advice for this service point (entity "pre_advice")
SCOPE_DIRECTORY = "directory"  # video services, e-services, booked appointments (directory section)
SCOPES: tuple[str, ...] = (SCOPE_STAFF, SCOPE_PARCELS, SCOPE_DIRECTORY)

# Machine-readable `error` values of ErrorBody that a client acts on.
ERROR_REVOKED = "revoked"
ERROR_MUST_REFETCH = "must_refetch"
ERROR_INVALID_TOKEN = "invalid_token"
ERROR_SEQ_REWIND = "seq_rewind"
ERROR_RATE_LIMITED = "rate_limited"

HASH_PATTERN = r"^[0-9a-f]{64}$"
HASH_OR_PREFIX_PATTERN = r"^(?:[0-9a-f]{8}|[0-9a-f]{64})$"
INT64_LIMIT = 2**63  # seq and clock values must fit a BIGINT column


# One encoder for every call: json.dumps builds a new one per call when given options, which
# costs as much as encoding a small payload (every enqueue and every ingested event).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_json(payload: Mapping[str, Any]) -> str:
    """One spelling per payload, so equal payloads hash equally on both ends.

    NaN/Infinity are refused: they are not JSON and would not survive the round trip.
    """
    return _CANONICAL.encode(payload)


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


class EnrollCheckRequest(WireModel):
    """Would /enroll accept this code from this key? Asked by `kiosk provision --dry-run`;
    the code stays unused."""

    code: str = Field(min_length=4, max_length=64)
    public_key: str | None = Field(default=None, description="the key enrollment would use; none = a new key")


class EnrollCheckResponse(WireModel):
    device_id: str
    service_point_id: str
    service_point_name: str
    expires_at: datetime


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

    Both signatures are over `rotation_message(device_id, nonce, new_public_key)` (its bytes:
    docs/protocol.md §4); the nonce comes from /auth/challenge, so a captured request cannot
    be replayed."""

    device_id: str = Field(min_length=1, max_length=64)
    nonce: str = Field(min_length=1, max_length=128)
    new_public_key: str
    signature: str
    new_key_signature: str


class KeyRotationResponse(WireModel):
    device_id: str
    public_key: str


def rotation_message(device_id: str, nonce: str, new_public_key: str) -> bytes:
    return f"rotate-key\n{device_id}\n{nonce}\n{new_public_key}".encode()


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

# --- Parcels ------------------------------------------------------------------------------
# A parcel's life: pre-advised by its carrier (optional) -> stored in a compartment, or held at
# the counter when nothing free fits -> picked up (by code, QR or at the counter) or returned to
# the carrier after its deadline. The kiosk decides offline and reports each step as one event;
# the server applies it, notifies the recipient, and reports status back to the carrier.

SizeClass = Literal["S", "M", "L"]
LanguageCode = Literal["sv", "en", "fi", "fit", "se", "smj"]
PickupVia = Literal["code", "qr", "counter"]
DoorReason = Literal["store", "pickup", "return", "counter", "inspect", "reconcile"]
DoorOutcome = Literal["opened", "failed", "unknown"]

PICKUP_CODE_PATTERN = r"^[0-9]{6,10}$"
E164_PATTERN = r"^\+[1-9][0-9]{6,14}$"
EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$"
QR_PICKUP_PREFIX = "SPKT1:"  # the QR in the notification reads "SPKT1:<pickup code>"
DEFAULT_DEADLINE_DAYS = 7
DEFAULT_REMINDER_DAY = 5

_ID = Field(min_length=1, max_length=64)


class Recipient(WireModel):
    """Who to notify. At least one of phone and email. Purged once the parcel is done."""

    name: str | None = Field(default=None, max_length=120)
    phone: str | None = Field(default=None, pattern=E164_PATTERN)
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    language: LanguageCode = "sv"


class ParcelStored(WireModel):
    """The parcel is in `compartment`, or at the counter when `compartment` is None.

    `pickup_code` travels once, so the server can put it in the notification; the server
    keeps it only until the parcel is done, the kiosk keeps only a salted hash (and redacts
    it from the acknowledged outbox row). Without a code or a recipient the server sends no
    notification (the carrier notifies). Without a deadline the server sets one from the
    carrier's deadline days (DEFAULT_DEADLINE_DAYS for none)."""

    parcel_id: str = _ID
    tracking_id: str = _ID
    compartment: str | None = Field(default=None, min_length=1, max_length=16)
    carrier: str | None = Field(default=None, min_length=1, max_length=64)  # None: no pre-advice
    size_class: SizeClass = "M"
    pickup_code: str | None = Field(default=None, pattern=PICKUP_CODE_PATTERN)
    deadline: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$",
                                 description="last pickup day, ISO date")
    recipient: Recipient | None = None
    staff_id: str | None = Field(default=None, max_length=64)  # the staff card that stored it


class ParcelPickedUp(WireModel):
    parcel_id: str = _ID
    compartment: str | None = Field(default=None, min_length=1, max_length=16)  # the door opened
    via: PickupVia = "code"


class ParcelReturned(WireModel):
    """Taken out by staff after the deadline (or at the carrier's request), for the carrier."""

    parcel_id: str = _ID
    compartment: str | None = Field(default=None, min_length=1, max_length=16)
    staff_id: str | None = Field(default=None, max_length=64)


class DoorOpened(WireModel):
    """Audit of every attempt to open a door: who, why, when (the event's clock), outcome."""

    compartment: str = Field(min_length=1, max_length=16)
    reason: DoorReason
    outcome: DoorOutcome
    actor: str = Field(min_length=1, max_length=64)  # "resident" or a staff id
    parcel_id: str | None = Field(default=None, max_length=64)


class DoorLeftOpen(WireModel):
    """A door stayed open past the grace time; the server alerts the shop's staff."""

    compartment: str = Field(min_length=1, max_length=16)
    open_for_s: int = Field(ge=0)


class PickupLockedOut(WireModel):
    """Too many wrong codes: the keypad paused (the codes themselves are never sent)."""

    wrong_attempts: int = Field(ge=1)
    paused_for_s: int = Field(ge=1)


class UsageVisit(WireModel):
    """One resident's use of a video service or e-service, for the pilots' evaluation.

    Anonymous by construction: which service, how long, in which language and display modes,
    and how it ended; never who, never what was typed or said.

    Outcome "phone": an e-service whose QR code was shown and not opened here afterwards (the
    resident took it to their own phone). Added after the first pilots: the server must know
    it before the kiosks send it (an older server rejects the event, and a rejected event
    stays rejected)."""

    kind: Literal["video", "booked_video", "e_service"]
    service_id: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")
    language: LanguageCode
    duration_s: int = Field(ge=0, le=24 * 3600)
    large_text: bool
    high_contrast: bool
    speech: bool
    outcome: Literal["done", "idle", "exited", "crashed", "hung", "failed", "reset", "phone"]


class VideoCallStarted(WireModel):
    """A resident is in a video service's room at this kiosk now: the server alerts the
    service's on-duty contact with the room link (the server knows the room from the
    directory and the kiosk's service point; nothing about the person is sent)."""

    service_id: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")
    booked: bool


_DEB_VERSION = Field(min_length=1, max_length=64, pattern=r"^[0-9][A-Za-z0-9.+~:-]*$")
_CHANNEL = Field(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9-]*$")


class UpdateInstalled(WireModel):
    """The kiosk's updater installed its channel's version and it came up healthy."""

    from_version: str = _DEB_VERSION
    to_version: str = _DEB_VERSION
    channel: str = _CHANNEL


class UpdateRolledBack(WireModel):
    """The new version did not report healthy in time, so the updater put the previous one
    back; the kiosk holds its channel until the region releases it. A rollback on a canary
    kiosk blocks promoting that version to stable (kiosk-central repo promote)."""

    from_version: str = _DEB_VERSION  # the version that failed
    to_version: str = _DEB_VERSION  # the version running again
    channel: str = _CHANNEL
    reason: str = Field(min_length=1, max_length=300)


EVENT_PAYLOADS: Mapping[str, type[WireModel]] = {
    "update.installed": UpdateInstalled,
    "update.rolled_back": UpdateRolledBack,
    "usage.visit": UsageVisit,
    "video.call_started": VideoCallStarted,
    "parcel.stored": ParcelStored,
    "parcel.picked_up": ParcelPickedUp,
    "parcel.returned": ParcelReturned,
    "door.opened": DoorOpened,
    "door.left_open": DoorLeftOpen,
    "pickup.locked_out": PickupLockedOut,
}


class PreAdviceData(WireModel):
    """`data` of a scope-"parcels" change with entity "pre_advice" (entity_id: tracking id).

    Deleted from the feed once the parcel is picked up or returned, which purges the
    recipient's data on the kiosk."""

    tracking_id: str = _ID
    carrier: str = _ID
    recipient: Recipient
    size_class: SizeClass = "M"
    deadline_days: int = Field(default=DEFAULT_DEADLINE_DAYS, ge=1, le=60)


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


# --- Directory (scope "directory") ----------------------------------------------------------
# What the region offers at its service points: video services (a Jitsi room per service and
# service point), e-services (a start page and the domains the locked-down browser may visit)
# and booked appointments (a code the resident types -> a room in a time window). Entities
# "video_service", "e_service", "appointment"; each kiosk gets only what applies to its point.

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = datetime.weekday()
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
EServiceCategory = Literal["health", "benefits", "tax", "work", "municipality", "other"]
OPENING_SPAN_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"
BOOKING_CODE_PATTERN = r"^[0-9]{6}$"
ENTITY_VIDEO_SERVICE, ENTITY_E_SERVICE, ENTITY_APPOINTMENT = "video_service", "e_service", "appointment"
# Holidays and special hours of one video service, an entity of its own (id = the service's id)
# so that a kiosk that does not know it skips it and still shows the service by its weekly hours.
ENTITY_OPENING_EXCEPTIONS = "opening_exceptions"
MAX_OPENING_EXCEPTIONS = 100
MAX_EXCEPTION_DAYS = 366
# A resident may enter a booked room this long before its start.
APPOINTMENT_EARLY_MINUTES = 10

_SLUG = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")
Texts = dict[LanguageCode, str]
TextsT = TypeVar("TextsT", bound=Mapping[Any, str])  # the validators hand back what they got
HoursT = TypeVar("HoursT", bound=Mapping[Any, list[str]])


def _swedish_required(texts: TextsT, what: str) -> TextsT:
    if not texts.get("sv", "").strip():
        raise ValueError(f"{what} needs a Swedish text (sv), the kiosk's fallback language")
    if any(not value.strip() or len(value) > 400 for value in texts.values()):
        raise ValueError(f"every {what} text must be 1 to 400 characters")
    return texts


def _spans_in_order(hours: HoursT) -> HoursT:
    for day, spans in hours.items():
        for span in spans:
            start, end = span.split("-")
            if end <= start:
                raise ValueError(f"opening hours {day} {span}: must end after it starts")
    return hours


class VideoServiceData(WireModel):
    """`data` of entity "video_service": `room_url` is the room for this service point."""

    id: str = _SLUG
    organisation: str = Field(min_length=1, max_length=120)
    name: Texts
    description: Texts
    room_url: str = Field(min_length=9, max_length=500, pattern=r"^https://")
    # Local opening hours per weekday ("08:00-12:00"); a day not listed is closed.
    opening_hours: dict[Weekday, list[Annotated[str, Field(pattern=OPENING_SPAN_PATTERN)]]]

    @field_validator("name", "description")
    @classmethod
    def _texts(cls, texts: Texts, info: ValidationInfo) -> Texts:
        return _swedish_required(texts, info.field_name or "text")

    @field_validator("opening_hours")
    @classmethod
    def _hours(cls, hours: dict[Weekday, list[str]]) -> dict[Weekday, list[str]]:
        return _spans_in_order(hours)


class OpeningException(WireModel):
    """The days `first` to `last` (inclusive, local dates) have `hours` instead of their
    weekday's: [] = closed (a holiday), else special hours such as ["10:00-14:00"]."""

    first: date
    last: date
    hours: list[Annotated[str, Field(pattern=OPENING_SPAN_PATTERN)]] = Field(max_length=8)

    @model_validator(mode="after")
    def _sane(self) -> OpeningException:
        if self.last < self.first:
            raise ValueError(f"{self.first}..{self.last}: the last day is before the first")
        if (self.last - self.first).days >= MAX_EXCEPTION_DAYS:
            raise ValueError(f"{self.first}..{self.last}: at most {MAX_EXCEPTION_DAYS} days")
        _spans_in_order({f"{self.first}": self.hours})
        return self

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last


def overlapping(exceptions: list[OpeningException]) -> tuple[OpeningException, OpeningException] | None:
    """Two exceptions sharing a day, if any (which of them would hold is unclear)."""
    ordered = sorted(exceptions, key=lambda e: e.first)
    for earlier, later in pairwise(ordered):
        if later.first <= earlier.last:
            return earlier, later
    return None


class OpeningExceptionsData(WireModel):
    """`data` of entity "opening_exceptions": the exceptions of one video service at this point."""

    service_id: str = _SLUG
    days: list[OpeningException] = Field(max_length=MAX_OPENING_EXCEPTIONS)

    @model_validator(mode="after")
    def _no_overlap(self) -> OpeningExceptionsData:
        clash = overlapping(self.days)
        if clash:
            raise ValueError(f"exceptions {clash[0].first}..{clash[0].last} and "
                             f"{clash[1].first}..{clash[1].last} overlap")
        return self


class EServiceData(WireModel):
    """`data` of entity "e_service"."""

    id: str = _SLUG
    title: Texts
    description: Texts
    category: EServiceCategory
    start_url: str = Field(min_length=9, max_length=500, pattern=r"^https://")
    allowed_domains: list[Annotated[str, Field(pattern=r"^[a-z0-9.-]+\.[a-z]{2,}$", max_length=253)]] = \
        Field(min_length=1, max_length=20)

    @field_validator("title", "description")
    @classmethod
    def _texts(cls, texts: Texts, info: ValidationInfo) -> Texts:
        return _swedish_required(texts, info.field_name or "text")

    @model_validator(mode="after")
    def _starts_inside(self) -> EServiceData:
        host = (urlsplit(self.start_url).hostname or "").lower()
        if not any(host == domain or host.endswith("." + domain) for domain in self.allowed_domains):
            raise ValueError(f"start_url host {host!r} is not in allowed_domains")
        return self


class AppointmentData(WireModel):
    """`data` of entity "appointment": only at the booked service point. The code itself is
    never stored or sent: sha256 over salt + code, as booking_code_sha256() computes it."""

    id: str = Field(min_length=1, max_length=64)
    service_id: str = _SLUG
    room_url: str = Field(min_length=9, max_length=500, pattern=r"^https://")
    starts_at: datetime
    ends_at: datetime
    code_salt: str = Field(pattern=r"^[0-9a-f]{32}$")
    code_sha256: str = Field(pattern=HASH_PATTERN)


def booking_code_sha256(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code.strip()}".encode()).hexdigest()

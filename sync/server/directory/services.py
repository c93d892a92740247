"""The directory the region runs: video services, e-services and booked appointments.

Coordinator operations shared by the `kiosk-central directory` commands and the admin API.
Each runs in the caller's session (one transaction per command or request) and ends with
`publish()`, which brings the "directory" feed of every service point in line with the
tables: what a kiosk pulls is always derived from them, never written separately.
"""
from __future__ import annotations

import json
import secrets
import string
import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from sync import protocol as p
from sync.server.db.directory import Appointment, DirectoryEntry
from sync.server.db.kiosks import ServicePoint
from sync.server.directory.on_duty import OnDuty
from sync.server.directory.opening_hours import ExceptionIn, check_exceptions, for_point
from sync.server.errors import AdminError

TEMPLATE_FIELDS = frozenset({"service_point"})  # placeholders a room URL template may use
MAX_APPOINTMENT_MINUTES = 240
# Appointments leave the kiosks this long after they end (the code is useless by then).
APPOINTMENT_KEPT_AFTER_END = timedelta(hours=12)


class InputModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VideoServiceIn(InputModel):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")
    organisation: str = Field(min_length=1, max_length=120)
    name: p.Texts
    description: p.Texts
    room_url_template: str = Field(max_length=400)
    opening_hours: dict[p.Weekday, list[Annotated[str, Field(pattern=p.OPENING_SPAN_PATTERN)]]]
    on_duty: OnDuty | None = None
    # Holidays and special hours (opening_hours.py); sent as an entity of their own.
    exceptions: list[ExceptionIn] = Field(default_factory=list, max_length=p.MAX_OPENING_EXCEPTIONS)
    service_points: list[str] = Field(default_factory=list, description="[] = every point")

    @field_validator("room_url_template")
    @classmethod
    def _template(cls, template: str) -> str:
        check_room_template(template)
        return template

    @model_validator(mode="after")
    def _exceptions(self) -> VideoServiceIn:
        check_exceptions(self.exceptions, self.service_points)
        return self

    def wire(self, service_point_id: str) -> p.VideoServiceData:
        return p.VideoServiceData(
            id=self.id, organisation=self.organisation, name=self.name,
            description=self.description, opening_hours=self.opening_hours,
            room_url=room_url(self.room_url_template, service_point_id))

    def exceptions_wire(self, service_point_id: str) -> p.OpeningExceptionsData | None:
        """The exceptions that apply at this point, or None if there are none."""
        days = for_point(self.exceptions, service_point_id)
        return p.OpeningExceptionsData(service_id=self.id, days=days) if days else None


class EServiceIn(InputModel):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: p.Texts
    description: p.Texts
    category: p.EServiceCategory
    start_url: str
    allowed_domains: list[str]
    service_points: list[str] = Field(default_factory=list, description="[] = every point")

    def wire(self, _service_point_id: str) -> p.EServiceData:
        return p.EServiceData(**self.model_dump(exclude={"service_points"}))


class AppointmentIn(InputModel):
    service_id: str = Field(min_length=1, max_length=64)
    service_point_id: str = Field(min_length=1, max_length=64)
    starts_at: datetime
    minutes: int = Field(ge=5, le=MAX_APPOINTMENT_MINUTES)


KINDS: dict[str, type[VideoServiceIn] | type[EServiceIn]] = {
    p.ENTITY_VIDEO_SERVICE: VideoServiceIn, p.ENTITY_E_SERVICE: EServiceIn,
}


def check_room_template(template: str) -> None:
    """Raise ValueError unless `template` makes an https room URL, e.g.
    "https://meet.norrbotten.se/fk-{service_point}" (one room per service point)."""
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as error:
        raise ValueError(f"room URL template {template!r}: {error}") from None
    unknown = fields - TEMPLATE_FIELDS
    if unknown:
        raise ValueError(f"room URL template {template!r}: unknown placeholder "
                         f"{{{sorted(unknown)[0]}}}; allowed: {{service_point}}")
    parts = urlsplit(template.format(service_point="x"))
    if parts.scheme != "https" or not parts.hostname or parts.fragment:
        raise ValueError(f"room URL template {template!r}: must be an https URL without a #fragment")


def room_url(template: str, service_point_id: str) -> str:
    check_room_template(template)
    return template.format(service_point=quote(service_point_id.lower(), safe=""))


def parse_entry(kind: str, data: dict[str, Any]) -> VideoServiceIn | EServiceIn:
    """Validate a coordinator's entry; AdminError says what is wrong, nothing is stored."""
    model = KINDS.get(kind)
    if model is None:
        raise AdminError(f"unknown directory kind {kind!r}; use {' or '.join(KINDS)}")
    try:
        entry = model.model_validate(data)
        entry.wire("SP-CHECK")  # the wire model's own rules (Swedish text, https, domains...)
    except ValidationError as exc:
        raise AdminError(_first_problem(kind, exc)) from None
    return entry


def put_entry(session: Session, kind: str, data: dict[str, Any], now: datetime) -> DirectoryEntry:
    """Create or replace a video service or e-service; returns the stored row."""
    entry = parse_entry(kind, data)
    named = {*entry.service_points, *(point for exception in getattr(entry, "exceptions", [])
                                      for point in exception.service_points)}
    for point_id in sorted(named):
        if session.get(ServicePoint, point_id) is None:
            raise AdminError(f"no service point {point_id!r}; see `service-point add`")
    row = session.get(DirectoryEntry, (kind, entry.id))
    if row is None:
        row = DirectoryEntry(kind=kind, entry_id=entry.id, version=0)
        session.add(row)
    row.data = p.canonical_json(entry.model_dump(mode="json", exclude={"service_points"}))
    row.service_points = json.dumps(sorted(entry.service_points))
    row.version, row.deleted, row.updated_at = row.version + 1, False, now
    publish(session, now)
    return row


def remove_entry(session: Session, kind: str, entry_id: str, now: datetime) -> DirectoryEntry:
    row = session.get(DirectoryEntry, (kind, entry_id))
    if row is None or row.deleted:
        raise AdminError(f"no {kind} {entry_id!r}")
    row.version, row.deleted, row.updated_at = row.version + 1, True, now
    publish(session, now)
    return row


def edit_video_service(session: Session, service_id: str, changes: dict[str, Any],
                       now: datetime) -> DirectoryEntry:
    """Replace some fields of a stored video service (its on-duty contact, its exceptions),
    checked as a whole like `put_entry`."""
    row = session.get(DirectoryEntry, (p.ENTITY_VIDEO_SERVICE, service_id))
    if row is None or row.deleted:
        raise AdminError(f"no video service {service_id!r}; see `directory list`")
    data = {**json.loads(row.data), "service_points": json.loads(row.service_points), **changes}
    return put_entry(session, p.ENTITY_VIDEO_SERVICE, data, now)


def list_entries(session: Session, kind: str) -> list[DirectoryEntry]:
    return list(session.scalars(select(DirectoryEntry).where(
        DirectoryEntry.kind == kind, DirectoryEntry.deleted.is_(False)).order_by(DirectoryEntry.entry_id)))


def entry_view(row: DirectoryEntry) -> dict[str, Any]:
    return {**json.loads(row.data), "service_points": json.loads(row.service_points),
            "version": row.version}


def book(session: Session, booking: AppointmentIn, now: datetime) -> tuple[Appointment, str]:
    """A booked meeting; returns the row and its 6-digit code (shown once, stored hashed)."""
    if booking.starts_at.tzinfo is None:
        raise AdminError("starts_at needs a time zone, e.g. 2026-12-01T10:00:00+01:00")
    ends_at = booking.starts_at + timedelta(minutes=booking.minutes)
    if ends_at <= now:
        raise AdminError("this appointment would already be over")
    point = session.get(ServicePoint, booking.service_point_id.strip().upper())
    if point is None:
        raise AdminError(f"no service point {booking.service_point_id!r}; see `service-point add`")
    service = session.get(DirectoryEntry, (p.ENTITY_VIDEO_SERVICE, booking.service_id))
    if service is None or service.deleted:
        raise AdminError(f"no video service {booking.service_id!r}; see `directory list`")
    template = json.loads(service.data)["room_url_template"]
    code = _unused_code(session, point.id, now)
    salt = secrets.token_hex(16)
    appointment = Appointment(
        id=str(uuid.uuid4()), service_point_id=point.id, service_id=booking.service_id,
        # A room of its own: the booked resident meets the official, not the drop-in queue.
        room_url=room_url(template, point.id) + "-" + secrets.token_hex(6),
        starts_at=booking.starts_at, ends_at=ends_at, code_salt=salt,
        code_sha256=p.booking_code_sha256(salt, code), version=1, deleted=False, created_at=now)
    session.add(appointment)
    session.flush()
    publish(session, now)
    return appointment, code


def cancel(session: Session, appointment_id: str, now: datetime) -> Appointment:
    appointment = session.get(Appointment, appointment_id)
    if appointment is None or appointment.deleted:
        raise AdminError(f"no appointment {appointment_id!r}")
    appointment.version, appointment.deleted = appointment.version + 1, True
    publish(session, now)
    return appointment


def list_appointments(session: Session, now: datetime) -> list[Appointment]:
    return list(session.scalars(select(Appointment).where(
        Appointment.deleted.is_(False), Appointment.ends_at > now).order_by(Appointment.starts_at)))


def appointment_view(appointment: Appointment) -> dict[str, Any]:
    return {"id": appointment.id, "service_point_id": appointment.service_point_id,
            "service_id": appointment.service_id, "room_url": appointment.room_url,
            "starts_at": appointment.starts_at.isoformat(), "ends_at": appointment.ends_at.isoformat()}


def publish(session: Session, now: datetime) -> int:
    from sync.server.directory.feed import (
        reconcile,  # the feed side, kept in its own module
    )

    return reconcile(session, now)


def _unused_code(session: Session, service_point_id: str, now: datetime) -> str:
    """A code no other live appointment at this point has, so a code names one meeting."""
    live = session.scalars(select(Appointment).where(
        Appointment.service_point_id == service_point_id, Appointment.deleted.is_(False),
        Appointment.ends_at > now - APPOINTMENT_KEPT_AFTER_END)).all()
    for _ in range(100):
        code = f"{secrets.randbelow(10**6):06d}"
        if all(p.booking_code_sha256(a.code_salt, code) != a.code_sha256 for a in live):
            return code
    raise AdminError("no free booking code at this service point; cancel old appointments")


def _first_problem(kind: str, exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    return f"{kind} {where}: {message}" if where else f"{kind}: {message}"

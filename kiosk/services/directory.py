"""The directory on the kiosk: what video services and e-services this service point offers,
whether a video service is open now (or when it opens), and booked meetings by code.

Kept current by the sync worker (scope "directory", `apply_directory_changes`); read by the
UI's presenters. Opening hours are local time in Europe/Stockholm, like the shop's own; a
service's holidays and special hours (entity "opening_exceptions") replace its weekday's hours
on their dates.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Callable, Iterable, Sequence

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from kiosk.services.localtime import SERVICE_POINT_TIME
from kiosk.services.outcomes import BookingStatus
from kiosk.store.directory_models import DirectoryRow
from kiosk.store.pulled import added, newer_upserts
from sync import protocol as p

DIRECTORY_SCOPE = p.SCOPE_DIRECTORY
# The directory's data types, for the UI (which does not import sync itself).
VideoServiceData, EServiceData = p.VideoServiceData, p.EServiceData
E_SERVICE_CATEGORIES = p.E_SERVICE_CATEGORIES
MODELS = {p.ENTITY_VIDEO_SERVICE: p.VideoServiceData, p.ENTITY_E_SERVICE: p.EServiceData,
          p.ENTITY_APPOINTMENT: p.AppointmentData, p.ENTITY_OPENING_EXCEPTIONS: p.OpeningExceptionsData}
# How far ahead the next opening is looked for: past a long holiday (Christmas, summer).
LOOKAHEAD_DAYS = 62


@dataclass(frozen=True)
class Opening:
    """`open_now`; when closed, `next_opening` (aware UTC) or None if never within
    LOOKAHEAD_DAYS."""

    open_now: bool
    next_opening: datetime | None = None


@dataclass(frozen=True)
class VideoService:
    data: p.VideoServiceData
    opening: Opening


@dataclass(frozen=True)
class BookingLookup:
    status: BookingStatus
    appointment: p.AppointmentData | None = None
    service: p.VideoServiceData | None = None


Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Directory:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock = _utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    def video_services(self) -> list[VideoService]:
        now = self._clock()
        services = self._load(p.ENTITY_VIDEO_SERVICE)
        exceptions = {e.service_id: e.days for e in self._load(p.ENTITY_OPENING_EXCEPTIONS)}
        return [VideoService(data, opening_at(data.opening_hours, now, exceptions.get(data.id, ())))
                for data in services]

    def e_services(self) -> list[p.EServiceData]:
        return self._load(p.ENTITY_E_SERVICE)

    def find_booking(self, code: str) -> BookingLookup:
        code = code.strip()
        now = self._clock()
        for appointment in self._load(p.ENTITY_APPOINTMENT):
            if p.booking_code_sha256(appointment.code_salt, code) != appointment.code_sha256:
                continue
            service = next((s for s in self._load(p.ENTITY_VIDEO_SERVICE)
                            if s.id == appointment.service_id), None)
            return BookingLookup(_booking_status(appointment, now), appointment, service)
        return BookingLookup(BookingStatus.UNKNOWN)

    def _load(self, entity: str) -> list:
        with self._sessions() as session:
            rows = session.scalars(select(DirectoryRow).where(DirectoryRow.entity == entity)
                                   .order_by(DirectoryRow.entity_id)).all()
        return [MODELS[entity].model_validate(json.loads(row.data)) for row in rows]


def _booking_status(appointment: p.AppointmentData, now: datetime) -> BookingStatus:
    if now < appointment.starts_at - timedelta(minutes=p.APPOINTMENT_EARLY_MINUTES):
        return BookingStatus.EARLY
    if now >= appointment.ends_at:
        return BookingStatus.OVER
    return BookingStatus.NOW


def opening_at(hours: dict[str, list[str]], now: datetime,
               exceptions: Iterable[p.OpeningException] = ()) -> Opening:
    """Open now, else the next opening within LOOKAHEAD_DAYS (local hours, returned in UTC).
    A day an exception covers has the exception's hours (none: closed) instead of its weekday's."""
    local = now.astimezone(SERVICE_POINT_TIME)
    exceptions = list(exceptions)
    for day_offset in range(LOOKAHEAD_DAYS + 1):
        day = local.date() + timedelta(days=day_offset)
        for span in sorted(hours_on(day, hours, exceptions)):
            start, end = (_local(day, text) for text in span.split("-"))
            if day_offset == 0 and start <= local < end:
                return Opening(True)
            if start > local:
                return Opening(False, start.astimezone(UTC))
    return Opening(False)


def hours_on(day: date, hours: dict[str, list[str]], exceptions: list[p.OpeningException]) -> list[str]:
    special = next((e for e in exceptions if e.covers(day)), None)
    return special.hours if special is not None else hours.get(p.WEEKDAYS[day.weekday()], [])


def _local(day, text: str) -> datetime:
    if text == "24:00":
        return datetime.combine(day + timedelta(days=1), time(0), SERVICE_POINT_TIME)
    hour, minute = (int(part) for part in text.split(":"))
    return datetime.combine(day, time(hour, minute), SERVICE_POINT_TIME)


def apply_directory_changes(session: Session, changes: Sequence[p.Change]) -> None:
    """Applies a pulled page inside the caller's transaction; re-delivery is a no-op. An entity
    this kiosk cannot read (a newer server) is skipped, not fatal: the rest still applies."""
    known = (change for change in changes if change.entity in MODELS)
    for change, current in newer_upserts(session, known,
                                         lambda c: session.get(DirectoryRow, (c.entity, c.entity_id))):
        try:
            MODELS[change.entity].model_validate(change.data or {})
        except ValidationError:
            continue
        row = current or added(session, DirectoryRow(entity=change.entity, entity_id=change.entity_id))
        row.version = change.version
        row.data = p.canonical_json(change.data or {})


def drop_directory(session: Session) -> None:
    """The server invalidated our cursor: forget the copy (the new snapshot follows)."""
    session.execute(delete(DirectoryRow))

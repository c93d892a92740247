"""Adding and removing holidays and special hours of video services, for the CLI and admin API.

Region-wide is "every video service": `services=[]`. An exception is stored with each service
it applies to (and can then be edited per service), so one at a single service point for all
its services is `services=[]` with `service_points=[that point]`. Each service's edit goes
through `put_entry`, with its checks, version bump and publish, in the caller's transaction.
"""
from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from sync import protocol as p
from sync.server.db.directory import DirectoryEntry
from sync.server.directory import services as directory
from sync.server.directory.opening_hours import ExceptionIn
from sync.server.errors import AdminError


def parse_exception(data: dict[str, Any]) -> ExceptionIn:
    try:
        return ExceptionIn.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise AdminError(f"exception {where}: {message}" if where else f"exception: {message}") from None


def add_exception(session: Session, exception: ExceptionIn, services: list[str],
                  now: datetime) -> list[DirectoryEntry]:
    """Add `exception` to each of `services` ([] = every video service offered at the
    exception's service points)."""
    rows = []
    for row in _services(session, services):
        offered_at = json.loads(row.service_points)
        points = exception.service_points
        if offered_at and points:
            points = [point for point in points if point in offered_at]
            if not points and not services:
                continue  # region-wide at a point this service is not offered at
        added = {**exception.model_dump(mode="json"), "service_points": points or exception.service_points}
        rows.append(_put(session, row, [*_exceptions(row), added], now))
    if not rows:
        raise AdminError("no video service is offered at " + ", ".join(exception.service_points))
    return rows


def remove_exceptions(session: Session, first: date, last: date, services: list[str],
                      now: datetime) -> int:
    """Remove the exceptions lying within first..last from `services` ([] = every video
    service); returns how many were removed."""
    removed = 0
    for row in _services(session, services):
        current = _exceptions(row)
        kept = [e for e in current if not (first <= date.fromisoformat(e["first"])
                                           and date.fromisoformat(e["last"]) <= last)]
        if len(kept) != len(current):
            removed += len(current) - len(kept)
            _put(session, row, kept, now)
    return removed


def replace_exceptions(session: Session, service_id: str, exceptions: list[dict[str, Any]],
                       now: datetime) -> DirectoryEntry:
    return directory.edit_video_service(session, service_id, {"exceptions": exceptions}, now)


def _services(session: Session, services: list[str]) -> list[DirectoryEntry]:
    rows = directory.list_entries(session, p.ENTITY_VIDEO_SERVICE)
    if not services:
        if not rows:
            raise AdminError("there are no video services yet")
        return rows
    by_id = {row.entry_id: row for row in rows}
    unknown = sorted(set(services) - by_id.keys())
    if unknown:
        raise AdminError(f"no video service {unknown[0]!r}; see `directory list`")
    return [by_id[service] for service in sorted(set(services))]


def _exceptions(row: DirectoryEntry) -> list[dict[str, Any]]:
    return list(json.loads(row.data).get("exceptions", []))


def _put(session: Session, row: DirectoryEntry, exceptions: list[dict[str, Any]],
         now: datetime) -> DirectoryEntry:
    try:
        return directory.edit_video_service(session, row.entry_id, {"exceptions": exceptions}, now)
    except AdminError as exc:
        raise AdminError(f"{row.entry_id}: {exc}") from None

"""The "directory" feed: derived from the directory tables, per service point.

`reconcile()` compares what each service point should hold (every live entry that applies to
it, every live appointment booked there) with the newest change-log row of each of its
entities, and appends only the difference: an upsert where the version differs, a delete where
an entity no longer applies. So one function serves every write, a service point added later
(`kiosk-central directory publish` fills it), and appointments that ended (they drop out).
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync import protocol as p
from sync.server.db.directory import Appointment, DirectoryEntry
from sync.server.db.kiosks import ChangeLog, ServicePoint
from sync.server.kiosks.feed import append_change

Key = tuple[str, str, str]  # service point, entity, entity id


def reconcile(session: Session, now: datetime) -> int:
    """Append the changes that bring the feed in line; returns how many were appended."""
    session.flush()
    wanted = _wanted(session, now)
    newest = _newest_rows(session)
    appended = 0
    for key, (version, data) in sorted(wanted.items()):
        have = newest.get(key)
        if have is None or have[1] == "delete" or have[0] != version:
            # Versions only grow: an entry's version is bumped by every edit, including the
            # one that took it off a point, so it is above any tombstone written for it.
            _append(session, key, version, "upsert", data, now)
            appended += 1
    for key, (version, op) in sorted(newest.items()):
        if op != "delete" and key not in wanted:
            _append(session, key, version + 1, "delete", None, now)
            appended += 1
    return appended


def _wanted(session: Session, now: datetime) -> dict[Key, tuple[int, dict[str, Any]]]:
    from sync.server.directory.services import APPOINTMENT_KEPT_AFTER_END, KINDS, VideoServiceIn

    points = list(session.scalars(select(ServicePoint.id)))
    wanted: dict[Key, tuple[int, dict[str, Any]]] = {}
    for row in session.scalars(select(DirectoryEntry).where(DirectoryEntry.deleted.is_(False))):
        data = json.loads(row.data)
        # The on-duty contact never reaches a kiosk, so it is left out here: one stored under
        # older, looser rules must not stop the feed of every point.
        data.pop("on_duty", None)
        entry = KINDS[row.kind].model_validate({**data, "service_points": json.loads(row.service_points)})
        for point in entry.service_points or points:
            wanted[(point, row.kind, row.entry_id)] = (row.version, entry.wire(point).model_dump(mode="json"))
            exceptions = entry.exceptions_wire(point) if isinstance(entry, VideoServiceIn) else None
            if exceptions is not None:
                # The service's version: any edit of its exceptions bumps it, like any edit.
                wanted[(point, p.ENTITY_OPENING_EXCEPTIONS, row.entry_id)] = (
                    row.version, exceptions.model_dump(mode="json"))
    for appointment in session.scalars(select(Appointment).where(
            Appointment.deleted.is_(False), Appointment.ends_at > now - APPOINTMENT_KEPT_AFTER_END)):
        data = p.AppointmentData(
            id=appointment.id, service_id=appointment.service_id, room_url=appointment.room_url,
            starts_at=appointment.starts_at, ends_at=appointment.ends_at,
            code_salt=appointment.code_salt, code_sha256=appointment.code_sha256)
        wanted[(appointment.service_point_id, p.ENTITY_APPOINTMENT, appointment.id)] = (
            appointment.version, data.model_dump(mode="json"))
    return wanted


def _newest_rows(session: Session) -> dict[Key, tuple[int, str]]:
    newest: dict[Key, tuple[int, str]] = {}
    rows = session.execute(
        select(ChangeLog.service_point_id, ChangeLog.entity, ChangeLog.entity_id,
               ChangeLog.version, ChangeLog.op)
        .where(ChangeLog.scope == p.SCOPE_DIRECTORY).order_by(ChangeLog.txid, ChangeLog.server_seq))
    for point, entity, entity_id, version, op in rows:
        newest[(point, entity, entity_id)] = (version, op)
    return newest


def _append(session: Session, key: Key, version: int, op: str, data: dict[str, Any] | None,
            now: datetime) -> None:
    point, entity, entity_id = key
    append_change(session, scope=p.SCOPE_DIRECTORY, service_point_id=point, entity=entity,
                  entity_id=entity_id, version=version, op=op, data=data, now=now)

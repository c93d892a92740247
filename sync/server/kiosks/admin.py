"""Coordinator operations behind the kiosk-central CLI. Each runs in the caller's session;
the caller commits once, so a failed command leaves nothing half-written."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from sync import protocol as p
from sync.server.db.kiosks import (
    Device,
    DeviceAlert,
    EnrollmentCode,
    EventRow,
    ServicePoint,
    ServicePointConfig,
    StaffCard,
    Token,
)
from sync.server.errors import AdminError
from sync.server.kiosks import credentials as security
from sync.server.kiosks.auth import MAX_ENROLLMENT_TTL
from sync.server.kiosks.feed import append_change

_SERVICE_POINT_ID = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,63}$")


def add_service_point(session: Session, service_point_id: str, name: str, now: datetime) -> ServicePoint:
    sp_id = service_point_id.strip().upper()
    if not _SERVICE_POINT_ID.match(sp_id):
        raise AdminError(
            f"service point id {service_point_id!r} must be letters A-Z, digits, '-' or '_', "
            "e.g. SP-KORPILOMBOLO"
        )
    if not name.strip():
        raise AdminError("the service point needs a name")
    if session.get(ServicePoint, sp_id) is not None:
        raise AdminError(f"service point {sp_id} already exists")
    point = ServicePoint(id=sp_id, name=name.strip(), created_at=now)
    session.add(point)
    return point


def get_service_point(session: Session, service_point_id: str) -> ServicePoint:
    point = session.get(ServicePoint, service_point_id.strip().upper())
    if point is None:
        raise AdminError(f"no service point {service_point_id!r}; see `service-point add`")
    return point


def add_staff(
    session: Session, *, service_point_id: str, name: str, card_uid: str, now: datetime
) -> StaffCard:
    """A staff card for one service point; the kiosks there get it through scope "staff"."""
    point = get_service_point(session, service_point_id)
    try:
        uid_sha256 = p.card_uid_sha256(card_uid)
    except ValueError as exc:
        raise AdminError(str(exc)) from exc
    if not name.strip():
        raise AdminError("the staff member needs a name")
    taken = session.scalar(
        select(StaffCard).where(
            StaffCard.service_point_id == point.id,
            StaffCard.uid_sha256 == uid_sha256,
            StaffCard.deleted.is_(False),
        )
    )
    if taken is not None:
        raise AdminError(f"this card is already registered to {taken.name} at {point.id}")
    card = StaffCard(service_point_id=point.id, name=name.strip(), uid_sha256=uid_sha256,
                     version=1, deleted=False)
    session.add(card)
    session.flush()  # assigns card.id for the change log
    data = p.StaffCardData(id=card.id, name=card.name, uid_sha256=uid_sha256)
    append_change(
        session, scope=p.SCOPE_STAFF, service_point_id=point.id, entity="staff_card",
        entity_id=str(card.id), version=card.version, op="upsert", data=data.model_dump(), now=now,
    )
    return card


def add_kiosk(
    session: Session, *, name: str, service_point_id: str, expires: timedelta, now: datetime
) -> tuple[Device, str]:
    """A new kiosk and its one-time enrollment code (returned in clear, stored hashed)."""
    if not timedelta(0) < expires <= MAX_ENROLLMENT_TTL:
        raise AdminError("an enrollment code must expire within 72 hours")
    if not name.strip():
        raise AdminError("the kiosk needs a name")
    point = get_service_point(session, service_point_id)
    device = Device(device_id=security.new_device_id(), name=name.strip(),
                    service_point_id=point.id, state="active", created_at=now)
    code = security.new_enrollment_code()
    session.add(device)
    session.add(EnrollmentCode(code_hash=security.code_hash(code), device_id=device.device_id,
                               created_at=now, expires_at=now + expires))
    return device, code


def list_kiosks(session: Session) -> list[Device]:
    return list(session.scalars(select(Device).order_by(Device.service_point_id, Device.name)))


def revoke_kiosk(session: Session, device_id: str, now: datetime) -> Device:
    """Refuse the kiosk's next token and drop its current ones. Its events stay."""
    device = session.get(Device, device_id)
    if device is None:
        raise AdminError(f"no kiosk {device_id!r}; see `kiosk list`")
    if device.state != "revoked":
        device.state = "revoked"
        device.revoked_at = now
        session.execute(delete(Token).where(Token.device_id == device_id))
    return device


def list_events(session: Session, *, device_id: str | None = None, limit: int = 100) -> list[EventRow]:
    query = select(EventRow).order_by(EventRow.id.desc()).limit(limit)
    if device_id is not None:
        query = query.where(EventRow.device_id == device_id)
    return list(reversed(session.scalars(query).all()))


def remove_staff(session: Session, card_id: int, now: datetime) -> StaffCard:
    """Withdraw a staff card; its kiosks delete it when they pull the tombstone."""
    card = session.get(StaffCard, card_id)
    if card is None or card.deleted:
        raise AdminError(f"no staff card {card_id}")
    card.deleted, card.version = True, card.version + 1
    append_change(
        session, scope=p.SCOPE_STAFF, service_point_id=card.service_point_id, entity="staff_card",
        entity_id=str(card.id), version=card.version, op="delete", data=None, now=now,
    )
    return card


def set_config(session: Session, service_point_id: str, settings: dict[str, object],
               now: datetime) -> ServicePointConfig:
    """Merge `settings` into the service point's kiosk config (a None value removes a key)."""
    point = get_service_point(session, service_point_id)
    row = session.get(ServicePointConfig, point.id)
    current = {} if row is None else json.loads(row.settings)
    current.update(settings)
    current = {key: value for key, value in current.items() if value is not None}
    if row is None:
        row = ServicePointConfig(service_point_id=point.id, version=0, settings="{}", updated_at=now)
        session.add(row)
    row.settings, row.version, row.updated_at = p.canonical_json(current), row.version + 1, now
    return row


def list_alerts(session: Session, device_id: str | None = None) -> list[DeviceAlert]:
    query = select(DeviceAlert).order_by(DeviceAlert.id)
    if device_id is not None:
        query = query.where(DeviceAlert.device_id == device_id)
    return list(session.scalars(query))


def alert_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(DeviceAlert.device_id, func.count()).group_by(DeviceAlert.device_id))
    return {device_id: count for device_id, count in rows}

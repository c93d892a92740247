"""Tells a video service's on-duty contact that someone is waiting in the room.

The kiosk sends "video.call_started" (which service, booked or not) through the outbox; this
module turns each such event into one DutyAlert with the room link and delivers it. Run by
`kiosk-central directory alert-duty --watch 5` beside `serve`, so a slow or dead webhook never
holds up ingest. Webhooks are delivered here (JSON POST); e-mail and SMS wait for the parcel
notifier and are recorded as not sent, saying so.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync import protocol as p
from sync.server.directory import room_url
from sync.server.directory_models import DirectoryEntry, DutyAlert
from sync.server.models import Device, EventRow

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(minutes=15)  # nobody waits that long: an old event alerts no one
NO_NOTIFIER = "e-mail and SMS go through the parcel notifier, which this server does not have yet"
Post = Callable[[str, dict], None]  # url, JSON body; raises on failure


def create_pending(session: Session, now: datetime) -> list[DutyAlert]:
    """One DutyAlert per recent video.call_started event that has none yet."""
    seen = select(DutyAlert.event_id)
    query = (select(EventRow, Device.service_point_id).join(Device, Device.device_id == EventRow.device_id)
             .where(EventRow.type == "video.call_started", EventRow.status == "accepted",
                    EventRow.received_at > now - STALE_AFTER, EventRow.event_id.not_in(seen)))
    created = []
    for event, point in session.execute(query):
        call = p.VideoCallStarted.model_validate(json.loads(event.payload))
        service = session.get(DirectoryEntry, (p.ENTITY_VIDEO_SERVICE, call.service_id))
        if service is None:
            continue
        data = json.loads(service.data)
        channel, target = _channel(data.get("on_duty") or {})
        alert = DutyAlert(event_id=event.event_id, service_point_id=point, service_id=call.service_id,
                          room_url=room_url(data["room_url_template"], point), channel=channel, target=target,
                          created_at=now)
        session.add(alert)
        created.append(alert)
    return created


def deliver(alert: DutyAlert, post: Post, now: datetime) -> None:
    if alert.channel != "webhook":
        alert.error = NO_NOTIFIER if alert.channel != "none" else "the service has no on-duty contact"
        return
    body = {"service": alert.service_id, "service_point": alert.service_point_id,
            "room_url": alert.room_url, "waiting_since": alert.created_at.isoformat()}
    try:
        post(alert.target, body)
    except Exception as error:  # any failure is recorded; the coordinator sees it in the list
        alert.error = f"webhook failed: {error}"
        log.warning("on-duty webhook for %s failed: %s", alert.service_id, error)
    else:
        alert.sent_at = now


def run_once(session: Session, post: Post, now: datetime) -> list[DutyAlert]:
    alerts = create_pending(session, now)
    for alert in alerts:
        deliver(alert, post, now)
    return alerts


def post_json(url: str, body: dict) -> None:
    import requests

    response = requests.post(url, json=body, timeout=(3, 5))
    response.raise_for_status()


def _channel(on_duty: dict) -> tuple[str, str | None]:
    for channel in ("webhook", "email", "phone"):
        if on_duty.get(channel):
            return channel, on_duty[channel]
    return "none", None

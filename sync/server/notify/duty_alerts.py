"""Tells a video service's on-duty contact that someone is waiting in the room.

The kiosk sends "video.call_started" (which service, booked or not) through the outbox; this
module turns each such event into one DutyAlert with the room link. By the contact's kind:

- phone or e-mail: an SMS or e-mail is queued as a Notification in the same transaction, in
  the contact's language, and sent by the parcel notifier with its retries and backoff. An
  alert still unsent after STALE_AFTER is cancelled: by then nobody is waiting any more.
- webhook: a JSON POST, made outside any transaction once (a failure is recorded, not retried).

Every notifier round runs `run_round` (`kiosk-central serve`); `kiosk-central directory
alert-duty` runs it by hand, or with --watch where every server runs with --no-notifier.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from sync import protocol as p
from sync.server.db.directory import DirectoryEntry, DutyAlert
from sync.server.db.kiosks import Device, EventRow, ServicePoint
from sync.server.db.rows import affected_rows
from sync.server.directory.on_duty import CHANNELS
from sync.server.directory.services import room_url
from sync.server.notify import messages
from sync.server.notify.queue import queue_message

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(minutes=15)  # nobody waits that long: an old event alerts no one
KIND = "duty_alert"  # Notification.kind of the SMS and e-mails
NOTIFICATION_CHANNELS = {"phone": "sms", "email": "email"}
SENDING = "sending"  # a webhook alert claimed by one process; see _claim
Post = Callable[[str, dict[str, Any]], None]  # url, JSON body; raises on failure
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Outcome:
    event_id: str
    service_point_id: str
    service_id: str
    channel: str
    result: str  # "sent", "queued for the notifier", "not sent: ..."


def run_round(sessions: sessionmaker[Session], post: Post, clock: Clock) -> list[Outcome]:
    """Create the alerts of new calls (queueing SMS/e-mail), then POST the webhook ones."""
    with sessions.begin() as session:
        outcomes = [_outcome(alert) for alert in create_pending(session, clock())]
    sent = deliver_webhooks(sessions, post, clock)
    return [sent.get(outcome.event_id, outcome) for outcome in outcomes]


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
        alert = _alert(session, event.event_id, point, json.loads(service.data), now)
        session.add(alert)
        created.append(alert)
    return created


def deliver_webhooks(sessions: sessionmaker[Session], post: Post, clock: Clock) -> dict[str, Outcome]:
    """POST every recent, untried webhook alert once; outcomes by event id."""
    with sessions() as session:
        due = session.execute(select(DutyAlert.event_id).where(
            DutyAlert.channel == "webhook", DutyAlert.sent_at.is_(None), DutyAlert.error.is_(None),
            DutyAlert.created_at > clock() - STALE_AFTER)).scalars().all()
    outcomes = {}
    for event_id in due:
        alert = _claim(sessions, event_id)
        if alert is None:
            continue  # another process has it
        body = {"service": alert.service_id, "service_point": alert.service_point_id,
                "room_url": alert.room_url, "waiting_since": alert.created_at.isoformat()}
        try:
            post(alert.target or "", body)
            error = None
        except Exception as exc:  # any failure is recorded; the coordinator sees it in the list
            error = f"webhook failed: {exc}"
            log.warning("on-duty webhook for %s failed: %s", alert.service_id, exc)
        with sessions.begin() as session:
            row = session.get_one(DutyAlert, event_id)
            row.sent_at, row.error = (clock(), None) if error is None else (None, error)
            outcomes[event_id] = _outcome(row)
    return outcomes


def post_json(url: str, body: dict[str, Any]) -> None:
    import requests

    response = requests.post(url, json=body, timeout=(3, 5))
    response.raise_for_status()


def _alert(session: Session, event_id: str, point_id: str, service: dict[str, Any], now: datetime) -> DutyAlert:
    link = room_url(service["room_url_template"], point_id)
    alert = DutyAlert(event_id=event_id, service_point_id=point_id, service_id=service["id"],
                      room_url=link, channel="none", target=None, created_at=now)
    contact = service.get("on_duty") or {}
    # Checked by OnDuty when put; one stored under older rules may have no channel at all.
    channel = next((channel for channel in CHANNELS if contact.get(channel)), None)
    if channel is None:
        alert.error = "the service has no on-duty contact"
        return alert
    alert.channel, alert.target = channel, contact[channel]
    if alert.channel in NOTIFICATION_CHANNELS:
        language = contact.get("language", "sv")
        point = session.get_one(ServicePoint, point_id)
        names = service["name"]
        message = messages.duty_alert(language, service=names.get(language) or names["sv"],
                                      place=point.name, link=link)
        queue_message(session, now, dedupe_key=f"duty:{event_id}", service_point_id=point_id,
                      kind=KIND, channel=NOTIFICATION_CHANNELS[alert.channel],
                      to_address=alert.target, language=language,
                      body=f"{message.subject}\n{message.text}")
    return alert


def _claim(sessions: sessionmaker[Session], event_id: str) -> DutyAlert | None:
    """Mark the alert as being sent unless another process did first (at most one POST)."""
    with sessions.begin() as session:
        claimed = affected_rows(session.execute(update(DutyAlert).where(
            DutyAlert.event_id == event_id, DutyAlert.sent_at.is_(None), DutyAlert.error.is_(None))
            .values(error=SENDING)))
        return session.get(DutyAlert, event_id) if claimed else None


def _outcome(alert: DutyAlert) -> Outcome:
    if alert.sent_at is not None:
        result = "sent"
    elif alert.channel in NOTIFICATION_CHANNELS and alert.error is None:
        result = "queued for the notifier"
    elif alert.channel == "webhook" and alert.error is None:
        result = "to be posted"
    else:
        result = f"not sent: {alert.error}"
    return Outcome(alert.event_id, alert.service_point_id, alert.service_id, alert.channel, result)

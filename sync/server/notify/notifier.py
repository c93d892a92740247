"""The notifier: sends queued SMS/e-mail, schedules reminders, alerts video services' on-duty
contacts (duty_alerts.py), reports to carriers' webhooks, purges personal data and applies
the directory's retention (retention.py). One round is `Notifier.run_once()` (tests,
`kiosk-central notify run-once`); `NotifierThread` repeats it in the background of
`kiosk-central serve`.

Sending happens outside any transaction. Before a message is sent it is claimed by moving its
next_attempt_at forward by a lease (a conditional UPDATE), so two notifiers never send the same
row at once and a notifier that dies mid-send retries only after the lease. Delivery is thus
at least once: a crash between the gateway's reply and the commit sends that message again.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from sync import protocol as p
from sync.server.db.kiosks import ServicePoint
from sync.server.db.parcels import Carrier, Notification, Parcel
from sync.server.db.rows import affected_rows
from sync.server.directory import retention
from sync.server.notify import duty_alerts, messages, webhooks
from sync.server.notify.queue import ACTIVE_STATES, queue_parcel_notices
from sync.server.notify.retry import LEASE, backoff
from sync.server.notify.settings import NotifySettings
from sync.server.notify.sms import SendError, send_email, send_sms
from sync.server.parcels import purge
from sync.server.parcels.effects import local_date

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]

MAX_ATTEMPTS = 8
BATCH = 50


@dataclass
class RoundSummary:
    reminders: int = 0
    duty_alerts: int = 0
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    webhooks_delivered: int = 0
    purged: int = 0
    directory_purged: int = 0


@dataclass(frozen=True)
class Outgoing:
    id: int
    channel: str
    to: str
    subject: str
    text: str


class Notifier:
    def __init__(self, sessions: sessionmaker[Session], settings: NotifySettings, clock: Clock,
                 http: requests.Session | None = None) -> None:
        self.sessions, self.settings, self.clock = sessions, settings, clock
        self.http = http or requests.Session()

    def run_once(self) -> RoundSummary:
        summary = RoundSummary()
        with self.sessions.begin() as session:
            summary.reminders = schedule_reminders(session, self.clock())
        summary.duty_alerts = len(duty_alerts.run_round(self.sessions, self._post_json, self.clock))
        self._send_due(summary)
        summary.webhooks_delivered = webhooks.deliver_due(self.sessions, self.http, self.clock)
        with self.sessions.begin() as session:
            summary.purged = purge.purge_personal_data(session, self.clock())
        with self.sessions.begin() as session:
            summary.directory_purged = retention.purge_directory_data(
                session, self.clock(), self.settings.appointment_retention,
                self.settings.usage_retention).total
        return summary

    def _post_json(self, url: str, body: dict[str, Any]) -> None:
        reply = self.http.post(url, json=body, timeout=(3, 5))
        reply.raise_for_status()

    def _channels(self) -> list[str]:
        return [name for name, on in (("sms", self.settings.sms_enabled),
                                      ("email", self.settings.email_enabled)) if on]

    def _send_due(self, summary: RoundSummary) -> None:
        due = select(Notification.id).where(
            Notification.state == "queued", Notification.next_attempt_at <= self.clock(),
            Notification.channel.in_(self._channels()))
        if self._quiet_now():
            # Residents' messages (those about a parcel) wait for the morning; staff alarms
            # and on-duty alerts have no parcel and go now: someone needs them at once.
            due = due.where(Notification.parcel_id.is_(None))
        with self.sessions() as session:
            ids = list(session.scalars(due.order_by(Notification.next_attempt_at, Notification.id).limit(BATCH)))
        for notification_id in ids:
            outgoing = self._claim(notification_id)
            if outgoing is not None:
                self._send(outgoing, summary)

    def _quiet_now(self) -> bool:
        quiet = self.settings.quiet_hours
        return quiet is not None and quiet.contains(self.clock())

    def _claim(self, notification_id: int) -> Outgoing | None:
        now = self.clock()
        with self.sessions.begin() as session:
            claimed = affected_rows(session.execute(
                update(Notification)
                .where(Notification.id == notification_id, Notification.state == "queued",
                       Notification.next_attempt_at <= now)
                .values(next_attempt_at=now + LEASE)))
            if not claimed:
                return None  # another notifier has it
            return self._render(session, session.get_one(Notification, notification_id))

    def _render(self, session: Session, note: Notification) -> Outgoing | None:
        if note.kind == duty_alerts.KIND and note.created_at <= self.clock() - duty_alerts.STALE_AFTER:
            note.state, note.last_error = "cancelled", "too late: nobody waits that long"
            return None
        if note.parcel_id is None:  # a staff alarm or on-duty alert, written when queued
            subject, _, text = (note.body or "").partition("\n")
            return Outgoing(note.id, note.channel, note.to_address or "", subject, text)
        parcel = session.get_one(Parcel, note.parcel_id)
        if parcel.state not in ACTIVE_STATES or not parcel.pickup_code or not parcel.link_token:
            note.state, note.last_error = "cancelled", "parcel no longer waiting"
            return None
        point = session.get_one(ServicePoint, parcel.service_point_id)
        assert parcel.deadline is not None
        message = messages.parcel_message(
            note.kind, note.language, place=point.name, code=parcel.pickup_code,
            deadline=parcel.deadline, link=self.settings.page_link(parcel.link_token))
        return Outgoing(note.id, note.channel, note.to_address or "", message.subject, message.text)

    def _send(self, outgoing: Outgoing, summary: RoundSummary) -> None:
        provider_id, error = None, None
        try:
            if outgoing.channel == "sms":
                provider_id = send_sms(self.http, self.settings, outgoing.to, outgoing.text)
            else:
                send_email(self.settings, outgoing.to, outgoing.subject, outgoing.text)
        except SendError as exc:
            error = exc
        with self.sessions.begin() as session:
            note = session.get_one(Notification, outgoing.id)
            note.attempts += 1
            now = self.clock()
            if error is None:
                note.state, note.sent_at, note.provider_id, note.last_error = "sent", now, provider_id, None
                summary.sent += 1
            elif error.permanent or note.attempts >= MAX_ATTEMPTS:
                note.state, note.last_error = "failed", str(error)
                summary.failed += 1
                log.warning("notification %d failed for good: %s", note.id, error)
            else:
                note.next_attempt_at, note.last_error = now + backoff(note.attempts), str(error)
                summary.retrying += 1
                log.info("notification %d: %s; retry at %s", note.id, error, note.next_attempt_at)


def schedule_reminders(session: Session, now: datetime) -> int:
    """Queue a reminder for every waiting parcel that has reached its carrier's reminder day
    (DEFAULT_REMINDER_DAY without a carrier) and whose deadline has not passed."""
    reminded = select(Notification.id).where(Notification.parcel_id == Parcel.parcel_id,
                                             Notification.kind == "reminder")
    candidates = session.scalars(select(Parcel).where(
        Parcel.state.in_(ACTIVE_STATES), Parcel.pickup_code.is_not(None),
        Parcel.link_token.is_not(None), Parcel.stored_at <= now - timedelta(days=1),
        ~reminded.exists()))
    reminder_days = {c.id: c.reminder_day for c in session.scalars(select(Carrier))}
    queued = 0
    for parcel in candidates:
        day = reminder_days.get(parcel.carrier or "", p.DEFAULT_REMINDER_DAY)
        assert parcel.stored_at is not None
        due = parcel.stored_at + timedelta(days=day)
        if due <= now and (parcel.deadline is None or local_date(now) <= parcel.deadline):
            queued += queue_parcel_notices(session, parcel, "reminder", now)
    return queued


class NotifierThread:
    """`Notifier.run_once` every `settings.interval_s` seconds until stopped; a failing round
    is logged and the next one tries again (the database may be back by then)."""

    def __init__(self, notifier: Notifier) -> None:
        self.notifier = notifier
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="notifier", daemon=True)

    def start(self) -> NotifierThread:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.notifier.run_once()
            except Exception:  # noqa: BLE001 - the loop must outlive any one bad round
                log.exception("notifier round failed")
            self._stop.wait(self.notifier.settings.interval_s)

"""Retention of the directory's data on the server, so that no table grows for ever.

- Appointments are deleted `appointment_retention` (default 30 days) after their window
  ended, cancelled or not; by then the kiosks dropped them long ago (12 h after the end). On-duty
  alerts and their SMS/e-mail rows (which hold the officials' contacts) go after the same time.
- Raw anonymous usage events ("usage.visit") received more than `usage_retention` ago (default
  400 days, so a year can be compared with the last) are added to their weekly totals in
  usage_weeks and deleted; the usage report adds those totals to what the remaining events
  give, so the report does not change. "video.call_started" events (only the on-duty alerts
  read them, within 15 minutes) are deleted after the same time. A deleted event's dedupe
  goes with it: a kiosk replaying a visit more than 400 days old would be counted again, which
  only a restored SD card of that age could do.

Run by the notifier every round (like the parcels' purge.py) and by `kiosk-central directory
purge`. Each round handles at most BATCH events, so a first run on a large table stays short.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sync import protocol as p
from sync.server.db.directory import Appointment, DutyAlert, UsageWeek
from sync.server.db.kiosks import Device, EventRow
from sync.server.db.parcels import Notification
from sync.server.db.rows import affected_rows
from sync.server.notify.duty_alerts import KIND as DUTY_ALERT_KIND
from sync.server.usage.aggregate import OUTCOMES, iso_week

APPOINTMENT_RETENTION = timedelta(days=30)
USAGE_RETENTION = timedelta(days=400)
BATCH = 5000
USAGE_EVENT = "usage.visit"
DROPPED_WITHOUT_TOTALS = ("video.call_started",)


@dataclass
class Purged:
    appointments: int = 0
    duty_alerts: int = 0
    usage_events: int = 0

    @property
    def total(self) -> int:
        return self.appointments + self.duty_alerts + self.usage_events


def purge_directory_data(session: Session, now: datetime,
                         appointment_retention: timedelta = APPOINTMENT_RETENTION,
                         usage_retention: timedelta = USAGE_RETENTION) -> Purged:
    return Purged(appointments=purge_appointments(session, now - appointment_retention),
                  duty_alerts=purge_duty_alerts(session, now - appointment_retention),
                  usage_events=roll_up_usage(session, now - usage_retention))


def purge_appointments(session: Session, ended_before: datetime) -> int:
    return affected_rows(session.execute(delete(Appointment).where(Appointment.ends_at < ended_before)))


def purge_duty_alerts(session: Session, created_before: datetime) -> int:
    session.execute(delete(Notification).where(
        Notification.kind == DUTY_ALERT_KIND, Notification.parcel_id.is_(None),
        Notification.created_at < created_before))
    return affected_rows(session.execute(delete(DutyAlert).where(DutyAlert.created_at < created_before)))


def roll_up_usage(session: Session, received_before: datetime, batch: int = BATCH) -> int:
    """Add the accepted usage events received before `received_before` to usage_weeks and
    delete them (and any rejected ones); returns how many events were deleted."""
    rows = session.execute(
        select(EventRow.id, EventRow.type, EventRow.status, EventRow.payload, EventRow.occurred_at,
               EventRow.received_at, Device.service_point_id)
        .join(Device, Device.device_id == EventRow.device_id)
        .where(EventRow.type.in_((USAGE_EVENT, *DROPPED_WITHOUT_TOTALS)),
               EventRow.received_at < received_before)
        .order_by(EventRow.id).limit(batch)).all()
    totals: dict[tuple[str, ...], tuple[UsageWeek, dict[str, int]]] = {}
    for _id, type_, status, payload, occurred_at, received_at, point in rows:
        if type_ == USAGE_EVENT and status == "accepted":
            visit = p.UsageVisit.model_validate(json.loads(payload))
            _add(session, totals, point, iso_week(occurred_at or received_at), visit)
    for week, outcomes in totals.values():
        week.outcomes = json.dumps(outcomes, sort_keys=True)
    ids = [row[0] for row in rows]
    if ids:
        session.execute(delete(EventRow).where(EventRow.id.in_(ids)))
    return len(ids)


def _add(session: Session, totals: dict[tuple[str, ...], tuple[UsageWeek, dict[str, int]]],
         point: str, week_name: str, visit: p.UsageVisit) -> None:
    key = (point, week_name, visit.kind, visit.service_id, visit.language)
    if key not in totals:
        week = session.get(UsageWeek, key)
        if week is None:
            week = UsageWeek(service_point_id=point, week=week_name, kind=visit.kind,
                             service_id=visit.service_id, language=visit.language, visits=0, seconds=0,
                             large_text=0, high_contrast=0, speech=0, outcomes="{}")
            session.add(week)
        totals[key] = week, {**dict.fromkeys(OUTCOMES, 0), **json.loads(week.outcomes)}
    week, outcomes = totals[key]
    week.visits += 1
    week.seconds += visit.duration_s
    week.large_text += visit.large_text
    week.high_contrast += visit.high_contrast
    week.speech += visit.speech
    outcomes[visit.outcome] += 1

"""What the pilots learn: "usage.visit" events aggregated per service point, ISO week (Swedish
time), kind, service and language, for the report page and the region's CSV export.

Computed at read time from the events table (the record) plus the weekly totals of events
that retention.py rolled up and deleted after the retention period (usage_weeks). A week is
the ISO week of the server's estimate of when the visit ended (`occurred_at`, see
clocks.py), in Europe/Stockholm.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync import protocol as p
from sync.server.db.directory import DirectoryEntry, UsageWeek
from sync.server.db.kiosks import Device, EventRow

LOCAL = ZoneInfo(p.DIRECTORY_TIMEZONE)
# New outcomes go last: the CSV's earlier columns keep their places in the region's sheets, and
# weekly totals rolled up before an outcome existed read it as 0 (dict.fromkeys below).
OUTCOMES = ("done", "idle", "exited", "crashed", "hung", "failed", "reset", "phone")
CSV_COLUMNS = ("service_point", "week", "kind", "service", "language", "visits", "minutes",
               "large_text", "high_contrast", "speech", *(f"outcome_{o}" for o in OUTCOMES))


@dataclass
class UsageRow:
    service_point: str
    week: str  # "2026-W49"
    kind: str
    service: str
    language: str
    visits: int = 0
    seconds: int = 0
    large_text: int = 0
    high_contrast: int = 0
    speech: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))

    @property
    def minutes(self) -> float:
        return round(self.seconds / 60, 1)


# The directory entity whose name a usage kind's service id refers to.
ENTITY_OF_KIND = {"video": p.ENTITY_VIDEO_SERVICE, "booked_video": p.ENTITY_VIDEO_SERVICE,
                  "e_service": p.ENTITY_E_SERVICE}


def service_names(session: Session) -> dict[tuple[str, str], str]:
    """Swedish names by (usage kind, service id), for the report page. A service removed from
    the directory keeps its name (the row stays, marked deleted): old weeks still read."""
    names = {}
    for entry in session.scalars(select(DirectoryEntry)):
        data = json.loads(entry.data)
        name = (data.get("name") or data.get("title") or {}).get("sv")
        for kind, entity in ENTITY_OF_KIND.items():
            if entity == entry.kind and name:
                names[(kind, entry.entry_id)] = name
    return names


def iso_week(moment: datetime) -> str:
    year, week, _day = moment.astimezone(LOCAL).isocalendar()
    return f"{year}-W{week:02d}"


def aggregate(session: Session) -> list[UsageRow]:
    rows = _rolled_up(session)
    query = (select(Device.service_point_id, EventRow.payload, EventRow.occurred_at, EventRow.received_at)
             .join(Device, Device.device_id == EventRow.device_id)
             .where(EventRow.type == "usage.visit", EventRow.status == "accepted"))
    for point, payload, occurred_at, received_at in session.execute(query):
        visit = p.UsageVisit.model_validate(json.loads(payload))
        key = (point, iso_week(occurred_at or received_at), visit.kind, visit.service_id, visit.language)
        row = rows.setdefault(key, UsageRow(*key))
        row.visits += 1
        row.seconds += visit.duration_s
        row.large_text += visit.large_text
        row.high_contrast += visit.high_contrast
        row.speech += visit.speech
        row.outcomes[visit.outcome] += 1
    return [rows[key] for key in sorted(rows)]


def _rolled_up(session: Session) -> dict[tuple[str, ...], UsageRow]:
    rows: dict[tuple[str, ...], UsageRow] = {}
    for week in session.scalars(select(UsageWeek)):
        key = (week.service_point_id, week.week, week.kind, week.service_id, week.language)
        rows[key] = UsageRow(*key, visits=week.visits, seconds=week.seconds, large_text=week.large_text,
                             high_contrast=week.high_contrast, speech=week.speech,
                             outcomes={**dict.fromkeys(OUTCOMES, 0), **json.loads(week.outcomes)})
    return rows


def to_csv(rows: list[UsageRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([row.service_point, row.week, row.kind, row.service, row.language, row.visits,
                         row.minutes, row.large_text, row.high_contrast, row.speech,
                         *(row.outcomes[o] for o in OUTCOMES)])
    return out.getvalue()

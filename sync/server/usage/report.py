"""The usage report page: visits per week as a bar chart, then the table the CSV holds.

Plain HTML with inline SVG: no script, no external file, so it opens from a file, a mail
attachment or the admin API alike, and prints. This module works out what the page shows
(`UsageReport`: the chart's geometry, the table's cells); the layout is the template
`usage_report.html` (sync/server/api/templates/), which escapes every value.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sync.server.usage.aggregate import OUTCOMES, UsageRow

if TYPE_CHECKING:  # the caller makes the templates (one set per app or per CLI command)
    from sync.server.api.html import Templates

TEMPLATE = "usage_report.html"
BAR_HEIGHT, BAR_GAP, LABEL_WIDTH, CHART_WIDTH, VALUE_GAP, VALUE_ROOM = 22, 6, 260, 520, 6, 60
TEXT_BASELINE = 16  # a label's baseline, from the top of its bar
# The page is read by the region's evaluators in Swedish; the CSV keeps the stable codes
# (outcome_done, …) that their spreadsheets refer to, and each heading here names its code.
KIND_LABELS = {"video": "Videosamtal", "booked_video": "Bokat möte", "e_service": "E-tjänst"}
OUTCOME_LABELS = {"done": "Klar", "idle": "Tidsgräns", "exited": "Lämnade", "crashed": "Kraschade",
                  "hung": "Hängde sig", "failed": "Startade inte", "reset": "Avbröts", "phone": "Till mobilen"}
HEADINGS = ("Servicepunkt", "Vecka", "Slag", "Tjänst", "Språk", "Besök", "Minuter",
            "Större text", "Kontrast", "Uppläsning")


@dataclass(frozen=True)
class Bar:
    """One week's bar, its label left of it and its count right of it (SVG user units)."""

    week: str
    visits: int
    y: int
    width: int
    x: int = LABEL_WIDTH
    height: int = BAR_HEIGHT

    @property
    def text_y(self) -> int:
        return self.y + TEXT_BASELINE

    @property
    def value_x(self) -> int:
        return self.x + self.width + VALUE_GAP


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int = LABEL_WIDTH + CHART_WIDTH + VALUE_ROOM

    @property
    def height(self) -> int:
        return len(self.bars) * (BAR_HEIGHT + BAR_GAP)


@dataclass(frozen=True)
class UsageReport:
    generated: str
    chart: Chart
    rows: list[list[str]]
    headings: tuple[str, ...] = HEADINGS
    outcome_headings: tuple[tuple[str, str], ...] = tuple((o, OUTCOME_LABELS.get(o, o)) for o in OUTCOMES)


def render_html(templates: Templates, rows: list[UsageRow], generated_at: datetime,
                names: dict[tuple[str, str], str] | None = None) -> str:
    """`names`: services' names by (kind, id) (usage.service_names); an id without one is shown as is."""
    return templates.render(TEMPLATE, report=usage_report(rows, generated_at, names or {}))


def usage_report(rows: list[UsageRow], generated_at: datetime,
                 names: dict[tuple[str, str], str]) -> UsageReport:
    return UsageReport(generated=generated_at.isoformat(timespec="minutes"), chart=chart(rows),
                       rows=[table_row(row, names) for row in rows])


def chart(rows: list[UsageRow]) -> Chart:
    """Visits per ISO week, oldest first; the longest bar is CHART_WIDTH, none is invisible."""
    per_week: dict[str, int] = defaultdict(int)
    for row in rows:
        per_week[row.week] += row.visits
    most = max(per_week.values(), default=0)
    return Chart([Bar(week=week, visits=visits, y=index * (BAR_HEIGHT + BAR_GAP),
                      width=max(1, round(CHART_WIDTH * visits / most)) if most else 1)
                  for index, (week, visits) in enumerate(sorted(per_week.items()))])


def table_row(row: UsageRow, names: dict[tuple[str, str], str]) -> list[str]:
    cells = (row.service_point, row.week, KIND_LABELS.get(row.kind, row.kind),
             names.get((row.kind, row.service), row.service), row.language,
             row.visits, row.minutes, row.large_text, row.high_contrast, row.speech,
             *(row.outcomes[o] for o in OUTCOMES))
    return [str(cell) for cell in cells]

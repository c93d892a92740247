"""The usage report page: visits per week as a bar chart, then the table the CSV holds.

Plain HTML with inline SVG: no script, no external file, so it opens from a file, a mail
attachment or the admin API alike, and prints.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from html import escape

from sync.server.usage.aggregate import OUTCOMES, UsageRow

BAR_HEIGHT, BAR_GAP, LABEL_WIDTH, CHART_WIDTH = 22, 6, 260, 520
# The page is read by the region's evaluators in Swedish; the CSV keeps the stable codes
# (outcome_done, …) that their spreadsheets refer to, and each heading here names its code.
KIND_LABELS = {"video": "Videosamtal", "booked_video": "Bokat möte", "e_service": "E-tjänst"}
OUTCOME_LABELS = {"done": "Klar", "idle": "Tidsgräns", "exited": "Lämnade", "crashed": "Kraschade",
                  "hung": "Hängde sig", "failed": "Startade inte", "reset": "Avbröts", "phone": "Till mobilen"}


def render_html(rows: list[UsageRow], generated_at: datetime,
                names: dict[tuple[str, str], str] | None = None) -> str:
    """`names`: services' names by (kind, id) (usage.service_names); an id without one is shown as is."""
    return f"""<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><title>Servicepunkt – användning</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #1b1b1b; }}
table {{ border-collapse: collapse; margin-top: 1em; font-size: 0.9em; }}
th, td {{ border: 1px solid #999; padding: 4px 6px; text-align: right; white-space: nowrap; }}
th {{ white-space: normal; vertical-align: bottom; }}
th:nth-child(-n+5), td:nth-child(-n+5) {{ text-align: left; }}
svg text {{ font-size: 13px; }}
</style></head><body>
<h1>Servicepunkt – användning av videosamtal och e-tjänster</h1>
<p>Anonyma besök per servicepunkt, vecka, tjänst och språk. Skapad {escape(generated_at.isoformat(timespec="minutes"))}.</p>
<h2>Besök per vecka</h2>
{_chart(rows)}
<h2>Alla rader</h2>
{_table(rows, names or {})}
</body></html>
"""


def _chart(rows: list[UsageRow]) -> str:
    per_week: dict[str, int] = defaultdict(int)
    for row in rows:
        per_week[row.week] += row.visits
    if not per_week:
        return "<p>Inga besök ännu.</p>"
    most = max(per_week.values())
    bars = []
    for index, (week, visits) in enumerate(sorted(per_week.items())):
        y = index * (BAR_HEIGHT + BAR_GAP)
        width = max(1, round(CHART_WIDTH * visits / most))
        bars.append(f'<text x="0" y="{y + 16}">{escape(week)}</text>'
                    f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width}" height="{BAR_HEIGHT}" fill="#0b4f8a"/>'
                    f'<text x="{LABEL_WIDTH + width + 6}" y="{y + 16}">{visits}</text>')
    height = len(per_week) * (BAR_HEIGHT + BAR_GAP)
    return (f'<svg role="img" aria-label="Besök per vecka" width="{LABEL_WIDTH + CHART_WIDTH + 60}" '
            f'height="{height}">{"".join(bars)}</svg>')


def _table(rows: list[UsageRow], names: dict[tuple[str, str], str]) -> str:
    head = [escape(h) for h in ("Servicepunkt", "Vecka", "Slag", "Tjänst", "Språk", "Besök", "Minuter",
                                "Större text", "Kontrast", "Uppläsning")]
    head += [f'<abbr title="outcome_{o}">{escape(OUTCOME_LABELS.get(o, o))}</abbr>' for o in OUTCOMES]
    lines = ["<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>"]
    for row in rows:
        cells = (row.service_point, row.week, KIND_LABELS.get(row.kind, row.kind),
                 names.get((row.kind, row.service), row.service), row.language,
                 row.visits, row.minutes,
                 row.large_text, row.high_contrast, row.speech, *(row.outcomes[o] for o in OUTCOMES))
        lines.append("<tr>" + "".join(f"<td>{escape(str(cell))}</td>" for cell in cells) + "</tr>")
    lines.append("</tbody></table>")
    return "\n".join(lines)

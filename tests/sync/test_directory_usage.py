"""What the pilots learn: known usage events go through real kiosk outboxes and the real sync
to the server; the aggregates, the CSV and the report page are checked exactly."""
from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime

import pytest
import requests
from sqlalchemy.orm import sessionmaker

from sync import protocol as p
from sync.outbox import OutboxBase, enqueue
from sync.server import admin_tokens
from sync.server.db.engine import make_engine, make_session_factory
from sync.server.directory.services import put_entry
from sync.server.usage.aggregate import aggregate, service_names, to_csv
from sync.server.usage.report import render_html
from sync.worker import SyncWorker
from tests.sync.helpers import OTHER_SP, SP
from tests.sync.test_directory import SKATT

WHEN = {  # local Swedish time in the comments
    "tue": datetime(2026, 11, 24, 9, 0, tzinfo=UTC),    # Tue 24 Nov 10:00, week 48
    "thu": datetime(2026, 11, 26, 13, 0, tzinfo=UTC),   # Thu 26 Nov 14:00, week 48
    "sun_late": datetime(2026, 11, 29, 23, 30, tzinfo=UTC),  # Mon 30 Nov 00:30: week 49 in Sweden
    "tue2": datetime(2026, 12, 1, 8, 0, tzinfo=UTC),    # Tue 1 Dec 09:00, week 49
}


def visit(kind, service, language, seconds, outcome, large=False, contrast=False, speech=False):
    return p.UsageVisit(kind=kind, service_id=service, language=language, duration_s=seconds,
                        large_text=large, high_contrast=contrast, speech=speech, outcome=outcome)


EVENTS = {
    SP: [
        ("tue", visit("video", "fk", "sv", 300, "done", large=True)),
        ("thu", visit("video", "fk", "sv", 120, "exited")),
        ("thu", visit("video", "fk", "fi", 600, "done", speech=True)),
        ("tue2", visit("e_service", "deklaration", "sv", 90, "idle", contrast=True)),
        ("sun_late", visit("e_service", "deklaration", "sv", 48, "done")),
        ("tue2", visit("e_service", "deklaration", "sv", 66, "phone")),  # took the QR code home
        ("tue2", visit("booked_video", "fk", "sv", 1800, "done")),
    ],
    OTHER_SP: [
        ("tue", visit("video", "fk", "se", 60, "done")),
        ("thu", visit("video", "fk", "se", 30, "reset")),
    ],
}
EXPECTED_CSV = """\
service_point,week,kind,service,language,visits,minutes,large_text,high_contrast,speech,outcome_done,outcome_idle,outcome_exited,outcome_crashed,outcome_hung,outcome_failed,outcome_reset,outcome_phone
SP-KORPILOMBOLO,2026-W48,video,fk,fi,1,10.0,0,0,1,1,0,0,0,0,0,0,0
SP-KORPILOMBOLO,2026-W48,video,fk,sv,2,7.0,1,0,0,1,0,1,0,0,0,0,0
SP-KORPILOMBOLO,2026-W49,booked_video,fk,sv,1,30.0,0,0,0,1,0,0,0,0,0,0,0
SP-KORPILOMBOLO,2026-W49,e_service,deklaration,sv,3,3.4,0,1,0,1,1,0,0,0,0,0,1
SP-PAJALA,2026-W48,video,fk,se,2,1.5,0,0,0,1,0,0,0,0,0,1,0
"""


def kiosk_outbox(tmp_path, name: str) -> sessionmaker:
    engine = make_engine(f"sqlite:///{tmp_path / name}")
    OutboxBase.metadata.create_all(engine)
    return make_session_factory(engine)


def clock_at(moment: datetime, mono_ms: int):
    # Another boot than the upload's and a synced wall clock: the server dates it by the wall.
    return lambda: p.Clock(wall_ms=int(moment.timestamp() * 1000), clock_synced=True,
                           boot_id="boot-of-the-visit", mono_ms=mono_ms)


def push_usage(make_kiosk, tmp_path, point: str, events, outbox_name: str) -> None:
    """The events from a new kiosk at `point`, through its own outbox and the real sync."""
    outbox = kiosk_outbox(tmp_path, outbox_name)
    with outbox.begin() as session:
        for index, (when, usage) in enumerate(events):
            enqueue(session, type="usage.visit", payload=usage.model_dump(),
                    clock=clock_at(WHEN[when], index + 1))
    worker = SyncWorker(outbox, make_kiosk(point).client, appliers={}, interval=0.1, rand=lambda: 0.0)
    worker.run_once()
    worker.run_once()  # a second round sends nothing again: the server counts each visit once
    assert worker.status().pushed == len(events)


@pytest.fixture
def synced(central, make_kiosk, tmp_path):
    central.clock.now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    central.add_service_point(OTHER_SP, "Pajala Handel")
    for point, events in EVENTS.items():
        push_usage(make_kiosk, tmp_path, point, events, f"{point}.db")
    return central


def test_usage_is_aggregated_per_point_week_service_and_language_exactly(synced):
    with synced.sessions() as session:
        rows = aggregate(session)
    assert to_csv(rows) == EXPECTED_CSV
    assert sum(row.visits for row in rows) == sum(len(events) for events in EVENTS.values())


def test_the_admin_api_serves_the_same_csv_and_needs_a_token(synced):
    with synced.sessions.begin() as session:
        token = admin_tokens.create(session, "region-evaluation", synced.clock())
    url = synced.url + "/v1/admin/directory/usage.csv"
    assert requests.get(url, timeout=10).status_code == 401
    answer = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert answer.text == EXPECTED_CSV


def test_the_report_page_renders_in_a_real_browser(synced, output_dir):
    with synced.sessions.begin() as session:
        put_entry(session, "e_service", SKATT, synced.clock())  # named; "fk" is not in the directory
    with synced.sessions() as session:
        page = render_html(aggregate(session), synced.clock(), service_names(session))
    assert page.count("<tr>") == 1 + 5  # header + one row per aggregate
    assert '>2026-W48</text><rect' in page and '>5</text>' in page and '>4</text>' in page  # per week
    assert page.count("<th>") == 10 + 8  # every outcome has its column, named in Swedish with its CSV code
    assert '<th><abbr title="outcome_phone">Till mobilen</abbr></th>' in page
    assert "<td>E-tjänst</td><td>Deklarera</td>" in page and "<td>Videosamtal</td><td>fk</td>" in page
    assert "<td>3.4</td><td>0</td><td>1</td><td>0</td><td>1</td><td>1</td><td>0</td><td>0</td><td>0</td>" \
        "<td>0</td><td>0</td><td>1</td></tr>" in page  # the e-service row, its phone visit last
    report = output_dir / "usage.html"
    report.write_text(page, encoding="utf-8")
    if shutil.which("chromium") is None:
        pytest.skip("chromium is not installed")
    screenshot = output_dir / "usage.png"
    subprocess.run(["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", f"--screenshot={screenshot}",
                    "--window-size=1700,900", report.as_uri()],
                   check=True, capture_output=True, timeout=60)
    assert screenshot.stat().st_size > 10_000  # a drawn page, not a blank one


def test_the_kiosk_queues_one_valid_usage_event_per_visit_and_refuses_a_bad_one(tmp_path):
    import json

    from pydantic import ValidationError
    from sqlalchemy import select

    from kiosk.services.usage import UsageRecorder
    from sync.outbox import OutboxEvent

    outbox = kiosk_outbox(tmp_path, "kiosk.db")
    woken = []
    recorder = UsageRecorder(outbox, lambda: woken.append(True))
    visit = dict(kind="e_service", service_id="deklaration", language="fit", seconds=75, large_text=True,
                 high_contrast=False, speech=True, outcome="idle")
    recorder.visit_ended(**visit)
    with pytest.raises(ValidationError):
        recorder.visit_ended(**{**visit, "outcome": "unplugged"})
    with outbox() as session:
        rows = session.scalars(select(OutboxEvent)).all()
    assert [(row.type, json.loads(row.payload)) for row in rows] == [("usage.visit", {
        "kind": "e_service", "service_id": "deklaration", "language": "fit", "duration_s": 75,
        "large_text": True, "high_contrast": False, "speech": True, "outcome": "idle"})]
    assert woken == [True]

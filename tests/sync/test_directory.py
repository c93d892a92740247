"""The directory: admin API (auth, bad input), the per-service-point "directory" feed pulled by
real kiosks, and the kiosk's copy answering "open now?" and booking codes."""
from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import func, select

from kiosk.services.directory import BookingStatus, Directory, apply_directory_changes, opening_at
from kiosk.store import db as kiosk_db
from sync import protocol as p
from sync.server import admin_tokens
from sync.server.db.kiosks import ChangeLog
from sync.server.directory.services import check_room_template, room_url
from sync.worker import SyncWorker
from tests.sync.helpers import OTHER_SP, SP

FK = {
    "id": "forsakringskassan",
    "organisation": "Försäkringskassan",
    "name": {"sv": "Försäkringskassan", "fi": "Vakuutuskassa"},
    "description": {"sv": "Frågor om sjukpenning och bostadsbidrag"},
    "room_url_template": "https://meet.norrbotten.se/fk-{service_point}",
    "opening_hours": {"mon": ["08:00-12:00", "13:00-16:00"], "tue": ["08:00-16:00"]},
    "on_duty": {"email": "jour@fk.example.se"},
}
SKATT = {
    "id": "deklaration",
    "title": {"sv": "Deklarera", "en": "File your tax return"},
    "description": {"sv": "Skatteverkets e-tjänst"},
    "category": "tax",
    "start_url": "https://www.skatteverket.se/privat/deklaration",
    "allowed_domains": ["skatteverket.se"],
    "service_points": [OTHER_SP],
}


@pytest.fixture
def admin(central):
    central.add_service_point(OTHER_SP, "Pajala Handel")
    with central.sessions.begin() as session:
        token = admin_tokens.create(session, "coordinator", central.clock())
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    base = central.url + "/v1/admin/directory"

    def call(method: str, path: str, expect: int = 200, **kwargs):
        response = http.request(method, base + path, timeout=10, **kwargs)
        assert response.status_code == expect, response.text
        return response.json()

    call.http, call.base = http, base
    yield call
    http.close()


def feed_size(central) -> int:
    with central.sessions() as session:
        return session.scalar(select(func.count()).select_from(ChangeLog))


def test_every_admin_call_needs_a_live_token(central, admin):
    for headers in ({}, {"Authorization": "Bearer spa_guessed"}, {"Authorization": "Basic x"}):
        response = requests.get(admin.base + "/video-services", headers=headers, timeout=10)
        assert response.status_code == 401
        assert response.json()["error"] == "unauthorized"
    with central.sessions.begin() as session:
        admin_tokens.revoke(session, "coordinator", central.clock())
    assert admin.http.get(admin.base + "/video-services", timeout=10).status_code == 401


BAD_VIDEO = [
    ({"name": {"fi": "Vakuutuskassa"}}, "name needs a Swedish text"),
    ({"room_url_template": "https://meet.norrbotten.se/{village}"}, "unknown placeholder {village}"),
    ({"room_url_template": "http://meet.norrbotten.se/fk"}, "must be an https URL"),
    ({"opening_hours": {"mon": ["16:00-08:00"]}}, "must end after it starts"),
    ({"opening_hours": {"mon": ["8-16"]}}, "opening_hours.mon.0"),
    ({"opening_hours": {"funday": ["08:00-16:00"]}}, "opening_hours.funday"),
    ({"on_duty": {"phone": "070-123"}}, "on_duty.phone"),
    ({"service_points": ["SP-NOWHERE"]}, "no service point 'SP-NOWHERE'"),
    ({"colour": "red"}, "colour: Extra inputs are not permitted"),
]


@pytest.mark.parametrize("change, message", BAD_VIDEO)
def test_a_bad_video_service_is_refused_clearly_and_changes_nothing(central, admin, change, message):
    admin("PUT", "/video-services/forsakringskassan", json=FK)
    before = feed_size(central)
    body = {**copy.deepcopy(FK), **change}
    answer = admin("PUT", "/video-services/forsakringskassan", expect=400, json=body)
    assert answer["error"] == "invalid_request"
    assert message in answer["detail"]
    assert feed_size(central) == before
    assert admin("GET", "/video-services")[0]["version"] == 1


@pytest.mark.parametrize("change, message", [
    ({"start_url": "https://evil.example.com/"}, "not in allowed_domains"),
    ({"allowed_domains": []}, "allowed_domains"),
    ({"category": "shopping"}, "category"),
    ({"title": {"sv": ""}}, "title needs a Swedish text"),
])
def test_a_bad_e_service_is_refused_clearly(admin, change, message):
    answer = admin("PUT", "/e-services/deklaration", expect=400, json={**SKATT, **change})
    assert message in answer["detail"]
    assert admin("GET", "/e-services") == []


def test_requests_that_do_not_fit_the_api_are_refused(admin):
    assert admin("PUT", "/parcels/x", expect=404, json=FK)["error"] == "not_found"
    assert "is not 'other'" in admin("PUT", "/video-services/other", expect=400, json=FK)["detail"]
    assert admin("PUT", "/video-services/x", expect=422, data="[1, 2]",
                 headers={"Content-Type": "application/json"})["error"] == "invalid_request"
    assert "no video_service 'nothing'" in admin("DELETE", "/video-services/nothing", expect=400)["detail"]
    start = datetime(2030, 1, 7, 9, tzinfo=UTC).isoformat()
    unknown = {"service_id": "nothing", "service_point_id": SP, "starts_at": start, "minutes": 30}
    assert "no video service 'nothing'" in admin("POST", "/appointments", expect=400, json=unknown)["detail"]
    assert admin("POST", "/appointments", expect=422, json={**unknown, "minutes": 0})["error"] == "invalid_request"


def pull_all(kiosk) -> list[p.Change]:
    changes, cursor = [], ""
    while True:
        page = kiosk.client.pull(p.SCOPE_DIRECTORY, cursor)
        changes += page.changes
        cursor = page.next_cursor
        if not page.has_more:
            return changes


def test_each_kiosk_sees_only_what_applies_to_its_service_point(central, admin, make_kiosk):
    admin("PUT", "/video-services/forsakringskassan", json=FK)
    admin("PUT", "/e-services/deklaration", json=SKATT)
    start = (central.clock() + timedelta(days=1)).isoformat()
    booked = admin("POST", "/appointments", expect=201, json={
        "service_id": "forsakringskassan", "service_point_id": SP, "starts_at": start, "minutes": 30})
    here, there = make_kiosk(SP), make_kiosk(OTHER_SP)

    seen_here = {(c.entity, c.entity_id): c for c in pull_all(here)}
    seen_there = {(c.entity, c.entity_id): c for c in pull_all(there)}
    assert set(seen_here) == {("video_service", "forsakringskassan"), ("appointment", booked["id"])}
    assert set(seen_there) == {("video_service", "forsakringskassan"), ("e_service", "deklaration")}
    # Each point has its own room; the on-duty contact never leaves the server.
    assert seen_here["video_service", "forsakringskassan"].data["room_url"] == \
        "https://meet.norrbotten.se/fk-sp-korpilombolo"
    assert seen_there["video_service", "forsakringskassan"].data["room_url"] == \
        "https://meet.norrbotten.se/fk-sp-pajala"
    assert "on_duty" not in seen_here["video_service", "forsakringskassan"].data
    appointment = seen_here["appointment", booked["id"]].data
    assert booked["code"] not in str(appointment)
    assert p.booking_code_sha256(appointment["code_salt"], booked["code"]) == appointment["code_sha256"]


@pytest.fixture
def kiosk_store(tmp_path):
    engine = kiosk_db.create_kiosk_engine(tmp_path / "kiosk.db")
    kiosk_db.upgrade(engine)
    yield kiosk_db.session_factory(engine)
    engine.dispose()


def test_a_kiosk_pulls_the_directory_and_finds_a_booking_by_its_code(central, admin, make_kiosk, kiosk_store):
    admin("PUT", "/video-services/forsakringskassan", json=FK)
    start = central.clock().replace(microsecond=0) + timedelta(hours=2)
    booked = admin("POST", "/appointments", expect=201, json={
        "service_id": "forsakringskassan", "service_point_id": SP, "starts_at": start.isoformat(),
        "minutes": 30})
    worker = SyncWorker(kiosk_store, make_kiosk(SP).client,
                        appliers={p.SCOPE_DIRECTORY: apply_directory_changes}, interval=0.1, rand=lambda: 0.0)
    worker.run_once()
    now = [start - timedelta(hours=1)]
    directory = Directory(kiosk_store, clock=lambda: now[0])

    assert [s.data.id for s in directory.video_services()] == ["forsakringskassan"]
    early = directory.find_booking(booked["code"])
    assert early.status is BookingStatus.EARLY and early.appointment.starts_at == start
    now[0] = start - timedelta(minutes=p.APPOINTMENT_EARLY_MINUTES)
    found = directory.find_booking(f" {booked['code']} ")
    assert found.status is BookingStatus.NOW
    assert found.appointment.room_url.startswith("https://meet.norrbotten.se/fk-sp-korpilombolo-")
    assert found.service.name["sv"] == "Försäkringskassan"
    now[0] = start + timedelta(minutes=30)
    assert directory.find_booking(booked["code"]).status is BookingStatus.OVER
    wrong = f"{(int(booked['code']) + 1) % 10**6:06d}"
    assert directory.find_booking(wrong).status is BookingStatus.UNKNOWN

    admin("DELETE", f"/appointments/{booked['id']}")
    admin("DELETE", "/video-services/forsakringskassan")
    worker.run_once()
    assert directory.find_booking(booked["code"]).status is BookingStatus.UNKNOWN
    assert directory.video_services() == []


def test_a_service_point_added_later_gets_the_directory_on_publish(central, admin, make_kiosk):
    from sync.server.directory.services import publish

    admin("PUT", "/video-services/forsakringskassan", json=FK)
    central.add_service_point("SP-JUNOSUANDO", "Junosuando")
    with central.sessions.begin() as session:
        assert publish(session, central.clock()) == 1
        assert publish(session, central.clock()) == 0  # nothing left to do: idempotent
    assert [c.entity_id for c in pull_all(make_kiosk("SP-JUNOSUANDO"))] == ["forsakringskassan"]


STOCKHOLM_MONDAY = datetime(2026, 11, 30, tzinfo=UTC)  # a Monday; Sweden is UTC+1 in winter


@pytest.mark.parametrize("utc_time, open_now, next_opening", [
    ("07:30", True, None),            # 08:30 local
    ("11:15", False, "12:00"),        # 12:15 local, lunch: opens 13:00 local
    ("15:00", False, "2026-12-01T07:00"),  # 16:00 local: closed, tomorrow 08:00 local
    ("06:59", False, "07:00"),
])
def test_opening_hours_are_local_time(utc_time, open_now, next_opening):
    hours = FK["opening_hours"]
    hour, minute = map(int, utc_time.split(":"))
    opening = opening_at(hours, STOCKHOLM_MONDAY.replace(hour=hour, minute=minute))
    assert opening.open_now is open_now
    if next_opening is None:
        assert opening.next_opening is None
    elif "T" in next_opening:
        assert opening.next_opening == datetime.fromisoformat(next_opening).replace(tzinfo=UTC)
    else:
        h, m = map(int, next_opening.split(":"))
        assert opening.next_opening == STOCKHOLM_MONDAY.replace(hour=h, minute=m)


def test_closed_all_week_has_no_next_opening():
    assert opening_at({}, STOCKHOLM_MONDAY).next_opening is None


def test_room_templates():
    assert room_url("https://meet.region.se/hc-{service_point}", "SP-KÅBDALIS") == \
        "https://meet.region.se/hc-sp-k%C3%A5bdalis"
    for template, problem in [("https://meet.region.se/{service_point", "template"),
                              ("https://meet.region.se/r#x", "without a #fragment"),
                              ("meet.region.se/r", "https")]:
        with pytest.raises(ValueError, match=problem):
            check_room_template(template)

"""Holidays and special hours: set through the admin API and the CLI, checked, carried to each
point's kiosks as the entity "opening_exceptions", honoured by open-now / next-opening, and
skipped by a kiosk that does not know them (which still shows the service)."""
from __future__ import annotations

import copy
from datetime import UTC, date, datetime

import pytest
from click.testing import CliRunner

from kiosk.services import directory as kiosk_directory
from kiosk.services.directory import Directory, apply_directory_changes, opening_at
from sync import protocol as p
from sync.server.cli.main import main
from sync.server.directory.services import put_entry
from sync.worker import SyncWorker
from tests.sync.helpers import OTHER_SP, SP, wait_until
from tests.sync.test_directory import FK, admin, feed_size, kiosk_store, pull_all  # noqa: F401 - fixtures

CHRISTMAS = {"first": "2026-12-24", "last": "2026-12-26", "hours": []}
NEW_YEARS_EVE = {"first": "2026-12-31", "hours": ["10:00-12:00"], "service_points": [SP]}
WEDNESDAY_23RD = datetime(2026, 12, 23, 15, 30, tzinfo=UTC)  # 16:30 in Sweden, after closing


def by_key(changes: list[p.Change]) -> dict[tuple[str, str], p.Change]:
    return {(c.entity, c.entity_id): c for c in changes}


def pulled(kiosk, op: str = "upsert") -> dict[tuple[str, str], p.Change]:
    """The kiosk's whole feed once it shows fk's exceptions as `op`. On PostgreSQL the feed
    holds back rows while any older transaction of the cluster is open (feed.py), and other
    test runs may share the cluster: wait for it, the rows are committed already."""
    key = (p.ENTITY_OPENING_EXCEPTIONS, "forsakringskassan")

    def shown() -> dict[tuple[str, str], p.Change] | None:
        seen = by_key(pull_all(kiosk))
        return seen if key in seen and seen[key].op == op else None

    return wait_until(shown, f"the feed to show {key} as {op}")


def test_each_point_gets_the_exceptions_that_apply_there(central, admin, make_kiosk):
    admin("PUT", "/video-services/forsakringskassan", json={**FK, "exceptions": [CHRISTMAS, NEW_YEARS_EVE]})

    here = pulled(make_kiosk(SP))
    there = pulled(make_kiosk(OTHER_SP))

    assert here["opening_exceptions", "forsakringskassan"].data == {"service_id": "forsakringskassan", "days": [
        {"first": "2026-12-24", "last": "2026-12-26", "hours": []},
        {"first": "2026-12-31", "last": "2026-12-31", "hours": ["10:00-12:00"]}]}
    assert there["opening_exceptions", "forsakringskassan"].data["days"] == [
        {"first": "2026-12-24", "last": "2026-12-26", "hours": []}]
    # The video service itself is as before: a kiosk that knows no exceptions still reads it.
    assert set(here["video_service", "forsakringskassan"].data) == set(p.VideoServiceData.model_fields)
    assert admin("GET", "/video-services/forsakringskassan/exceptions")[1] == {
        "first": "2026-12-31", "last": "2026-12-31", "hours": ["10:00-12:00"], "service_points": [SP]}

    admin("PUT", "/video-services/forsakringskassan/exceptions", json=[NEW_YEARS_EVE])
    pulled(make_kiosk(OTHER_SP), op="delete")  # none apply there now


def test_a_kiosk_honours_them_and_an_older_kiosk_skips_them(central, admin, make_kiosk, kiosk_store,
                                                             tmp_path, monkeypatch):
    admin("PUT", "/video-services/forsakringskassan", json={
        **FK, "opening_hours": {day: ["08:00-16:00"] for day in p.WEEKDAYS[:5]}, "exceptions": [CHRISTMAS]})
    kiosk = make_kiosk(SP)
    pulled(kiosk)
    SyncWorker(kiosk_store, kiosk.client, appliers={p.SCOPE_DIRECTORY: apply_directory_changes},
               interval=0.1, rand=lambda: 0.0).run_once()
    [service] = Directory(kiosk_store, clock=lambda: WEDNESDAY_23RD).video_services()
    # Thursday 24th to Saturday 26th closed, Sunday closed anyway: Monday 28th 08:00 local.
    assert service.opening == kiosk_directory.Opening(False, datetime(2026, 12, 28, 7, 0, tzinfo=UTC))

    # A kiosk of before the exceptions: its MODELS lack the entity, so it skips it.
    monkeypatch.delitem(kiosk_directory.MODELS, p.ENTITY_OPENING_EXCEPTIONS)
    from kiosk.store import db as kiosk_db

    engine = kiosk_db.create_kiosk_engine(tmp_path / "old-kiosk.db")
    kiosk_db.upgrade(engine)
    old_store = kiosk_db.session_factory(engine)
    with old_store.begin() as session:
        apply_directory_changes(session, pull_all(kiosk))
    [old] = Directory(old_store, clock=lambda: WEDNESDAY_23RD).video_services()
    assert old.data == service.data
    assert old.opening.next_opening == datetime(2026, 12, 24, 7, 0, tzinfo=UTC)  # weekly hours only
    engine.dispose()


BAD_EXCEPTIONS = [
    ([{"first": "2026-12-26", "last": "2026-12-24", "hours": []}], "the last day is before the first"),
    ([{"first": "2026-12-24", "hours": ["14:00-10:00"]}], "must end after it starts"),
    ([{"first": "2026-12-24", "hours": ["10-14"]}], "exceptions.0.hours.0"),
    ([{"first": "24/12", "hours": []}], "exceptions.0.first"),
    ([{"first": "2026-01-01", "last": "2027-06-01", "hours": []}], "at most 366 days"),
    ([CHRISTMAS, {"first": "2026-12-26", "last": "2026-12-27", "hours": ["10:00-12:00"]}],
     "exceptions 2026-12-24..2026-12-26 and 2026-12-26..2026-12-27 overlap"),
    ([{**CHRISTMAS, "service_points": ["SP-NOWHERE"]}], "no service point 'SP-NOWHERE'"),
    ([{**CHRISTMAS, "closed": True}], "exceptions.0.closed: Extra inputs are not permitted"),
]


@pytest.mark.parametrize("exceptions, message", BAD_EXCEPTIONS)
def test_bad_exceptions_are_refused_clearly_and_change_nothing(central, admin, exceptions, message):
    admin("PUT", "/video-services/forsakringskassan", json=FK)
    before = feed_size(central)
    answer = admin("PUT", "/video-services/forsakringskassan", expect=400,
                   json={**copy.deepcopy(FK), "exceptions": exceptions})
    assert message in answer["detail"]
    assert feed_size(central) == before
    assert admin("GET", "/video-services/forsakringskassan/exceptions") == []


def test_overlap_is_allowed_at_different_points_but_not_outside_the_services_points(central, admin):
    admin("PUT", "/video-services/forsakringskassan", json={**FK, "exceptions": [
        {**CHRISTMAS, "service_points": [SP]}, {**CHRISTMAS, "hours": ["10:00-12:00"], "service_points": [OTHER_SP]}]})
    answer = admin("PUT", "/video-services/hc", expect=400, json={
        **FK, "id": "hc", "service_points": [SP], "exceptions": [{**CHRISTMAS, "service_points": [OTHER_SP]}]})
    assert "2026-12-24..2026-12-26: the service is not offered at SP-PAJALA" in answer["detail"]


def test_region_wide_and_per_point_exceptions_through_the_api(central, admin):
    admin("PUT", "/video-services/forsakringskassan", json=FK)
    admin("PUT", "/video-services/hc", json={**FK, "id": "hc", "service_points": [OTHER_SP]})

    added = admin("POST", "/exceptions", expect=201, json={**CHRISTMAS, "services": []})
    assert added == [{"id": "forsakringskassan", "version": 2}, {"id": "hc", "version": 2}]
    # Every service at one point: hc is not offered at SP, so only fk gets it.
    at_sp = admin("POST", "/exceptions", expect=201, json={**NEW_YEARS_EVE, "services": []})
    assert at_sp == [{"id": "forsakringskassan", "version": 3}]
    clash = admin("POST", "/exceptions", expect=400, json={"first": "2026-12-25", "hours": [], "services": ["hc"]})
    assert clash["detail"] == ("hc: video_service: exceptions 2026-12-24..2026-12-26 and "
                               "2026-12-25..2026-12-25 overlap; remove one first")
    bad = admin("POST", "/exceptions", expect=400, json={"first": "2026-12-25", "hours": "closed"})
    assert bad["detail"].startswith("exception hours: Input should be a valid list")

    removed = admin("DELETE", "/exceptions?first=2026-12-01&last=2026-12-26&service=hc")
    assert removed == {"removed": 1}
    assert admin("GET", "/video-services/hc/exceptions") == []
    assert len(admin("GET", "/video-services/forsakringskassan/exceptions")) == 2


def test_the_cli_adds_lists_and_removes_exceptions(central):
    runner, url = CliRunner(), central.database_url
    with central.sessions.begin() as session:
        put_entry(session, "video_service", FK, central.clock())

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(main, ["--database-url", url, "directory", "exception", *args])
        assert result.exit_code == code, result.output
        return result.output

    assert run("add", "2026-12-24..2026-12-26", "--closed") == \
        "video forsakringskassan v2: 2026-12-24..2026-12-26 closed\n"
    assert run("add", "2026-12-31", "--hours", "10:00-12:00", "--service", "forsakringskassan",
               "--service-point", SP.lower()) == "video forsakringskassan v3: 2026-12-31..2026-12-31 10:00-12:00\n"
    assert run("list").splitlines() == [
        "forsakringskassan        2026-12-24..2026-12-26 closed                   all",
        f"forsakringskassan        2026-12-31..2026-12-31 10:00-12:00              {SP}"]
    assert "'24.12.2026': give a date or a range of dates, e.g. 2026-12-24..2026-12-26" in \
        run("add", "24.12.2026", "--closed", code=2)
    assert "give --closed or --hours" in run("add", "2026-12-24", code=2)
    assert "exception hours.0: String should match pattern" in \
        run("add", "2027-01-06", "--hours", "10-12", code=1)
    assert "no video service 'skatt'" in run("add", "2027-01-06", "--closed", "--service", "skatt", code=1)
    assert run("remove", "2026-12-20..2026-12-27") == "removed 1 exception(s) within 2026-12-20..2026-12-27\n"
    assert len(run("list").splitlines()) == 1


STOCKHOLM_MONDAY = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)  # 07:00 local


@pytest.mark.parametrize("days, utc_time, open_now, next_opening", [
    ([], "07:30", True, None),
    # closed Monday and Tuesday: the next opening is Monday a week later (Wed-Sun closed anyway)
    ([("2026-11-30", "2026-12-01", [])], "07:30", False, "2026-12-07T07:00"),
    # special hours today: open 10-12 local only
    ([("2026-11-30", "2026-11-30", ["10:00-12:00"])], "07:30", False, "2026-11-30T09:00"),
    ([("2026-11-30", "2026-11-30", ["10:00-12:00"])], "10:30", True, None),
    # open on a Sunday that is normally closed
    ([("2026-12-06", "2026-12-06", ["12:00-14:00"]), ("2026-11-30", "2026-12-05", [])], "07:30", False,
     "2026-12-06T11:00"),
    # closed for ten weeks: nothing within the look-ahead
    ([("2026-11-30", "2027-02-08", [])], "07:30", False, None),
])
def test_open_now_and_next_opening_honour_exceptions(days, utc_time, open_now, next_opening):
    exceptions = [p.OpeningException(first=date.fromisoformat(a), last=date.fromisoformat(b), hours=h)
                  for a, b, h in days]
    hour, minute = map(int, utc_time.split(":"))
    opening = opening_at(FK["opening_hours"], STOCKHOLM_MONDAY.replace(hour=hour, minute=minute), exceptions)
    assert opening.open_now is open_now
    expected = None if next_opening is None else datetime.fromisoformat(next_opening).replace(tzinfo=UTC)
    assert opening.next_opening == expected

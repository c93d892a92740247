"""Retention on the server: appointments and on-duty alerts go 30 days (a setting) after they
ended; raw usage events older than the usage retention are rolled up into weekly totals and
deleted, and the usage report stays exactly the same. Run by the notifier and by the CLI."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from sync.server.cli.main import main
from sync.server.db.directory import Appointment, DutyAlert, UsageWeek
from sync.server.db.kiosks import EventRow
from sync.server.db.parcels import Notification
from sync.server.directory.retention import purge_directory_data, roll_up_usage
from sync.server.directory.services import AppointmentIn, book, publish, put_entry
from sync.server.notify.settings import NotifySettings, SettingsError
from sync.server.usage.aggregate import aggregate, to_csv
from tests.sync.helpers import OTHER_SP, SP
from tests.sync.parcel_helpers import elks, notifier, settings, smtp  # noqa: F401 - fixtures
from tests.sync.test_directory import FK
from tests.sync.test_directory_alerts import started_calls
from tests.sync.test_directory_usage import EVENTS, EXPECTED_CSV, push_usage, synced, visit  # noqa: F401 - fixture

VISITS = sum(len(events) for events in EVENTS.values())


def usage_events(central) -> int:
    return central.count(EventRow, EventRow.type == "usage.visit")


def report(central) -> str:
    with central.sessions() as session:
        return to_csv(aggregate(session))


def book_at(central, hours_from_now: float, minutes: int = 30) -> str:
    with central.sessions.begin() as session:
        booking = AppointmentIn(service_id="forsakringskassan", service_point_id=SP,
                                starts_at=central.clock() + timedelta(hours=hours_from_now), minutes=minutes)
        appointment, _code = book(session, booking, central.clock())
        return appointment.id


def test_appointments_and_on_duty_alerts_go_30_days_after_they_ended(central, make_kiosk, tmp_path, notifier):
    with central.sessions.begin() as session:
        put_entry(session, "video_service", {**FK, "on_duty": "+46701234567"}, central.clock())
    soon, later = book_at(central, 1), book_at(central, 24 * 10)  # soon ends in 90 minutes
    started_calls(central, make_kiosk, tmp_path, [("forsakringskassan", False)])
    notifier.run_once()
    assert (central.count(DutyAlert), central.count(Notification)) == (1, 1)

    central.clock.advance(days=30)
    assert notifier.run_once().directory_purged == 0
    central.clock.advance(seconds=1)
    assert notifier.run_once().directory_purged == 1  # the alert (and its SMS) is 30 days old
    assert (central.count(DutyAlert), central.count(Notification)) == (0, 0)
    central.clock.advance(minutes=90)
    assert notifier.run_once().directory_purged == 1  # the appointment ended 30 days ago
    assert [a.id for a in central.rows(Appointment)] == [later] and soon != later
    with central.sessions.begin() as session:
        # Both have ended: the daily publish withdraws them from the feed, the purged one too.
        assert publish(session, central.clock()) == 2
        assert publish(session, central.clock()) == 0


def test_a_cancelled_appointment_goes_too_and_the_setting_is_honoured(central, elks, smtp):
    from sync.server.directory.services import cancel
    from sync.server.notify.notifier import Notifier

    with central.sessions.begin() as session:
        put_entry(session, "video_service", FK, central.clock())
    cancelled = book_at(central, 1)
    with central.sessions.begin() as session:
        cancel(session, cancelled, central.clock())
    short = Notifier(central.sessions, NotifySettings(appointment_retention_days=2), central.clock)
    central.clock.advance(days=2, hours=1, minutes=30)
    assert short.run_once().directory_purged == 0
    central.clock.advance(seconds=1)
    assert short.run_once().directory_purged == 1 and central.count(Appointment) == 0


def test_old_usage_events_become_weekly_totals_and_the_report_stays_the_same(synced):
    assert report(synced) == EXPECTED_CSV and usage_events(synced) == VISITS
    cutoff = synced.clock() + timedelta(seconds=1)  # every event received before it
    with synced.sessions.begin() as session:
        assert roll_up_usage(session, cutoff, batch=3) == 3
    # Three events are totals now, six still raw; some weeks are part each: same report.
    assert report(synced) == EXPECTED_CSV and usage_events(synced) == VISITS - 3
    with synced.sessions.begin() as session:
        assert roll_up_usage(session, cutoff, batch=3) == 3
        assert roll_up_usage(session, cutoff, batch=3) == VISITS - 6
        assert roll_up_usage(session, cutoff, batch=3) == 0
    assert report(synced) == EXPECTED_CSV and usage_events(synced) == 0
    assert synced.count(UsageWeek) == 5  # one row per line of the report


def test_weekly_totals_rolled_up_before_the_phone_outcome_still_read_and_take_phone_visits(
        synced, make_kiosk, tmp_path):
    with synced.sessions.begin() as session:
        roll_up_usage(session, synced.clock() + timedelta(seconds=1), batch=100)
        for week in session.scalars(select(UsageWeek)):  # as rolled up before "phone" existed
            outcomes = json.loads(week.outcomes)
            if outcomes["phone"] == 0:
                del outcomes["phone"]
            week.outcomes = json.dumps(outcomes, sort_keys=True)
    assert report(synced) == EXPECTED_CSV  # a missing outcome reads as 0
    push_usage(make_kiosk, tmp_path, OTHER_SP, [("thu", visit("video", "fk", "se", 30, "phone"))], "late.db")
    with synced.sessions.begin() as session:
        assert roll_up_usage(session, synced.clock() + timedelta(seconds=1)) == 1
        pajala = session.get(UsageWeek, (OTHER_SP, "2026-W48", "video", "fk", "se"))
        assert json.loads(pajala.outcomes) == {"done": 1, "idle": 0, "exited": 0, "crashed": 0, "hung": 0,
                                               "failed": 0, "reset": 1, "phone": 1}
    assert report(synced) == EXPECTED_CSV.replace("SP-PAJALA,2026-W48,video,fk,se,2,1.5,0,0,0,1,0,0,0,0,0,1,0",
                                                  "SP-PAJALA,2026-W48,video,fk,se,3,2.0,0,0,0,1,0,0,0,0,0,1,1")


def test_the_notifier_keeps_raw_usage_events_for_the_retention_period(synced, notifier):
    synced.clock.advance(days=400)
    assert notifier.run_once().directory_purged == 0 and usage_events(synced) == VISITS
    synced.clock.advance(seconds=1)
    assert notifier.run_once().directory_purged == VISITS
    assert report(synced) == EXPECTED_CSV and usage_events(synced) == 0


def test_a_call_started_event_goes_with_the_usage_events(central, make_kiosk, tmp_path):
    started_calls(central, make_kiosk, tmp_path, [("forsakringskassan", False)])
    with central.sessions.begin() as session:
        purged = purge_directory_data(session, central.clock() + timedelta(days=1, seconds=1),
                                      usage_retention=timedelta(days=1))
    assert purged.usage_events == 1
    with central.sessions() as session:
        assert session.scalar(select(func.count()).select_from(EventRow)) == 0


def test_the_cli_purges_with_the_settings_from_the_environment(synced):
    runner = CliRunner()
    args = ["--database-url", synced.database_url, "directory", "purge"]
    kept = runner.invoke(main, args, env={"KIOSK_CENTRAL_USAGE_RETENTION_DAYS": "400"})
    assert kept.exit_code == 0, kept.output
    assert "rolled up 0 usage events" in kept.output  # the real clock: Dec 2026 is not 400 days old
    bad = runner.invoke(main, args, env={"KIOSK_CENTRAL_USAGE_RETENTION_DAYS": "a year"})
    assert bad.exit_code == 1
    assert "KIOSK_CENTRAL_USAGE_RETENTION_DAYS 'a year' must be a whole number of days" in bad.output


@pytest.mark.parametrize("env, message", [
    ({"KIOSK_CENTRAL_APPOINTMENT_RETENTION_DAYS": "0"}, "APPOINTMENT_RETENTION_DAYS must be at least 1 day"),
    ({"KIOSK_CENTRAL_APPOINTMENT_RETENTION_DAYS": "-3"}, "'-3' must be a whole number of days"),
    ({"KIOSK_CENTRAL_USAGE_RETENTION_DAYS": "7"}, "USAGE_RETENTION_DAYS must be at least 14 days"),
])
def test_retention_settings_are_checked(env, message):
    with pytest.raises(SettingsError, match=message):
        NotifySettings.from_env(env)
    defaults = NotifySettings.from_env({})
    assert (defaults.appointment_retention_days, defaults.usage_retention_days) == (30, 400)

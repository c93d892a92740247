"""Quiet hours: residents' SMS and e-mails queued at night wait until the quiet period ends
(local time, by the server's injected clock); staff alarms and on-duty alerts go at once."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sync.server.db.kiosks import ServicePoint
from sync.server.directory.services import put_entry
from sync.server.notify.notifier import Notifier
from sync.server.notify.quiet_hours import QuietHours
from sync.server.notify.settings import NotifySettings, SettingsError
from tests.sync.helpers import SP
from tests.sync.parcel_helpers import PHONE, Events, elks, settings, smtp, stored  # noqa: F401 - fixtures
from tests.sync.test_directory import FK
from tests.sync.test_directory_alerts import started_calls

STOCKHOLM = ZoneInfo("Europe/Stockholm")
STAFF_PHONE = "+46709876543"
ON_DUTY_PHONE = "+46701234599"


def tomorrow_at(central, hour: int, minute: int = 0) -> datetime:
    """A local time ahead of the clock (the server's clock only moves forward in these tests)."""
    day = central.clock().astimezone(STOCKHOLM).date() + timedelta(days=1)
    return datetime.combine(day, time(hour, minute), STOCKHOLM)


def test_residents_messages_wait_for_the_morning_but_alarms_and_on_duty_alerts_go_now(
        central, kiosk, make_kiosk, tmp_path, settings, elks, smtp):
    notifier = Notifier(central.sessions, replace(settings, quiet_hours=QuietHours(time(21), time(8))),
                        central.clock)
    with central.sessions.begin() as session:
        session.get_one(ServicePoint, SP).staff_phone = STAFF_PHONE
        put_entry(session, "video_service", {**FK, "on_duty": {"phone": ON_DUTY_PHONE}}, central.clock())
    central.clock.now = tomorrow_at(central, 21, 30)
    events = Events()
    kiosk.client.push([events("parcel.stored", stored("P1", recipient={"phone": PHONE, "language": "sv"})),
                       events("door.left_open", {"compartment": "B3", "open_for_s": 300})])
    started_calls(central, make_kiosk, tmp_path, [("forsakringskassan", False)])

    assert notifier.run_once().sent == 2
    assert sorted(sms.to for sms in elks.messages) == sorted([STAFF_PHONE, ON_DUTY_PHONE])

    central.clock.now = tomorrow_at(central, 7, 59)  # the next morning, still quiet
    assert notifier.run_once().sent == 0 and PHONE not in [sms.to for sms in elks.messages]
    central.clock.advance(minutes=1)  # 08:00
    assert notifier.run_once().sent == 1
    assert [sms.to for sms in elks.messages][-1] == PHONE and smtp.mails == []


def test_without_quiet_hours_a_residents_message_goes_at_night(central, kiosk, settings, elks):
    notifier = Notifier(central.sessions, replace(settings, quiet_hours=None), central.clock)
    central.clock.now = tomorrow_at(central, 23, 45)
    kiosk.client.push([Events()("parcel.stored", stored("P1", recipient={"phone": PHONE}))])
    assert notifier.run_once().sent == 1 and [sms.to for sms in elks.messages] == [PHONE]


@pytest.mark.parametrize("period, inside, outside", [
    ("21:00-08:00", [(21, 0), (23, 59), (0, 0), (7, 59)], [(8, 0), (12, 0), (20, 59)]),
    ("13:00-14:30", [(13, 0), (14, 29)], [(12, 59), (14, 30), (0, 0)]),
])
def test_the_period_is_local_time_and_may_cross_midnight(period, inside, outside) -> None:
    quiet = QuietHours.parse(period)
    for day in ("2026-07-01", "2026-12-01"):  # summer and winter time
        local = [datetime.fromisoformat(day).replace(hour=h, minute=m, tzinfo=STOCKHOLM) for h, m in inside + outside]
        seen = [quiet.contains(moment.astimezone(ZoneInfo("UTC"))) for moment in local]
        assert seen == [True] * len(inside) + [False] * len(outside), day


def test_quiet_hours_from_the_environment() -> None:
    assert str(NotifySettings.from_env({}).quiet_hours) == "21:00-08:00"
    assert str(NotifySettings.from_env({"KIOSK_CENTRAL_QUIET_HOURS": "22:30-07:00"}).quiet_hours) == "22:30-07:00"
    assert NotifySettings.from_env({"KIOSK_CENTRAL_QUIET_HOURS": "off"}).quiet_hours is None
    for bad in ("21-08", "25:00-08:00", "08:00-08:00", "tonight"):
        with pytest.raises(SettingsError, match="QUIET_HOURS"):
            NotifySettings.from_env({"KIOSK_CENTRAL_QUIET_HOURS": bad})

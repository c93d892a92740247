"""Pickup deadlines from kiosks whose clock is off: the server re-bases them on its own
estimate of when the parcel was stored (its receive time, or the boot's monotonic clock),
so a kiosk 20 days slow does not send the resident a deadline already past."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sync import protocol as p
from sync.server.db.parcels import Parcel
from sync.server.parcels.effects import local_date
from tests.sync.parcel_helpers import statuses, stored

DAYS = 7
BOOT = "boot-of-the-kiosk"


def clock(at: datetime, *, synced: bool, mono_ms: int, boot_id: str = BOOT) -> p.Clock:
    return p.Clock(wall_ms=max(0, int(at.timestamp() * 1000)), clock_synced=synced,
                   boot_id=boot_id, mono_ms=mono_ms)


def stored_event(seq: int, kiosk_clock: p.Clock, deadline: datetime) -> p.Event:
    payload = stored(f"P{seq}", deadline=local_date(deadline).isoformat())
    return p.Event(event_id=uuid.uuid4(), seq=seq, type="parcel.stored", payload=payload, clock=kiosk_clock)


def deadline_of(central, parcel_id: str):
    with central.sessions() as session:
        return session.get_one(Parcel, parcel_id).deadline


def test_a_kiosk_twenty_days_slow_does_not_set_a_deadline_already_past(central, kiosk) -> None:
    now = central.clock()
    kiosk_now = now - timedelta(days=20)  # believed synchronised: fake-hwclock, NTP blocked
    event = stored_event(1, clock(kiosk_now, synced=True, mono_ms=50_000), kiosk_now + timedelta(days=DAYS))
    sent = clock(kiosk_now, synced=True, mono_ms=50_500)  # same boot: the server can place it

    assert statuses(kiosk.client.push([event], sent_clock=sent)) == ["accepted"]

    assert deadline_of(central, "P1") == local_date(now) + timedelta(days=DAYS)


def test_a_never_synchronised_kiosk_gets_the_days_it_granted_from_the_servers_clock(central, kiosk) -> None:
    kiosk_now = datetime.fromtimestamp(3 * 86_400, central.clock().tzinfo)  # 1970: no RTC, no NTP
    event = stored_event(1, clock(kiosk_now, synced=False, mono_ms=9_000),
                         kiosk_now + timedelta(days=DAYS))
    sent = clock(kiosk_now, synced=False, mono_ms=9_100, boot_id="a-later-boot")

    assert statuses(kiosk.client.push([event], sent_clock=sent)) == ["accepted"]

    assert deadline_of(central, "P1") == local_date(central.clock()) + timedelta(days=DAYS)


def test_a_deadline_of_no_plausible_length_falls_back_to_the_default_days(central, kiosk) -> None:
    kiosk_now = central.clock() - timedelta(days=3)
    event = stored_event(1, clock(kiosk_now, synced=False, mono_ms=1), kiosk_now - timedelta(days=30))

    assert statuses(kiosk.client.push([event])) == ["accepted"]

    assert deadline_of(central, "P1") == local_date(central.clock()) + timedelta(days=p.DEFAULT_DEADLINE_DAYS)


def test_a_synchronised_kiosk_keeps_its_own_deadline(central, kiosk) -> None:
    kiosk_now = central.clock() - timedelta(minutes=2)  # a little behind, queued for a while
    event = stored_event(1, clock(kiosk_now, synced=True, mono_ms=1, boot_id="an-earlier-boot"),
                         kiosk_now + timedelta(days=12))

    assert statuses(kiosk.client.push([event])) == ["accepted"]

    assert deadline_of(central, "P1") == local_date(kiosk_now) + timedelta(days=12)

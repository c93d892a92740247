"""The alarms a full disk leaves on the screens people see: "storage full" while it lasts, and
each compartment holding an item no parcel record accounts for, after a reconcile."""
from __future__ import annotations

from kiosk.services.outcomes import STORAGE_FULL
from kiosk.services.upkeep import Reconciled
from kiosk.ui.presenters.open_doors import UNKNOWN_ITEM, OpenDoorsPresenter
from tests.ui.test_presenters import QueuedRunner


def texts(doors: OpenDoorsPresenter) -> list[str]:
    return [message.text.format(**dict(message.params)) for message in doors.alarms]


def test_storage_full_is_its_own_alarm_until_a_reconcile_could_write() -> None:
    doors = OpenDoorsPresenter(QueuedRunner())
    seen: list[int] = []
    doors.subscribe(lambda _doors: seen.append(1))

    doors.set_storage_full(True)
    assert texts(doors) == [STORAGE_FULL] and seen

    doors.found(parcels=None, reconciled=Reconciled(unknown_items=["A2"]))  # space returned
    assert texts(doors) == [UNKNOWN_ITEM.format(compartment="A2")]


def test_a_reconcile_on_a_still_full_disk_keeps_both_alarms() -> None:
    doors = OpenDoorsPresenter(QueuedRunner())
    doors.found(parcels=None, reconciled=Reconciled(unknown_items=["A2", "B5"], storage_full=True))
    assert texts(doors) == [STORAGE_FULL, UNKNOWN_ITEM.format(compartment="A2"),
                            UNKNOWN_ITEM.format(compartment="B5")]

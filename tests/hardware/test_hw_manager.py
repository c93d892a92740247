"""DeviceManager over real ptys: events, gone after three missed polls, back by itself."""

from __future__ import annotations

import queue

import pytest

from hardware.devices.locker import LockAddress
from hardware.devices.printer import Receipt
from hardware.errors import OutcomeUnknown
from hardware.manager import DeviceManager, DeviceSettings, build_driver
from hardware.protocols import kerong
from hardware.sim.pty import wait_until
from hardware.sim.runner import SimulatorSet


@pytest.fixture
def sims(tmp_path):
    with SimulatorSet(boards=1, locks=4, link_dir=str(tmp_path)) as running:
        yield running


def settings(sims, **overrides) -> list[DeviceSettings]:
    ports = sims.ports
    found = [
        DeviceSettings("locker", "kerong", ports["locker"], {"timeout": 0.05, "retries": 0}),
        DeviceSettings("card_reader", "pn532", ports["card_reader"], {"retry_s": 0.1}),
        DeviceSettings("scanner", "serial", ports["scanner"], {"retry_s": 0.1}),
        DeviceSettings("printer", "escpos", ports["printer"], {"timeout": 0.2}),
    ]
    return [overrides.get(s.kind, s) for s in found]


@pytest.fixture
def manager(sims):
    events: queue.Queue = queue.Queue()
    devices = DeviceManager(settings(sims), poll_s=0.05)
    devices.subscribe(events.put)
    devices.events = events
    try:
        yield devices
    finally:
        devices.stop()


def next_event(manager, kind: str):
    while True:
        event = manager.events.get(timeout=5)
        if event.kind == kind:
            return event


def test_unknown_protocol_is_refused():
    with pytest.raises(ValueError, match="no driver for locker protocol 'abloy'"):
        build_driver(DeviceSettings("locker", "abloy", "/dev/null"))


def test_events_for_doors_cards_scans_and_printer(manager, sims):
    manager.listen()
    manager.start()
    assert next_event(manager, "printer_status").data["status"].can_print
    manager.open(LockAddress(0, 2))
    assert next_event(manager, "door_opened").data == {"board": 0, "lock": 2}
    sims.command("door 0 2 close")
    assert next_event(manager, "door_closed").data == {"board": 0, "lock": 2}
    sims.command("tap 04A1B2C3")
    assert next_event(manager, "card_presented").data == {"uid": "04A1B2C3"}
    sims.command("scan CP123456785SE")
    assert next_event(manager, "barcode_scanned").data["barcode"].valid
    sims.command("paper out")
    assert "paper out" in next_event(manager, "printer_status").data["status"].problems


def test_gone_only_after_three_missed_polls_and_back_after_replug(manager, sims):
    manager.poll_once()
    sims.command("unplug locker")
    manager.poll_once()
    manager.poll_once()
    assert manager.present["locker"]
    assert "device_gone" not in [e.kind for e in list(manager.events.queue)]
    manager.poll_once()
    assert not manager.present["locker"]
    assert next_event(manager, "device_gone").device == "locker"
    sims.command("replug locker")
    manager.poll_once()
    assert manager.present["locker"] and next_event(manager, "device_back").device == "locker"


def test_listeners_that_lose_their_port_are_reported_and_recover(manager, sims):
    manager.listen()
    assert wait_until(lambda: manager.driver("card_reader").connected, 3)
    sims.command("unplug card_reader")
    assert wait_until(lambda: manager.driver("card_reader").last_error is not None, 3)
    for _ in range(3):
        manager.poll_once()
    assert not manager.present["card_reader"]
    sims.command("replug card_reader")
    assert wait_until(lambda: manager.driver("card_reader").connected, 5)
    manager.poll_once()
    assert manager.present["card_reader"]
    sims.command("tap 04A1B2C3")
    assert next_event(manager, "card_presented").data["uid"] == "04A1B2C3"


def test_an_unconfirmed_unlock_or_print_is_never_sent_again(manager, sims):
    sims.harnesses["locker"].no_reply = True
    with pytest.raises(OutcomeUnknown):
        manager.open(LockAddress(0, 3))
    frames = kerong.KerongDecoder().feed(bytes(sims.harnesses["locker"].received))
    assert [f.lock for f in frames if f.cmd == kerong.CMD_UNLOCK] == [3]
    sims.harnesses["printer"].no_reply = True
    with pytest.raises(Exception, match="status"):
        manager.print_receipt(Receipt("Kvitto"))
    assert sims.printer_sim.receipts == type(sims.printer_sim.receipts)() and \
        b"Kvitto" not in bytes(sims.harnesses["printer"].received)

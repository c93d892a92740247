"""PN532Reader against the PN532 simulator over a real pty."""

from __future__ import annotations

import threading

import pytest

from hardware.devices.card_reader import PN532Reader
from hardware.errors import DeviceRefused, DeviceTimeout, HardwareError, ProtocolError
from hardware.protocols import pn532
from hardware.sim.pn532 import PN532Sim
from hardware.sim.pty import wait_until

UID = "04A1B2C3D4E5F6"


class Recorder:
    def __init__(self) -> None:
        self.cards: list[str] = []
        self.errors: list[HardwareError] = []
        self.threads: set[str] = set()

    def on_card(self, uid: str) -> None:
        self.threads.add(threading.current_thread().name)
        self.cards.append(uid)

    def on_error(self, exc: HardwareError) -> None:
        self.errors.append(exc)


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


@pytest.fixture
def reader(pn532_pty, rec):
    driver = PN532Reader(pn532_pty.port, poll_interval=0.05, retry_s=0.1)
    driver.start(rec.on_card, on_error=rec.on_error)
    assert wait_until(lambda: driver.connected)
    yield driver
    driver.stop()


def wait_polls(reader: PN532Reader, count: int) -> None:
    target = reader.polls + count
    assert wait_until(lambda: reader.polls >= target), "reader stopped polling"


def test_start_wakes_configures_and_reads_firmware(reader, pn532_pty, pn532_sim):
    assert bytes(pn532_pty.received).startswith(pn532.WAKEUP + pn532.sam_configuration())
    assert list(pn532_sim.commands)[:3] == [0x14, 0x02, 0x4A]
    assert reader.firmware == pn532.FirmwareVersion(0x32, 1, 6, 7)


def test_no_card_polls_are_aborted_with_ack(reader, pn532_sim, pn532_pty):
    wait_polls(reader, 3)
    assert pn532_sim.aborts >= 2 and pn532.ACK in bytes(pn532_pty.received)


def test_a_held_card_fires_once_and_again_after_removal(reader, pn532_sim, rec):
    pn532_sim.place_card(UID)
    assert wait_until(lambda: rec.cards == [UID])
    wait_polls(reader, 5)
    assert rec.cards == [UID]
    pn532_sim.remove_card()
    assert wait_until(lambda: reader.present_uid is None)
    pn532_sim.place_card(UID)
    assert wait_until(lambda: len(rec.cards) == 2)
    assert rec.cards == [UID, UID]


def test_callbacks_run_on_the_driver_thread(reader, pn532_sim, rec):
    pn532_sim.place_card("DEADBEEF")
    assert wait_until(lambda: rec.cards == ["DEADBEEF"])
    assert rec.threads == {f"PN532 card reader {reader.port}"}


def test_tap_fires_once_and_a_different_card_fires_at_once(reader, pn532_sim, rec):
    pn532_sim.tap_card("DEADBEEF", seconds=0.2)
    assert wait_until(lambda: rec.cards == ["DEADBEEF"])
    assert wait_until(lambda: reader.present_uid is None)
    pn532_sim.place_card(UID)
    pn532_sim.place_card("CAFEBABE")  # swapped without a gap
    assert wait_until(lambda: rec.cards[-1:] == ["CAFEBABE"])
    assert rec.cards.count("DEADBEEF") == 1


def test_read_uid_while_started(reader, pn532_sim):
    assert reader.read_uid(0.1) is None
    pn532_sim.place_card(UID)
    assert reader.read_uid(1.0) == UID


def test_read_uid_without_start(pn532_pty, pn532_sim):
    reader = PN532Reader(pn532_pty.port)
    assert reader.read_uid(0.1) is None
    pn532_sim.place_card("deadbeef")
    assert reader.read_uid(0.5) == "DEADBEEF"


def test_card_placed_during_a_poll_is_answered_late(pn532_pty, pn532_sim):
    reader = PN532Reader(pn532_pty.port)
    timer = threading.Timer(0.1, pn532_sim.place_card, args=(UID,))
    timer.start()
    try:
        assert reader.read_uid(2.0) == UID
    finally:
        timer.join()


def test_a_failing_callback_does_not_stop_the_reader(pn532_pty, pn532_sim):
    seen: list[str] = []

    def on_card(uid: str) -> None:
        seen.append(uid)
        raise RuntimeError("UI bug")

    with PN532Reader(pn532_pty.port, poll_interval=0.05) as reader:
        reader.start(on_card)
        pn532_sim.place_card("DEADBEEF")
        assert wait_until(lambda: seen == ["DEADBEEF"])
        pn532_sim.place_card(UID)
        assert wait_until(lambda: seen == ["DEADBEEF", UID])


def test_silent_device_is_reported_once_and_retried(pn532_pty, rec):
    pn532_pty.no_reply = True
    reader = PN532Reader(pn532_pty.port, ack_timeout=0.05, retry_s=0.05)
    reader.start(rec.on_card, on_error=rec.on_error)
    try:
        assert wait_until(lambda: pn532_pty.received.count(pn532.WAKEUP) >= 3)
        assert len(rec.errors) == 1 and isinstance(rec.errors[0], DeviceTimeout)
        assert not reader.connected
        pn532_pty.no_reply = False
        assert wait_until(lambda: reader.connected)
        assert reader.last_error is None
    finally:
        reader.stop()


def test_corrupt_reply_is_survived(pn532_pty, pn532_sim, rec):
    pn532_pty.corrupt_checksum = 1
    with PN532Reader(pn532_pty.port, poll_interval=0.05, reply_timeout=0.2,
                     retry_s=0.05) as reader:
        reader.start(rec.on_card, on_error=rec.on_error)
        pn532_sim.place_card(UID)
        assert wait_until(lambda: rec.cards == [UID])
    assert [type(e) for e in rec.errors] == [ProtocolError]  # reported, then recovered


def test_garbage_on_the_line_is_skipped(pn532_pty, pn532_sim, rec):
    pn532_pty.garbage = bytes.fromhex("13 37 00 FF 55")
    with PN532Reader(pn532_pty.port, poll_interval=0.05) as reader:
        reader.start(rec.on_card, on_error=rec.on_error)
        pn532_sim.place_card(UID)
        assert wait_until(lambda: rec.cards == [UID])
    assert rec.errors == []


def test_error_frame_is_device_refused(harness):
    class Refuser:
        def feed(self, data: bytes) -> bytes:
            return pn532.ACK + pn532.ERROR_FRAME if b"\xd4" in data else b""

    reader = PN532Reader(harness(Refuser()).port)
    with pytest.raises(DeviceRefused, match="error frame"):
        reader.read_uid(0.1)


def test_port_vanishing_is_survived(tmp_path, harness, rec):
    link = str(tmp_path / "ttyNFC")
    first = harness(PN532Sim(), link=link)
    with PN532Reader(link, poll_interval=0.05, retry_s=0.05) as reader:
        reader.start(rec.on_card, on_error=rec.on_error)
        assert wait_until(lambda: reader.connected)
        first.stop()
        assert wait_until(lambda: rec.errors and not reader.connected)
        second = PN532Sim()
        harness(second, link=link)
        assert wait_until(lambda: reader.connected)
        second.place_card(UID)
        assert wait_until(lambda: rec.cards == [UID])
    assert len(rec.errors) == 1


def test_stop_joins_the_thread_and_can_restart(pn532_pty, pn532_sim, rec):
    reader = PN532Reader(pn532_pty.port, poll_interval=0.05)
    reader.start(rec.on_card)
    reader.stop()
    assert not [t for t in threading.enumerate() if t.name.startswith("PN532")]
    reader.start(rec.on_card)
    pn532_sim.place_card(UID)
    try:
        assert wait_until(lambda: rec.cards == [UID])
    finally:
        reader.stop()

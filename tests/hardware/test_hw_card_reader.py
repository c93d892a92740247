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


# --- one read per presentation, whatever the line does ------------------------------------

class SkipEveryOtherPoll:
    """A held card that misses every other poll, as a selected card can ignore a REQA."""

    def __init__(self, inner: PN532Sim) -> None:
        self.inner, self.polls = inner, 0

    def feed(self, data: bytes) -> bytes:
        reply = self.inner.feed(data)
        if pn532.in_list_passive_target() in data:
            self.polls += 1
            if self.polls % 2 == 0 and len(reply) > len(pn532.ACK):
                self.inner.feed(pn532.ACK)  # as if the card stayed silent until the abort
                return pn532.ACK
        return reply


def test_a_held_card_that_misses_polls_fires_once(pn532_pty, pn532_sim, rec):
    pn532_pty.simulator = SkipEveryOtherPoll(pn532_sim)
    with PN532Reader(pn532_pty.port, poll_interval=0.03) as reader:
        reader.start(rec.on_card, on_error=rec.on_error)
        pn532_sim.place_card(UID)
        assert wait_until(lambda: rec.cards == [UID])
        wait_polls(reader, 12)
        assert rec.cards == [UID] and rec.errors == []


def test_a_held_card_fires_once_through_corrupt_replies(reader, pn532_pty, pn532_sim, rec):
    pn532_sim.place_card(UID)
    assert wait_until(lambda: rec.cards == [UID])
    pn532_pty.corrupt_checksum = 3  # more polls in a row than absent_polls
    assert wait_until(lambda: not pn532_pty.corrupt_checksum)
    wait_polls(reader, 5)
    # A reply that fails its checksum says nothing about the card: it is no "empty" poll.
    assert rec.cards == [UID] and reader.present_uid == UID
    pn532_sim.remove_card()
    assert wait_until(lambda: reader.present_uid is None)
    pn532_sim.place_card(UID)
    assert wait_until(lambda: rec.cards == [UID, UID])


def test_a_held_card_fires_once_across_unplug_and_replug(tmp_path, harness, pn532_sim, rec):
    pty = harness(pn532_sim, link=str(tmp_path / "ttyNFC"))
    with PN532Reader(pty.port, poll_interval=0.05, retry_s=0.05) as reader:
        reader.start(rec.on_card, on_error=rec.on_error)
        pn532_sim.place_card(UID)
        assert wait_until(lambda: rec.cards == [UID])
        pty.unplug()
        assert wait_until(lambda: rec.errors and not reader.connected)
        assert reader.present_uid is None  # unknown while it is gone
        pty.replug()
        assert wait_until(lambda: reader.connected and reader.present_uid == UID)
        wait_polls(reader, 3)
        assert rec.cards == [UID]
        pn532_sim.place_card("DEADBEEF")
        assert wait_until(lambda: rec.cards == [UID, "DEADBEEF"])


class UnplugOnPoll:
    """Pulls the cable the moment a poll arrives, after the card read it (mid-command)."""

    def __init__(self, inner: PN532Sim, pty) -> None:
        self.inner, self.pty, self.armed = inner, pty, False

    def feed(self, data: bytes) -> bytes:
        reply = self.inner.feed(data)
        if self.armed and pn532.in_list_passive_target() in data:
            self.armed = False
            self.pty.unplug()
            return b""
        return reply


def test_unplug_mid_poll_then_replug_recovers_by_itself(tmp_path, harness, pn532_sim, rec):
    pty = harness(pn532_sim, link=str(tmp_path / "ttyNFC"))
    unplugger = UnplugOnPoll(pn532_sim, pty)
    pty.simulator = unplugger
    with PN532Reader(pty.port, poll_interval=0.05, retry_s=0.05) as reader:
        reader.start(rec.on_card, on_error=rec.on_error)
        assert wait_until(lambda: reader.connected)
        unplugger.armed = True
        assert wait_until(lambda: not pty.plugged and rec.errors)
        pty.replug()
        assert wait_until(lambda: reader.connected)
        pn532_sim.place_card(UID)
        assert wait_until(lambda: rec.cards == [UID])
    assert len(rec.errors) == 1


class StaleAnswerAheadOfTheNextAck:
    """A card answer still on the wire when the host, having given up and aborted, sends
    its next poll: it arrives after the host flushed its input, just ahead of the next
    ACK, and by then the card has left the field."""

    def __init__(self, inner: PN532Sim) -> None:
        self.inner, self.late, self.sent = inner, b"", False
        inner.attach(self._hold_back)  # a card placed during a poll answers through here

    def feed(self, data: bytes) -> bytes:
        reply = self.inner.feed(data)
        if pn532.in_list_passive_target() not in data or self.sent:
            return reply
        if self.late:  # the next poll: the stale answer lands just ahead of its ACK
            self.sent = True
            return self.late + reply
        if len(reply) > len(pn532.ACK):
            self._hold_back(reply[len(pn532.ACK):])
            return pn532.ACK
        return reply

    def _hold_back(self, answer: bytes) -> None:
        self.late = answer  # the host will give up waiting for it
        self.inner.remove_card()


def test_a_late_card_answer_is_not_taken_for_the_next_poll(pn532_pty, pn532_sim, rec):
    stale = StaleAnswerAheadOfTheNextAck(pn532_sim)
    pn532_pty.simulator = stale
    with PN532Reader(pn532_pty.port, poll_interval=0.05) as reader:
        reader.start(rec.on_card, on_error=rec.on_error)
        assert wait_until(lambda: reader.connected)
        pn532_sim.place_card(UID)
        assert wait_until(lambda: stale.sent)  # the stale answer went out
        wait_polls(reader, 3)
        assert rec.cards == [] and reader.present_uid is None  # that card is not there
        assert rec.errors == []  # and a stale frame is no reason to reconnect
        pn532_sim.attach(pn532_pty.send)
        pn532_sim.place_card("DEADBEEF")
        assert wait_until(lambda: rec.cards == ["DEADBEEF"])


def test_replies_later_than_the_timeout_fire_nothing_twice(pn532_pty, pn532_sim, rec):
    with PN532Reader(pn532_pty.port, poll_interval=0.05, ack_timeout=0.1,
                     retry_s=0.05) as reader:
        reader.start(rec.on_card, on_error=rec.on_error)
        pn532_sim.place_card(UID)
        assert wait_until(lambda: rec.cards == [UID])
        pn532_pty.delay_s = 0.25  # every answer now comes after the driver gave up
        assert wait_until(lambda: rec.errors and isinstance(rec.errors[0], DeviceTimeout))
        pn532_sim.remove_card()
        pn532_pty.delay_s = 0.0
        assert wait_until(lambda: reader.connected, 5)
        wait_polls(reader, 3)
        assert reader.present_uid is None and rec.cards == [UID]  # no stale "card present"
        pn532_sim.place_card(UID)
        assert wait_until(lambda: rec.cards == [UID, UID])

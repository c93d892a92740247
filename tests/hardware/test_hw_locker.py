"""KerongLocker against the Kerong bus simulator over a real pty."""

from __future__ import annotations

import threading
import time

import pytest

from hardware.devices.locker import CompartmentState, KerongLocker, LockAddress
from hardware.errors import DeviceRefused, DeviceTimeout, DeviceUnavailable, OutcomeUnknown, ProtocolError
from hardware.protocols import kerong
from hardware.sim.kerong import KerongBoardSim, KerongBus

CLOSED_EMPTY = CompartmentState(door_closed=True, item_present=False)


@pytest.fixture
def locker(bus_pty):
    with KerongLocker(bus_pty.port, timeout=0.1) as driver:
        yield driver


def unlock_frames(pty) -> list[kerong.KerongFrame]:
    frames = kerong.KerongDecoder().feed(bytes(pty.received))
    return [f for f in frames if f.cmd == kerong.CMD_UNLOCK]


def test_open_then_reported_open_then_closed_by_a_person(locker, bus):
    address = LockAddress(board=1, lock=3)
    assert locker.state(address) == CLOSED_EMPTY
    locker.open(address)
    assert locker.state(address).door_closed is False
    assert locker.state(LockAddress(1, 4)).door_closed is True  # only lock 3 opened
    bus.close_door(1, 3)
    assert locker.state(address) == CLOSED_EMPTY


def test_open_sends_the_reference_unlock_frame(locker, bus_pty):
    locker.open(LockAddress(1, 3))
    assert kerong.encode_unlock(1, 3) in bytes(bus_pty.received)


def test_item_sensor(locker, bus):
    bus.set_item(0, 16, True)
    assert locker.state(LockAddress(0, 16)) == CompartmentState(True, True)
    assert locker.state(LockAddress(0, 15)).item_present is False


def test_board_states_lists_every_lock(locker, bus):
    bus.open_door(0, 2)
    states = locker.board_states(0)
    assert sorted(states) == list(range(1, 17))
    assert [n for n, s in states.items() if not s.door_closed] == [2]


@pytest.mark.parametrize("reply_to_unlock", [True, False])
def test_boards_that_do_or_do_not_answer_unlock(harness, reply_to_unlock):
    pty = harness(KerongBus([KerongBoardSim(0, reply_to_unlock=reply_to_unlock)]))
    with KerongLocker(pty.port, timeout=0.1) as driver:
        driver.open(LockAddress(0, 1))
        assert driver.state(LockAddress(0, 1)).door_closed is False


def test_inverted_hook_polarity_is_configuration(harness):
    pty = harness(KerongBus([KerongBoardSim(0, hook_closed_bit=0)]))
    with KerongLocker(pty.port, timeout=0.1, hook_closed_bit=0) as driver:
        assert driver.state(LockAddress(0, 5)).door_closed is True
        driver.open(LockAddress(0, 5))
        assert driver.state(LockAddress(0, 5)).door_closed is False
    with KerongLocker(pty.port, timeout=0.1, hook_closed_bit=1) as wrong:
        assert wrong.state(LockAddress(0, 6)).door_closed is False  # miscalibrated


def test_missing_board_times_out(locker):
    with pytest.raises(DeviceTimeout, match="board 7"):
        locker.state(LockAddress(7, 1))


def test_no_reply_is_a_timeout_after_retries(locker, bus_pty):
    bus_pty.no_reply = True
    with pytest.raises(DeviceTimeout, match="Kerong lock board on"):
        locker.state(LockAddress(0, 1))
    queries = [f for f in kerong.KerongDecoder().feed(bytes(bus_pty.received))
               if f.cmd == kerong.CMD_STATUS]
    assert len(queries) == 3  # 1 + retries=2


def test_one_corrupt_reply_is_retried(locker, bus_pty):
    bus_pty.corrupt_checksum = 1
    assert locker.state(LockAddress(0, 1)) == CLOSED_EMPTY


def test_corrupt_replies_every_time_are_a_protocol_error(locker, bus_pty):
    bus_pty.corrupt_checksum = 100
    with pytest.raises(ProtocolError, match="checksum"):
        locker.state(LockAddress(0, 1))


def test_garbage_before_replies_is_skipped(locker, bus_pty):
    bus_pty.garbage = bytes.fromhex("FF 02 13 00 02 10 35")
    locker.open(LockAddress(1, 9))
    assert locker.state(LockAddress(1, 9)).door_closed is False


def test_status_timeout_after_unlock_does_not_unlock_again(locker, bus_pty):
    bus_pty.no_reply = True
    with pytest.raises(OutcomeUnknown, match="board 0 lock 4"):
        locker.open(LockAddress(0, 4))
    assert len(unlock_frames(bus_pty)) == 1


def test_a_late_reply_is_not_taken_for_the_next_answer(bus, bus_pty):
    with KerongLocker(bus_pty.port, timeout=0.1, retries=0) as driver:
        bus_pty.delay_s = 0.25  # the board answers, but after the driver gave up
        with pytest.raises(DeviceTimeout):
            driver.status(0)
        bus_pty.delay_s = 0.0
        bus.open_door(0, 2)
        time.sleep(0.4)  # the late "closed" reply is now waiting in the driver's input
        assert driver.state(LockAddress(0, 2)).door_closed is False


def test_unplug_mid_unlock_rereads_status_after_replug(tmp_path, harness):
    bus = KerongBus([KerongBoardSim(0, reply_to_unlock=False)])
    pty = harness(bus, link=str(tmp_path / "ttyBUS"))
    with KerongLocker(pty.port, timeout=0.1, confirm_s=0.5) as driver:
        driver.state(LockAddress(0, 1))  # port open
        pty.unplug()
        with pytest.raises(OutcomeUnknown):
            driver.open(LockAddress(0, 1))  # the write fails; status unreadable: unknown
        pty.replug()
        driver.open(LockAddress(0, 1))  # same driver object, no restart
    assert list(bus.board(0).unlocks) == [1]  # the interrupted unlock never reached it


def test_unlock_is_repeated_only_while_the_door_reads_closed(harness):
    bus = KerongBus([KerongBoardSim(0)])
    bus.board(0).jammed.add(4)
    pty = harness(bus)
    with (KerongLocker(pty.port, timeout=0.05, confirm_s=0.1, retries=2) as driver,
          pytest.raises(DeviceRefused, match="still reads closed")):
        driver.open(LockAddress(0, 4))
    assert len(unlock_frames(pty)) == 3


def test_open_is_thread_safe(locker, bus):
    errors: list[Exception] = []

    def open_lock(lock: int) -> None:
        try:
            locker.open(LockAddress(lock % 2, lock))
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=open_lock, args=(n,)) for n in range(1, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted([*bus.board(0).unlocks, *bus.board(1).unlocks]) == list(range(1, 9))


def test_vanished_port_is_unavailable_then_recovers(tmp_path, harness):
    link = str(tmp_path / "ttyLOCKER")
    first = harness(KerongBus([KerongBoardSim(0)]), link=link)
    with KerongLocker(link, timeout=0.1) as driver:
        assert driver.state(LockAddress(0, 1)).door_closed
        first.stop()
        with pytest.raises(DeviceUnavailable):
            driver.state(LockAddress(0, 1))
        harness(KerongBus([KerongBoardSim(0)]), link=link)
        assert driver.state(LockAddress(0, 1)).door_closed


def test_lock_out_of_range_is_refused_before_any_io(locker, bus_pty):
    with pytest.raises(ValueError):
        locker.open(LockAddress(0, 17))
    assert bytes(bus_pty.received) == b""


def test_a_reply_that_lands_in_the_next_exchange_is_not_its_answer(bus, bus_pty):
    with KerongLocker(bus_pty.port, timeout=0.5, retries=0) as driver:
        bus_pty.delay_s = 0.7  # the board answers "closed" after the driver gave up...
        with pytest.raises(DeviceTimeout):
            driver.status(0)
        bus_pty.delay_s = 0.0
        bus.open_door(0, 2)
        # ...while the next query is under way: after its input flush, ahead of its answer.
        assert driver.state(LockAddress(0, 2)).door_closed is False


class UnplugOnUnlock:
    """The board unlocks, then the cable comes out before it can answer (mid-command)."""

    def __init__(self, inner: KerongBus, pty) -> None:
        self.inner, self.pty = inner, pty

    def feed(self, data: bytes) -> bytes:
        reply = self.inner.feed(data)
        if any(f.cmd == kerong.CMD_UNLOCK for f in kerong.KerongDecoder().feed(data)):
            self.pty.unplug()
            return b""
        return reply


def test_unplug_after_the_board_got_the_unlock_is_reported_then_read_back(tmp_path, harness):
    bus = KerongBus([KerongBoardSim(0)])
    pty = harness(bus, link=str(tmp_path / "ttyBUS"))
    pty.simulator = UnplugOnUnlock(bus, pty)
    with KerongLocker(pty.port, timeout=0.1, confirm_s=0.3) as driver:
        with pytest.raises(OutcomeUnknown, match="board 0 lock 5"):
            driver.open(LockAddress(0, 5))
        pty.simulator = bus
        pty.replug()
        # Same driver, no restart: the board says the door did open; nothing is re-sent.
        assert driver.state(LockAddress(0, 5)).door_closed is False
    assert list(bus.board(0).unlocks) == [5]


"""WKLY boards: byte transcripts of the codec, the bus simulator, and WklyLocker over a pty."""

from __future__ import annotations

import pytest

from hardware.devices.locker import CompartmentState, LockAddress
from hardware.devices.wkly_locker import WklyLocker
from hardware.errors import DeviceRefused, DeviceTimeout, DeviceUnavailable, FrameError, OutcomeUnknown, ProtocolError
from hardware.protocols import wkly
from hardware.sim.wkly import WklyBoardSim, WklyBus

H = bytes.fromhex


# --- codec: the reference vectors ---------------------------------------------------

def test_reference_request_frames():
    assert wkly.encode_open(0, 1) == H("57 4B 4C 59 09 00 82 01 83")
    assert wkly.encode_query(0, 1) == H("57 4B 4C 59 09 00 83 01 82")
    assert wkly.encode_query_all(0) == H("57 4B 4C 59 08 00 84 85")


def test_reference_reply_frames():
    reply = wkly.decode_frame(H("57 4B 4C 59 0B 00 82 00 01 00 81"))
    assert wkly.parse_channel_state(reply) == wkly.ChannelState(0, True, 1, False)
    assert wkly.encode_channel_reply(0, wkly.CMD_OPEN, 1, closed=False) == reply.to_bytes()
    flash = wkly.decode_frame(H("57 4B 4C 59 0A 00 81 00 01 83"))  # upstream test vector
    assert (flash.cmd, flash.data) == (wkly.CMD_FLASH, H("00 01"))


def test_query_all_reply_round_trip():
    raw = wkly.encode_all_reply(3, [True, False, True])
    assert wkly.parse_all_states(wkly.decode_frame(raw)) == {1: True, 2: False, 3: True}


def test_bad_xor_is_never_a_frame_and_the_next_good_one_is_found():
    good = wkly.encode_query_all(0)
    bad = good[:-1] + bytes([good[-1] ^ 1])
    decoder = wkly.WklyDecoder()
    assert decoder.feed(b"\x00WK" + bad + b"WKL") == []
    frame = wkly.WklyFrame(0, wkly.CMD_QUERY_ALL)
    assert decoder.feed(b"Y" + good[4:]) == [frame]  # a header split across two reads
    assert decoder.feed(b"WKLY\xff" + good) == [frame]  # impossible LEN: resync
    assert decoder.dropped >= 1
    with pytest.raises(FrameError):
        wkly.decode_frame(bad)


def test_split_feed_and_address_range():
    raw = wkly.encode_open(31, 12)
    decoder = wkly.WklyDecoder()
    assert [f for b in raw for f in decoder.feed(bytes([b]))] == [wkly.WklyFrame(31, 0x82, b"\x0c")]
    with pytest.raises(ValueError):
        wkly.encode_open(32, 1)


# --- driver over a pty ---------------------------------------------------------------

@pytest.fixture
def wbus() -> WklyBus:
    return WklyBus([WklyBoardSim(0), WklyBoardSim(1)])


@pytest.fixture
def wpty(harness, wbus):
    return harness(wbus)


@pytest.fixture
def locker(wpty):
    with WklyLocker(wpty.port, timeout=0.1) as driver:
        yield driver


def opens(pty) -> list[wkly.WklyFrame]:
    return [f for f in wkly.WklyDecoder().feed(bytes(pty.received)) if f.cmd == wkly.CMD_OPEN]


def test_open_reports_open_until_a_person_closes_it(locker, wbus, wpty):
    address = LockAddress(1, 5)
    assert locker.state(address) == CompartmentState(True, False)
    locker.open(address)
    assert locker.state(address).door_closed is False
    assert wkly.encode_open(1, 5) in bytes(wpty.received)
    wbus.close_door(1, 5)
    assert locker.board_states(1)[5] == CompartmentState(True, False)
    assert len(locker.board_states(0)) == 12


def test_no_reply_to_open_is_an_unknown_outcome_not_a_resend(locker, wpty):
    wpty.no_reply = True
    with pytest.raises(OutcomeUnknown):
        locker.open(LockAddress(0, 2))
    assert len(opens(wpty)) == 1


def test_corrupt_and_garbage_replies(locker, wpty):
    wpty.corrupt_checksum = 1
    assert locker.state(LockAddress(0, 1)).door_closed  # retried
    wpty.corrupt_checksum = 10
    with pytest.raises(ProtocolError):
        locker.state(LockAddress(0, 1))
    wpty.corrupt_checksum = 0
    wpty.garbage = b"WKLY\x09\x00\xff"
    locker.open(LockAddress(0, 3))
    assert locker.state(LockAddress(0, 3)).door_closed is False


def test_jammed_lock_is_retried_only_while_it_reads_closed(locker, wbus, wpty):
    wbus.board(0).jammed.add(4)
    with pytest.raises(DeviceRefused, match="still reads closed"):
        locker.open(LockAddress(0, 4))
    assert len(opens(wpty)) == 3


def test_missing_board_times_out_and_missing_channel_is_refused(locker):
    with pytest.raises(DeviceTimeout):
        locker.state(LockAddress(7, 1))
    with pytest.raises(DeviceRefused):
        locker.state(LockAddress(0, 13))


def test_late_reply_then_unplug_and_replug(tmp_path, harness, wbus):
    pty = harness(wbus, link=str(tmp_path / "ttyWKLY"))
    with WklyLocker(pty.port, timeout=0.1, retries=0) as driver:
        pty.delay_s = 0.3
        with pytest.raises(DeviceTimeout):
            driver.state(LockAddress(0, 1))
        pty.delay_s = 0.0
        pty.unplug()
        with pytest.raises(DeviceUnavailable):
            driver.state(LockAddress(0, 1))
        pty.replug()
        driver.open(LockAddress(0, 1))
    assert wbus.board(0).locks[1].door_closed is False


def test_a_reply_that_lands_in_the_next_exchange_is_not_its_answer(wbus, wpty):
    with WklyLocker(wpty.port, timeout=0.5, retries=0) as driver:
        wpty.delay_s = 0.7  # the board answers "closed" after the driver gave up...
        with pytest.raises(DeviceTimeout):
            driver.state(LockAddress(0, 2))
        wpty.delay_s = 0.0
        wbus.open_door(0, 2)
        # ...while the next query is under way: after its input flush, ahead of its answer.
        assert driver.state(LockAddress(0, 2)).door_closed is False


def test_unplug_after_the_board_got_the_open_is_reported_then_read_back(tmp_path, harness, wbus):
    pty = harness(wbus, link=str(tmp_path / "ttyWKLY"))

    class UnplugOnOpen:
        def feed(self, data: bytes) -> bytes:
            reply = wbus.feed(data)
            if any(f.cmd == wkly.CMD_OPEN for f in wkly.WklyDecoder().feed(data)):
                pty.unplug()  # the board opened; the cable came out before it answered
                return b""
            return reply

    pty.simulator = UnplugOnOpen()
    with WklyLocker(pty.port, timeout=0.1) as driver:
        with pytest.raises(OutcomeUnknown, match="board 1 lock 4"):
            driver.open(LockAddress(1, 4))
        pty.simulator = wbus
        pty.replug()
        assert driver.state(LockAddress(1, 4)).door_closed is False  # no restart needed
    assert len(opens(pty)) == 1  # never re-sent

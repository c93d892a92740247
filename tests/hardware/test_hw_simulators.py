"""Simulators as plain `feed(bytes) -> bytes` state machines, without a pty."""

from __future__ import annotations

import time

import pytest

from hardware.protocols import kerong, pn532
from hardware.sim.kerong import KerongBoardSim, KerongBus
from hardware.sim.pn532 import PN532Sim
from hardware.sim.scanner import ScannerSim

H = bytes.fromhex


def test_kerong_status_matches_reference_reply(bus):
    assert bus.feed(H("02 10 30 03 45")) == H("02 10 35 FF FF 00 00 03 48")


def test_kerong_unlock_lock_3_gives_reference_reply(bus):
    assert bus.feed(H("02 12 31 03 48")) == H("02 10 35 FB FF 00 00 03 44")
    assert bus.feed(H("02 10 30 03 45")) == H("02 10 35 FB FF 00 00 03 44")


def test_kerong_door_stays_open_until_closed_by_hand(bus):
    bus.feed(kerong.encode_unlock(0, 1))
    assert bus.snapshot()[0]["door_closed"] is False
    bus.close_door(0, 1)
    assert bus.snapshot()[0]["door_closed"] is True


def test_kerong_query_all_answers_once_per_board(bus):
    frames = kerong.KerongDecoder().feed(bus.feed(kerong.encode_query_all()))
    assert [(f.board, f.cmd) for f in frames] == [(0, kerong.REPLY_ALL), (1, kerong.REPLY_ALL)]


def test_kerong_bad_checksum_and_unknown_board_get_no_reply(bus):
    assert bus.feed(H("02 10 30 03 3E")) == b""
    assert bus.feed(kerong.encode_status_query(5)) == b""


def test_kerong_silent_board_and_polarity():
    board = KerongBoardSim(0, hook_closed_bit=0, reply_to_unlock=False)
    bus = KerongBus([board])
    assert bus.feed(kerong.encode_unlock(0, 2)) == b""
    status = kerong.BoardStatus.from_frame(
        kerong.decode_frame(bus.feed(kerong.encode_status_query(0))))
    assert status.hook_bits == 0x0002  # inverted: only the open lock reads 1


def test_kerong_item_and_bad_addresses(bus):
    bus.set_item(1, 16, True)
    assert {"board": 1, "lock": 16, "door_closed": True, "item_present": True} in bus.snapshot()
    with pytest.raises(ValueError):
        bus.set_item(1, 17, True)
    with pytest.raises(ValueError):
        bus.close_door(9, 1)


def awake_configured() -> PN532Sim:
    sim = PN532Sim()
    sim.feed(pn532.WAKEUP + pn532.sam_configuration())
    return sim


def test_pn532_sleeps_until_woken():
    sim = PN532Sim()
    assert sim.feed(pn532.get_firmware_version()) == b""
    assert sim.feed(pn532.WAKEUP + pn532.get_firmware_version()) == pn532.ACK + H(
        "00 00 FF 06 FA D5 03 32 01 06 07 E8 00")


def test_pn532_sam_configuration_reply():
    sim = PN532Sim()
    assert sim.feed(pn532.WAKEUP + pn532.sam_configuration()) == pn532.ACK + H(
        "00 00 FF 02 FE D5 15 16 00")


def test_pn532_lists_nothing_until_configured():
    sim = PN532Sim(require_wakeup=False)
    sim.place_card("DEADBEEF")
    assert sim.feed(pn532.in_list_passive_target()) == pn532.ACK + pn532.ERROR_FRAME


def test_pn532_card_present_answers_at_once():
    sim = awake_configured()
    sim.place_card("04A1B2C3D4E5F6")
    assert sim.feed(pn532.in_list_passive_target()) == pn532.ACK + H(
        "00 00 FF 0F F1 D5 4B 01 01 00 44 00 07 04 A1 B2 C3 D4 E5 F6 CA 00")


def test_pn532_late_card_is_emitted_and_ack_aborts():
    sim, emitted = awake_configured(), []
    sim.attach(emitted.append)
    assert sim.feed(pn532.in_list_passive_target()) == pn532.ACK
    sim.place_card("DEADBEEF")
    assert emitted == [H("00 00 FF 0C F4 D5 4B 01 01 00 04 08 04 DE AD BE EF 96 00")]
    sim.remove_card()
    assert sim.feed(pn532.in_list_passive_target()) == pn532.ACK
    sim.feed(pn532.ACK)
    sim.place_card("DEADBEEF")
    assert len(emitted) == 1 and sim.aborts == 1


def test_pn532_nack_repeats_last_reply_and_release():
    sim = awake_configured()
    fw = sim.feed(pn532.get_firmware_version())
    assert sim.feed(pn532.NACK) == fw[len(pn532.ACK):]
    assert sim.feed(pn532.in_release()) == pn532.ACK + pn532.encode_response(0x52, b"\x00")


def test_pn532_tap_card_goes_away():
    sim = awake_configured()
    sim.tap_card("DEADBEEF", seconds=0.05)
    assert sim.card == "DEADBEEF"
    time.sleep(0.06)
    assert sim.card is None
    assert sim.feed(pn532.in_list_passive_target()) == pn532.ACK


def test_pn532_rejects_bad_uid():
    with pytest.raises(ValueError):
        PN532Sim().place_card("ABC")
    with pytest.raises(ValueError):
        PN532Sim().place_card("0102")


def test_scanner_sim_bytes():
    sim, out = ScannerSim(b"\r\n", "]C1"), []
    sim.attach(out.append)
    sim.scan("00373500490000000016")
    assert out == [b"]C100373500490000000016\r\n"] and sim.feed(b"x") == b""
    with pytest.raises(RuntimeError):
        ScannerSim().scan("x")

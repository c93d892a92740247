"""Kerong KR-CU16 codec against the exact frames of reference/hardware-protocols.md 1.1."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.errors import FrameError
from hardware.protocols import kerong

H = bytes.fromhex


@pytest.mark.parametrize("encoded, expected", [
    (kerong.encode_status_query(0), "02 00 30 03 35"),
    (kerong.encode_unlock(0, 1), "02 00 31 03 36"),
    (kerong.encode_unlock(0, 16), "02 0F 31 03 45"),
    (kerong.encode_status_query(1), "02 10 30 03 45"),
    (kerong.encode_unlock(1, 3), "02 12 31 03 48"),
    (kerong.encode_query_all(), "02 F0 32 03 27"),
])
def test_host_frames_match_reference(encoded, expected):
    assert encoded == H(expected)


def test_status_reply_all_closed_no_items():
    raw = H("02 10 35 FF FF 00 00 03 48")
    status = kerong.BoardStatus.from_frame(kerong.decode_frame(raw))
    assert status == kerong.BoardStatus(board=1, hook_bits=0xFFFF, item_bits=0)
    assert kerong.encode_status_reply(status) == raw


def test_status_reply_after_lock_3_opened():
    raw = H("02 10 35 FB FF 00 00 03 44")
    status = kerong.BoardStatus.from_frame(kerong.decode_frame(raw))
    assert status.hook_bits == 0xFFFB
    assert [lock for lock in range(1, 17) if status.hook_bit(lock) == 0] == [3]
    assert kerong.encode_status_reply(status) == raw


def test_high_byte_holds_locks_9_to_16():
    status = kerong.BoardStatus(2, hook_bits=0x0100, item_bits=0x8000)
    assert status.hook_bit(9) == 1 and status.hook_bit(8) == 0
    assert status.item_bit(16) == 1 and status.item_bit(15) == 0
    frame = kerong.decode_frame(kerong.encode_status_reply(status))
    assert frame.data == H("00 01 00 80") and frame.board == 2


def test_checksum_is_computed_not_tabled():
    # xaleel/locker's table says 02 10 30 03 3E; the sum says 0x45.
    assert kerong.checksum(H("02 10 30 03")) == 0x45
    with pytest.raises(FrameError):
        kerong.decode_frame(H("02 10 30 03 3E"))


@pytest.mark.parametrize("board, lock", [(-1, 1), (16, 1), (0, 0), (0, 17)])
def test_out_of_range_addresses_are_refused(board, lock):
    with pytest.raises(ValueError):
        kerong.encode_unlock(board, lock)


def test_frame_knows_board_and_1_based_lock():
    frame = kerong.decode_frame(kerong.encode_unlock(1, 3))
    assert (frame.board, frame.lock, frame.cmd) == (1, 3, kerong.CMD_UNLOCK)


def test_decoder_handles_byte_by_byte_input():
    decoder = kerong.KerongDecoder()
    raw = H("02 10 35 FB FF 00 00 03 44")
    frames = [f for byte in raw for f in decoder.feed(bytes([byte]))]
    assert [f.to_bytes() for f in frames] == [raw]


def test_decoder_resyncs_after_garbage_and_counts_nothing_dropped():
    decoder = kerong.KerongDecoder()
    frames = decoder.feed(H("FF 00 13 37") + kerong.encode_status_query(1) + H("AA"))
    assert [f.to_bytes() for f in frames] == [kerong.encode_status_query(1)]
    assert decoder.dropped == 0 and decoder.discarded == 5


def test_decoder_drops_bad_checksum_and_finds_next_frame():
    decoder = kerong.KerongDecoder()
    good = H("02 10 35 FF FF 00 00 03 48")
    frames = decoder.feed(H("02 10 35 FF FF 00 00 03 49") + good)
    assert [f.to_bytes() for f in frames] == [good]
    assert decoder.dropped == 1


def test_decoder_finds_frame_behind_a_false_stx():
    # 02 00 35 looks like the start of a 9-byte status reply and swallows the real STX.
    decoder = kerong.KerongDecoder()
    good = kerong.encode_unlock(1, 3)
    assert [f.to_bytes() for f in decoder.feed(H("02 00 35") + good + bytes(3))] == [good]


def test_decoder_drops_frame_with_wrong_etx():
    raw = bytearray(kerong.encode_status_query(0))
    raw[3] = 0x04
    raw[4] = kerong.checksum(raw[:4])
    assert kerong.KerongDecoder().feed(bytes(raw)) == []


def test_decoder_returns_several_frames_from_one_read():
    replies = [kerong.encode_status_reply(kerong.BoardStatus(b, 0xFFFF, 0), kerong.REPLY_ALL)
               for b in range(3)]
    frames = kerong.KerongDecoder().feed(b"".join(replies))
    assert [f.board for f in frames] == [0, 1, 2]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=40), max_size=10))
def test_random_bytes_never_crash_or_yield_a_bad_frame(chunks):
    decoder = kerong.KerongDecoder()
    for chunk in chunks:
        for frame in decoder.feed(chunk):
            raw = frame.to_bytes()
            assert raw[-1] == kerong.checksum(raw[:-1])
            assert raw[-2] == kerong.ETX and len(raw) == kerong.FRAME_LENGTH[frame.cmd]


@settings(max_examples=200, deadline=None)
@given(garbage=st.binary(max_size=30).filter(lambda b: kerong.STX not in b),
       board=st.integers(0, 15), lock=st.integers(1, 16), split=st.integers(0, 40))
def test_any_frame_after_stx_free_garbage_is_found(garbage, board, lock, split):
    stream = garbage + kerong.encode_unlock(board, lock)
    decoder = kerong.KerongDecoder()
    frames = decoder.feed(stream[:split]) + decoder.feed(stream[split:])
    assert [(f.board, f.lock) for f in frames] == [(board, lock)]

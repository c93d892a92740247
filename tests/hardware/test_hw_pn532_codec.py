"""PN532 HSU codec against the exact byte vectors of reference/hardware-protocols.md 2.1."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.errors import FrameError
from hardware.protocols import pn532
from hardware.sim.pn532 import encode_target_response

H = bytes.fromhex

UID7_RESPONSE = H("00 00 FF 0F F1 D5 4B 01 01 00 44 00 07 04 A1 B2 C3 D4 E5 F6 CA 00")
UID4_RESPONSE = H("00 00 FF 0C F4 D5 4B 01 01 00 04 08 04 DE AD BE EF 96 00")


def decode_one(raw: bytes) -> pn532.Event:
    decoder = pn532.PN532Decoder()
    events = decoder.feed(raw)
    assert len(events) == 1 and decoder.dropped == 0, events
    return events[0]


@pytest.mark.parametrize("encoded, expected", [
    (pn532.get_firmware_version(), "00 00 FF 02 FE D4 02 2A 00"),
    (pn532.sam_configuration(), "00 00 FF 05 FB D4 14 01 14 01 02 00"),
    (pn532.sam_configuration(0x01, 0x00, 0x00), "00 00 FF 05 FB D4 14 01 00 00 17 00"),
    (pn532.in_list_passive_target(), "00 00 FF 04 FC D4 4A 01 00 E1 00"),
    (pn532.in_release(), "00 00 FF 03 FD D4 52 00 DA 00"),
    (pn532.ACK, "00 00 FF 00 FF 00"),
    (pn532.NACK, "00 00 FF FF 00 00"),
    (pn532.ERROR_FRAME, "00 00 FF 01 FF 7F 81 00"),
])
def test_frames_match_reference(encoded, expected):
    assert encoded == H(expected)


def test_wakeup_is_55_55_and_zeros():
    assert pn532.WAKEUP[:2] == H("55 55") and set(pn532.WAKEUP[2:]) == {0}
    assert len(pn532.WAKEUP) >= 12


@pytest.mark.parametrize("raw, event", [
    (H("00 00 FF 00 FF 00"), pn532.Ack()),
    (H("00 00 FF FF 00 00"), pn532.Nack()),
    (H("00 00 FF 01 FF 7F 81 00"), pn532.ErrorFrame()),
    (H("00 00 FF 02 FE D5 15 16 00"), pn532.Frame(0xD5, H("15"))),
])
def test_decodes_control_frames(raw, event):
    assert decode_one(raw) == event


def test_decodes_host_command_frames_too():
    assert decode_one(pn532.in_list_passive_target()) == pn532.Frame(0xD4, H("4A 01 00"))


def test_firmware_version_response():
    frame = decode_one(H("00 00 FF 06 FA D5 03 32 01 06 07 E8 00"))
    assert pn532.parse_firmware_version(frame) == pn532.FirmwareVersion(0x32, 1, 6, 7)


def test_sam_configuration_response():
    assert decode_one(H("00 00 FF 02 FE D5 15 16 00")).is_response_to(pn532.CMD_SAM_CONFIGURATION)


@pytest.mark.parametrize("raw, uid", [
    (UID7_RESPONSE, "04A1B2C3D4E5F6"),
    (UID4_RESPONSE, "DEADBEEF"),
])
def test_in_list_passive_target_uids(raw, uid):
    [target] = pn532.parse_passive_targets(decode_one(raw))
    assert target.uid_hex == uid and target.tg == 1


def test_4_byte_target_fields():
    [target] = pn532.parse_passive_targets(decode_one(UID4_RESPONSE))
    assert (target.sens_res, target.sel_res, target.uid) == (0x0004, 0x08, H("DE AD BE EF"))


def test_simulator_builds_the_reference_target_frames():
    assert encode_target_response(H("04 A1 B2 C3 D4 E5 F6")) == UID7_RESPONSE
    assert encode_target_response(H("DE AD BE EF")) == UID4_RESPONSE


def test_iso14443_4_target_with_ats():
    params = H("01 01 00 44 20 07 04 A1 B2 C3 D4 E5 F6 05 75 77 81 02")
    frame = pn532.Frame(pn532.PN532_TFI, H("4B") + params)
    [target] = pn532.parse_passive_targets(frame)
    assert target.uid_hex == "04A1B2C3D4E5F6" and target.ats == H("05 75 77 81 02")


def test_no_target_is_an_empty_list():
    assert pn532.parse_passive_targets(pn532.Frame(pn532.PN532_TFI, H("4B 00"))) == []


@pytest.mark.parametrize("data", ["4B 01 01 00 44 00 07 04 A1", "03 32 01 06 07", "4B"])
def test_truncated_or_wrong_responses_raise_frame_error(data):
    frame = pn532.Frame(pn532.PN532_TFI, H(data))
    with pytest.raises(FrameError):
        pn532.parse_passive_targets(frame)


def test_ack_then_response_in_one_read():
    events = pn532.PN532Decoder().feed(pn532.ACK + UID4_RESPONSE)
    assert events[0] == pn532.Ack() and isinstance(events[1], pn532.Frame)


def test_bad_dcs_is_dropped_and_next_frame_found():
    bad = bytearray(UID4_RESPONSE)
    bad[-2] ^= 0x01
    decoder = pn532.PN532Decoder()
    assert decoder.feed(bytes(bad) + pn532.ACK) == [pn532.Ack()]
    assert decoder.dropped == 1


def test_bad_lcs_is_dropped():
    decoder = pn532.PN532Decoder()
    assert decoder.feed(H("00 00 FF 06 FB D5 03 32 01 06 07 E8 00")) == []
    assert decoder.dropped >= 1


def test_resync_after_garbage_and_wakeup_bytes():
    decoder = pn532.PN532Decoder()
    events = decoder.feed(H("13 37 55 55 00 FF") + pn532.ACK + H("42") + UID7_RESPONSE)
    assert events[0] == pn532.Ack() and isinstance(events[1], pn532.Frame)


def test_split_across_reads():
    decoder = pn532.PN532Decoder()
    stream = pn532.ACK + UID7_RESPONSE
    events = [e for i in range(len(stream)) for e in decoder.feed(stream[i:i + 1])]
    assert len(events) == 2 and pn532.parse_passive_targets(events[1])[0].uid_hex


def test_extended_frame_round_trip():
    payload = bytes([0x40]) + bytes(range(256)) * 2
    raw = pn532.encode_frame(payload)
    assert raw[:5] == H("00 00 FF FF FF") and raw[5:7] == (len(payload) + 1).to_bytes(2, "big")
    assert (raw[5] + raw[6] + raw[7]) & 0xFF == 0
    assert decode_one(raw) == pn532.Frame(pn532.HOST_TFI, payload)


def _wire_forms(frame: pn532.Frame) -> list[bytes]:
    """Start code .. DCS of the frame as normal and as extended frame."""
    body = bytes([frame.tfi]) + frame.data
    dcs = bytes([-sum(body) & 0xFF])
    hi, lo = divmod(len(body), 256)
    extended = bytes([0x00, 0xFF, 0xFF, 0xFF, hi, lo, -(hi + lo) & 0xFF]) + body + dcs
    return [pn532.encode_frame(frame.data, frame.tfi)[1:-1], extended]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=60), max_size=10))
def test_random_bytes_never_crash_or_yield_a_bad_frame(chunks):
    decoder = pn532.PN532Decoder()
    stream = b"".join(chunks)
    for chunk in chunks:
        for event in decoder.feed(chunk):
            if isinstance(event, pn532.Frame):
                # it is really in the input, with a correct LCS and DCS
                assert any(form in stream for form in _wire_forms(event))


@settings(max_examples=200, deadline=None)
@given(garbage=st.binary(max_size=30).filter(lambda b: b"\x00\xff" not in b),
       payload=st.binary(min_size=1, max_size=300), split=st.integers(0, 400))
def test_any_frame_after_garbage_is_found(garbage, payload, split):
    stream = garbage + pn532.encode_frame(payload, pn532.PN532_TFI)
    decoder = pn532.PN532Decoder()
    events = decoder.feed(stream[:split]) + decoder.feed(stream[split:])
    assert events == [pn532.Frame(pn532.PN532_TFI, payload)]

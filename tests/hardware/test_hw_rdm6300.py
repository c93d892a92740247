"""RDM6300: byte transcripts of the codec, and Rdm6300Reader over a pty against the simulator."""

from __future__ import annotations

import queue
import time

import pytest

from hardware.devices.rdm6300_reader import Rdm6300Reader
from hardware.errors import FrameError
from hardware.protocols import rdm6300
from hardware.sim.pty import wait_until
from hardware.sim.rdm6300 import Rdm6300Sim

WIRE = bytes.fromhex("02 36 37 30 30 33 42 35 31 43 36 43 42 03")  # "67003B51C6CB"


def test_reference_vector():
    tag = rdm6300.decode_frame(WIRE)
    assert (tag.version, tag.card_id, tag.uid_hex) == (0x67, 3887558, "67003B51C6")
    assert rdm6300.encode_tag(tag) == WIRE
    assert rdm6300.encode_uid("67003b51c6") == WIRE


def test_bad_checksum_is_never_a_tag():
    bad = b"\x02" + b"68003B51C6CB" + b"\x03"  # the upstream invalid vector
    with pytest.raises(FrameError):
        rdm6300.decode_frame(bad)
    decoder = rdm6300.Rdm6300Decoder()
    assert decoder.feed(bad + b"\xff\x02\x02" + WIRE[:5]) == []
    assert decoder.feed(WIRE[5:]) == [rdm6300.decode_frame(WIRE)]
    assert decoder.dropped >= 1


def test_non_hex_payload_is_rejected():
    assert rdm6300.Rdm6300Decoder().feed(b"\x02" + b"67003B51C6CG" + b"\x03") == []


@pytest.fixture
def sim():
    return Rdm6300Sim(repeat_s=0.05)


@pytest.fixture
def cards():
    return queue.Queue()


def test_a_held_card_fires_once_and_again_after_removal(harness, sim, cards):
    pty = harness(sim)
    with Rdm6300Reader(pty.port, absent_s=0.3) as reader:
        reader.start(cards.put)
        assert wait_until(lambda: reader.connected)
        sim.place_card("67003B51C6")
        assert cards.get(timeout=2) == "67003B51C6"
        assert reader.present_uid == "67003B51C6"
        sim.place_card(None)
        assert wait_until(lambda: reader.present_uid is None, 2)
        sim.place_card("67003B51C6")
        assert cards.get(timeout=2) == "67003B51C6"
        assert cards.empty()  # the repeats in between fired nothing


def test_corrupt_frames_and_garbage_are_survived(harness, sim, cards):
    pty = harness(sim)
    pty.garbage = b"\x02\x41\x42"
    pty.corrupt_checksum = 3
    with Rdm6300Reader(pty.port) as reader:
        reader.start(cards.put)
        sim.place_card("0100000042")
        assert cards.get(timeout=2) == "0100000042"


def test_read_uid_without_start_and_unplug_replug(tmp_path, harness, sim, cards):
    pty = harness(sim, link=str(tmp_path / "ttyRFID"))
    sim.place_card("0A0B0C0D0E")
    assert Rdm6300Reader(pty.port).read_uid(2) == "0A0B0C0D0E"
    errors = queue.Queue()
    with Rdm6300Reader(pty.port, retry_s=0.1, absent_s=0.2) as reader:
        reader.start(cards.put, on_error=errors.put)
        assert cards.get(timeout=2) == "0A0B0C0D0E"
        pty.unplug()
        assert "RDM6300" in str(errors.get(timeout=2))
        pty.replug()
        # Recovered by itself: it reads the held card again, which does not fire twice.
        assert wait_until(lambda: reader.present_uid == "0A0B0C0D0E", 3)
        sim.place_card("0A0B0C0D0F")
        assert cards.get(timeout=3) == "0A0B0C0D0F"
        assert cards.empty()


def test_late_frames_fire_a_held_card_once(harness, sim, cards):
    pty = harness(sim)
    pty.delay_s = 0.2  # every frame reaches the host late, and one may trail the removal
    with Rdm6300Reader(pty.port, absent_s=0.5) as reader:
        reader.start(cards.put)
        sim.place_card("67003B51C6")
        assert cards.get(timeout=2) == "67003B51C6"
        sim.place_card(None)
        assert wait_until(lambda: reader.present_uid is None, 3)
        time.sleep(0.4)  # long enough for a trailing frame to arrive and be handled
        assert cards.empty()


def test_unplug_mid_frame_then_replug(tmp_path, harness, sim, cards):
    pty = harness(sim, link=str(tmp_path / "ttyRFID"))
    errors = queue.Queue()
    with Rdm6300Reader(pty.port, retry_s=0.05) as reader:
        reader.start(cards.put, on_error=errors.put)
        assert wait_until(lambda: reader.connected)
        pty.send(rdm6300.encode_uid("0100000042")[:7])  # the cable comes out mid-frame
        pty.unplug()
        assert "RDM6300" in str(errors.get(timeout=2))
        pty.replug()
        sim.place_card("67003B51C6")
        assert cards.get(timeout=3) == "67003B51C6"  # the half frame never joins this one
    assert cards.empty()

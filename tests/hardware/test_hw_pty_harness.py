"""PtyHarness: raw binary transport, fault injection, clean shutdown."""

from __future__ import annotations

import os
import threading
import time

import pytest
import serial

from hardware.sim.pty import PtyHarness, wait_until


class Echo:
    def feed(self, data: bytes) -> bytes:
        return data


def read_exactly(ser: serial.Serial, size: int, timeout: float = 1.0) -> bytes:
    deadline, data = time.monotonic() + timeout, b""
    while len(data) < size and time.monotonic() < deadline:
        data += ser.read(size - len(data))
    return data


@pytest.fixture
def echo(harness):
    pty = harness(Echo())
    with serial.Serial(pty.port, 115200, timeout=0.05) as ser:
        yield pty, ser


# bytes a cooked tty would eat or rewrite: CR, LF, ^C, ^D, ^Z, DEL, XON/XOFF, 0x00, 0xFF
BINARY = bytes([0x0D, 0x0A, 0x03, 0x04, 0x1A, 0x7F, 0x11, 0x13, 0x00, 0xFF, 0x0D])


def test_binary_bytes_pass_unchanged(echo):
    pty, ser = echo
    ser.write(BINARY)
    assert read_exactly(ser, len(BINARY)) == BINARY
    assert bytes(pty.received) == BINARY


def test_output_before_any_driver_opens_is_not_echoed_back(harness):
    # A cooked pty would echo the device's own output back to it as "host input".
    pty = harness(Echo())
    pty.send(b"scan\r")
    assert not wait_until(lambda: pty.received, 0.1)  # an echo would show up here
    with serial.Serial(pty.port, 9600, timeout=0.05) as ser:
        ser.write(b"x")
        assert read_exactly(ser, 1) == b"x"
    assert bytes(pty.received) == b"x"


def test_no_reply(echo):
    pty, ser = echo
    pty.no_reply = True
    ser.write(b"hello")
    assert read_exactly(ser, 1, timeout=0.2) == b""


def test_delay(echo):
    pty, ser = echo
    pty.delay_s = 0.2
    start = time.monotonic()
    ser.write(b"x")
    assert read_exactly(ser, 1) == b"x" and time.monotonic() - start >= 0.2


def test_corrupt_checksum_flips_the_last_byte_of_the_next_replies_only(echo):
    pty, ser = echo
    pty.corrupt_checksum = 2
    for expected in (b"a\xbe", b"a\xbe", b"aA"):
        ser.write(b"aA")
        assert read_exactly(ser, 2) == expected


def test_corrupt_checksum_honours_the_simulators_offset(harness):
    class Framed(Echo):
        checksum_offset = -2

    pty = harness(Framed())
    pty.corrupt_checksum = True
    with serial.Serial(pty.port, 9600, timeout=0.05) as ser:
        ser.write(b"abc")
        assert read_exactly(ser, 3) == b"a\x9dc"


def test_garbage_prefix(echo):
    pty, ser = echo
    pty.garbage = b"\xde\xad"
    ser.write(b"ok")
    assert read_exactly(ser, 4) == b"\xde\xadok"


def test_send_unsolicited(echo):
    pty, ser = echo
    pty.send(b"scan\r")
    assert read_exactly(ser, 5) == b"scan\r"


def test_link_points_at_the_pty_and_goes_away(tmp_path):
    link = str(tmp_path / "ttySIM")
    with PtyHarness(Echo(), link=link) as pty:
        assert pty.port == link and os.path.realpath(link).startswith("/dev/pts/")
    assert not os.path.lexists(link)


def test_many_harnesses_leave_nothing_behind():
    for _ in range(40):  # the no_leaks fixture checks fds and threads afterwards
        with PtyHarness(Echo()) as pty, serial.Serial(pty.port, 9600, timeout=0.05) as ser:
            ser.write(b"x")
            assert read_exactly(ser, 1) == b"x"


def test_stop_is_idempotent_and_silences_the_device():
    pty = PtyHarness(Echo())
    pty.stop()
    pty.stop()
    pty.send(b"late")  # e.g. a card answer after shutdown: dropped, no error


def test_wait_until():
    assert wait_until(lambda: True, 0.01)
    assert not wait_until(lambda: False, 0.05)


def test_a_replug_right_after_a_self_unplug_keeps_the_new_pty(tmp_path, monkeypatch):
    """A simulator unplugs itself mid-reply and the host replugs the moment it sees the
    device gone: the old unplug, still closing its pty, must not touch the new one."""
    link = str(tmp_path / "ttySIM")
    real_close = os.close

    def slow_close_on_reader_thread(fd):  # widens the window the race needs
        if threading.current_thread().name.startswith("pty "):
            time.sleep(0.005)
        real_close(fd)

    monkeypatch.setattr(os, "close", slow_close_on_reader_thread)

    class UnplugOnBye:
        def feed(self, data):
            if data == b"bye":
                pty.unplug()  # from the reader thread, which cannot join itself
                return b""
            return data

    with PtyHarness(UnplugOnBye(), link=link) as pty:
        for _ in range(30):
            with serial.Serial(pty.port, 9600, timeout=0.05) as ser:
                ser.write(b"bye")
                assert wait_until(lambda: not pty.plugged)
                pty.replug()  # at once, racing the old unplug
            with serial.Serial(pty.port, 9600, timeout=0.05) as ser:
                ser.write(b"hi")
                assert read_exactly(ser, 2) == b"hi"

"""SerialPort: URL ports, typed errors, one lock per port, reconnect on next use."""

from __future__ import annotations

import pickle
import threading
import time

import pytest

from hardware.errors import DeviceRefused, DeviceTimeout, DeviceUnavailable, HardwareError, ProtocolError
from hardware.protocols import kerong
from hardware.sim.pty import PtyHarness
from hardware.transport import FrameReader, SerialPort


class Brackets:
    """Answers every chunk with <chunk>, so interleaved replies are visible."""

    def feed(self, data: bytes) -> bytes:
        return b"<" + data + b">"


def read_bracketed(channel) -> bytes:
    deadline, reply = time.monotonic() + 1.0, b""
    while not reply.endswith(b">"):
        chunk = channel.read(deadline)
        if not chunk:
            raise channel.timeout("no closing bracket")
        reply += chunk
    return reply


@pytest.mark.parametrize("error, summary", [
    (DeviceTimeout, "no reply in time"), (ProtocolError, "malformed reply"),
    (DeviceUnavailable, "port missing or cannot be opened"),
    (DeviceRefused, "device refused the command"),
])
def test_errors_name_device_and_port_and_pickle(error, summary):
    exc = error("PN532 card reader", "/dev/ttyUSB0", "detail here")
    assert isinstance(exc, HardwareError)
    assert str(exc) == f"PN532 card reader on /dev/ttyUSB0: {summary} (detail here)"
    assert str(pickle.loads(pickle.dumps(exc))) == str(exc)


def test_missing_port_is_unavailable(tmp_path):
    port = SerialPort(str(tmp_path / "ttyNOPE"), device="test device", baudrate=9600)
    with pytest.raises(DeviceUnavailable, match="test device on .*ttyNOPE"):
        port.exchange(b"x", lambda ch: None)
    assert not port.is_open


def test_unknown_url_scheme_is_unavailable():
    with pytest.raises(DeviceUnavailable):
        SerialPort("nosuch://x", device="d", baudrate=9600).open()


def test_loop_url_round_trip():
    with SerialPort("loop://", device="loop", baudrate=19200) as port:
        frame = port.exchange(kerong.encode_status_query(3), lambda ch: FrameReader(
            ch, kerong.KerongDecoder()).require(lambda f: True, 0.5, "echo"))
    assert frame.to_bytes() == kerong.encode_status_query(3)


def test_require_times_out_or_reports_corruption():
    with SerialPort("loop://", device="loop", baudrate=19200) as port:
        read = lambda ch: FrameReader(ch, kerong.KerongDecoder()).require(  # noqa: E731
            lambda f: True, 0.05, "reply")
        with pytest.raises(DeviceTimeout):
            port.exchange(b"", read)
        with pytest.raises(ProtocolError):
            port.exchange(kerong.encode_status_query(0)[:-1] + b"\x00", read)
        assert port.is_open  # a silent or garbling device is no reason to reopen


def test_exchanges_from_many_threads_do_not_interleave(harness):
    pty = harness(Brackets())
    port = SerialPort(pty.port, device="brackets", baudrate=115200)
    bad: list[bytes] = []

    def worker(n: int) -> None:
        for i in range(30):
            request = f"{n}:{i}".encode()
            if port.exchange(request, read_bracketed) != b"<" + request + b">":
                bad.append(request)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        port.close()
    assert bad == []


def test_reconnects_on_next_use_after_the_port_vanishes(tmp_path):
    link = str(tmp_path / "ttyDEV")
    first = PtyHarness(Brackets(), link=link)
    port = SerialPort(link, device="brackets", baudrate=9600)
    try:
        assert port.exchange(b"a", read_bracketed) == b"<a>"
        first.stop()
        with pytest.raises(DeviceUnavailable):
            port.exchange(b"b", read_bracketed)
        assert not port.is_open
        with PtyHarness(Brackets(), link=link):
            assert port.exchange(b"c", read_bracketed) == b"<c>"
    finally:
        first.stop()
        port.close()

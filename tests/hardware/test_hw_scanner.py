"""SerialScanner against the scanner simulator over a real pty."""

from __future__ import annotations

import queue
import time

import pytest

from hardware.devices.scanner import ScanResult, SerialScanner, to_scan_result
from hardware.protocols.barcode import Barcode
from hardware.sim.pty import wait_until
from hardware.sim.scanner import ScannerSim

SSCC = "00373500490000000016"


@pytest.fixture
def scans():
    return queue.Queue()


def start_scanner(port: str, scans: queue.Queue, **kwargs) -> SerialScanner:
    scanner = SerialScanner(port, **kwargs)
    scanner.start(scans.put)
    assert wait_until(lambda: scanner.connected)
    return scanner


@pytest.mark.parametrize("suffix", [b"\r", b"\n", b"\r\n"])
def test_scan_with_each_suffix(harness, scans, suffix):
    sim = ScannerSim(suffix=suffix)
    scanner = start_scanner(harness(sim).port, scans)
    try:
        sim.scan("CP123456785SE")
        sim.scan("RB123456786US")
        first, second = scans.get(timeout=2), scans.get(timeout=2)
    finally:
        scanner.stop()
    assert first == ScanResult(b"CP123456785SE", "CP123456785SE", None,
                               Barcode("s10", "CP123456785SE", True))
    assert second.barcode.valid is False and second.barcode.kind == "s10"
    assert scans.empty()


def test_gs1_128_with_aim_and_group_separator(harness, scans):
    sim = ScannerSim(suffix=b"\r\n", aim_prefix="]C1")
    scanner = start_scanner(harness(sim).port, scans)
    try:
        sim.scan("421075298132\x1d" + SSCC)
        result = scans.get(timeout=2)
    finally:
        scanner.stop()
    assert result.aim_id == "]C1" and result.raw.startswith(b"]C1421")
    assert result.barcode == Barcode("sscc", "373500490000000016", True)


def test_aim_parsing_can_be_off(harness, scans):
    sim = ScannerSim(aim_prefix="]C0")
    scanner = start_scanner(harness(sim).port, scans, aim=False)
    try:
        sim.scan("HELLO")
        result = scans.get(timeout=2)
    finally:
        scanner.stop()
    assert (result.aim_id, result.data, result.barcode.kind) == (None, "]C0HELLO", "unknown")


def test_fixed_suffix_setting(harness, scans):
    sim = ScannerSim(suffix=b"\n")
    scanner = start_scanner(harness(sim).port, scans, suffix="\n")
    try:
        sim.scan("CP473124829SE")
        assert scans.get(timeout=2).barcode.valid
    finally:
        scanner.stop()


def test_garbage_and_latin1_bytes_do_not_break_reading(harness, scans, scanner_sim):
    pty = harness(scanner_sim)
    scanner = start_scanner(pty.port, scans)
    try:
        pty.send(b"\xc5sa\xff\r")  # not UTF-8: decoded as Latin-1
        scanner_sim.scan("CP123456785SE")
        first, second = scans.get(timeout=2), scans.get(timeout=2)
    finally:
        scanner.stop()
    assert first.data == "Åsaÿ" and first.barcode.kind == "unknown"
    assert second.barcode.valid


def test_unplugged_scanner_is_reported_and_reopened(tmp_path, harness, scans):
    link = str(tmp_path / "ttySCAN")
    errors: list[Exception] = []
    first = harness(ScannerSim(), link=link)
    scanner = SerialScanner(link, retry_s=0.05)
    scanner.start(scans.put, on_error=errors.append)
    try:
        assert wait_until(lambda: scanner.connected)
        first.stop()
        assert wait_until(lambda: errors and not scanner.connected)
        sim = ScannerSim()
        harness(sim, link=link)
        assert wait_until(lambda: scanner.connected)
        sim.scan("CP123456785SE")
        assert scans.get(timeout=2).barcode.valid
    finally:
        scanner.stop()
    assert len(errors) == 1


def test_to_scan_result_is_pure():
    result = to_scan_result(b"]E07310000000001", aim=True)
    assert (result.aim_id, result.data, result.barcode.kind) == ("]E0", "7310000000001", "unknown")


def test_bad_suffix_setting_is_refused_at_construction():
    with pytest.raises(ValueError):
        SerialScanner("/dev/null", suffix="cr")


def test_unplug_mid_barcode_then_replug_reads_the_next_one_whole(tmp_path, harness, scans, scanner_sim):
    pty = harness(scanner_sim, link=str(tmp_path / "ttySCAN"))
    errors: list[Exception] = []
    scanner = SerialScanner(pty.port, retry_s=0.05)
    scanner.start(scans.put, on_error=errors.append)
    try:
        assert wait_until(lambda: scanner.connected)
        pty.send(b"CP1234")  # the cable comes out in the middle of a barcode...
        time.sleep(0.3)  # ...after the scanner thread has read that half (it reads every 0.1 s)
        pty.unplug()
        assert wait_until(lambda: errors and not scanner.connected)
        pty.replug()
        assert wait_until(lambda: scanner.connected)
        scanner_sim.scan(SSCC)
        assert scans.get(timeout=2).data == SSCC  # the half barcode never joins it
        assert scans.empty()
    finally:
        scanner.stop()

"""Shared fixtures: pty-backed simulators, and a guard that no test leaks threads or fds."""

from __future__ import annotations

import contextlib
import os
import threading

import pytest

from hardware.sim.kerong import KerongBoardSim, KerongBus
from hardware.sim.pn532 import PN532Sim
from hardware.sim.pty import PtyHarness, wait_until
from hardware.sim.scanner import ScannerSim


def _open_fds() -> dict[str, str]:
    fds = {}
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the directory handle listdir itself used, already closed
            fds[fd] = os.readlink(f"/proc/self/fd/{fd}")
    return fds


@pytest.fixture(autouse=True)
def no_leaks():
    """Every test must join its threads and close its fds (the kiosk runs for months)."""
    threads, fds = set(threading.enumerate()), _open_fds()
    yield
    extra_threads = lambda: [t for t in threading.enumerate() if t not in threads]  # noqa: E731
    assert wait_until(lambda: not extra_threads(), 2.0), f"threads left: {extra_threads()}"
    leaked = {fd: target for fd, target in _open_fds().items() if fds.get(fd) != target}
    assert not leaked, f"fds left open: {leaked}"


@pytest.fixture
def harness():
    """harness(simulator, **kw) -> a started PtyHarness, stopped after the test."""
    started: list[PtyHarness] = []

    def make(simulator, **kwargs) -> PtyHarness:
        started.append(PtyHarness(simulator, **kwargs))
        return started[-1]

    yield make
    for h in started:
        h.stop()


@pytest.fixture
def bus() -> KerongBus:
    return KerongBus([KerongBoardSim(0), KerongBoardSim(1)])


@pytest.fixture
def bus_pty(harness, bus) -> PtyHarness:
    return harness(bus)


@pytest.fixture
def pn532_sim() -> PN532Sim:
    return PN532Sim()


@pytest.fixture
def pn532_pty(harness, pn532_sim) -> PtyHarness:
    return harness(pn532_sim)


@pytest.fixture
def scanner_sim() -> ScannerSim:
    return ScannerSim()


@pytest.fixture
def scanner_pty(harness, scanner_sim) -> PtyHarness:
    return harness(scanner_sim)

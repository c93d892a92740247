"""The clock's NTP state from the kernel (adjtimex), as `timedatectl show -p NTPSynchronized`
reports it, instead of "any date after the build date is right"."""
from __future__ import annotations

import sys
from datetime import date

import pytest

from kiosk.services.parcel_base import local_today
from sync import system_clock
from sync.system_clock import (
    STA_UNSYNC,
    TIME_ERROR,
    ClockSyncCheck,
    Timex,
    kernel_says_synced,
)

TIME_OK = 0


def adjtimex_reporting(state: int, status: int):
    def call(timex: Timex) -> int:
        assert timex.modes == 0  # a read, never an adjustment
        timex.status = status
        return state
    return call


@pytest.mark.parametrize(("state", "status", "synced"), [
    (TIME_OK, 0, True),
    (TIME_OK, STA_UNSYNC, False),  # timesyncd has not set the clock yet
    (TIME_ERROR, STA_UNSYNC, False),  # how an undisciplined clock reads (this container: so)
    (TIME_ERROR, 0, False),
])
def test_the_kernels_answer_decides(state: int, status: int, synced: bool) -> None:
    assert kernel_says_synced(adjtimex_reporting(state, status)) is synced


def test_a_failed_call_is_no_answer_and_the_build_date_stands_in(monkeypatch) -> None:
    assert kernel_says_synced(lambda _timex: -1) is None
    monkeypatch.setattr(system_clock.time, "time_ns", lambda: 42 * 1_000_000_000)  # 1970
    assert system_clock.ask_now(lambda _timex: -1) is False
    monkeypatch.setattr(system_clock.time, "time_ns", lambda: system_clock.CLOCK_PLAUSIBLE_AFTER_MS * 1_000_000)
    assert system_clock.ask_now(lambda _timex: -1) is True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="adjtimex(2) is Linux's")
def test_the_real_kernel_is_asked_without_privilege() -> None:
    assert kernel_says_synced() in (True, False)


def test_the_answer_is_reused_for_a_second_then_asked_again() -> None:
    answers, now = iter([False, True]), [100.0]
    check = ClockSyncCheck(lambda: next(answers), monotonic=lambda: now[0])
    assert check() is False
    now[0] += 0.5
    assert check() is False  # not asked again yet
    now[0] += 0.6
    assert check() is True


def test_no_local_deadline_while_ntp_has_not_set_the_clock() -> None:
    assert local_today(synced=lambda: False) is None
    assert local_today(synced=lambda: True) == date.today()

"""The status bar's clock shows the service point's time (Europe/Stockholm), the zone of the
opening hours and meetings beside it, whatever zone the kiosk's system is set to."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from kiosk.services.browsing import LOCAL_TIME
from kiosk.services.localtime import SERVICE_POINT_TIME, clock_text

# A system zone never equal to Stockholm's time (6 hours apart all year round, DST included).
OTHER_ZONE = "America/New_York"
# Builds the real TopBar (no window needed) in a process whose system zone is OTHER_ZONE.
TOP_BAR = """
import time
from datetime import UTC, datetime
from kiosk.services.localtime import clock_text
from kiosk.ui.widgets.controls import TopBar
for _ in range(3):  # a minute may turn between the readings: the bar must match one of them
    before = clock_text()
    shown = TopBar().clock_text
    if before == clock_text():
        break
system = time.strftime("%H:%M")
print(shown, before, system)
"""


@pytest.mark.parametrize("utc, shown", [(datetime(2026, 11, 30, 9, 5, tzinfo=UTC), "10:05"),  # winter: UTC+1
                                        (datetime(2026, 7, 1, 9, 5, tzinfo=UTC), "11:05"),  # summer: UTC+2
                                        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), "01:59"),
                                        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "03:00")])  # clocks go forward
def test_clock_text_is_stockholm_time(utc, shown):
    assert clock_text(utc) == shown


def test_the_clock_and_the_opening_hours_share_one_zone():
    assert LOCAL_TIME is SERVICE_POINT_TIME and str(SERVICE_POINT_TIME) == "Europe/Stockholm"


def test_the_top_bar_shows_stockholm_time_on_a_system_set_to_another_zone(tmp_path):
    env = {**os.environ, "TZ": OTHER_ZONE, "KIVY_NO_ARGS": "1", "KIVY_NO_CONSOLELOG": "1",
           "KIVY_HOME": str(tmp_path / "kivy"), "KIVY_NO_FILELOG": "1"}
    result = subprocess.run([sys.executable, "-c", TOP_BAR], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    shown, stockholm, system = result.stdout.split()
    assert system != stockholm  # the subprocess really runs in another zone
    assert shown == stockholm

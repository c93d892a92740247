"""`kiosk demo` brings the whole system up on a display and Ctrl+C leaves no process behind."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.cli.orphans import stop_when_parent_dies
from tests.e2e.driver import KioskDriver
from tests.e2e.system import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.ui]


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_demo_comes_up_and_ctrl_c_stops_everything(tmp_path: Path, x_display: str, output_dir: Path) -> None:
    probe = tmp_path / "probe.json"
    env = {**os.environ, "DISPLAY": x_display, "KIVY_HOME": str(tmp_path / "kivy"),
           "SERVICEPUNKT_UI_PROBE": str(probe)}
    with open(output_dir / "demo.log", "wb") as log:
        demo = subprocess.Popen([sys.executable, "-m", "kiosk.cli.main", "demo", "--workdir", str(tmp_path / "demo")],
                                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                preexec_fn=stop_when_parent_dies)
    try:
        ui = KioskDriver(probe, x_display, output_dir)
        ui.wait_screen("attract", timeout=120)  # the demo seeds its services first: slow on a loaded machine
        ui.tap_until_screen("attract", "home")
        ui.screenshot("demo-home")
        started = wait_until(lambda: len(children_of(demo.pid)) >= 4 and children_of(demo.pid), "the demo's processes")
        demo.send_signal(signal.SIGINT)
        assert demo.wait(timeout=30) == 0
        wait_until(lambda: not any(alive(pid) for pid in started), "every demo process to stop", timeout=15)
    finally:
        if demo.poll() is None:
            demo.kill()

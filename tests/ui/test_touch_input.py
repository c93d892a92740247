"""One touch is one tap: `kiosk run` gives Kivy exactly one input provider, with a
touchscreen present that Kivy's default probe (probesysfs) would also open. Run in fresh
interpreters (Kivy reads its config once per process), each with its own KIVY_HOME, where
Kivy writes its default config.ini as it does on a kiosk's first start."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ABS_MT_POSITION_X = 0x35  # linux/input-event-codes.h: what marks a multitouch screen to the probe


def fake_touchscreen(sysfs: Path) -> None:
    """/sys/class/input/event7 of a multitouch panel, as the kernel shows it."""
    device = sysfs / "event7" / "device"
    (device / "capabilities").mkdir(parents=True)
    (device / "name").write_text("fake multitouch panel\n")
    (device / "capabilities" / "abs").write_text(f"{1 << ABS_MT_POSITION_X:x}\n")


def providers(tmp_path: Path, mode: str) -> dict:
    sysfs = tmp_path / "sysfs"
    if not sysfs.exists():
        fake_touchscreen(sysfs)
    env = {**os.environ, "KIVY_HOME": str(tmp_path / f"kivy-{mode}"), "KIVY_NO_ARGS": "1",
           "KIVY_NO_CONSOLELOG": "1", "KIVY_NO_FILELOG": "1"}
    env.pop("DISPLAY", None)  # no window is made; nor may probesysfs ask this machine's X (xinput)
    result = subprocess.run([sys.executable, "-m", "tests.ui.touch_providers", str(sysfs), mode],
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.splitlines()[-1])


def test_kivys_defaults_would_read_the_touchscreen_a_second_time(tmp_path: Path) -> None:
    """The control: the fake touchscreen is visible to the probe, so the next test can fail."""
    found = providers(tmp_path, "kivy-defaults")
    assert {p["provider"] for p in found["providers"]} >= {"MouseMotionEventProvider"}
    assert any(p["device"].endswith("event7") for p in found["providers"]), found
    assert len(found["providers"]) == 2


def test_kiosk_run_has_one_touch_provider(tmp_path: Path) -> None:
    found = providers(tmp_path, "kiosk")
    assert found["input"] == {"mouse": "mouse,disable_multitouch"}
    assert found["providers"] == [{"provider": "MouseMotionEventProvider", "device": "mouse"}]


@pytest.mark.parametrize("line", ["%(name)s = probesysfs,provider=hidinput",
                                  "mtdev_%(name)s = probesysfs,provider=mtdev"])
def test_a_config_ini_that_asks_for_the_raw_device_changes_nothing(tmp_path: Path, line: str) -> None:
    """A Pi's config.ini (Kivy writes `provider=hidinput` there), or one edited by hand."""
    home = tmp_path / "kivy-kiosk"
    providers(tmp_path, "kiosk")  # Kivy writes its config.ini
    key = line.split(" = ")[0]
    kept = [old for old in (home / "config.ini").read_text().splitlines() if not old.startswith(f"{key} =")]
    (home / "config.ini").write_text("\n".join(kept).replace("[input]", f"[input]\n{line}") + "\n")
    assert len(providers(tmp_path, "kiosk")["providers"]) == 1

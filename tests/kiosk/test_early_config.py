"""`kiosk run` reads what its window needs without pydantic (kiosk/early_config.py) and leaves
the whole file to the schema until the first screen answers. The two readings must agree."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.config import parse_config
from kiosk.early_config import ConfigError, read_config_file, ui_config

LOCKER = {"port": "/dev/ttyUSB0", "compartments": [{"id": "A1", "board": 0, "lock": 1, "size": "S"}]}
VALID = [
    {"data_dir": "/srv/kiosk"},
    {"data_dir": "/srv/kiosk", "locker": LOCKER, "printer": {"port": "/dev/usb/lp0"}},
    {"data_dir": "/srv/kiosk", "service_point_name": "Lanthandeln", "language": "smj", "fullscreen": False,
     "idle_timeout_s": 45, "panel": {"width_mm": 154, "height_mm": 86.0, "width_px": 800, "height_px": 480},
     "display": {"dim_from": "22:00", "dim_until": "06:30", "dim_level": 0.5,
                 "backlight": "/sys/class/backlight/rpi_backlight"}},
]


@pytest.mark.parametrize("raw", VALID, ids=["defaults", "devices", "everything"])
def test_the_window_reads_the_same_settings_as_the_schema(raw: dict) -> None:
    early = ui_config(raw)
    assert early is not None
    assert early == parse_config(raw).ui()


@pytest.mark.parametrize("raw", [
    {"fullscreen": False},  # no data_dir: the schema names what is missing
    {"data_dir": "/x", "idle_timeout_s": "90"},
    {"data_dir": "/x", "fullscreen": 1},
    {"data_dir": "/x", "panel": {"width_px": True}},
    {"data_dir": "/x", "panel": {"width_px": 1280.0}},
    {"data_dir": "/x", "panel": "1280x800"},
    {"data_dir": "/x", "language": "de"},
    {"data_dir": "/x", "printer": "/dev/usb/lp0"},
])
def test_anything_but_plain_values_is_left_to_the_schema(raw: dict) -> None:
    assert ui_config(raw) is None


def test_unreadable_files_say_why(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="kiosk provision"):
        read_config_file(tmp_path / "absent.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("data_dir = ")
    with pytest.raises(ConfigError, match="not valid TOML"):
        read_config_file(broken)


def test_reading_the_window_settings_does_not_import_pydantic() -> None:
    probe = ("import sys\nfrom kiosk.early_config import ui_config\nimport kiosk.cli.main\n"
             "assert ui_config({'data_dir': '/x'}) is not None\n"
             "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'pydantic' or m == 'kiosk.config')\n"
             "assert not loaded, loaded\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr

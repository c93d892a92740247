"""`kiosk run` reads what its window needs without pydantic (kiosk/early_config.py) and leaves
the whole file to the schema until the first screen answers. The two readings must agree."""
from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.config import parse_config
from kiosk.early_config import ui_config

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
    {"data_dir": "/x", "idle_timeout_s": 5},
    {"data_dir": "/x", "panel": {"width_px": 0}},
    {"data_dir": "/x", "display": {"dim_from": "22:00"}},
    {"data_dir": "/x", "display": {"dim_from": "22:00\n", "dim_until": "06:00"}},
])
def test_anything_but_plain_values_within_the_limits_is_left_to_the_schema(raw: dict) -> None:
    assert ui_config(raw) is None


NUMBERS = st.one_of(st.integers(-5, 100), st.sampled_from([0.05, 0.04, 1.0, 1.01, 19.9, 20, "90"]), st.booleans())
TIMES = st.one_of(st.none(), st.sampled_from(["22:00", "06:30", "24:00", "7:00", "22:00\n", ""]), st.integers(0, 9))
# Where each setting the window reads lives, and values of every kind for it.
SETTINGS = {("data_dir",): st.one_of(st.just("/srv/kiosk"), st.integers()),
            ("service_point_name",): st.text(max_size=2), ("language",): st.sampled_from(["sv", "smj", "de", ""]),
            ("fullscreen",): st.one_of(st.booleans(), st.integers(0, 1)), ("idle_timeout_s",): NUMBERS,
            ("printer",): st.one_of(st.just({"port": "/dev/usb/lp0"}), st.text(max_size=2)),
            ("panel",): st.one_of(st.just({}), st.text(max_size=2)),
            **{("panel", key): NUMBERS for key in ("width_mm", "height_mm", "width_px", "height_px")},
            ("display", "dim_from"): TIMES, ("display", "dim_until"): TIMES, ("display", "dim_level"): NUMBERS,
            ("display", "backlight"): st.one_of(st.just("/sys/class/backlight/x"), st.integers())}
REMOVED = object()


@st.composite
def raw_configs(draw) -> dict:
    """A valid config with one to three settings changed to anything or removed."""
    raw = copy.deepcopy(VALID[-1])
    for path in draw(st.lists(st.sampled_from(list(SETTINGS)), min_size=1, max_size=3, unique=True)):
        value = draw(st.one_of(st.just(REMOVED), SETTINGS[path]))
        parent = raw
        for key in path[:-1]:
            if not isinstance(parent.get(key), dict):
                parent[key] = {}
            parent = parent[key]
        if value is REMOVED:
            parent.pop(path[-1], None)
        else:
            parent[path[-1]] = value
    return raw


@settings(max_examples=500, deadline=None)
@given(raw_configs())
def test_the_plain_reading_never_vouches_for_what_the_schema_refuses(raw: dict) -> None:
    """Whatever window settings it gives, the schema accepts and reads the same way."""
    early = ui_config(raw)
    if early is not None:
        assert parse_config(raw).ui() == early

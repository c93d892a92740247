"""What `kiosk run` needs from the config file before its window opens, read without pydantic.

Importing pydantic and building the schema's models (kiosk/config.py) cost about a fifth of
what a bare Kivy app needs to start, and the window needs only a few plain values: its size,
the panel's millimetres, the language, the dimming period. So `kiosk run` reads those here
and validates the whole file on the start-up thread, after the first screen answers
(kiosk/ui/startup.py); an invalid file still stops `kiosk run` with the schema's message.

The reading vouches only for what it is sure the schema accepts: a value of any type but the
plain TOML one (a string where a number goes, say, which the schema might still accept) or
outside the schema's limits makes `ui_config` return None, and the caller validates the whole
file before the window opens, as before. So a window never opens on settings the schema
refuses; what is found later is in the sections the window does not read (devices, server).
The defaults and limits here are the schema's: kiosk/config.py uses these constants.
"""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_CONFIG_PATH = Path("/etc/servicepunkt/kiosk.toml")
CONFIG_ENV_VAR = "SERVICEPUNKT_CONFIG"
LANGUAGES = ("sv", "en", "fi", "fit", "se", "smj")
MIN_IDLE_TIMEOUT_S = 20.0
DIM_LEVEL_RANGE = (0.05, 1.0)
TIME_OF_DAY_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d$"


class ConfigError(Exception):
    """The configuration file is missing or invalid; the message names the key and the problem."""


@dataclass(frozen=True)
class PanelView:
    width_mm: float = 217.0
    height_mm: float = 136.0
    width_px: int = 1280
    height_px: int = 800


@dataclass(frozen=True)
class DisplayView:
    dim_from: str | None = None
    dim_until: str | None = None
    dim_level: float = 0.3
    backlight: str | None = None


@dataclass(frozen=True)
class UiConfig:
    """The part of KioskConfig the window and its screens use (same names)."""

    data_dir: Path
    service_point_name: str = "Servicepunkt"
    language: str = "sv"
    fullscreen: bool = True
    idle_timeout_s: float = 90.0
    has_printer: bool = False
    panel: PanelView = PanelView()
    display: DisplayView = DisplayView()


class _NotPlain(Exception):
    """A value the plain reading does not vouch for: the schema has to look at the file."""


def config_path(explicit: str | os.PathLike | None = None) -> Path:
    if explicit:
        return Path(explicit)
    return Path(os.environ.get(CONFIG_ENV_VAR) or DEFAULT_CONFIG_PATH)


def read_config_file(path: Path) -> dict[str, Any]:
    """The file's TOML as a dict; ConfigError says clearly why it cannot be read."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file (run 'kiosk provision' first)") from None
    except PermissionError:
        raise ConfigError(f"{path}: not readable by this user (it is private to the kiosk user: use sudo)") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None


def ui_config(raw: dict[str, Any]) -> UiConfig | None:
    """The window's settings from the file's TOML, or None when the schema has to look first
    (a value not of its plain type, or outside the schema's limits)."""
    try:
        panel, display = _section(raw, "panel"), _section(raw, "display")
        config = UiConfig(
            data_dir=Path(_plain(raw, "data_dir", str, required=True)),
            service_point_name=_plain(raw, "service_point_name", str, UiConfig.service_point_name),
            language=_plain(raw, "language", str, UiConfig.language),
            fullscreen=_plain(raw, "fullscreen", bool, UiConfig.fullscreen),
            idle_timeout_s=_number(raw, "idle_timeout_s", UiConfig.idle_timeout_s),
            has_printer=_has_section(raw, "printer"),
            panel=PanelView(width_mm=_number(panel, "width_mm", PanelView.width_mm),
                            height_mm=_number(panel, "height_mm", PanelView.height_mm),
                            width_px=_plain(panel, "width_px", int, PanelView.width_px),
                            height_px=_plain(panel, "height_px", int, PanelView.height_px)),
            display=DisplayView(dim_from=_plain(display, "dim_from", str, None),
                                dim_until=_plain(display, "dim_until", str, None),
                                dim_level=_number(display, "dim_level", DisplayView.dim_level),
                                backlight=_plain(display, "backlight", str, None)))
    except _NotPlain:
        return None
    return config if _within_limits(config) else None


def _within_limits(config: UiConfig) -> bool:
    """The schema's limits on what the window reads (kiosk/config.py states them as Fields)."""
    panel, display = config.panel, config.display
    period = (display.dim_from, display.dim_until)
    return (bool(config.service_point_name) and config.language in LANGUAGES
            and config.idle_timeout_s >= MIN_IDLE_TIMEOUT_S
            and min(panel.width_mm, panel.height_mm, panel.width_px, panel.height_px) > 0
            and DIM_LEVEL_RANGE[0] <= display.dim_level <= DIM_LEVEL_RANGE[1]
            and (period == (None, None) or (all(_is_time_of_day(t) for t in period) and period[0] != period[1])))


def _is_time_of_day(text: str | None) -> bool:
    return text is not None and re.fullmatch(TIME_OF_DAY_PATTERN, text) is not None


def _section(raw: dict[str, Any], name: str) -> dict[str, Any]:
    section = raw.get(name, {})
    if not isinstance(section, dict):
        raise _NotPlain(name)
    return section


def _has_section(raw: dict[str, Any], name: str) -> bool:
    _section(raw, name)
    return name in raw


def _plain(raw: dict[str, Any], key: str, kind: type, default: Any = None, *, required: bool = False) -> Any:
    if key not in raw:
        if required:
            raise _NotPlain(key)
        return default
    value = raw[key]
    # bool is an int in Python, but not in TOML: true is no width.
    if type(value) is not kind:
        raise _NotPlain(key)
    return value


def _number(raw: dict[str, Any], key: str, default: float) -> float:
    value = raw.get(key, default)
    if type(value) not in (int, float):
        raise _NotPlain(key)
    return float(value)

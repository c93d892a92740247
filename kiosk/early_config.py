"""What `kiosk run` needs from the config file before its window opens, read without pydantic.

Importing pydantic and building the schema's models (kiosk/config.py) cost about a fifth of
what a bare Kivy app needs to start, and the window needs only a few plain values: its size,
the panel's millimetres, the language, the dimming period. So `kiosk run` reads those here
and validates the whole file on the start-up thread, after the first screen answers
(kiosk/ui/startup.py); an invalid file still stops `kiosk run` with the schema's message.

The reading is deliberately strict: a value of any type but the plain TOML one (a string
where a number goes, say, which the schema might still accept) makes `ui_config` return None,
and the caller validates the whole file first, as before. Ranges and patterns are left to the
schema. The defaults here are the schema's: kiosk/config.py uses these constants.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_CONFIG_PATH = Path("/etc/servicepunkt/kiosk.toml")
CONFIG_ENV_VAR = "SERVICEPUNKT_CONFIG"
LANGUAGES = ("sv", "en", "fi", "fit", "se", "smj")


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
    """The window's settings from the file's TOML, or None when a value is not of its plain
    type (then only the schema can say what it means, or what is wrong with it)."""
    try:
        panel, display = _section(raw, "panel"), _section(raw, "display")
        return UiConfig(
            data_dir=Path(_plain(raw, "data_dir", str, required=True)),
            service_point_name=_plain(raw, "service_point_name", str, UiConfig.service_point_name),
            language=_language(raw),
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


def _language(raw: dict[str, Any]) -> str:
    language = _plain(raw, "language", str, UiConfig.language)
    if language not in LANGUAGES:
        raise _NotPlain("language")
    return language

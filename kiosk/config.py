"""Typed kiosk settings, read from one TOML file and passed down explicitly.

Nothing here runs at import time: the entry point calls `load_config(path)` once and hands the
result to whatever needs it.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

# The file's reading, its errors and the window's defaults are pydantic-free, for `kiosk run`.
# `X as X`: re-exported (the rest of kiosk imports them from here).
from kiosk.early_config import CONFIG_ENV_VAR as CONFIG_ENV_VAR
from kiosk.early_config import DEFAULT_CONFIG_PATH as DEFAULT_CONFIG_PATH
from kiosk.early_config import DIM_LEVEL_RANGE, MIN_IDLE_TIMEOUT_S, TIME_OF_DAY_PATTERN, read_config_file
from kiosk.early_config import LANGUAGES as LANGUAGES
from kiosk.early_config import ConfigError as ConfigError
from kiosk.early_config import DisplayView as DisplayView
from kiosk.early_config import PanelView as PanelView
from kiosk.early_config import UiConfig as UiConfig
from kiosk.early_config import config_path as config_path
from kiosk.timetext import service_point_zone
from sync.directory_terms import DIRECTORY_TIMEZONE

SizeClass = Literal["S", "M", "L"]
Language = Literal["sv", "en", "fi", "fit", "se", "smj"]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SerialDevice(Section):
    port: str = Field(min_length=1, description="device path or pyserial URL")
    baudrate: int | None = Field(default=None, gt=0)


class Compartment(Section):
    id: str = Field(min_length=1, max_length=8, description="the label on the door, e.g. A3")
    board: int = Field(ge=0, le=15)
    lock: int = Field(ge=1, le=16)
    size: SizeClass = "M"


class CardReaderSettings(SerialDevice):
    protocol: Literal["pn532", "rdm6300"] = "pn532"


class PrinterSettings(SerialDevice):
    protocol: Literal["escpos"] = "escpos"
    # A row of hardware.devices.models.PRINTER_MODELS: profile, code page, status queries.
    model: Literal["epson-tm-t88", "generic-58mm"] = "epson-tm-t88"
    code_page: str | None = Field(default=None, description="override, e.g. CP858 or CP1252")


class LockerSettings(SerialDevice):
    protocol: Literal["kerong", "wkly"] = "kerong"
    # Kerong boards disagree on which hook-bit value means "closed": calibrate on site.
    hook_closed_bit: Literal[0, 1] = 1
    # A door open longer than this during a flow raises the alarm on screen and to staff.
    door_left_open_s: float = Field(default=60.0, ge=5)
    compartments: tuple[Compartment, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_compartments(self) -> LockerSettings:
        ids = [c.id for c in self.compartments]
        locks = [(c.board, c.lock) for c in self.compartments]
        if len(set(ids)) != len(ids):
            raise ValueError("compartment ids must be unique")
        if len(set(locks)) != len(locks):
            raise ValueError("two compartments use the same board and lock")
        return self


class ServerSettings(Section):
    url: str = Field(pattern=r"^https?://")
    device_id: str = Field(min_length=1)
    service_point_id: str = Field(min_length=1)
    sync_interval_s: float = Field(default=5.0, gt=0)


class PanelSettings(Section):
    """The physical screen, so touch targets can be checked in millimetres."""

    width_mm: float = Field(default=PanelView.width_mm, gt=0)
    height_mm: float = Field(default=PanelView.height_mm, gt=0)
    width_px: int = Field(default=PanelView.width_px, gt=0)
    height_px: int = Field(default=PanelView.height_px, gt=0)


class DisplaySettings(Section):
    """The screen never blanks, but may dim on a schedule (say, while the shop is closed):
    from dim_from until dim_until (local time, may span midnight) brightness is dim_level of
    full; a touch brightens it at once. With `backlight` (a /sys/class/backlight/<name>
    directory) the panel's backlight is lowered; without, the picture is darkened."""

    dim_from: str | None = Field(default=None, pattern=TIME_OF_DAY_PATTERN, description="HH:MM")
    dim_until: str | None = Field(default=None, pattern=TIME_OF_DAY_PATTERN, description="HH:MM")
    dim_level: float = Field(default=DisplayView.dim_level, ge=DIM_LEVEL_RANGE[0], le=DIM_LEVEL_RANGE[1])
    backlight: str | None = Field(default=None, description="e.g. /sys/class/backlight/rpi_backlight")

    @model_validator(mode="after")
    def _whole_period(self) -> DisplaySettings:
        if (self.dim_from is None) != (self.dim_until is None):
            raise ValueError("dim_from and dim_until go together")
        if self.dim_from is not None and self.dim_from == self.dim_until:
            raise ValueError("dim_from and dim_until must differ")
        return self


class KioskConfig(Section):
    data_dir: Path
    service_point_name: str = Field(default=UiConfig.service_point_name, min_length=1)
    # The window's default, one of these (early_config keeps it as a plain str).
    language: Language = cast("Language", UiConfig.language)
    fullscreen: bool = UiConfig.fullscreen
    idle_timeout_s: float = Field(default=UiConfig.idle_timeout_s, ge=MIN_IDLE_TIMEOUT_S)
    server: ServerSettings | None = None
    locker: LockerSettings | None = None
    card_reader: CardReaderSettings | None = None
    scanner: SerialDevice | None = None
    printer: PrinterSettings | None = None
    panel: PanelSettings = PanelSettings()
    display: DisplaySettings = DisplaySettings()
    # The service point's zone: the technician CLI shows times in it ("14:05 CET").
    timezone: str = Field(default=DIRECTORY_TIMEZONE, description="IANA name, e.g. Europe/Stockholm")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        service_point_zone(name)  # ValueError, reported as this key's error
        return name

    @property
    def zone(self) -> ZoneInfo:
        return service_point_zone(self.timezone)

    @property
    def database_path(self) -> Path:
        return self.data_dir / "kiosk.db"

    @property
    def device_key_path(self) -> Path:
        return self.data_dir / "device_key"

    def ui(self) -> UiConfig:
        """The part the window uses; equal to early_config.ui_config of the same file."""
        panel, display = self.panel, self.display
        return UiConfig(data_dir=self.data_dir, service_point_name=self.service_point_name, language=self.language,
                        fullscreen=self.fullscreen, idle_timeout_s=self.idle_timeout_s,
                        has_printer=self.printer is not None,
                        panel=PanelView(width_mm=panel.width_mm, height_mm=panel.height_mm,
                                        width_px=panel.width_px, height_px=panel.height_px),
                        display=DisplayView(dim_from=display.dim_from, dim_until=display.dim_until,
                                            dim_level=display.dim_level, backlight=display.backlight))


def load_config(path: Path) -> KioskConfig:
    return parse_config(read_config_file(path), source=str(path))


def parse_config(raw: dict[str, Any], *, source: str = "config") -> KioskConfig:
    try:
        return KioskConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(f"{source}: " + "; ".join(_describe(e) for e in error.errors())) from None


def _describe(error: ErrorDetails) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    return f"{key}: {error['msg']}"


def write_config(config: KioskConfig, path: Path) -> None:
    """Write atomically (temp file + rename) so a crash never leaves half a config behind.
    Mode 0600; when root writes it, it keeps its owner (a new file: the directory's owner), so
    `sudo kiosk config set` never leaves a config the kiosk user cannot read."""
    data = config.model_dump(mode="json", exclude_none=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    owner = path.stat() if path.exists() else path.parent.stat()
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=".kiosk-", suffix=".toml")
    try:
        with os.fdopen(fd, "wb") as handle:
            tomli_w.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, 0o600)
        if os.geteuid() == 0:
            os.chown(temp_name, owner.st_uid, owner.st_gid)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise

"""From the kiosk's typed config to the hardware layer's plain device settings.

`hardware` knows nothing of kiosk config; this is the one place that translates, so the
runtime, `kiosk simulate`, `kiosk devices` and `kiosk doctor` agree on what is configured.
"""
from __future__ import annotations

from typing import Any

from hardware.manager import DeviceSettings
from kiosk.config import KioskConfig


def _baudrate(section) -> dict[str, Any]:
    return {"baudrate": section.baudrate} if section.baudrate else {}


def device_settings(config: KioskConfig) -> list[DeviceSettings]:
    found = []
    if config.locker is not None:
        options = _baudrate(config.locker)
        if config.locker.protocol == "kerong":
            options["hook_closed_bit"] = config.locker.hook_closed_bit
        boards = tuple(sorted({c.board for c in config.locker.compartments}))
        found.append(DeviceSettings("locker", config.locker.protocol, config.locker.port, options, boards))
    if config.card_reader is not None:
        found.append(DeviceSettings("card_reader", config.card_reader.protocol, config.card_reader.port,
                                    _baudrate(config.card_reader)))
    if config.scanner is not None:
        found.append(DeviceSettings("scanner", "serial", config.scanner.port, _baudrate(config.scanner)))
    if config.printer is not None:
        options = {**_baudrate(config.printer), "model": config.printer.model}
        if config.printer.code_page:
            options["code_page"] = config.printer.code_page
        found.append(DeviceSettings("printer", "escpos", config.printer.port, options))
    return found

"""Per-model differences, as data: each quirk sits beside the parameter it sets.

Drivers take a model (or its fields as keyword arguments); config names a model and may
override single fields. Values marked [unconfirmed] come from one source only and are
to be calibrated on the first real device (reference/hardware-protocols.md section 8).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LockerModel:
    protocol: str  # "kerong" | "wkly"
    baudrate: int
    # Kerong: four open-source drivers read a set hook bit as "closed", one reads the
    # opposite [unconfirmed]. WKLY reports the lock state explicitly (01 = closed).
    hook_closed_bit: int = 1
    item_present_bit: int = 1
    has_item_sensor: bool = True
    unlock_pulse_ms: int = 500  # integrators: 500 ms electromagnetic, 1000 ms servo locks
    reply_timeout_s: float = 0.3
    locks_per_board: int = 16


@dataclass(frozen=True)
class PrinterModel:
    profile: str  # python-escpos capability profile
    code_page: str  # python-escpos code page name with a table that has å ä ö
    baudrate: int = 19200
    dsrdtr: bool = False  # True: DSR/DTR flow control; False: none (RTS/CTS off too)
    status_queries: tuple[int, ...] = (1, 2, 3, 4)  # some clones answer 3/4 with fixed bytes
    qr_size: int = 6
    reply_timeout_s: float = 0.5


LOCKER_MODELS: dict[str, LockerModel] = {
    "kerong-cu16": LockerModel("kerong", 19200),
    "kerong-cu16-servo": LockerModel("kerong", 19200, unlock_pulse_ms=1000),
    # The shipped WKLY emulator answers an open in 350-450 ms: allow for it.
    "wkly-12": LockerModel("wkly", 9600, has_item_sensor=False, reply_timeout_s=0.8,
                           locks_per_board=12),
    "wkly-24": LockerModel("wkly", 9600, has_item_sensor=False, reply_timeout_s=0.8,
                           locks_per_board=24),
}

PRINTER_MODELS: dict[str, PrinterModel] = {
    # CP858 = CP850 with the euro sign: å ä ö Å Ä Ö on Epson TM-T88 class printers.
    "epson-tm-t88": PrinterModel("TM-T88III", "CP858"),
    # Many clones only have WPC1252 for Nordic letters and fixed bytes for DLE EOT 3.
    "generic-58mm": PrinterModel("default", "CP1252", baudrate=9600,
                                 status_queries=(1, 2, 4), qr_size=4),
}

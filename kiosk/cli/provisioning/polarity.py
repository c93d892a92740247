"""Sensor polarity of Kerong boards, calibrated on site: with every door closed, the hook bit
the mapped locks report is the one that means "closed".

The sources disagree on it (see hardware.devices.locker.KerongLocker), and a wrong polarity
makes every closed door look open, so a technician should not have to guess.
"""
from __future__ import annotations

from collections.abc import Sequence

from hardware.devices.locker import KerongLocker
from hardware.errors import HardwareError
from kiosk.config import Compartment


class CalibrationError(Exception):
    """The doors do not agree, or the boards cannot be read; the message says which."""


def closed_bit(port: str, compartments: Sequence[Compartment]) -> int:
    """Read each board once; every mapped lock must show the same hook bit."""
    try:
        with KerongLocker(port) as locker:
            status = {board: locker.status(board) for board in sorted({c.board for c in compartments})}
    except HardwareError as error:
        raise CalibrationError(f"cannot read the lock boards: {error}") from None
    bits = {c.id: status[c.board].hook_bit(c.lock) for c in compartments}
    ones = sorted(label for label, bit in bits.items() if bit == 1)
    zeros = sorted(label for label, bit in bits.items() if bit == 0)
    if ones and zeros:
        odd = ones if len(ones) < len(zeros) else zeros
        raise CalibrationError(f"door(s) {', '.join(odd)} read differently from the others: "
                               "close every door and calibrate again")
    return 1 if ones else 0

"""Typed hardware errors that say whose fault it is.

Drivers raise a subclass of `HardwareError` naming the device and the port, so the
caller can tell "nothing answered" from "answered garbage" from "said no" from
"is not plugged in" without parsing text. `summary` is a short stable English phrase
the UI can use as a translation key; `detail` carries the specifics for logs.

Codecs in `hardware.protocols` know no port, so they raise `FrameError` and the
driver turns it into a `ProtocolError` with the port attached.
"""

from __future__ import annotations


class HardwareError(Exception):
    """Base class of every error a device driver raises."""

    summary = "hardware error"

    def __init__(self, device: str, port: str, detail: str = "") -> None:
        # Keep the constructor arguments as args so the error pickles and copies.
        super().__init__(device, port, detail)
        self.device = device
        self.port = port
        self.detail = detail

    def __str__(self) -> str:
        text = f"{self.device} on {self.port}: {self.summary}"
        return f"{text} ({self.detail})" if self.detail else text


class DeviceTimeout(HardwareError):
    """The device did not answer within the timeout."""

    summary = "no reply in time"


class ProtocolError(HardwareError):
    """The device answered with a malformed frame or a bad checksum."""

    summary = "malformed reply"


class DeviceUnavailable(HardwareError):
    """The port is missing, was unplugged or cannot be opened."""

    summary = "port missing or cannot be opened"


class DeviceRefused(HardwareError):
    """The device answered but refused or failed the command."""

    summary = "device refused the command"


class FrameError(ValueError):
    """Codec-level: these bytes do not form the frame the caller asked to parse."""


class OutcomeUnknown(HardwareError):
    """A physical action (unlock, print) may or may not have happened, and re-reading
    the device's status could not tell. It is never re-sent blindly: a person checks."""

    summary = "outcome of the command unknown"

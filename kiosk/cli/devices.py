"""`kiosk devices list|probe|spy`: what is plugged in, what a port speaks, what it says."""
from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

import click

from hardware.errors import HardwareError
from hardware.probe import probe as probe_port
from hardware.transport import SerialPort
from kiosk.cli.table import table
from kiosk.config import ConfigError, load_config
from kiosk.services.devices import device_settings

if TYPE_CHECKING:
    from kiosk.cli.main import KioskContext


def _configured(obj: KioskContext) -> dict[str, str]:
    """Real path of each configured port -> device kind ({} without a config)."""
    try:
        config = load_config(obj.config_path)
    except ConfigError:
        return {}
    return {os.path.realpath(s.port): s.kind for s in device_settings(config)}


@click.group()
def devices() -> None:
    """Serial devices: list ports, identify a device, watch its traffic."""


@devices.command("list")
@click.pass_obj
def list_ports(obj: KioskContext) -> None:
    """Serial ports with USB ids and serial numbers, and which configured device is on which."""
    click.echo(table(PORT_HEADERS, port_rows(_configured(obj)),
                     empty="none: no serial ports found, and none in the configuration"))


PORT_HEADERS = ("PORT", "USB ID", "SERIAL", "DESCRIPTION", "CONFIGURED AS")


def port_rows(configured: dict[str, str]) -> list[tuple[str, str, str, str, str]]:
    """One row per port the system lists, then configured ports it does not (ptys, unplugged)."""
    from serial.tools import list_ports as ports

    rows, seen = [], set()
    for port in sorted(ports.comports(), key=lambda p: p.device):
        real = os.path.realpath(port.device)
        seen.add(real)
        usb = f"{port.vid:04x}:{port.pid:04x}" if port.vid is not None and port.pid is not None else "-"
        rows.append((port.device, usb, port.serial_number or "-", port.description, configured.get(real, "-")))
    for real, kind in sorted(configured.items()):
        if real not in seen:  # ptys and missing devices are not in the system's list
            state = "present" if os.path.exists(real) else "MISSING"
            rows.append((real, "-", "-", f"({state}, not a USB/serial device)", kind))
    return rows


@devices.command()
@click.argument("port")
def probe(port: str) -> None:
    """Identify the device on PORT (PN532 / Kerong / WKLY / ESC/POS / RDM6300) by harmless queries."""
    try:
        result = probe_port(port)
    except HardwareError as error:
        raise click.ClickException(str(error)) from None
    if result is None:
        click.echo(f"{port}: no known device answered (a scanner, or nothing, is silent)")
        raise SystemExit(1)
    click.echo(f"{port}: {result.protocol}: {result.detail}")


def _hexline(stamp: float, direction: str, data: bytes) -> str:
    text = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in data)
    return f"{stamp:9.3f} {direction} {data.hex(' ')}  |{text}|"


@devices.command()
@click.argument("port")
@click.option("--baudrate", type=int, default=9600, show_default=True)
@click.option("--send", "requests", multiple=True, help="Hex bytes to send first, e.g. '02 00 30 03 35'.")
@click.option("--seconds", type=float, default=10.0, show_default=True, help="How long to listen.")
def spy(port: str, baudrate: int, requests: tuple[str, ...], seconds: float) -> None:
    """Hex log of the traffic on PORT: what is sent (--send) and everything that arrives."""
    start = time.monotonic()
    try:
        with SerialPort(port, device="spy", baudrate=baudrate) as serial_port:
            for request in requests:
                data = bytes.fromhex(request)
                click.echo(_hexline(time.monotonic() - start, "TX", data))
                serial_port.exchange(data, lambda channel: None)
            while (left := start + seconds - time.monotonic()) > 0:
                data = serial_port.read(min(left, 0.1))
                if data:
                    click.echo(_hexline(time.monotonic() - start, "RX", data))
    except HardwareError as error:
        raise click.ClickException(str(error)) from None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--send") from None

"""`kiosk stable-names`: udev rules naming each configured device /dev/servicepunkt/<role>.

USB serial adapters enumerate in whatever order they come up, so /dev/ttyUSB0 may be the
printer today and the lock boards after the next reboot. A rule keyed by the adapter's USB
serial number (or, for adapters without one such as many CH340s, by the USB socket it is
plugged into) gives it one name for good; `--apply` then points the config at those names.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kiosk.cli.provisioning.detect import ROLES, STABLE_NAMES_DIR
from kiosk.config import parse_config, write_config

if TYPE_CHECKING:
    from serial.tools.list_ports_common import ListPortInfo

    from kiosk.cli.main import KioskContext
    from kiosk.config import KioskConfig

RULES_PATH = Path("/etc/udev/rules.d/98-servicepunkt-devices.rules")


class NoUsbDevice(Exception):
    """The port is not a USB device we can name (a pty, a built-in UART, or unplugged)."""


def rule(role: str, port: ListPortInfo) -> str:
    """One udev line for PORT (a pyserial ListPortInfo) as /dev/servicepunkt/ROLE."""
    if port.vid is None:
        raise NoUsbDevice(f"{port.device} is not a USB device")
    match = ['SUBSYSTEM=="tty"', f'ATTRS{{idVendor}}=="{port.vid:04x}"', f'ATTRS{{idProduct}}=="{port.pid:04x}"']
    if port.serial_number:
        match.append(f'ATTRS{{serial}}=="{port.serial_number}"')
    elif port.location:
        # No serial number: the physical USB socket is the next best thing (do not move the plug).
        match.append(f'KERNELS=="{port.location}"')
    else:
        raise NoUsbDevice(f"{port.device} has neither a USB serial number nor a known USB socket")
    return ", ".join(match + [f'SYMLINK+="servicepunkt/{role}"'])


def rules_for(configured: dict[str, str], ports: Iterable[ListPortInfo]) -> tuple[list[str], list[str]]:
    """(udev lines, problems) for {role: port path} given the system's serial ports."""
    by_real = {os.path.realpath(p.device): p for p in ports}
    lines, problems = [], []
    for role, path in configured.items():
        port = by_real.get(os.path.realpath(path))
        try:
            if port is None:
                raise NoUsbDevice(f"{path} is not among the system's serial ports (unplugged?)")
            lines.append(rule(role, port))
        except NoUsbDevice as error:
            problems.append(f"{role}: {error}")
    return lines, problems


@click.command("stable-names")
@click.option("--write", "rules_file", type=click.Path(dir_okay=False, path_type=Path), is_flag=False,
              flag_value=str(RULES_PATH), default=None,
              help=f"Write the rules (to {RULES_PATH} unless a path is given) and reload udev.")
@click.option("--apply", is_flag=True, help=f"Point the config at {STABLE_NAMES_DIR}/<role>.")
@click.pass_obj
def stable_names(obj: KioskContext, rules_file: Path | None, apply: bool) -> None:
    """udev rules giving each configured device a stable name (/dev/servicepunkt/locker, ...)."""
    from serial.tools import list_ports

    config = obj.load()
    configured = {role: getattr(config, role).port for role in ROLES
                  if getattr(config, role) is not None and not getattr(config, role).port.startswith(STABLE_NAMES_DIR)}
    lines, problems = rules_for(configured, list_ports.comports())
    for problem in problems:
        click.echo(f"cannot name {problem}", err=True)
    text = "# Written by `kiosk stable-names`: one line per kiosk device, by USB serial number.\n" + \
        "".join(line + "\n" for line in lines)
    if rules_file is None:
        click.echo(text, nl=False)
    elif lines:
        _write_rules(rules_file, text)
    if apply and lines:
        _apply(obj.config_path, config, [line.rsplit("servicepunkt/", 1)[1].rstrip('"') for line in lines])
    if problems:
        raise SystemExit(1)


def _write_rules(path: Path, text: str) -> None:
    import subprocess

    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise click.ClickException(f"cannot write {path}: {error.strerror} (run with sudo)") from None
    for command in (["udevadm", "control", "--reload-rules"], ["udevadm", "trigger", "--subsystem-match=tty"]):
        subprocess.run(command, check=False)
    click.echo(f"Rules written to {path}; udev reloaded.")


def _apply(config_path: Path, config: KioskConfig, roles: list[str]) -> None:
    data = config.model_dump(mode="json", exclude_none=True)
    for role in roles:
        data[role]["port"] = f"{STABLE_NAMES_DIR}/{role}"
    write_config(parse_config(data, source=str(config_path)), config_path)
    click.echo(f"{config_path}: {', '.join(roles)} now use {STABLE_NAMES_DIR}/<role>.")

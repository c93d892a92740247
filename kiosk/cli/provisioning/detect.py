"""Which serial device is where, for `kiosk provision`: probe ports, check the given ones.

Probing only sends the harmless queries of hardware.probe (nothing unlocks or prints). A port
another program holds open (the running kiosk app, ModemManager, a terminal program) is
refused before any byte is sent, because two readers on one port steal each other's replies.
"""
from __future__ import annotations

import glob
import os
from dataclasses import dataclass

from hardware.errors import HardwareError
from hardware.probe import ProbeResult, identify_escpos, identify_kerong, identify_pn532, identify_wkly, probe
from hardware.transport import SerialPort

ROLES = ("locker", "card_reader", "scanner", "printer")
ROLE_NAMES = {"locker": "locker boards", "card_reader": "card reader", "scanner": "barcode scanner",
              "printer": "receipt printer"}
ROLE_OF_PROTOCOL = {"kerong": "locker", "wkly": "locker", "pn532": "card_reader", "rdm6300": "card_reader",
                    "escpos": "printer"}
STABLE_NAMES_DIR = "/dev/servicepunkt"  # made by deploy/99-servicepunkt.rules
IDENTIFY = {"kerong": identify_kerong, "wkly": identify_wkly, "pn532": identify_pn532, "escpos": identify_escpos}


class DetectError(Exception):
    """A port is missing, busy or answers as something else; the message says which and why."""


@dataclass(frozen=True)
class Found:
    role: str
    port: str
    protocol: str
    detail: str


def candidate_ports(extra: tuple[str, ...] = ()) -> list[str]:
    """Stable udev names first, then every serial port the system lists, each device once."""
    from serial.tools import list_ports

    ports = [*extra, *sorted(glob.glob(os.path.join(STABLE_NAMES_DIR, "*"))),
             *sorted(p.device for p in list_ports.comports())]
    seen, unique = set(), []
    for port in ports:
        real = os.path.realpath(port)
        if real not in seen:
            seen.add(real)
            unique.append(port)
    return unique


def holders(port: str) -> list[tuple[int, str]]:
    """Other processes with PORT open: (pid, command line). Only the ones we may look at
    (all of them as root). Simulators own their pty (they hold /dev/ptmx) and do not count."""
    real = os.path.realpath(port)
    found = []
    for fd_dir in glob.glob("/proc/[0-9]*/fd"):
        pid = int(fd_dir.split("/")[2])
        if pid == os.getpid():
            continue
        targets = _fd_targets(fd_dir)
        if real in targets and "/dev/ptmx" not in targets:
            found.append((pid, _cmdline(pid)))
    return found


def _fd_targets(fd_dir: str) -> set[str]:
    try:
        names = os.listdir(fd_dir)
    except OSError:
        return set()
    targets = set()
    for name in names:
        try:
            targets.add(os.readlink(os.path.join(fd_dir, name)))
        except OSError:
            continue
    return targets


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def ensure_free(role: str, port: str) -> None:
    if not os.path.exists(port) and "://" not in port:
        raise DetectError(f"{ROLE_NAMES[role]}: {port} does not exist (is it plugged in? see 'kiosk devices list')")
    busy = holders(port)
    if busy:
        who = "; ".join(f"pid {pid} ({cmd[:60]})" for pid, cmd in busy)
        raise DetectError(f"{ROLE_NAMES[role]}: {port} is already in use by {who}. Stop that program first "
                          f"(the kiosk app: 'sudo systemctl stop servicepunkt-kiosk').")


def verify(role: str, port: str, protocol: str | None) -> Found:
    """Check that PORT is free and the device on it is what ROLE needs (of PROTOCOL if given)."""
    ensure_free(role, port)
    try:
        if role == "scanner" or protocol == "rdm6300":
            return _opens(role, port, protocol or "serial")
        result = IDENTIFY[protocol](port) if protocol else probe(port)
    except HardwareError as error:
        raise DetectError(f"{ROLE_NAMES[role]}: {error}") from None
    return _matching(role, port, protocol, result)


def _opens(role: str, port: str, protocol: str) -> Found:
    """Scanners and RDM6300 readers say nothing until used: that the port opens is all we can tell."""
    with SerialPort(port, device=ROLE_NAMES[role], baudrate=9600) as serial_port:
        serial_port.open()
    return Found(role, port, protocol, "port opens (this device is silent until used)")


def _matching(role: str, port: str, protocol: str | None, result: ProbeResult | None) -> Found:
    if result is None:
        wanted = protocol or "/".join(p for p, r in ROLE_OF_PROTOCOL.items() if r == role)
        raise DetectError(f"{ROLE_NAMES[role]}: nothing on {port} answered as {wanted}")
    if ROLE_OF_PROTOCOL.get(result.protocol) != role:
        raise DetectError(f"{ROLE_NAMES[role]}: {port} answers as {result.detail}, not as the {ROLE_NAMES[role]}")
    return Found(role, port, result.protocol, result.detail)


def detect(ports: list[str], wanted: set[str]) -> dict[str, Found]:
    """Probe PORTS (skipping busy ones) and return the first device found for each wanted role."""
    found: dict[str, Found] = {}
    for port in ports:
        if not wanted - set(found):
            break
        try:
            if holders(port):
                continue
            result = probe(port)
        except HardwareError:
            continue
        role = ROLE_OF_PROTOCOL.get(result.protocol) if result else None
        if result is not None and role is not None and role in wanted and role not in found:
            found[role] = Found(role, port, result.protocol, result.detail)
    return found


def boards_of(found: Found) -> tuple[int, ...]:
    """The board addresses a locker probe reported, e.g. 'Kerong lock boards 0, 1' -> (0, 1)."""
    numbers = found.detail.rsplit("boards", 1)[-1]
    return tuple(int(part) for part in numbers.replace(",", " ").split() if part.isdigit())

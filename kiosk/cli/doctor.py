"""`kiosk doctor`: check every configured device; the exit code says which failed.

Exit code = the sum of the failed checks' bits, so a script can tell them apart:
1 config, 2 locker, 4 card reader, 8 scanner, 16 printer, 32 the `--open` compartment.
A port another program holds open (the running kiosk app) fails its check without a byte sent,
naming that program: two readers on one port steal each other's replies, which would look like
a broken device.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import IntFlag
from typing import TYPE_CHECKING

import click

from hardware.devices.locker import LockAddress
from hardware.devices.printer import Receipt
from hardware.errors import HardwareError
from hardware.manager import DeviceManager
from hardware.probe import identify_pn532
from hardware.transport import SerialPort
from kiosk.cli.provisioning.detect import DetectError, ensure_free
from kiosk.config import Compartment, ConfigError, load_config
from kiosk.services.devices import device_settings

if TYPE_CHECKING:
    from kiosk.cli.main import KioskContext


class Failed(IntFlag):
    CONFIG = 1
    LOCKER = 2
    CARD_READER = 4
    SCANNER = 8
    PRINTER = 16
    OPEN = 32


def _locker(manager: DeviceManager, compartments: Sequence[Compartment]) -> str:
    """Each board with the locks the locker map uses on it; a board answering for more locks
    says so (spare locks, or a map that is not finished), one answering for fewer fails."""
    used: dict[int, set[int]] = {}
    for compartment in compartments:
        used.setdefault(compartment.board, set()).add(compartment.lock)
    driver = manager.driver("locker")
    return "; ".join(_board(board, locks, set(driver.board_states(board))) for board, locks in sorted(used.items()))


def _board(board: int, used: set[int], answered: set[int]) -> str:
    missing = sorted(used - answered)
    if missing:
        raise ValueError(f"board {board} does not answer for lock {', '.join(map(str, missing))} "
                         f"of the locker map (it answers for {len(answered)} locks)")
    report = f"board {board}: {len(used)} {'lock' if len(used) == 1 else 'locks'} in the map"
    if len(answered) > len(used):
        report += f" (the board answers for {len(answered)})"
    return report


def _card_reader(manager: DeviceManager) -> str:
    settings = manager.settings["card_reader"]
    if settings.protocol == "pn532":
        found = identify_pn532(settings.port, timeout=1.0)
        if found is None:
            raise HardwareError("PN532 card reader", settings.port, "no firmware reply")
        return found.detail
    return _port_opens(settings.port, "RDM6300 is silent without a card; port opens")


def _port_opens(port: str, detail: str) -> str:
    with SerialPort(port, device="device", baudrate=9600) as serial_port:
        serial_port.open()
    return detail


def _printer(manager: DeviceManager, test_print: bool) -> str:
    printer = manager.driver("printer")
    status = printer.status()
    if not status.can_print:
        raise HardwareError("receipt printer", printer.port, ", ".join(status.problems))
    if not test_print:
        return f"ready, paper {status.paper.value}"
    report = printer.print_receipt(Receipt("Servicepunkt", ("Testutskrift: å ä ö Å Ä Ö",), qr="servicepunkt"))
    if report.outcome != "printed":
        raise HardwareError("receipt printer", printer.port, f"test print {report.outcome}: {report.detail}")
    return "test receipt printed"


def _open(manager: DeviceManager, address: LockAddress) -> str:
    manager.open(address)  # returns only once the board reports the door open
    return f"{address} opened and reads open"


def _check(name: str, flag: Failed, run: Callable[[], str], role: str, port: str) -> Failed:
    try:
        ensure_free(role, port)  # a second reader on a port steals the replies: no check at all
        detail = run()
    except (DetectError, HardwareError, ValueError) as error:
        click.echo(f"FAIL  {name}: {error}")
        return flag
    click.echo(f"ok    {name}: {detail}")
    return Failed(0)


def _address(_ctx: click.Context, _param: click.Parameter, value: str | None) -> LockAddress | None:
    if value is None:
        return None
    try:
        board, lock = (int(part) for part in value.split(":"))
    except ValueError:
        raise click.BadParameter("expected BOARD:LOCK, e.g. 0:3") from None
    return LockAddress(board, lock)


@click.command()
@click.option("--open", "open_address", metavar="B:L", callback=_address,
              help="Also open compartment B:L (board:lock) and verify the door reads open.")
@click.option("--no-print", is_flag=True, help="Skip the test print.")
@click.pass_obj
def doctor(obj: KioskContext, open_address: LockAddress | None, no_print: bool) -> None:
    """Check every configured device (and print a test receipt). Exit code: see `kiosk doctor --help`.

    \b
    Exit code bits: 1 config, 2 locker, 4 card reader, 8 scanner, 16 printer, 32 --open.
    """
    try:
        config = load_config(obj.config_path)
    except ConfigError as error:
        click.echo(f"FAIL  config: {error}")
        raise SystemExit(int(Failed.CONFIG)) from None
    manager = DeviceManager(device_settings(config))
    try:
        compartments = config.locker.compartments if config.locker is not None else []
        failed = _run_checks(manager, compartments, open_address, not no_print)
    finally:
        manager.stop()
    raise SystemExit(int(failed))


def _run_checks(manager: DeviceManager, compartments: Sequence[Compartment], open_address: LockAddress | None,
                test_print: bool) -> Failed:
    checks = {
        "locker": ("locker", Failed.LOCKER, lambda: _locker(manager, compartments)),
        "card_reader": ("card reader", Failed.CARD_READER, lambda: _card_reader(manager)),
        "scanner": ("scanner", Failed.SCANNER, lambda: _port_opens(manager.settings["scanner"].port, "port opens")),
        "printer": ("printer", Failed.PRINTER, lambda: _printer(manager, test_print)),
    }
    failed = Failed(0)
    for kind, (name, flag, run) in checks.items():
        if kind in manager.drivers:
            failed |= _check(name, flag, run, kind, manager.settings[kind].port)
        else:
            click.echo(f"-     {name}: not configured")
    if open_address is not None:
        if "locker" not in manager.drivers:
            return failed | Failed.OPEN
        failed |= _check(f"open {open_address}", Failed.OPEN, lambda: _open(manager, open_address),
                         "locker", manager.settings["locker"].port)
    return failed

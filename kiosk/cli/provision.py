"""`kiosk provision`: from a blank kiosk to a checked, enrolled, configured one in one command.

Order, so that a failure leaves nothing half-written: check the inputs and that the config and
data directories are writable -> verify every device (probe) -> enroll with the central server
-> verify the server accepts this kiosk's key -> write the config atomically -> print the summary.
Safe to re-run: the device key and install id are kept, and enrolling again with the same code
and key gives the same answer. The device key is the only file written before the end; it is
removed again if the server never saw it (refused code, server unreachable).

Interactive when run in a terminal (prompts with defaults from the probe and from an existing
config), non-interactive otherwise or with --non-interactive (every choice from the options).
"""
from __future__ import annotations

import errno
import os
import platform
import sys
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import click

from kiosk import __version__
from kiosk.cli.provisioning import detect, locker_map
from kiosk.cli.provisioning.detect import ROLE_NAMES, ROLES, DetectError, Found
from kiosk.cli.provisioning.locker_map import LockerMapError, default_compartments  # noqa: F401  (re-exported)
from kiosk.config import (
    LANGUAGES,
    Compartment,
    ConfigError,
    KioskConfig,
    LockerSettings,
    ServerSettings,
    load_config,
    parse_config,
    write_config,
)
from kiosk.timetext import local_text, service_point_zone

if TYPE_CHECKING:
    from kiosk.cli.main import KioskContext
    from sync.protocol import EnrollResponse

DEFAULT_DATA_DIR = Path("/var/lib/servicepunkt")
PANELS = {  # name: (width px, height px, width mm, height mm) of the panels we support
    "7in": (800, 480, 154.0, 86.0),
    "10in": (1280, 800, 217.0, 136.0),
    "15in": (1920, 1080, 344.0, 194.0),
}
NONE = "none"  # what a technician types at a port prompt for "not fitted"


class ProvisionError(click.ClickException):
    """Provisioning stopped; nothing was written. Exit code 2 (click's usage errors also use 2)."""
    exit_code = 2


@dataclass
class Plan:
    """Everything provisioning decides before it writes anything."""
    server: str
    code: str
    data_dir: Path
    language: str
    panel: str
    service_point: str | None = None
    ports: dict[str, str] = field(default_factory=dict)
    protocols: dict[str, str] = field(default_factory=dict)
    map_file: Path | None = None
    boards: tuple[int, ...] = ()
    locks_per_board: int = 8
    sizes: str = locker_map.DEFAULT_SIZES
    hook_closed_bit: int = 1
    printer_model: str = "epson-tm-t88"
    calibrate: bool = False
    keep_map: bool = True  # a re-run keeps a locker map the technician tuned, unless told otherwise
    windowed: bool = False
    detect_in: tuple[str, ...] = ()


def _panel(value: str) -> str:
    if value in PANELS or _custom_panel(value):
        return value
    raise click.BadParameter(f"{value!r}: use one of {', '.join(PANELS)} or WxH@WMMxHMM, e.g. 1024x600@154x90")


def _custom_panel(value: str) -> tuple[int, int, float, float] | None:
    try:
        pixels, millimetres = value.lower().split("@")
        width_px, height_px = (int(part) for part in pixels.split("x"))
        width_mm, height_mm = (float(part) for part in millimetres.removesuffix("mm").split("x"))
    except ValueError:
        return None
    return width_px, height_px, width_mm, height_mm


def panel_settings(name: str) -> dict[str, float]:
    size = PANELS.get(name) or _custom_panel(name)
    if size is None:
        raise click.BadParameter(f"{name!r}: not a panel size")  # _panel() checked it already
    width_px, height_px, width_mm, height_mm = size
    return {"width_px": width_px, "height_px": height_px, "width_mm": width_mm, "height_mm": height_mm}


def _boards(value: str | None) -> tuple[int, ...]:
    if not value:
        return ()
    try:
        return tuple(sorted({int(part) for part in value.replace(",", " ").split()}))
    except ValueError:
        raise click.BadParameter(f"{value!r}: board addresses as numbers, e.g. 0,1") from None


def _validate_panel(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    return None if value is None else _panel(value)


def _validate_boards(_ctx: click.Context, _param: click.Parameter, value: str | None) -> tuple[int, ...]:
    return _boards(value)


@click.command()
@click.option("--interactive/--non-interactive", default=None,
              help="Ask for each setting [default: interactive when run in a terminal].")
@click.option("--server", help="Central server URL, e.g. https://servicepunkt.example.se")
@click.option("--code", help="One-time enrollment code from the coordinator.")
@click.option("--service-point", metavar="ID",
              help="The service point this kiosk is for; stops if the code belongs to another one.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help=f"Where the kiosk keeps its database and device key [default: {DEFAULT_DATA_DIR}].")
@click.option("--locker-port", help="Serial port of the locker board bus.")
@click.option("--locker-protocol", type=click.Choice(("kerong", "wkly")), help="[default: detected]")
@click.option("--card-reader-port", help="Serial port of the card reader.")
@click.option("--card-reader-protocol", type=click.Choice(("pn532", "rdm6300")), help="[default: detected]")
@click.option("--scanner-port", help="Serial port of the barcode scanner.")
@click.option("--printer-port", help="Serial port of the receipt printer.")
@click.option("--printer-model", type=click.Choice(("epson-tm-t88", "generic-58mm")), default="epson-tm-t88",
              show_default=True)
@click.option("--detect", "detect_missing", is_flag=True,
              help="Probe the serial ports for devices whose port is not given.")
@click.option("--detect-in", multiple=True, metavar="PORT", help="Also probe PORT when detecting (repeatable).")
@click.option("--locker-map", type=click.Path(dir_okay=False, path_type=Path),
              help="TOML file with [[compartments]] id/board/lock/size, for an unusual cabinet.")
@click.option("--boards", callback=_validate_boards,
              help="Board addresses, e.g. 0,1 [default: the boards that answer].")
@click.option("--compartments", type=click.IntRange(1, 16), help="Compartments per board [default: 8].")
@click.option("--sizes", help=f"Size classes S/M/L by lock, repeated [default: {locker_map.DEFAULT_SIZES}].")
@click.option("--hook-closed-bit", type=click.Choice(("0", "1")),
              help="Sensor polarity: the Kerong hook bit that means 'door closed' [default: 1].")
@click.option("--calibrate", is_flag=True,
              help="Set the sensor polarity by reading the doors (close every door first; Kerong).")
@click.option("--panel", callback=_validate_panel,
              help=f"Screen: {', '.join(PANELS)} or WxH@WMMxHMM (pixels @ millimetres) [default: 10in].")
@click.option("--language", type=click.Choice(LANGUAGES), help="Default UI language [default: sv].")
@click.option("--windowed", is_flag=True, help="Run in a window that can be closed (demo, development).")
@click.option("--re-enroll", is_flag=True, help="Enroll with --code even if this kiosk is enrolled already.")
@click.option("--dry-run", is_flag=True, help="Check everything and show the config; enroll and write nothing.")
@click.pass_obj
def provision(obj: KioskContext, /, interactive: bool | None, dry_run: bool, re_enroll: bool, **options: Any) -> None:
    """Set up this kiosk: enroll with the central server, find and check the devices, write the config."""
    if interactive is None:
        interactive = sys.stdin.isatty()
    existing = _existing_config(obj.config_path)
    plan = _ask(options, existing) if interactive else _from_options(options, existing)
    _check_writable(obj.config_path, plan.data_dir)
    found = _verify_devices(plan)
    compartments = _compartments(plan, found, existing)
    if plan.calibrate:
        plan.hook_closed_bit = _calibrated(found["locker"], compartments)
    _config(plan, _Pending(service_point_id=plan.service_point or _Pending.service_point_id),
            found, compartments)  # every config error before the code is spent
    if dry_run:
        answer = _kept_enrollment(plan, existing, re_enroll) or _checked_code(plan)
        _dry_run(plan, _config(plan, answer, found, compartments), found, compartments, obj.config_path)
        return
    if interactive:
        click.echo(_summary_devices(found, compartments))
        click.confirm("Enroll with the server and write this configuration?", default=True, abort=True)
    enrollment: Enrollment = _kept_enrollment(plan, existing, re_enroll) or _enroll(plan)
    config = _config(plan, enrollment, found, compartments)
    _verify_server(config)
    try:
        write_config(config, obj.config_path)
    except OSError as error:
        raise ProvisionError(f"cannot write {obj.config_path}: {error.strerror}") from None
    click.echo(summary(config, found, obj.config_path))


# --- gathering the answers -------------------------------------------------------------------

def _existing_config(path: Path) -> KioskConfig | None:
    """A config from an earlier run gives the defaults; an unreadable one is simply replaced."""
    try:
        return load_config(path)
    except (ConfigError, OSError):
        return None


def _from_options(options: dict[str, Any], existing: KioskConfig | None) -> Plan:
    enrolled = existing is not None and existing.server is not None
    missing = [name for name in ("server", "code") if not options[name] and not (enrolled and name == "code")]
    if not options["server"] and existing is not None and existing.server is not None:
        options["server"] = existing.server.url
        missing.remove("server")
    if missing:
        raise click.UsageError(f"--non-interactive needs {' and '.join('--' + m for m in missing)}")
    plan = _plan(options, existing)
    if "locker" not in plan.ports and not options["detect_missing"]:
        raise click.UsageError("--non-interactive needs --locker-port (or --detect to find it)")
    if options["detect_missing"]:
        plan.ports |= _detected_ports(plan, set(ROLES) - {"scanner"} - set(plan.ports))
    return plan


def _plan(options: dict[str, Any], existing: KioskConfig | None) -> Plan:
    ports = {role: options[f"{role}_port"] for role in ROLES if options[f"{role}_port"]}
    protocols = {role: options[f"{role}_protocol"] for role in ("locker", "card_reader")
                 if options[f"{role}_protocol"]}
    defaults = _defaults(existing)
    return Plan(
        server=(options["server"] or "").rstrip("/"), code=(options["code"] or "").strip(),
        data_dir=options["data_dir"] or defaults["data_dir"], language=options["language"] or defaults["language"],
        panel=options["panel"] or defaults["panel"], service_point=options["service_point"], ports=ports,
        protocols=protocols, map_file=options["locker_map"], boards=options["boards"],
        locks_per_board=options["compartments"] or 8, sizes=options["sizes"] or locker_map.DEFAULT_SIZES,
        hook_closed_bit=int(options["hook_closed_bit"] or defaults["hook_closed_bit"]),
        printer_model=options["printer_model"], windowed=options["windowed"], detect_in=options["detect_in"],
        calibrate=options["calibrate"],
        keep_map=not any(options[name] for name in ("boards", "compartments", "sizes", "locker_map")))


def _defaults(existing: KioskConfig | None) -> dict[str, Any]:
    if existing is None:
        return {"data_dir": DEFAULT_DATA_DIR, "language": "sv", "panel": "10in", "hook_closed_bit": 1}
    panel = existing.panel
    named = next((n for n, p in PANELS.items() if p[:2] == (panel.width_px, panel.height_px)), None)
    return {"data_dir": existing.data_dir, "language": existing.language,
            "panel": named or f"{panel.width_px}x{panel.height_px}@{panel.width_mm:g}x{panel.height_mm:g}",
            "hook_closed_bit": existing.locker.hook_closed_bit if existing.locker else 1}


def _detected_ports(plan: Plan, wanted: set[str]) -> dict[str, str]:
    if not wanted:
        return {}
    ports = detect.candidate_ports(plan.detect_in)
    click.echo(f"Probing {len(ports)} serial {'port' if len(ports) == 1 else 'ports'} …")
    found = detect.detect(ports, wanted)
    for item in found.values():
        click.echo(f"  found {ROLE_NAMES[item.role]} on {item.port}: {item.detail}")
    missing = [ROLE_NAMES[role] for role in ROLES if role in wanted and role not in found]
    if missing:  # silence here read as "still probing" or as a crash
        click.echo(f"  not found: {', '.join(missing)}"
                   + ("" if ports else " (no serial ports to probe: is anything plugged in?)"))
    return {role: item.port for role, item in found.items()}


def _ask(options: dict[str, Any], existing: KioskConfig | None) -> Plan:
    server_default = existing.server.url if existing and existing.server else None
    options["server"] = options["server"] or click.prompt("Central server URL", default=server_default)
    enrolled_there = existing and existing.server and existing.server.url == options["server"].rstrip("/")
    if not enrolled_there:  # a re-run keeps the enrollment: the code is spent by then
        options["code"] = options["code"] or click.prompt("Enrollment code from the coordinator")
    plan = _plan(options, existing)
    plan.data_dir = Path(click.prompt("Data directory", default=str(plan.data_dir)))
    plan.language = click.prompt("Default language", type=click.Choice(LANGUAGES), default=plan.language)
    plan.panel = _panel(click.prompt(f"Screen ({', '.join(PANELS)} or WxH@WMMxHMM)", default=plan.panel))
    detected = _detected_ports(plan, set(ROLES) - {"scanner"} - set(plan.ports))
    for role in ROLES:
        default = plan.ports.get(role) or detected.get(role) or _existing_port(existing, role) or NONE
        answer = click.prompt(f"Port of the {ROLE_NAMES[role]} ('{NONE}' if not fitted)", default=default)
        if answer != NONE:
            plan.ports[role] = answer
        else:
            plan.ports.pop(role, None)
    if "locker" in plan.ports:
        _ask_locker(plan, existing)
    return plan


def _ask_locker(plan: Plan, existing: KioskConfig | None) -> None:
    kept = False
    if existing is not None and existing.locker is not None and plan.keep_map:
        plan.keep_map = kept = click.confirm(
            f"Keep the current locker map ({locker_map.describe(existing.locker.compartments)})?", default=True)
    if plan.map_file is None and not kept:
        plan.locks_per_board = click.prompt("Compartments per board", type=click.IntRange(1, 16),
                                            default=plan.locks_per_board)
        plan.sizes = click.prompt("Sizes by lock (S/M/L, repeated)", default=plan.sizes)
    plan.calibrate = plan.calibrate or click.confirm(
        "Calibrate the door sensors now? (every door must be closed)", default=True)
    if not plan.calibrate:
        plan.hook_closed_bit = int(click.prompt("Sensor polarity: hook bit meaning 'closed'",
                                                type=click.Choice(("0", "1")), default=str(plan.hook_closed_bit)))


def _existing_port(existing: KioskConfig | None, role: str) -> str | None:
    section = getattr(existing, role, None) if existing else None
    return section.port if section else None


# --- checking ---------------------------------------------------------------------------------

def _verify_devices(plan: Plan) -> dict[str, Found]:
    if "locker" not in plan.ports:
        raise ProvisionError("no locker port: a kiosk needs its locker boards (give --locker-port or --detect)")
    _no_shared_ports(plan.ports)
    found = {}
    for role, port in plan.ports.items():
        try:
            found[role] = detect.verify(role, port, plan.protocols.get(role))
        except DetectError as error:
            raise ProvisionError(str(error)) from None
    return found


def _no_shared_ports(ports: dict[str, str]) -> None:
    by_port: dict[str, str] = {}
    for role, port in ports.items():
        real = os.path.realpath(port)
        if real in by_port:
            raise ProvisionError(f"{port} is given for both the {ROLE_NAMES[by_port[real]]} and the "
                                 f"{ROLE_NAMES[role]}: each device needs its own port")
        by_port[real] = role


def _compartments(plan: Plan, found: dict[str, Found], existing: KioskConfig | None) -> list[Compartment]:
    answered = detect.boards_of(found["locker"]) if found["locker"].protocol in ("kerong", "wkly") else ()
    try:
        if plan.map_file is not None:
            compartments = locker_map.read(plan.map_file)
        elif plan.keep_map and existing and existing.locker and _same_bus(existing, found):
            compartments = list(existing.locker.compartments)  # a re-run keeps a map the technician tuned
        else:
            compartments = locker_map.generated(plan.boards or answered or (0,), plan.locks_per_board, plan.sizes)
        locker_map.check(compartments, answered)
    except LockerMapError as error:
        raise ProvisionError(f"locker map: {error}") from None
    return compartments


def _calibrated(locker: Found, compartments: Sequence[Compartment]) -> int:
    from kiosk.cli.provisioning.polarity import CalibrationError, closed_bit

    if locker.protocol != "kerong":
        click.echo(f"{locker.protocol} boards report the door state directly: no sensor polarity to calibrate.")
        return 1
    try:
        bit = closed_bit(locker.port, compartments)
    except CalibrationError as error:
        raise ProvisionError(f"sensor calibration: {error}") from None
    click.echo(f"Door sensors calibrated: hook bit {bit} means closed.")
    return bit


def _same_bus(existing: KioskConfig, found: dict[str, Found]) -> bool:
    return existing.locker is not None and existing.locker.protocol == found["locker"].protocol


def _check_writable(config_path: Path, data_dir: Path) -> None:
    """Try it (root ignores mode bits, a read-only SD card does not): fail before enrolling."""
    for what, directory in (("config directory", config_path.parent), ("data directory", data_dir)):
        existing = _nearest_existing(directory)
        try:
            if not existing.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, "is a file, not a directory")
            tempfile.TemporaryFile(dir=existing).close()
        except OSError as error:
            hint = " (run with sudo)" if isinstance(error, PermissionError) and os.geteuid() != 0 else ""
            raise ProvisionError(f"{what} {directory}: cannot write there: {existing} {error.strerror}{hint}") from None


def _nearest_existing(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


class Enrollment(Protocol):
    """What the config needs of an enrollment: the server's answer, a kept one, or the dry run's."""

    @property
    def device_id(self) -> str: ...
    @property
    def service_point_id(self) -> str: ...
    @property
    def service_point_name(self) -> str: ...


@dataclass(frozen=True)
class _Enrolled:
    device_id: str
    service_point_id: str
    service_point_name: str


def _kept_enrollment(plan: Plan, existing: KioskConfig | None, re_enroll: bool) -> _Enrolled | None:
    """A re-run on an enrolled kiosk keeps its enrollment if the server still signs it in
    (the code is single-use: it is spent at the kiosk's first sign-in)."""
    if re_enroll or existing is None or existing.server is None or existing.server.url != plan.server:
        return None
    if existing.data_dir != plan.data_dir.absolute() or not existing.device_key_path.exists():
        return None
    from sync.client import SyncClient, SyncError

    try:
        with SyncClient(existing.server.url, existing.server.device_id, existing.device_key_path) as client:
            client.config(None)
    except SyncError as error:
        if not plan.code:
            raise ProvisionError(f"this kiosk's enrollment no longer works ({error}); "
                                 "give a new --code from the coordinator") from None
        return None
    click.echo(f"Already enrolled as {existing.server.device_id}: keeping that enrollment.")
    return _Enrolled(existing.server.device_id, existing.server.service_point_id, existing.service_point_name)


def _enroll(plan: Plan) -> EnrollResponse:
    if not plan.code:
        raise ProvisionError("an enrollment code is needed (--code): this kiosk is not enrolled with that server")
    from sync.client import generate_device_key
    from sync.errors import EnrollmentRefused, ServerUnreachable, SyncError

    new_dir = not plan.data_dir.exists()
    plan.data_dir.mkdir(parents=True, exist_ok=True)
    key_path, id_path = plan.data_dir / "device_key", plan.data_dir / "install_id"
    created = [path for path in (key_path, id_path) if not path.exists()]
    if not key_path.exists():
        generate_device_key(key_path)
    try:
        answer = _enroll_with(plan, key_path, _install_id(id_path))
    except (EnrollmentRefused, ServerUnreachable) as error:
        for path in created:  # the server never accepted this key: leave the data dir as it was
            path.unlink(missing_ok=True)
        if new_dir:
            plan.data_dir.rmdir()
        raise ProvisionError(f"enrollment failed: {_enroll_problem(error)}") from None
    except SyncError as error:
        raise ProvisionError(f"enrollment failed: {error}") from None
    _same_service_point(plan, answer.service_point_id, answer.service_point_name)
    return answer


def _same_service_point(plan: Plan, service_point_id: str, name: str) -> None:
    if plan.service_point and service_point_id.upper() != plan.service_point.upper():
        raise ProvisionError(f"enrollment failed: this code belongs to {service_point_id} "
                             f"({name}), not {plan.service_point}; nothing was written")


def _enroll_with(plan: Plan, key_path: Path, install_id: str) -> EnrollResponse:
    from sync.client import enroll

    return enroll(plan.server, plan.code, key_path, install_id=install_id,
                  hw={"machine": platform.machine(), "kiosk_version": __version__})


def _enroll_problem(error: Exception) -> str:
    from sync.errors import EnrollmentRefused

    if isinstance(error, EnrollmentRefused):
        return f"the server refused the code ({error.detail or error.status}); ask the coordinator for a new one"
    return f"cannot reach the central server ({error}); check the URL and the network"


def _install_id(path: Path) -> str:
    if not path.exists():
        path.write_text(uuid.uuid4().hex)
    return path.read_text().strip()


def _verify_server(config: KioskConfig) -> None:
    """Sign in with the new key and fetch the service point's settings, as the app will."""
    from sync.client import SyncClient, SyncError

    server = _server_of(config)
    try:
        with SyncClient(server.url, server.device_id, config.device_key_path) as client:
            client.config(None)
    except SyncError as error:
        raise ProvisionError(f"the server enrolled this kiosk but refuses its sign-in: {error}") from None


def _server_of(config: KioskConfig) -> ServerSettings:
    if config.server is None:  # _config() always writes one
        raise ProvisionError("internal error: a provisioned config without [server]")
    return config.server


def _locker_of(config: KioskConfig) -> LockerSettings:
    if config.locker is None:  # _config() always writes one
        raise ProvisionError("internal error: a provisioned config without [locker]")
    return config.locker


def _checked_code(plan: Plan) -> _Enrolled:
    """The dry run's enrollment: the server checks the code (and the service point it is for)
    as /enroll would, without spending it."""
    if not plan.code:
        raise ProvisionError("an enrollment code is needed (--code): this kiosk is not enrolled with that server")
    from sync.client import check_enrollment_code
    from sync.devicekey import load_device_key, public_key_b64
    from sync.errors import EnrollmentRefused, ServerUnreachable, SyncError

    key_path = plan.data_dir / "device_key"  # a re-run enrolls with the key it has
    public_key = public_key_b64(load_device_key(key_path)) if key_path.exists() else None
    try:
        answer = check_enrollment_code(plan.server, plan.code, public_key=public_key)
    except EnrollmentRefused as error:
        raise ProvisionError(f"enrollment would fail: {_enroll_problem(error)}") from None
    except ServerUnreachable as error:
        raise ProvisionError(f"cannot reach the central server at {plan.server}: {error}") from None
    except SyncError as error:
        raise ProvisionError(f"the central server could not check the code: {error}") from None
    _same_service_point(plan, answer.service_point_id, answer.service_point_name)
    zone = service_point_zone()
    click.echo(f"Enrollment code accepted for {answer.service_point_id} ({answer.service_point_name}), "
               f"unused, valid until {local_text(answer.expires_at, zone)}.")
    return _Enrolled(answer.device_id, answer.service_point_id, answer.service_point_name)


# --- the config and the summary ---------------------------------------------------------------

def _config(plan: Plan, answer: Enrollment, found: dict[str, Found],
            compartments: Sequence[Compartment]) -> KioskConfig:
    locker = found["locker"]
    raw: dict[str, Any] = {
        "data_dir": str(plan.data_dir.resolve()),
        "service_point_name": answer.service_point_name,
        "language": plan.language,
        "fullscreen": not plan.windowed,
        "panel": panel_settings(plan.panel),
        "server": {"url": plan.server, "device_id": answer.device_id, "service_point_id": answer.service_point_id},
        "locker": {"port": locker.port, "protocol": locker.protocol, "hook_closed_bit": plan.hook_closed_bit,
                   "compartments": [c.model_dump() for c in compartments]},
    }
    if "card_reader" in found:
        raw["card_reader"] = {"port": found["card_reader"].port, "protocol": found["card_reader"].protocol}
    if "scanner" in found:
        raw["scanner"] = {"port": found["scanner"].port}
    if "printer" in found:
        raw["printer"] = {"port": found["printer"].port, "model": plan.printer_model}
    try:
        return parse_config(raw, source="provisioning")
    except ConfigError as error:
        raise ProvisionError(str(error)) from None


@dataclass(frozen=True)
class _Pending:
    """What the dry run shows in place of the server's answer."""
    device_id: str = "(assigned at enrollment)"
    service_point_id: str = "(from the enrollment code)"
    service_point_name: str = "Servicepunkt"


def _dry_run(plan: Plan, config: KioskConfig, found: dict[str, Found], compartments: Sequence[Compartment],
             config_path: Path) -> None:
    import tomli_w

    click.echo(f"Dry run: nothing enrolled, nothing written. Central server {plan.server}: reachable.")
    click.echo(_summary_devices(found, compartments))
    click.echo(f"Would write {config_path} (mode 0600):\n")
    click.echo(tomli_w.dumps(config.model_dump(mode="json", exclude_none=True)))


def _summary_devices(found: dict[str, Found], compartments: Sequence[Compartment]) -> str:
    lines = []
    for role in ROLES:
        item = found.get(role)
        state = f"OK    {item.port}  {item.detail}" if item else "-     not fitted"
        lines.append(f"  {ROLE_NAMES[role]:<16}{state}")
    lines.append(f"  {'locker map':<16}{locker_map.describe(compartments)}")
    return "\n".join(lines)


def summary(config: KioskConfig, found: dict[str, Found], config_path: Path) -> str:
    """The block a technician photographs for the installation record."""
    panel, server, locker = config.panel, _server_of(config), _locker_of(config)
    rows = [
        "=" * 72,
        f"  SERVICEPUNKT KIOSK PROVISIONED   {datetime.now(config.zone):%Y-%m-%d %H:%M %Z}   v{__version__}",
        "=" * 72,
        f"  {'service point':<16}{config.service_point_name} ({server.service_point_id})",
        f"  {'device id':<16}{server.device_id}",
        f"  {'central server':<16}OK    {server.url} (enrolled, signed in)",
        _summary_devices(found, locker.compartments),
        f"  {'sensor polarity':<16}hook bit {locker.hook_closed_bit} = door closed",
        f"  {'screen':<16}{panel.width_px}x{panel.height_px} px, {panel.width_mm:g}x{panel.height_mm:g} mm",
        f"  {'language':<16}{config.language}",
        f"  {'config':<16}{config_path}",
        f"  {'data':<16}{config.data_dir}",
        "=" * 72,
        "  Next: 'kiosk doctor', then 'sudo systemctl restart servicepunkt-kiosk'.",
    ]
    return "\n".join(rows)

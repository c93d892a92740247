"""`kiosk provision`: enroll this kiosk with the central server and write its configuration.

Safe to re-run: the device key and install id are kept, and enrolling again with the same code
and key gives the same answer. The config file is written only after enrollment succeeded.
"""
from __future__ import annotations

import platform
import uuid
from pathlib import Path

import click

from kiosk.config import LANGUAGES, Compartment, ConfigError, KioskConfig, parse_config, write_config

DEFAULT_DATA_DIR = Path("/var/lib/servicepunkt")
SIZE_PATTERN = ("S", "S", "M", "M", "M", "L", "L", "L")


def default_compartments(count: int) -> list[Compartment]:
    """A first locker map: one board, compartments A1.. on locks 1.., sizes small to large."""
    return [Compartment(id=f"A{lock}", board=0, lock=lock, size=SIZE_PATTERN[(lock - 1) % len(SIZE_PATTERN)])
            for lock in range(1, count + 1)]


def install_id(data_dir: Path) -> str:
    path = data_dir / "install_id"
    if not path.exists():
        path.write_text(uuid.uuid4().hex)
    return path.read_text().strip()


@click.command()
@click.option("--server", required=True, help="Central server URL, e.g. https://servicepunkt.example.se")
@click.option("--code", required=True, help="One-time enrollment code from the coordinator.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_DATA_DIR,
              show_default=True, help="Where the kiosk keeps its database and device key.")
@click.option("--locker-port", required=True, help="Serial port of the locker board bus.")
@click.option("--card-reader-port", help="Serial port of the PN532 card reader.")
@click.option("--scanner-port", help="Serial port of the barcode scanner.")
@click.option("--compartments", type=click.IntRange(1, 16), default=8, show_default=True,
              help="Number of compartments on board 0.")
@click.option("--language", type=click.Choice(LANGUAGES), default="sv", show_default=True,
              help="Default UI language.")
@click.option("--windowed", is_flag=True, help="Run in a window that can be closed (demo, development).")
@click.pass_obj
def provision(obj, server: str, code: str, data_dir: Path, locker_port: str, card_reader_port: str | None,
              scanner_port: str | None, compartments: int, language: str, windowed: bool) -> None:
    """Enroll this kiosk with the central server and write its configuration."""
    from sync.client import SyncError, enroll, generate_device_key

    data_dir.mkdir(parents=True, exist_ok=True)
    key_path = data_dir / "device_key"
    if not key_path.exists():
        generate_device_key(key_path)
    try:
        answer = enroll(server, code, key_path, install_id=install_id(data_dir), hw={"machine": platform.machine()})
    except SyncError as error:
        raise click.ClickException(f"enrollment failed: {error}") from None
    config = _config(data_dir, answer, server, locker_port, card_reader_port, scanner_port, compartments,
                     language, windowed)
    write_config(config, obj.config_path)
    click.echo(f"Enrolled as {answer.device_id} at {answer.service_point_name} ({answer.service_point_id}).")
    click.echo(f"Configuration written to {obj.config_path}.")


def _config(data_dir, answer, server, locker_port, card_reader_port, scanner_port, compartments, language,
            windowed) -> KioskConfig:
    raw = {
        "data_dir": str(data_dir.resolve()),
        "service_point_name": answer.service_point_name,
        "language": language,
        "fullscreen": not windowed,
        "server": {"url": server, "device_id": answer.device_id, "service_point_id": answer.service_point_id},
        "locker": {"port": locker_port, "compartments": [c.model_dump() for c in default_compartments(compartments)]},
    }
    if card_reader_port:
        raw["card_reader"] = {"port": card_reader_port}
    if scanner_port:
        raw["scanner"] = {"port": scanner_port}
    try:
        return parse_config(raw, source="provisioning")
    except ConfigError as error:
        raise click.ClickException(str(error)) from None

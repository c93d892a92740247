"""`kiosk config show|validate|set`: read, check and change the one kiosk config file.

`set` changes one key (dotted, list items by number: `locker.compartments.3.size`), validates
the whole result and writes it atomically with mode 0600, or changes nothing and names the key
and the problem.
"""
from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import tomli_w

from kiosk.config import ConfigError, load_config, parse_config, write_config

if TYPE_CHECKING:
    from kiosk.cli.main import KioskContext


@click.group("config")
def config_group() -> None:
    """Show, check or change the kiosk configuration file."""


@config_group.command()
@click.option("--defaults", is_flag=True, help="Also show settings left at their default values.")
@click.pass_obj
def show(obj: KioskContext, defaults: bool) -> None:
    """Print the configuration (TOML) with the file it came from."""
    if defaults:
        data = obj.load().model_dump(mode="json", exclude_none=True)
    else:
        obj.load()  # refuse to show an invalid file as if it were fine
        data = _raw(obj.config_path)
    click.echo(f"# {obj.config_path}")
    click.echo(tomli_w.dumps(data))


@config_group.command()
@click.pass_obj
def validate(obj: KioskContext) -> None:
    """Check the configuration file; exit 1 and name each bad key if it is invalid."""
    try:
        config = load_config(obj.config_path)
    except ConfigError as error:
        click.echo(f"invalid: {error}", err=True)
        raise SystemExit(1) from None
    devices = [name for name in ("locker", "card_reader", "scanner", "printer") if getattr(config, name)]
    click.echo(f"{obj.config_path}: valid ({', '.join(devices) or 'no devices'}; "
               f"server {config.server.url if config.server else 'none'})")


@config_group.command("set")
@click.argument("key")
@click.argument("value")
@click.pass_obj
def set_value(obj: KioskContext, key: str, value: str) -> None:
    """Set KEY (dotted, e.g. locker.hook_closed_bit) to VALUE (TOML: 1, true, "text", [..])."""
    data = _raw(obj.config_path)
    try:
        _assign(data, key.split("."), _parse_value(value))
    except KeyError as error:
        raise click.ClickException(f"{key}: {error.args[0]}; nothing changed") from None
    try:
        config = parse_config(data, source=str(obj.config_path))
    except ConfigError as error:
        raise click.ClickException(f"{error}; nothing changed") from None
    try:
        write_config(config, obj.config_path)
    except OSError as error:
        raise click.ClickException(f"cannot write {obj.config_path}: {error.strerror}; nothing changed") from None
    click.echo(f"{key} = {json.dumps(_lookup(config.model_dump(mode='json'), key), ensure_ascii=False)}")


def _raw(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise click.ClickException(f"{path}: no such configuration file (run 'kiosk provision' first)") from None
    except PermissionError:
        raise click.ClickException(f"{path}: not readable by this user (it is private: use sudo)") from None
    except tomllib.TOMLDecodeError as error:
        raise click.ClickException(f"{path}: not valid TOML: {error}") from None


def _parse_value(text: str) -> Any:
    """TOML value syntax; anything that is not valid TOML is taken as a plain string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _assign(data: Any, parts: list[str], value: Any) -> None:
    *parents, last = parts
    for number, part in enumerate(parents):
        data = _child(data, part, create=True)
        if not isinstance(data, (dict, list)):
            raise KeyError(f"'{'.'.join(parts[:number + 1])}' is a value, not a section")
    if isinstance(data, list):
        data[_index(data, last)] = value
    else:
        data[last] = value


def _child(data: Any, part: str, *, create: bool) -> Any:
    if isinstance(data, list):
        return data[_index(data, part)]
    if part not in data:
        if not create:
            raise KeyError(f"no key '{part}'")
        data[part] = {}
    return data[part]


def _index(items: list[Any], part: str) -> int:
    if not part.isdigit() or int(part) >= len(items):
        raise KeyError(f"'{part}' is not an item number 0..{len(items) - 1}")
    return int(part)


def _lookup(data: Any, key: str) -> Any:
    for part in key.split("."):
        data = _child(data, part, create=False)
    return data

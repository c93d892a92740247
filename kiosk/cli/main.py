"""`kiosk`: the technician's command line. Never imports Kivy (Kivy parses sys.argv on import);
the window is started through kiosk.ui.launch only inside `kiosk run`."""
from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kiosk import __version__
from kiosk.cli.logs import LOG_FORMAT, file_handler

# Not kiosk.config: that is pydantic, which `kiosk run` leaves until its window answers.
from kiosk.early_config import CONFIG_ENV_VAR, ConfigError, config_path, read_config_file, ui_config

if TYPE_CHECKING:
    from kiosk.config import KioskConfig

# name: (module under kiosk.cli, attribute) that defines it. Imported only when that command runs
# (or for --help): `kiosk run` at boot should not pay for the serial probe, the simulators or the demo.
LAZY_COMMANDS = {"provision": ("provision", "provision"), "config": ("config_commands", "config_group"),
                 "logs": ("logs", "logs"), "stable-names": ("stable_names", "stable_names"),
                 "sync": ("sync_commands", "sync"), "queue": ("queue_commands", "queue"),
                 "demo": ("demo", "demo"), "simulate": ("simulate", "simulate"),
                 "devices": ("devices", "devices"), "doctor": ("doctor", "doctor"),
                 "update": ("update_commands", "update")}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_COMMANDS and name not in self.commands:
            module_name, attribute = LAZY_COMMANDS[name]
            module = importlib.import_module(f"kiosk.cli.{module_name}")
            self.add_command(getattr(module, attribute), name)
        return super().get_command(ctx, name)


class KioskContext:
    """What every command gets: where the config is, loaded only when a command needs it."""

    def __init__(self, path: Path) -> None:
        self.config_path = path

    def load(self) -> KioskConfig:
        from kiosk.config import load_config

        try:
            return load_config(self.config_path)
        except ConfigError as error:
            raise click.ClickException(str(error)) from None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kiosk")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), envvar=CONFIG_ENV_VAR,
              help="Kiosk configuration file [default: /etc/servicepunkt/kiosk.toml].")
@click.option("-v", "--verbose", is_flag=True, help="Log more detail to stderr.")
@click.pass_context
def cli(ctx: click.Context, config_file: Path | None, verbose: bool) -> None:
    """Servicepunkt kiosk: run the touchscreen app and look after the kiosk."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format=LOG_FORMAT)
    if not verbose and ctx.invoked_subcommand != "run":
        _quiet_migrations()
    ctx.obj = KioskContext(config_path(config_file))


def _quiet_migrations() -> None:
    """Commands that open the database migrate it first; Alembic's INFO lines about that
    ("Context impl SQLiteImpl.") bury a command's answer. `kiosk run` keeps them for its log
    file, where they say when the schema changed; -v shows them everywhere."""
    logging.getLogger("alembic").setLevel(logging.WARNING)


@cli.command()
@click.pass_obj
def run(obj: KioskContext) -> None:
    """Start the kiosk app on this screen (systemd does this at boot)."""
    from kiosk.ui.launch import run_app

    try:
        raw = read_config_file(obj.config_path)
        window = ui_config(raw) or _validated(raw, obj.config_path).ui()
        _log_to_file(window.data_dir)
        # The whole file is validated where the runtime is built, once the screens are up.
        run_app(window, lambda: _validated(raw, obj.config_path))
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


def _validated(raw: dict[str, Any], path: Path) -> KioskConfig:
    from kiosk.config import parse_config

    return parse_config(raw, source=str(path))


def _log_to_file(data_dir: Path) -> None:
    """Also into the data dir, for `kiosk logs` where there is no journal."""
    try:
        handler = file_handler(data_dir)
    except OSError as error:
        logging.getLogger(__name__).warning("no log file in %s: %s", data_dir, error)
        return
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logging.getLogger().addHandler(handler)



def main() -> None:
    cli(prog_name="kiosk")


if __name__ == "__main__":
    main()

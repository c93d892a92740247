"""`kiosk`: the technician's command line. Never imports Kivy (Kivy parses sys.argv on import);
the window is started through kiosk.ui.launch only inside `kiosk run`."""
from __future__ import annotations

import logging
from pathlib import Path

import click

from kiosk import __version__
from kiosk.cli.config_commands import config_group
from kiosk.cli.demo import demo
from kiosk.cli.devices import devices
from kiosk.cli.doctor import doctor
from kiosk.cli.logs import LOG_FORMAT, file_handler, logs
from kiosk.cli.provision import provision
from kiosk.cli.queue_commands import queue
from kiosk.cli.simulate import simulate
from kiosk.cli.stable_names import stable_names
from kiosk.cli.sync_commands import sync
from kiosk.config import CONFIG_ENV_VAR, ConfigError, config_path, load_config


class KioskContext:
    """What every command gets: where the config is, loaded only when a command needs it."""

    def __init__(self, path: Path) -> None:
        self.config_path = path

    def load(self):
        try:
            return load_config(self.config_path)
        except ConfigError as error:
            raise click.ClickException(str(error)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kiosk")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), envvar=CONFIG_ENV_VAR,
              help="Kiosk configuration file [default: /etc/servicepunkt/kiosk.toml].")
@click.option("-v", "--verbose", is_flag=True, help="Log more detail to stderr.")
@click.pass_context
def cli(ctx: click.Context, config_file: Path | None, verbose: bool) -> None:
    """Servicepunkt kiosk: run the touchscreen app and look after the kiosk."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format=LOG_FORMAT)
    ctx.obj = KioskContext(config_path(config_file))


@cli.command()
@click.pass_obj
def run(obj: KioskContext) -> None:
    """Start the kiosk app on this screen (systemd does this at boot)."""
    from kiosk.services.runtime import build_runtime
    from kiosk.ui.launch import run_app

    config = obj.load()
    _log_to_file(config.data_dir)
    runtime = build_runtime(config)
    try:
        run_app(runtime)
    finally:
        runtime.close()


def _log_to_file(data_dir: Path) -> None:
    """Also into the data dir, for `kiosk logs` where there is no journal."""
    try:
        handler = file_handler(data_dir)
    except OSError as error:
        logging.getLogger(__name__).warning("no log file in %s: %s", data_dir, error)
        return
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logging.getLogger().addHandler(handler)


cli.add_command(provision)
cli.add_command(config_group)
cli.add_command(logs)
cli.add_command(stable_names)
cli.add_command(sync)
cli.add_command(queue)
cli.add_command(demo)
cli.add_command(simulate)
cli.add_command(devices)
cli.add_command(doctor)


def main() -> None:
    cli(prog_name="kiosk")


if __name__ == "__main__":
    main()

"""`kiosk simulate [DEVICE ...]`: byte-exact simulators on pseudo-terminals, driven by text.

Prints one JSON object per line for each device, `{"device", "protocol", "port", "pty"}`,
then `{"control": "http://127.0.0.1:PORT"}`. `port` is a stable path (a symlink to the
pty, like /dev/serial/by-id) that survives `unplug`/`replug`; `pty` is the /dev/pts/N
behind it now. Then it reads commands, one per line, on stdin and as POST /command on
the control URL (see hardware.sim.commands), and answers each stdin line with a JSON
line. End of stdin does not stop it (it may run with stdin closed); SIGINT/SIGTERM do.
"""
from __future__ import annotations

import inspect
import json
import shutil
import signal
import sys
import tempfile
import threading
from typing import TYPE_CHECKING, Any

import click

from hardware.sim.commands import __doc__ as COMMANDS_HELP
from hardware.sim.runner import DEVICES, SimulatorSet
from kiosk.config import ConfigError, KioskConfig, load_config

if TYPE_CHECKING:
    from kiosk.cli.main import KioskContext


def _configured(config: KioskConfig | None) -> tuple[tuple[str, ...], dict[str, str], int]:
    """Devices, protocols and board count from the config (everything, if there is none)."""
    if config is None:
        return DEVICES, {}, 1
    devices = tuple(name for name in DEVICES if getattr(config, name) is not None)
    protocols = {name: getattr(config, name).protocol for name in ("locker", "card_reader", "printer")
                 if getattr(config, name) is not None}
    boards = 1 + max((c.board for c in config.locker.compartments), default=0) if config.locker else 1
    return devices, protocols, boards


def _load(obj: KioskContext) -> KioskConfig | None:
    try:
        return load_config(obj.config_path)
    except ConfigError:
        return None  # no usable config: simulate everything with defaults


def _answer(sims: SimulatorSet, line: str) -> dict[str, Any]:
    try:
        state = sims.command(line)
    except ValueError as error:
        return {"ok": False, "error": str(error)}
    return {"ok": True, **({"state": state} if line.strip() == "state" else {})}


def _read_stdin(sims: SimulatorSet) -> None:
    for line in sys.stdin:
        if line.strip():
            click.echo(json.dumps(_answer(sims, line)))


def verbatim_tables(text: str) -> str:
    """TEXT for click's help, with its indented paragraphs (the command table) kept as written:
    click rewraps every paragraph into one flowing line unless it starts with \\b."""
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(f"\b\n{p}" if p.startswith(" ") else p for p in paragraphs)


@click.command(epilog=verbatim_tables(COMMANDS_HELP or ""))
@click.argument("devices", nargs=-1, type=click.Choice(DEVICES))
@click.option("--boards", type=click.IntRange(1, 16), help="Lock boards on the bus [default: from config, or 1].")
@click.option("--locks", type=click.IntRange(1, 24), default=16, show_default=True, help="Locks per board.")
@click.option("--control-port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="TCP port of the control endpoint on 127.0.0.1 (0 = any free port).")
@click.option("--link-dir", type=click.Path(file_okay=False),
              help="Where the stable port links go [default: a temp dir].")
@click.pass_obj
def simulate(obj: KioskContext, devices: tuple[str, ...], boards: int | None, locks: int, control_port: int,
             link_dir: str | None) -> None:
    """Run device simulators (default: the configured devices) and take commands."""
    configured, protocols, config_boards = _configured(_load(obj))
    throwaway = link_dir is None
    link_dir = link_dir or tempfile.mkdtemp(prefix="servicepunkt-sim-")
    done = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: done.set())
    sims = SimulatorSet(devices=devices or configured, protocols=protocols, boards=boards or config_boards,
                        locks=locks, control_port=control_port, link_dir=link_dir)
    try:
        sims.start()
        for entry in sims.describe():
            click.echo(json.dumps({k: entry[k] for k in ("device", "protocol", "port", "pty")}))
        click.echo(json.dumps({"control": sims.control_url}))
        threading.Thread(target=_read_stdin, args=(sims,), name="stdin commands", daemon=True).start()
        done.wait()
    finally:
        sims.stop()
        if throwaway:
            shutil.rmtree(link_dir, ignore_errors=True)

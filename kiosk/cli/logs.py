"""`kiosk logs --since`: what the kiosk app logged, for support over the phone or SSH.

From the systemd journal of the kiosk unit when there is one; otherwise (no systemd, the
journal not readable, the app started by hand) from the kiosk's own log file in its data
directory, which `kiosk run` always writes too.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from datetime import datetime, timedelta
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from kiosk.cli.main import KioskContext

UNIT = "servicepunkt-kiosk.service"
LOG_NAME = "kiosk.log"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
RELATIVE = re.compile(r"^(\d+)\s*(s|sec|min|m|h|d)$")
UNITS = {"s": "seconds", "sec": "seconds", "m": "minutes", "min": "minutes", "h": "hours", "d": "days"}
STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)")


def log_file(data_dir: Path) -> Path:
    return data_dir / "logs" / LOG_NAME


def file_handler(data_dir: Path) -> RotatingFileHandler:
    """What `kiosk run` adds to logging: 4 x 5 MB at most, so the SD card never fills up."""
    path = log_file(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    return RotatingFileHandler(path, maxBytes=5_000_000, backupCount=3, encoding="utf-8")


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """'2h', '30min', '1d', 'today', 'yesterday', '2026-11-27' or '2026-11-27 14:00'."""
    now = now or datetime.now()
    text = text.strip().lower()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if text in ("today", "yesterday"):
        return midnight - timedelta(days=1 if text == "yesterday" else 0)
    if match := RELATIVE.match(text):
        return now - timedelta(**{UNITS[match.group(2)]: int(match.group(1))})
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r}: use e.g. 2h, 30min, 1d, today, yesterday or '2026-11-27 14:00'",
                                 param_hint="--since") from None


@click.command()
@click.option("--since", default="1h", show_default=True, help="From when: 2h, 30min, 1d, today, '2026-11-27 14:00'.")
@click.option("--file", "from_file", is_flag=True, help="Read the kiosk's log file even if the journal is there.")
@click.pass_obj
def logs(obj: KioskContext, since: str, from_file: bool) -> None:
    """Show what the kiosk app logged (systemd journal, else the kiosk's log file)."""
    start = parse_since(since)
    if not from_file and _from_journal(start):
        return
    path = log_file(obj.load().data_dir)
    try:
        lines = _lines_since(path, start)
    except FileNotFoundError:
        raise click.ClickException(f"no journal for {UNIT} and no log file at {path} yet") from None
    for line in lines:
        click.echo(line)


def _from_journal(start: datetime) -> bool:
    """True if the journal answered (even with nothing in that period)."""
    journalctl = shutil.which("journalctl")
    if journalctl is None:
        return False
    result = subprocess.run([journalctl, "--unit", UNIT, "--since", f"{start:%Y-%m-%d %H:%M:%S}", "--no-pager",
                             "--output", "short-iso"], capture_output=True, text=True, timeout=60)
    if result.returncode != 0 or result.stdout.strip() in ("", "-- No entries --"):
        return False
    click.echo(result.stdout, nl=False)
    return True


def _lines_since(path: Path, start: datetime) -> list[str]:
    """Lines from the rotated files (oldest first) at or after START; continuation lines
    (tracebacks) follow the entry they belong to."""
    files = [path.with_name(f"{path.name}.{n}") for n in (3, 2, 1)] + [path]
    if not path.exists():
        raise FileNotFoundError(path)
    selected, keep = [], False
    for file in files:
        if not file.exists():
            continue
        for line in file.read_text(encoding="utf-8", errors="replace").splitlines():
            if match := STAMP.match(line):
                keep = datetime.fromisoformat(match.group(1)) >= start
            if keep:
                selected.append(line)
    return selected

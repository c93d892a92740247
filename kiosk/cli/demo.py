"""`kiosk demo`: the whole system on one machine with simulated hardware.

Starts the central server on a throwaway SQLite file, seeds a service point, a staff card, one
video service and one e-service (served on loopback, kiosk/cli/demo_world.py), creates an
enrollment code, provisions the kiosk with it as a technician would (receipt printer too),
starts the device simulators, and opens the kiosk window beside a simulator panel, which shows
the SMS the resident would get (the server's notifier sends it to a loopback 46elks). Ctrl+C or
closing the kiosk window stops every process it started; the logs stay, and the demo says where.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

import click

from kiosk.cli.demo_world import TRUST_SPKI_ENV, DemoSite, SmsGateway, directory_entries
from kiosk.cli.orphans import stop_when_parent_dies

DEMO_SERVICE_POINT = ("SP-KORPILOMBOLO", "Lanthandeln i Korpilombolo")
DEMO_STAFF_UID = "A1B2C3D4"
STARTUP_TIMEOUT_S = 30.0


class DemoError(click.ClickException):
    pass


class Children:
    """Processes the demo started; all of them are stopped on exit, whatever happens."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: list[subprocess.Popen] = []

    def start(self, name: str, args: list[str], env: dict | None = None) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "wb")
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env={**os.environ, **(env or {})}, start_new_session=True,
                                   preexec_fn=stop_when_parent_dies)
        log.close()
        self.running.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.running):
            _stop(process)
        self.running.clear()


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, what: str, timeout: float = STARTUP_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise DemoError(f"{what} did not start within {timeout:.0f} s")


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def run_cli(args: list[str], logs: Path) -> str:
    """Runs one of our commands the way a person would, and fails loudly with its output."""
    result = subprocess.run(args, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    with open(logs / "commands.log", "a", encoding="utf-8") as log:
        log.write(f"$ {' '.join(args)}\n{result.stdout}{result.stderr}\n")
    if result.returncode != 0:
        raise DemoError(f"{' '.join(args[2:])} failed:\n{result.stderr or result.stdout}")
    return result.stdout


def central_cli(database_url: str) -> list[str]:
    return [sys.executable, "-m", "sync.server.cli.main", "--database-url", database_url]


def start_central(children: Children, workdir: Path, site: DemoSite, sms: SmsGateway) -> tuple[str, str]:
    """Seeds the server's database, starts it, and returns (url, enrollment code)."""
    database_url = f"sqlite:///{workdir / 'central.db'}"
    central = central_cli(database_url)
    run_cli(central + ["db", "upgrade"], children.logs)
    sp_id, sp_name = DEMO_SERVICE_POINT
    run_cli(central + ["service-point", "add", sp_id, "--name", sp_name], children.logs)
    run_cli(central + ["staff", "add", "--service-point", sp_id, "--name", "Demo staff",
                       "--card-uid", DEMO_STAFF_UID], children.logs)
    seed_directory(central, workdir, site, children.logs)
    code = run_cli(central + ["kiosk", "add", "Kiosk 1", "--service-point", sp_id, "--quiet"], children.logs).strip()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    children.start("central", central + ["serve", "--host", "127.0.0.1", "--port", str(port), "--no-upgrade"],
                   env={**sms.env, "KIOSK_CENTRAL_PUBLIC_URL": url})
    wait_for(lambda: http_ok(f"{url}/healthz"), "the central server")
    return url, code


def seed_directory(central: list[str], workdir: Path, site: DemoSite, logs: Path) -> None:
    """Every home tile does something: a video service and an e-service on the demo site."""
    for kind, entry in directory_entries(site, DEMO_SERVICE_POINT[0]).items():
        path = workdir / f"{kind}.json"
        path.write_text(json.dumps(entry, ensure_ascii=False, indent=1), encoding="utf-8")
        run_cli(central + ["directory", "put", kind, str(path)], logs)  # each put feeds the kiosks too


def start_simulators(children: Children, workdir: Path) -> dict:
    ports_file = workdir / "ports.json"
    children.start("simulators", [sys.executable, "-m", "hardware.sim", "--boards", "1", "--control-port", "0",
                                  "--ports-file", str(ports_file),
                                  # fixed names, so a device the panel unplugs comes back where the kiosk looks
                                  "--link-dir", str(workdir / "dev")])
    wait_for(ports_file.exists, "the device simulators")
    return json.loads(ports_file.read_text())


def provision_kiosk(children: Children, workdir: Path, server: str, code: str, ports: dict) -> Path:
    config = workdir / "kiosk.toml"
    run_cli([sys.executable, "-m", "kiosk.cli.main", "--config", str(config), "provision", "--server", server,
             "--code", code, "--data-dir", str(workdir / "data"), "--locker-port", ports["locker"],
             "--card-reader-port", ports["card_reader"], "--scanner-port", ports["scanner"],
             "--printer-port", ports["printer"], "--windowed"],
            children.logs)
    return config


def _interrupt(_signum, _frame) -> None:
    """SIGTERM and SIGHUP stop the demo the way Ctrl+C does, so the children are stopped too."""
    raise KeyboardInterrupt


@click.command()
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path),
              help="Keep the demo's files here instead of a throwaway directory.")
@click.option("--no-panel", is_flag=True, help="Do not open the simulator panel.")
def demo(workdir: Path | None, no_panel: bool) -> None:
    """Run the whole system with simulated hardware (central server, simulators, kiosk, panel)."""
    throwaway = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="servicepunkt-demo-")) if throwaway else workdir
    workdir.mkdir(parents=True, exist_ok=True)
    logs = workdir / "logs"
    logs.mkdir(exist_ok=True)
    children = Children(logs)
    # SIGINT too: a shell starts background jobs with SIGINT ignored, and Python keeps that.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _interrupt)
    with ExitStack() as cleanup:
        cleanup.callback(lambda: click.echo(f"The demo's logs are kept in {logs}"))
        if throwaway:
            cleanup.callback(remove_all_but, workdir, logs)
        cleanup.callback(children.stop_all)
        site, sms = DemoSite(workdir), SmsGateway(workdir / "sms.jsonl")
        cleanup.callback(site.close)
        cleanup.callback(sms.close)
        _run_demo(children, workdir, no_panel, site, sms)


def remove_all_but(workdir: Path, keep: Path) -> None:
    """A throwaway demo's databases and configs go; its logs stay to be read after a problem."""
    for path in workdir.iterdir():
        if path != keep:
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)


def _run_demo(children: Children, workdir: Path, no_panel: bool, site: DemoSite, sms: SmsGateway) -> None:
    click.echo(f"Demo files: {workdir}")
    server, code = start_central(children, workdir, site, sms)
    click.echo(f"Central server: {server} (enrollment code {code})")
    ports = start_simulators(children, workdir)
    config = provision_kiosk(children, workdir, server, code, ports)
    click.echo(f"Kiosk provisioned: {config}")
    kiosk = children.start("kiosk", [sys.executable, "-m", "kiosk.cli.main", "--config", str(config), "run"],
                           env={TRUST_SPKI_ENV: site.spki})  # the demo site's own key, nothing else
    if not no_panel:
        children.start("panel", [sys.executable, "-m", "kiosk.ui.sim_panel", "--control-url", ports["control_url"],
                                 "--staff-uid", DEMO_STAFF_UID, "--sms-outbox", str(sms.outbox)])
    click.echo(f"Staff card for the demo: {DEMO_STAFF_UID}. Press Ctrl+C or close the kiosk window to stop.")
    try:
        kiosk.wait()
    except KeyboardInterrupt:
        click.echo("Stopping …")

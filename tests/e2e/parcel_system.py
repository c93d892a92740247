"""The three real programs for the parcel end-to-end tests, and what a person does with them.

Central server (subprocess, SQLite) <- sync worker <- kiosk app (subprocess, Kivy on Xvfb)
<- serial ports <- byte-exact simulators (subprocess, ptys). Nothing is called in-process;
the only shortcut is writing a carrier's pre-advice (or an old deadline) straight into the
kiosk's SQLite file, where the sync worker would otherwise have put it.
"""
from __future__ import annotations

import sqlite3
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from hardware.protocols.barcode import s10_check_digit
from hardware.sim.control import SimControl
from kiosk.config import load_config, write_config
from tests.e2e.driver import KioskDriver
from tests.e2e.system import KIOSK, Processes, central_command, free_port, read_ports, run, wait_until

STAFF_UID = "04A1B2C3D4E5F6"
SERVICE_POINT = "SP-TEST"


def s10(serial: str) -> str:
    return f"CP{serial}{s10_check_digit(serial)}SE"


@dataclass
class ParcelSystem:
    central_db: Path
    kiosk_db: Path
    sim: SimControl
    ui: KioskDriver
    kiosk: object  # the kiosk's Popen
    processes: Processes | None = None
    kiosk_command: list[str] | None = None
    kiosk_env: dict | None = None
    server: str = ""  # the central server's base URL
    central: object = None  # its Popen
    central_serve: list[str] | None = None
    central_env: dict | None = None

    def stop_central(self) -> None:
        """The region's server goes away (the kiosk keeps working offline)."""
        self.central.terminate()
        self.central.wait(timeout=20)

    def start_central(self) -> None:
        self.central = self.processes.start("central-again", self.central_serve, env=self.central_env)
        wait_until(lambda: _healthy(self.server), "the central server to come back")

    def central_sql(self, sql: str, params: tuple = ()) -> list[tuple]:
        with sqlite3.connect(self.central_db, timeout=30) as connection:
            return connection.execute(sql, params).fetchall()

    def kill_kiosk(self) -> None:
        """A power cut, as far as the kiosk can tell: SIGKILL, no shutdown code runs."""
        self.kiosk.kill()
        self.kiosk.wait(timeout=10)
        self.ui.probe_file.unlink(missing_ok=True)  # the next screen seen is the new process's

    def restart_kiosk(self) -> None:
        self.kiosk = self.processes.start("kiosk-restarted", self.kiosk_command, env=self.kiosk_env)

    def server_events(self) -> list[tuple[str, str]]:
        with sqlite3.connect(self.central_db) as connection:
            return connection.execute("SELECT type, payload FROM events ORDER BY seq").fetchall()

    def kiosk_events(self) -> list[tuple[str, str]]:
        return self.kiosk_sql("SELECT type, payload FROM outbox ORDER BY seq")

    def kiosk_sql(self, sql: str, params: tuple = ()) -> list[tuple]:
        with sqlite3.connect(self.kiosk_db, timeout=30) as connection:
            return connection.execute(sql, params).fetchall()

    def pre_advise(self, tracking: str, *, phone: str = "+46701112233", language: str = "fi") -> None:
        self.kiosk_sql("INSERT INTO pre_advices (tracking_id, carrier, recipient_name, recipient_phone, "
                       "recipient_language, size_class, deadline_days, version) VALUES (?,?,?,?,?,?,?,?)",
                       (tracking, "PostNord", "Aino Niemi", phone, language, "S", 7, 1))

    def open_doors(self) -> list[int]:
        return [d["lock"] for d in self.sim.state()["lockers"] if not d["door_closed"]]

    def staff_mode(self) -> None:
        """Taps the badge until the kiosk knows it (its first pull may still be under way)."""
        def tapped() -> bool:
            self.sim.command(f"tap {STAFF_UID}")
            try:
                self.ui.wait_screen("staff", timeout=3)
                return True
            except AssertionError:
                return False
        wait_until(tapped, "the staff card to reach the kiosk", timeout=40)

    def open_staff_receive(self) -> None:
        """From the first screen: the staff badge, then the receive screen."""
        self.ui.wait_screen("attract", timeout=60)
        self.staff_mode()
        self.ui.tap_until_screen("staff-receive", "staff_receive")

    def store(self, tracking: str, *, phone: str | None = None) -> tuple[int | None, str]:
        """Staff scans (types a phone if asked), puts the parcel in and closes the door:
        returns (lock, code), lock None when the parcel stays at the counter."""
        before = (self.ui.widget("code") or {}).get("text", "")  # the last parcel's code, if any
        self.sim.command(f"scan {tracking}")
        if phone is not None:
            self.ui.wait_text("message", "föravisering")
            self.ui.type_digits(phone)
            self.ui.tap("key-ok")
            self.ui.wait_text("message", "stämmer det?")  # read back in groups before it is saved
            self.ui.tap("confirm-phone")
        code_text = wait_until(lambda: self._stored_or_open(before), "a door to open or a code", timeout=20)
        lock = None
        if code_text is True:
            # As a person would: read the screen first. Closing before the kiosk has seen the
            # door open would race the driver's re-sent unlock, which opens it again.
            self.ui.wait_text("message", "stäng luckan")
            [lock] = wait_until(self.open_doors, "a door to open")
            self.sim.command(f"item 0 {lock} present")
            self.sim.command(f"door 0 {lock} close")
            code_text = self.ui.wait_text("code", "Hämtningskod")
        return lock, "".join(ch for ch in code_text if ch.isdigit())

    def _stored_or_open(self, before: str):
        if self.open_doors():
            return True
        text = (self.ui.widget("code") or {}).get("text", "")
        return "Hämtningskod" in text and text != before and text

    def resident_pickup_screen(self) -> None:
        self.ui.wait_screen("attract", timeout=60)
        self.ui.tap_until_screen("attract", "home")  # the first tap of a (re)started kiosk may be lost
        self.ui.tap("tile-pickup")
        self.ui.wait_screen("pickup")


def start_parcel_system(tmp_path: Path, display: str, processes: Processes, output_dir: Path, *,
                        compartments: int = 8, left_open_s: float | None = None,
                        stable_names: bool = False, central_env: dict | None = None) -> ParcelSystem:
    """`stable_names`: the simulators' ports keep their paths across unplug/replug (--link-dir),
    as /dev/serial/by-id names do, so a replugged device is where the kiosk's config says."""
    database = tmp_path / "central.db"
    central = central_command(f"sqlite:///{database}")
    run(central + ["db", "upgrade"])
    run(central + ["service-point", "add", SERVICE_POINT, "--name", "Lanthandeln"])
    run(central + ["staff", "add", "--service-point", SERVICE_POINT, "--name", "Anna", "--card-uid", STAFF_UID])
    code = run(central + ["kiosk", "add", "Kiosk 1", "--service-point", SERVICE_POINT, "--quiet"]).strip()
    server = f"http://127.0.0.1:{free_port()}"
    serve = central + ["serve", "--host", "127.0.0.1", "--port", server.rsplit(":", 1)[1]]
    central_process = processes.start("central", serve, env=central_env)
    links = ["--link-dir", str(tmp_path / "dev")] if stable_names else []
    processes.start("simulators", [sys.executable, "-m", "hardware.sim", "--boards", "1", "--control-port", "0",
                                   "--ports-file", str(tmp_path / "ports.json"), *links])
    ports = read_ports(tmp_path / "ports.json")
    config = tmp_path / "kiosk.toml"
    wait_until(lambda: _healthy(server), "the central server")
    run(KIOSK + ["--config", str(config), "provision", "--server", server, "--code", code,
                 "--data-dir", str(tmp_path / "data"), "--locker-port", ports["locker"],
                 "--card-reader-port", ports["card_reader"], "--scanner-port", ports["scanner"],
                 "--compartments", str(compartments), "--windowed"])
    if left_open_s is not None:
        settings = load_config(config)
        locker = settings.locker.model_copy(update={"door_left_open_s": left_open_s})
        write_config(settings.model_copy(update={"locker": locker}), config)
    probe = tmp_path / "probe.json"
    env = {"DISPLAY": display, "KIVY_HOME": str(tmp_path / "kivy"), "KIVY_NO_ARGS": "1",
           "SERVICEPUNKT_UI_PROBE": str(probe)}
    command = KIOSK + ["--config", str(config), "run"]
    kiosk = processes.start("kiosk", command, env=env)
    ui = KioskDriver(probe, display, output_dir)
    return ParcelSystem(database, tmp_path / "data" / "kiosk.db", SimControl(ports["control_url"]), ui, kiosk,
                        processes, command, env, server, central_process, serve, central_env)


def _healthy(server: str) -> bool:
    try:
        with urllib.request.urlopen(f"{server}/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False

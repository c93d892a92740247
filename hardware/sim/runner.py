"""A full set of simulated devices plus a loopback JSON control API.

`SimulatorSet` starts a lock-board bus (Kerong or WKLY), a card reader (PN532 or
RDM6300), a scanner and a printer, each on its own pty, and an HTTP server on 127.0.0.1
through which the kiosk's simulator panel and end-to-end tests act as the outside world
in the command language of `hardware.sim.commands`: tap a card, scan, close a door.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from typing import Any

from hardware.sim.commands import execute
from hardware.sim.control_api import ControlServer
from hardware.sim.kerong import KerongBoardSim, KerongBus
from hardware.sim.pn532 import PN532Sim
from hardware.sim.printer import PrinterSim
from hardware.sim.pty import PtyHarness
from hardware.sim.rdm6300 import Rdm6300Sim
from hardware.sim.scanner import ScannerSim
from hardware.sim.wkly import WklyBoardSim, WklyBus

SHUTDOWN_POLL_S = 0.05  # serve_forever's poll: how long stop() may wait for the loop


DEVICES = ("locker", "card_reader", "scanner", "printer")
PROTOCOLS = {"locker": ("kerong", "wkly"), "card_reader": ("pn532", "rdm6300"),
             "scanner": ("serial",), "printer": ("escpos",)}


def _locker_sim(protocol: str, boards: int, locks: int, hook_closed_bit: int,
                reply_to_unlock: bool) -> KerongBus | WklyBus:
    if protocol == "wkly":
        return WklyBus([WklyBoardSim(i, locks) for i in range(boards)])
    return KerongBus([KerongBoardSim(i, locks, hook_closed_bit=hook_closed_bit,
                                     reply_to_unlock=reply_to_unlock) for i in range(boards)])


class SimulatorSet:
    """All simulators of one kiosk. Use `with SimulatorSet() as sims:` or start()/stop().

    `devices` picks which to run (default: locker, card reader, scanner, printer);
    `protocols` picks each one's protocol, e.g. {"locker": "wkly", "card_reader": "rdm6300"}.
    """

    def __init__(self, *, boards: int = 1, locks: int = 16, control_port: int = 0,
                 hook_closed_bit: int = 1, reply_to_unlock: bool = True,
                 scanner_suffix: bytes = b"\r", aim_prefix: str = "",
                 link_dir: str | None = None, devices: tuple[str, ...] = DEVICES,
                 protocols: dict[str, str] | None = None) -> None:
        self.protocols = {name: PROTOCOLS[name][0] for name in DEVICES} | (protocols or {})
        for name in devices:
            if self.protocols[name] not in PROTOCOLS.get(name, ()):
                raise ValueError(f"no simulator for {name} protocol {self.protocols[name]!r}")
        self.devices = tuple(devices)
        self.bus = _locker_sim(self.protocols["locker"], boards, locks, hook_closed_bit,
                               reply_to_unlock)
        self.card_sim = PN532Sim() if self.protocols["card_reader"] == "pn532" else Rdm6300Sim()
        self.scanner_sim = ScannerSim(scanner_suffix, aim_prefix)
        self.printer_sim = PrinterSim()
        self.harnesses: dict[str, PtyHarness] = {}
        self._control_port = control_port
        self._link_dir = link_dir
        self._server: ControlServer | None = None
        self._thread: threading.Thread | None = None
        self._command_lock = threading.Lock()  # stdin and HTTP may send at the same time

    def start(self) -> SimulatorSet:
        sims = {"locker": self.bus, "card_reader": self.card_sim,
                "scanner": self.scanner_sim, "printer": self.printer_sim}
        if self._link_dir:
            os.makedirs(self._link_dir, exist_ok=True)  # a config may name links not made yet
        try:
            for name in self.devices:
                self.harnesses[name] = PtyHarness(sims[name], link=self._link(name))
            self._server = ControlServer(self._control_port, self)
            self._thread = threading.Thread(target=self._server.serve_forever,
                                            args=(SHUTDOWN_POLL_S,),
                                            name="sim control API", daemon=True)
            self._thread.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._server is not None:
            if self._thread is not None:  # shutdown() waits for a loop that must be running
                self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None
        for harness in self.harnesses.values():
            harness.stop()
        self.harnesses = {}
        close = getattr(self.card_sim, "close", None)
        if close is not None:  # a card simulator with a thread of its own, never started
            close()

    def __enter__(self) -> SimulatorSet:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def control_url(self) -> str:
        if self._server is None:
            raise RuntimeError("SimulatorSet is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def ports(self) -> dict[str, str]:
        """What the kiosk config needs: a port per device and the control URL."""
        ports = {name: harness.port for name, harness in self.harnesses.items()}
        return {**ports, "control_url": self.control_url}

    def write_ports_file(self, path: str) -> None:
        """Write `ports` as JSON atomically, so a watcher never reads half a file."""
        directory = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".ports-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as out:
                json.dump(self.ports, out, indent=2)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise

    # --- the outside world -------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        return {"ports": self.ports, "lockers": self.bus.snapshot(), "card": self.card_sim.card,
                "printer": self.printer_sim.snapshot(), "devices": self.describe()}

    def describe(self) -> list[dict[str, Any]]:
        """One entry per device: name, protocol, stable port, the pty behind it, plugged."""
        return [{"device": name, "protocol": self.protocols[name], "port": h.port,
                 "pty": h.pty_path, "plugged": h.plugged} for name, h in self.harnesses.items()]

    def command(self, line: str) -> dict[str, Any]:
        """Run one line of the control language (hardware.sim.commands)."""
        with self._command_lock:
            return execute(self, line)

    def unplug(self, device: str) -> None:
        self._harness(device).unplug()

    def replug(self, device: str) -> None:
        self._harness(device).replug()

    def set_paper(self, level: str) -> None:
        self._harness("printer")
        self.printer_sim.set_paper(level)

    def set_cover(self, open_: bool) -> None:
        self._harness("printer")
        self.printer_sim.set_cover(open_)

    def _harness(self, device: str) -> PtyHarness:
        if device not in self.harnesses:
            raise ValueError(f"no simulated {device!r}; running: {', '.join(self.harnesses)}")
        return self.harnesses[device]

    def place_card(self, uid: str | None) -> None:
        self._harness("card_reader")
        self.card_sim.place_card(uid)

    def tap_card(self, uid: str, seconds: float = 1.0) -> None:
        self._harness("card_reader")
        self.card_sim.tap_card(uid, seconds)

    def scan(self, text: str) -> None:
        self._harness("scanner")
        self.scanner_sim.scan(text)

    def set_door(self, board: int, lock: int, closed: bool) -> None:
        self._harness("locker")
        (self.bus.close_door if closed else self.bus.open_door)(board, lock)

    def set_item(self, board: int, lock: int, present: bool) -> None:
        self._harness("locker")
        self.bus.set_item(board, lock, present)

    def _link(self, name: str) -> str | None:
        return os.path.join(self._link_dir, name) if self._link_dir else None

"""A full set of simulated devices plus a loopback JSON control API.

`SimulatorSet` starts a Kerong bus, a PN532 and a scanner, each on its own pty, and an
HTTP server on 127.0.0.1 through which the kiosk's simulator panel and end-to-end
tests act as the outside world: tap a card, scan a barcode, close a door.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from http.server import ThreadingHTTPServer

from hardware.sim.control_api import ControlHandler
from hardware.sim.kerong import KerongBoardSim, KerongBus
from hardware.sim.pn532 import PN532Sim
from hardware.sim.pty import PtyHarness
from hardware.sim.scanner import ScannerSim

SHUTDOWN_POLL_S = 0.05  # serve_forever's poll: how long stop() may wait for the loop


class _ControlServer(ThreadingHTTPServer):
    daemon_threads = False  # so server_close() joins request threads: no leftovers
    block_on_close = True

    def __init__(self, port: int, sims: SimulatorSet) -> None:
        self.sims = sims
        super().__init__(("127.0.0.1", port), ControlHandler)


class SimulatorSet:
    """All simulators of one kiosk. Use `with SimulatorSet() as sims:` or start()/stop()."""

    def __init__(self, *, boards: int = 1, locks: int = 16, control_port: int = 0,
                 hook_closed_bit: int = 1, reply_to_unlock: bool = True,
                 scanner_suffix: bytes = b"\r", aim_prefix: str = "",
                 link_dir: str | None = None) -> None:
        self.bus = KerongBus([
            KerongBoardSim(i, locks, hook_closed_bit=hook_closed_bit,
                           reply_to_unlock=reply_to_unlock) for i in range(boards)])
        self.card_sim = PN532Sim()
        self.scanner_sim = ScannerSim(scanner_suffix, aim_prefix)
        self.harnesses: dict[str, PtyHarness] = {}
        self._control_port = control_port
        self._link_dir = link_dir
        self._server: _ControlServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> SimulatorSet:
        try:
            for name, sim in (("locker", self.bus), ("card_reader", self.card_sim),
                              ("scanner", self.scanner_sim)):
                self.harnesses[name] = PtyHarness(sim, link=self._link(name))
            self._server = _ControlServer(self._control_port, self)
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

    def state(self) -> dict:
        return {"ports": self.ports, "lockers": self.bus.snapshot(), "card": self.card_sim.card}

    def place_card(self, uid: str | None) -> None:
        self.card_sim.place_card(uid)

    def tap_card(self, uid: str, seconds: float = 1.0) -> None:
        self.card_sim.tap_card(uid, seconds)

    def scan(self, text: str) -> None:
        self.scanner_sim.scan(text)

    def set_door(self, board: int, lock: int, closed: bool) -> None:
        (self.bus.close_door if closed else self.bus.open_door)(board, lock)

    def set_item(self, board: int, lock: int, present: bool) -> None:
        self.bus.set_item(board, lock, present)

    def _link(self, name: str) -> str | None:
        return os.path.join(self._link_dir, name) if self._link_dir else None

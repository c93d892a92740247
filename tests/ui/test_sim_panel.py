"""The demo's simulator panel says so when the simulators cannot be reached, instead of
losing the error on its background thread."""
from __future__ import annotations

import socket
import time

from kivy.clock import Clock

from hardware.sim.control import SimControl
from kiosk.ui.sim_panel import SimPanel


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens here once the socket is closed


def test_unreachable_simulators_are_reported_in_the_panel():
    control = SimControl(f"http://127.0.0.1:{_closed_port()}", timeout=2)
    panel = SimPanel(control, staff_uid="04A1B2C3")
    panel._safely(lambda: control.command("tap 04A1B2C3"))  # what a button runs on its thread
    deadline = time.monotonic() + 5
    while not panel.status.text and time.monotonic() < deadline:
        Clock.tick()
    assert panel.status.text.startswith("simulators unreachable: POST /command: cannot reach")

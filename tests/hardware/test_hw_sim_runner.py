"""SimulatorSet, its HTTP control API, the SimControl client and `python -m hardware.sim`."""

from __future__ import annotations

import http.client
import json
import os
import queue
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest

from hardware.devices.card_reader import PN532Reader
from hardware.devices.locker import KerongLocker, LockAddress
from hardware.devices.scanner import SerialScanner
from hardware.sim.control import SimControl, SimControlError
from hardware.sim.pty import wait_until
from hardware.sim.runner import SimulatorSet

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def sims():
    with SimulatorSet(boards=2, locks=4) as running:
        yield running


@pytest.fixture
def control(sims) -> SimControl:
    return SimControl(sims.control_url)


def raw_request(url: str, method: str, path: str, body: bytes | None = None):
    parsed = urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=5)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def test_state_lists_ports_lockers_and_card(sims, control):
    state = control.state()
    assert set(state["ports"]) == {"locker", "card_reader", "scanner", "printer", "control_url"}
    assert all(os.path.exists(state["ports"][k]) for k in ("locker", "card_reader", "scanner", "printer"))
    assert len(state["lockers"]) == 8 and state["card"] is None
    assert state["lockers"][0] == {"board": 0, "lock": 1, "door_closed": True,
                                   "item_present": False}
    assert sims.control_url.startswith("http://127.0.0.1:")


def test_card_place_tap_and_remove(control):
    assert control.place_card("04A1B2C3")["card"] == "04A1B2C3"
    assert control.remove_card()["card"] is None
    assert control.tap_card("DEADBEEF", seconds=0.1)["card"] == "DEADBEEF"
    assert wait_until(lambda: control.state()["card"] is None)


def test_door_and_item(control):
    control.open_door(1, 2)
    control.set_item(1, 2, True)
    lock = next(x for x in control.state()["lockers"] if (x["board"], x["lock"]) == (1, 2))
    assert (lock["door_closed"], lock["item_present"]) == (False, True)
    control.close_door(1, 2)
    assert control.state()["lockers"][5]["door_closed"] is True


@pytest.mark.parametrize("path, body, message", [
    ("/card", b"{not json", "not valid JSON"),
    ("/card", b"[1]", "JSON object"),
    ("/scan", b"{}", "missing field 'text'"),
    ("/locker/door", b'{"board": 0, "lock": 1, "closed": 1}', "must be bool"),
    ("/locker/item", b'{"board": true, "lock": 1, "present": true}', "must be int"),
    ("/locker/door", b'{"board": 7, "lock": 1, "closed": true}', "no board 7"),
    ("/card", b'{"uid": "XYZ"}', ""),
])
def test_bad_requests_get_400_with_a_message_and_change_nothing(sims, path, body, message):
    before = sims.state()
    status, payload = raw_request(sims.control_url, "POST", path, body)
    assert status == 400 and message in payload["error"] and payload["error"]
    assert sims.state() == before


def test_unknown_path_is_404(sims):
    assert raw_request(sims.control_url, "GET", "/nope")[0] == 404
    assert raw_request(sims.control_url, "POST", "/nope", b"{}")[0] == 404


def test_client_raises_on_errors(control):
    with pytest.raises(SimControlError, match="400 no board 9"):
        control.close_door(9, 1)
    with pytest.raises(SimControlError, match="cannot reach"):
        SimControl("http://127.0.0.1:9", timeout=1).state()


def test_drivers_run_unchanged_against_the_simulator_set(sims, control):
    with KerongLocker(sims.ports["locker"], timeout=0.1) as locker:
        locker.open(LockAddress(1, 4))
        assert control.state()["lockers"][7]["door_closed"] is False
        control.close_door(1, 4)
        assert locker.state(LockAddress(1, 4)).door_closed
    cards, scans = queue.Queue(), queue.Queue()
    reader = PN532Reader(sims.ports["card_reader"], poll_interval=0.05)
    scanner = SerialScanner(sims.ports["scanner"])
    reader.start(cards.put)
    scanner.start(scans.put)
    try:
        control.tap_card("04A1B2C3", seconds=0.3)
        assert cards.get(timeout=2) == "04A1B2C3"
        assert wait_until(lambda: scanner.connected)
        control.scan("CP123456785SE")
        assert scans.get(timeout=2).barcode.valid
    finally:
        reader.stop()
        scanner.stop()


def test_stable_links(tmp_path):
    with SimulatorSet(link_dir=str(tmp_path)) as linked:
        assert linked.ports["locker"] == str(tmp_path / "locker")
        assert os.path.islink(tmp_path / "scanner")
    assert not os.path.lexists(tmp_path / "scanner")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_command_line_runner_writes_ports_and_stops_on_signal(tmp_path, signum):
    ports_file = tmp_path / "ports.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "hardware.sim", "--boards", "2", "--control-port", "0",
         "--ports-file", str(ports_file)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert wait_until(ports_file.exists, timeout=15), proc.stderr.read1().decode()
        ports = json.loads(ports_file.read_text())
        state = SimControl(ports["control_url"]).state()
        assert len(state["lockers"]) == 32 and state["ports"] == ports
        assert os.path.exists(ports["locker"])
        proc.send_signal(signum)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert ports_file.exists()  # the caller's file stays
    assert not list(tmp_path.glob(".ports-*"))  # no temp file left from the atomic write

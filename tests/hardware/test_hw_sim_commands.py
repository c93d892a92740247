"""The simulators' command language, through SimulatorSet and over HTTP, seen by real drivers."""

from __future__ import annotations

import queue
import urllib.request

import pytest

from hardware.devices.card_reader import PN532Reader
from hardware.devices.locker import LockAddress
from hardware.devices.printer import EscPosPrinter
from hardware.devices.rdm6300_reader import Rdm6300Reader
from hardware.devices.scanner import SerialScanner
from hardware.devices.wkly_locker import WklyLocker
from hardware.errors import DeviceUnavailable
from hardware.sim.commands import CommandError
from hardware.sim.control import SimControl, SimControlError
from hardware.sim.pty import wait_until
from hardware.sim.runner import SimulatorSet


@pytest.fixture
def sims(tmp_path):
    with SimulatorSet(boards=2, locks=4, link_dir=str(tmp_path)) as running:
        yield running


@pytest.mark.parametrize("line,message", [
    ("fly away", "unknown command"), ("door 0 1 ajar", "usage: door"),
    ("door x 1 open", "board must be a number"), ("paper low", "usage: paper"),
    ("scan", "usage: scan"), ("card", "usage: card"), ("cover", "usage: cover"),
])
def test_malformed_lines_are_refused_and_change_nothing(sims, line, message):
    before = sims.state()
    with pytest.raises(CommandError, match=message):
        sims.command(line)
    assert sims.state() == before


def test_door_item_paper_cover_and_state(sims):
    sims.command("door 1 2 open")
    sims.command("item 1 2 present")
    sims.command("paper near-end")
    state = sims.command("cover open")
    lock = next(d for d in state["lockers"] if (d["board"], d["lock"]) == (1, 2))
    assert lock == {"board": 1, "lock": 2, "door_closed": False, "item_present": True}
    assert state["printer"]["paper"] == "near-end" and state["printer"]["cover_open"]
    with pytest.raises(ValueError, match="no board 5"):
        sims.command("door 5 1 close")


def test_card_and_scan_reach_the_drivers(sims):
    cards, scans = queue.Queue(), queue.Queue()
    with PN532Reader(sims.ports["card_reader"]) as reader, \
            SerialScanner(sims.ports["scanner"]) as scanner:
        reader.start(cards.put)
        scanner.start(scans.put)
        assert wait_until(lambda: reader.connected and scanner.connected)
        sims.command("card 04A1B2C3")
        assert cards.get(timeout=3) == "04A1B2C3"
        sims.command("card none")
        assert wait_until(lambda: reader.present_uid is None, 3)
        sims.command("scan ]C1<GS>00373500490000000016")
        assert scans.get(timeout=3).barcode.value == "373500490000000016"


def test_unplug_and_replug_keep_the_port_path(sims):
    port = sims.ports["printer"]
    with EscPosPrinter(port) as printer:
        assert printer.status().can_print
        sims.command("unplug printer")
        with pytest.raises(DeviceUnavailable):
            printer.status()
        sims.command("replug printer")
        assert printer.status().can_print and sims.ports["printer"] == port
    with pytest.raises(ValueError, match="no simulated 'modem'"):
        sims.command("unplug modem")


def test_other_protocols_and_a_subset_of_devices(tmp_path):
    with SimulatorSet(devices=("locker", "card_reader"), link_dir=str(tmp_path),
                      protocols={"locker": "wkly", "card_reader": "rdm6300"}, locks=12) as sims:
        assert [d["protocol"] for d in sims.describe()] == ["wkly", "rdm6300"]
        with WklyLocker(sims.ports["locker"]) as locker:
            locker.open(LockAddress(0, 7))
            assert not locker.state(LockAddress(0, 7)).door_closed
            sims.command("door 0 7 close")
            assert locker.state(LockAddress(0, 7)).door_closed
        sims.command("tap 0A0B0C0D0E 5")
        assert Rdm6300Reader(sims.ports["card_reader"]).read_uid(2) == "0A0B0C0D0E"
        with pytest.raises(ValueError, match="no simulated 'printer'"):
            sims.command("paper out")


def test_http_endpoint_takes_json_and_plain_text(sims):
    control = SimControl(sims.control_url)
    assert control.command("door 0 1 open")["lockers"][0]["door_closed"] is False
    request = urllib.request.Request(sims.control_url + "/command", data=b"door 0 1 close",
                                     headers={"Content-Type": "text/plain"}, method="POST")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=5) as response:
        assert response.status == 200
    assert control.state()["lockers"][0]["door_closed"] is True
    with pytest.raises(SimControlError, match="400 unknown command"):
        control.command("explode")

"""`kiosk stable-names`: udev lines from pyserial's view of the USB serial ports."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from serial.tools.list_ports_common import ListPortInfo

from hardware.sim.runner import SimulatorSet
from kiosk.cli.main import cli
from kiosk.cli.stable_names import rules_for
from kiosk.config import parse_config, write_config


def usb_port(device: str, vid: int | None, pid: int | None, serial: str | None, location: str | None) -> ListPortInfo:
    info = ListPortInfo(device, skip_link_detection=True)
    info.vid, info.pid, info.serial_number, info.location = vid, pid, serial, location
    return info


def test_rules_key_on_the_serial_number_or_else_the_usb_socket() -> None:
    ports = [usb_port("/dev/ttyUSB0", 0x0403, 0x6001, "A10K5ZQ3", "1-1.2:1.0"),
             usb_port("/dev/ttyUSB1", 0x1A86, 0x7523, None, "1-1.3:1.0"),
             usb_port("/dev/ttyAMA0", None, None, None, None)]
    lines, problems = rules_for({"locker": "/dev/ttyUSB0", "printer": "/dev/ttyUSB1", "scanner": "/dev/ttyAMA0",
                                 "card_reader": "/dev/ttyUSB7"}, ports)
    assert lines == [
        'SUBSYSTEM=="tty", ATTRS{idVendor}=="0403", ATTRS{idProduct}=="6001", ATTRS{serial}=="A10K5ZQ3", '
        'SYMLINK+="servicepunkt/locker"',
        'SUBSYSTEM=="tty", ATTRS{idVendor}=="1a86", ATTRS{idProduct}=="7523", KERNELS=="1-1.3:1.0", '
        'SYMLINK+="servicepunkt/printer"',
    ]
    assert problems == ["scanner: /dev/ttyAMA0 is not a USB device",
                        "card_reader: /dev/ttyUSB7 is not among the system's serial ports (unplugged?)"]


def test_a_pty_cannot_be_named_and_nothing_is_written(tmp_path: Path) -> None:
    with SimulatorSet(devices=("locker",)) as sims:
        config = tmp_path / "kiosk.toml"
        write_config(parse_config({"data_dir": str(tmp_path), "locker": {
            "port": sims.ports["locker"], "compartments": [{"id": "A1", "board": 0, "lock": 1}]}}), config)
        before = config.read_bytes()
        rules = tmp_path / "98.rules"
        result = CliRunner().invoke(cli, ["--config", str(config), "stable-names", "--write", str(rules), "--apply"])
    assert result.exit_code == 1 and "cannot name locker" in result.output
    assert not rules.exists() and config.read_bytes() == before
